"""Times one system on one case at one thread count, in a process of its own (run by bench.py).

    systems.py --system bertc|onnxruntime|openvino|pytorch --model-dir DIR --case NAME
               --threads T [--lib libX.so] [--budget SECONDS] --out result.json

Each system gets its own process so that no other runtime's thread pool (OpenMP, TBB, Halide,
onnxruntime) is alive, spinning or holding memory while it is timed, and a crash in a peer only
loses that peer's row. Only the inference call is timed: loading, session creation and
compilation happen before the warm-up.

Timing: warm-up (at least 2 calls and 0.5 s), then N timed calls, N = budget / (one call),
clamped to [5, 200] (and cut short, at 5 or more, past 3x the budget); each call is timed alone
with perf_counter. Beside the samples it records
the 1-minute load average before and after, and from /proc/stat the share of both cores that
other processes (and the hypervisor, as steal) used while the samples ran: the noise figure.
"""
import argparse
import ctypes
import json
import os
import resource
import statistics
import sys
import time
import traceback

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _cpu_jiffies():
    """(busy, steal, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + idle + iowait + steal


def _self_cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(fn, budget_s):
    t_end = time.perf_counter() + 0.5
    n = 0
    while n < 2 or time.perf_counter() < t_end:
        fn()
        n += 1
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    reps = int(min(200, max(5, budget_s / max(one, 1e-6))))
    load0 = os.getloadavg()[0]
    busy0, steal0, tot0 = _cpu_jiffies()
    self0 = _self_cpu_s()
    samples = []
    stop = time.perf_counter() + 3 * budget_s  # when calls turn out far slower than the first
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
        if len(samples) >= 5 and t0 > stop:
            break
    reps = len(samples)
    busy1, steal1, tot1 = _cpu_jiffies()
    self_s = _self_cpu_s() - self0
    load1 = os.getloadavg()[0]
    hz = os.sysconf("SC_CLK_TCK")
    tot = max(1, tot1 - tot0)
    others = max(0.0, (busy1 - busy0) - self_s * hz) / tot
    return {
        "warmup_calls": n, "reps": reps, "samples_ms": [round(s, 4) for s in samples],
        "median_ms": statistics.median(samples), "min_ms": min(samples),
        "load1_before": round(load0, 2), "load1_after": round(load1, 2),
        "others_cpu_pct": round(100 * others, 1),
        "steal_pct": round(100 * (steal1 - steal0) / tot, 1),
    }


# --- one setup function per system: returns (fn, outputs) where fn() runs one inference and
# outputs() gives (last_hidden_state, pooler_output) of the last call as numpy arrays.

_VERSION = {}


class _Status(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


def setup_bertc(a, x, b, s):
    """bertc's library (a.lib; for bertc-bf16 compiled with --precision bf16)."""
    lib = ctypes.CDLL(a.lib)
    lib.bert_model_load.restype = ctypes.c_void_p
    lib.bert_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(_Status)]
    lib.bert_model_hidden_size.restype = ctypes.c_int64
    lib.bert_model_hidden_size.argtypes = [ctypes.c_void_p]
    lib.bert_model_set_num_threads.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                               ctypes.POINTER(_Status)]
    p = ctypes.c_void_p
    lib.bert_run.argtypes = [p, p, p, p, ctypes.c_int64, ctypes.c_int64, p, p,
                             ctypes.POINTER(_Status)]
    lib.bert_version.restype = ctypes.c_char_p
    _VERSION["bertc"] = "runtime " + lib.bert_version().decode()
    st = _Status()
    m = lib.bert_model_load(os.path.join(a.model_dir, "model.safetensors").encode(),
                            ctypes.byref(st))
    if not m:
        raise RuntimeError("bert_model_load: " + st.message.decode())
    if lib.bert_model_set_num_threads(m, a.threads, ctypes.byref(st)):
        raise RuntimeError("bert_model_set_num_threads: " + st.message.decode())
    h = lib.bert_model_hidden_size(m)
    ins = [np.ascontiguousarray(x[n], dtype=np.int32) for n in
           ("input_ids", "token_type_ids", "attention_mask")]
    lhs = np.empty((b, s, h), np.float32)
    pool = np.empty((b, h), np.float32)
    args = (m, *(i.ctypes.data for i in ins), b, s, lhs.ctypes.data, pool.ctypes.data,
            ctypes.byref(st))
    run = lib.bert_run

    def fn(keep=(ins, lhs, pool)):  # `keep`: args holds raw addresses, the arrays must live
        if run(*args):
            raise RuntimeError("bert_run: " + st.message.decode())
    return fn, lambda: (lhs, pool)


def setup_onnxruntime(a, x, b, s):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(a.model_dir, "model.ort.onnx"), so,
                                providers=["CPUExecutionProvider"])
    feeds = {n: x[n] for n in INPUTS}
    out = [None]

    def fn():
        out[0] = sess.run(None, feeds)
    return fn, lambda: (out[0][0], out[0][1])


def setup_openvino(a, x, b, s):
    import openvino as ov
    core = ov.Core()
    model = core.read_model(os.path.join(a.model_dir, "model.xml"))
    model.reshape({n: [b, s] for n in INPUTS})  # static shape, as bertc's library is
    precision = "bf16" if a.system == "openvino-bf16" else "f32"
    cm = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                           "INFERENCE_PRECISION_HINT": precision,
                                           "INFERENCE_NUM_THREADS": a.threads})
    req = cm.create_infer_request()
    feeds = {n: x[n] for n in INPUTS}
    out = [None]

    def fn():
        out[0] = req.infer(feeds, share_inputs=True, share_outputs=True)
    return fn, lambda: (np.array(out[0]["last_hidden_state"]),
                        np.array(out[0]["pooler_output"]))


def setup_pytorch(a, x, b, s):
    import torch
    from transformers import BertModel
    torch.set_num_threads(a.threads)
    model = BertModel.from_pretrained(a.model_dir).eval()
    feeds = {n: torch.from_numpy(x[n]) for n in INPUTS}
    out = [None]

    # pytorch-bf16: the CPU autocast HF users turn on for bf16 (matmuls in bf16 through
    # oneDNN, AMX where the CPU has it; softmax and LayerNorm stay fp32).
    bf16 = a.system == "pytorch-bf16"

    def fn():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out[0] = model(**feeds)
    return fn, lambda: (out[0].last_hidden_state.float().numpy(),
                        out[0].pooler_output.float().numpy())


SYSTEMS = {"bertc": setup_bertc, "onnxruntime": setup_onnxruntime,
           "openvino": setup_openvino, "pytorch": setup_pytorch,
           "bertc-bf16": setup_bertc, "openvino-bf16": setup_openvino,
           "pytorch-bf16": setup_pytorch}


def versions(system):
    try:
        system = system.removesuffix("-bf16")
        if system == "onnxruntime":
            import onnxruntime
            return onnxruntime.__version__
        if system == "openvino":
            import openvino
            return openvino.get_version()
        if system == "pytorch":
            import torch
            import transformers
            return f"torch {torch.__version__}, transformers {transformers.__version__}"
    except Exception:
        pass
    return _VERSION.get(system)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", required=True, choices=sorted(SYSTEMS))
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--lib")
    ap.add_argument("--budget", type=float, default=3.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    cd = os.path.join(a.model_dir, "cases", a.case)
    res = {"system": a.system, "threads": a.threads}
    try:
        x = {n: np.load(os.path.join(cd, n + ".npy")) for n in INPUTS}
        b, s = x["input_ids"].shape
        t0 = time.perf_counter()
        fn, outputs = SYSTEMS[a.system](a, x, b, s)
        res["setup_s"] = round(time.perf_counter() - t0, 2)
        res.update(measure(fn, a.budget))
        lhs, pool = outputs()
        res["max_abs_diff"] = {
            "last_hidden_state": float(np.max(np.abs(
                lhs - np.load(os.path.join(cd, "ref_last_hidden_state.npy"))))),
            "pooler_output": float(np.max(np.abs(
                pool - np.load(os.path.join(cd, "ref_pooler_output.npy")))))}
        res["version"] = versions(a.system)
        res["status"] = "ok"
    except Exception as e:  # reported in the table; the harness goes on with the others
        traceback.print_exc()
        res["status"] = "error"
        res["error"] = f"{type(e).__name__}: {e}"[:400]
    with open(a.out, "w") as f:
        json.dump(res, f)
    sys.exit(0 if res["status"] == "ok" else 1)


if __name__ == "__main__":
    main()
