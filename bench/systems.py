"""Times one system on one case at one thread count, in a process of its own (run by bench.py).

    systems.py --system bertc|onnxruntime|openvino|pytorch|... --model-dir DIR --case NAME
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
# outputs() gives {output name: numpy array} of the last call. `io` is prepare.py's io.json:
# the model's inputs and outputs by name, in order.

_VERSION = {}


class _Status(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


class _TensorInfo(ctypes.Structure):  # bert_tensor_info (bert_runtime.h)
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int),
                ("dims", ctypes.c_int64 * 4), ("upper_bound", ctypes.c_int64),
                ("required", ctypes.c_int), ("default_value", ctypes.c_int32)]


class _Buffer(ctypes.Structure):  # bert_buffer
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p)]


def setup_bertc(a, x, io, b, s):
    """bertc's library (a.lib; compiled with --precision bf16 for bertc-bf16, int8 for bertc-int8,
    int8 --int8-scheme all for bertc-int8-all, with
    --no-prune-first-token for bertc-noprune) through bert_run_named: every input of the case
    that the library takes, every output of the library into a preallocated buffer."""
    lib = ctypes.CDLL(a.lib)
    p, st_p, info_p = ctypes.c_void_p, ctypes.POINTER(_Status), ctypes.POINTER(_TensorInfo)
    lib.bert_model_load.restype = p
    lib.bert_model_load.argtypes = [ctypes.c_char_p, st_p]
    lib.bert_model_set_num_threads.argtypes = [p, ctypes.c_int, st_p]
    lib.bert_model_num_inputs.argtypes = lib.bert_model_num_outputs.argtypes = [p]
    lib.bert_model_input_info.argtypes = lib.bert_model_output_info.argtypes = [
        p, ctypes.c_int, info_p, st_p]
    lib.bert_tensor_numel.restype = ctypes.c_int64
    lib.bert_tensor_numel.argtypes = [info_p, ctypes.c_int64, ctypes.c_int64]
    buf_p = ctypes.POINTER(_Buffer)
    lib.bert_run_named.argtypes = [p, ctypes.c_int64, ctypes.c_int64, buf_p, ctypes.c_int,
                                   buf_p, ctypes.c_int, st_p]
    lib.bert_version.restype = ctypes.c_char_p
    _VERSION["bertc"] = "runtime " + lib.bert_version().decode()
    st = _Status()
    m = lib.bert_model_load(os.path.join(a.model_dir, "model.safetensors").encode(),
                            ctypes.byref(st))
    if not m:
        raise RuntimeError("bert_model_load: " + st.message.decode())
    if lib.bert_model_set_num_threads(m, a.threads, ctypes.byref(st)):
        raise RuntimeError("bert_model_set_num_threads: " + st.message.decode())

    def infos(count, get):
        res = []
        for i in range(count(m)):
            info = _TensorInfo()
            if get(m, i, ctypes.byref(info), ctypes.byref(st)):
                raise RuntimeError("tensor info: " + st.message.decode())
            res.append(info)
        return res
    in_names = [i.name.decode() for i in infos(lib.bert_model_num_inputs,
                                              lib.bert_model_input_info)]
    ins = {n: np.ascontiguousarray(x[n], dtype=np.int32) for n in in_names if n in x}
    outs = {}
    for info in infos(lib.bert_model_num_outputs,
                      lib.bert_model_output_info):
        shape = [b if d == -1 else s if d == -2 else d for d in info.dims[:info.rank]]
        outs[info.name.decode()] = np.empty(shape, np.float32)
    in_bufs = (_Buffer * len(ins))(*[(n.encode(), v.ctypes.data) for n, v in ins.items()])
    out_bufs = (_Buffer * len(outs))(*[(n.encode(), v.ctypes.data) for n, v in outs.items()])
    args = (m, b, s, in_bufs, len(ins), out_bufs, len(outs), ctypes.byref(st))
    run = lib.bert_run_named

    def fn(keep=(ins, outs)):  # `keep`: the buffers hold raw addresses, the arrays must live
        if run(*args):
            raise RuntimeError("bert_run_named: " + st.message.decode())
    return fn, lambda: outs


def min_cosine(got, ref):
    """The smallest cosine similarity between a row of `got` and the same row of `ref` (a row:
    the last dim, one per token or per sequence): the accuracy figure of the int8 table."""
    g = np.asarray(got, np.float64).reshape(-1, ref.shape[-1])
    r = np.asarray(ref, np.float64).reshape(-1, ref.shape[-1])
    den = np.maximum(np.linalg.norm(g, axis=1) * np.linalg.norm(r, axis=1), 1e-30)
    return float(np.min(np.sum(g * r, axis=1) / den))


def setup_onnxruntime(a, x, io, b, s):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    # onnxruntime-int8: prepare.py's quantize_dynamic of the optimized model.
    onnx_file = "model.ort.int8.onnx" if a.system == "onnxruntime-int8" else "model.ort.onnx"
    sess = ort.InferenceSession(os.path.join(a.model_dir, onnx_file), so,
                                providers=["CPUExecutionProvider"])
    feeds = {i.name: x[i.name] for i in sess.get_inputs()}
    names = [o.name for o in sess.get_outputs()]
    out = [None]

    def fn():
        out[0] = sess.run(names, feeds)
    return fn, lambda: dict(zip(names, out[0]))


def setup_openvino(a, x, io, b, s):
    import openvino as ov
    core = ov.Core()
    # openvino-int8: prepare.py's NNCF quantization of the same IR; what NNCF left in float
    # runs in f32, as in ONNX Runtime's int8 model.
    xml = "model.int8.xml" if a.system == "openvino-int8" else "model.xml"
    model = core.read_model(os.path.join(a.model_dir, xml))
    names = [i.get_any_name() for i in model.inputs]
    model.reshape({n: [b, s] for n in names})  # static shape, as bertc's library is
    precision = "bf16" if a.system == "openvino-bf16" else "f32"
    cm = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                           "INFERENCE_PRECISION_HINT": precision,
                                           "INFERENCE_NUM_THREADS": a.threads})
    req = cm.create_infer_request()
    feeds = {n: x[n] for n in names}
    out = [None]

    def fn():
        out[0] = req.infer(feeds, share_inputs=True, share_outputs=True)
    return fn, lambda: {n: np.array(out[0][n]) for n in io["outputs"]}


def setup_pytorch(a, x, io, b, s):
    import torch
    import transformers
    torch.set_num_threads(a.threads)
    model = getattr(transformers, io["architecture"]).from_pretrained(a.model_dir).eval()
    feeds = {n: torch.from_numpy(x[n]) for n in io["inputs"]}
    out = [None]

    # pytorch-bf16: the CPU autocast HF users turn on for bf16 (matmuls in bf16 through
    # oneDNN, AMX where the CPU has it; softmax and LayerNorm stay fp32).
    bf16 = a.system == "pytorch-bf16"

    def fn():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out[0] = model(**feeds)
    return fn, lambda: {n: getattr(out[0], n).float().numpy() for n in io["outputs"]}


SYSTEMS = {"bertc": setup_bertc, "onnxruntime": setup_onnxruntime,
           "openvino": setup_openvino, "pytorch": setup_pytorch, "bertc-noprune": setup_bertc,
           "bertc-bf16": setup_bertc, "openvino-bf16": setup_openvino,
           "pytorch-bf16": setup_pytorch, "bertc-int8": setup_bertc,
           "bertc-int8-all": setup_bertc,
           "onnxruntime-int8": setup_onnxruntime, "openvino-int8": setup_openvino}


def versions(system):
    try:
        system = system.removesuffix("-bf16").removesuffix("-noprune").removesuffix("-int8")
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
        io = json.load(open(os.path.join(a.model_dir, "io.json")))
        x = {n: np.load(os.path.join(cd, n + ".npy")) for n in io["inputs"]}
        b, s = x["input_ids"].shape
        t0 = time.perf_counter()
        fn, outputs = SYSTEMS[a.system](a, x, io, b, s)
        res["setup_s"] = round(time.perf_counter() - t0, 2)
        res.update(measure(fn, a.budget))
        got = outputs()
        # Each of the model's outputs against transformers'; None where the system lacks it.
        refs = {n: np.load(os.path.join(cd, f"ref_{n}.npy")) for n in io["outputs"]}
        res["max_abs_diff"] = {n: float(np.max(np.abs(got[n] - refs[n]))) if n in got else None
                               for n in io["outputs"]}
        res["min_cosine"] = {n: min_cosine(got[n], refs[n]) if n in got else None
                             for n in io["outputs"]}
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
