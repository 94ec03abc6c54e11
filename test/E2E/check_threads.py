"""Loads a bertc library's model, sets its kernel threads, runs it once and checks how many
threads the process then has: bert_model_set_num_threads(m, T) must hold even when the load
already ran kernels (a model with load-time values: XLNet's kr), since Halide's thread pool
never shrinks once it has spawned its workers. Standard library only (NumPy's BLAS would start
threads of its own).

    check_threads.py LIB WEIGHTS --threads T --seq S
"""
import argparse
import ctypes
import os
import sys


class Status(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


class Buffer(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p)]


def threads_now():
    return len(os.listdir("/proc/self/task"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("weights")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--seq", type=int, required=True)
    ap.add_argument("--hidden", type=int, required=True)
    a = ap.parse_args()
    lib = ctypes.CDLL(a.lib)
    p, st_p = ctypes.c_void_p, ctypes.POINTER(Status)
    lib.bert_model_load.restype = p
    lib.bert_model_load.argtypes = [ctypes.c_char_p, st_p]
    lib.bert_model_set_num_threads.argtypes = [p, ctypes.c_int, st_p]
    buf_p = ctypes.POINTER(Buffer)
    lib.bert_run_named.argtypes = [p, ctypes.c_int64, ctypes.c_int64, buf_p, ctypes.c_int,
                                   buf_p, ctypes.c_int, st_p]
    before = threads_now()
    st = Status()
    m = lib.bert_model_load(a.weights.encode(), ctypes.byref(st))
    if not m:
        sys.exit("bert_model_load: " + st.message.decode())
    if lib.bert_model_set_num_threads(m, a.threads, ctypes.byref(st)):
        sys.exit("bert_model_set_num_threads: " + st.message.decode())
    ids = (ctypes.c_int32 * a.seq)(*[7 + i % 20 for i in range(a.seq)])
    types = (ctypes.c_int32 * a.seq)(*([0] * (a.seq // 2) + [1] * (a.seq - a.seq // 2)))
    mask = (ctypes.c_int32 * a.seq)(*([1] * a.seq))
    out = (ctypes.c_float * (a.seq * a.hidden))()
    ins = (Buffer * 3)((b"input_ids", ctypes.addressof(ids)),
                       (b"token_type_ids", ctypes.addressof(types)),
                       (b"attention_mask", ctypes.addressof(mask)))
    outs = (Buffer * 1)((b"last_hidden_state", ctypes.addressof(out)))
    for _ in range(3):
        if lib.bert_run_named(m, 1, a.seq, ins, 3, outs, 1, ctypes.byref(st)):
            sys.exit("bert_run_named: " + st.message.decode())
    extra = threads_now() - before
    ok = extra <= a.threads - 1
    print(f"threads {a.threads}: {extra} worker threads after load and 3 runs "
          f"(at most {a.threads - 1}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
