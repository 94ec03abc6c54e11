"""The best-known sgemm peers of `make bench-kernels`, timed like bert-kernels-bench times bertc.

    build/bench-venv/bin/python bench/gemm_peers.py --threads T --json OUT.json [--quick]
        [--samples 15] [--sample-ms 40] [--systems onnxruntime,torch-linear,torch-matmul]

Y = X W^T, fp32, X [M, K] row-major, W [N, K] (the HF layout), at M in {128, 1024} and
(N, K) in {768x768, 2304x768, 3072x768, 768x3072}:
  onnxruntime   a one-MatMul ONNX model (built here with the `onnx` package) whose weight W^T
                [K, N] is a constant initializer, so MLAS pre-packs it at session creation;
                intra_op_num_threads = T, inter_op 1, sequential; input and output bound once
                through IOBinding (no allocation per call).
  torch-linear  torch.nn.functional.linear(X, W) (W [N, K] as stored; MKL/oneDNN transB),
                torch.set_num_threads(T).
  torch-matmul  torch.matmul(X, Wt, out=Y) with Wt = W^T made contiguous [K, N] once.
Timing (the same as bert-kernels-bench): warm-up (>= 2 calls, >= 0.1 s), then `samples`
samples of `iters` back-to-back calls (one sample ~ sample-ms), per-call median and min; beside
them the 1-min load average and the CPU share of other processes (+ steal) from /proc/stat.
Run one thread count per process (the thread pools are sized once).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

SHAPES = [(768, 768), (2304, 768), (3072, 768), (768, 3072)]
MS = [128, 1024]


def _cpu():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    r = resource.getrusage(resource.RUSAGE_SELF)
    return busy, steal, busy + idle + iowait + steal, r.ru_utime + r.ru_stime


def measure(fn, samples, sample_ms):
    t0 = time.perf_counter()
    n = 0
    while n < 2 or time.perf_counter() - t0 < 0.1:
        fn()
        n += 1
    t1 = time.perf_counter()
    fn()
    one = time.perf_counter() - t1
    iters = max(1, int(sample_ms * 1e-3 / max(one, 1e-7)))
    load0 = os.getloadavg()[0]
    b0, s0, t0_, self0 = _cpu()
    ms = []
    for _ in range(samples):
        t = time.perf_counter()
        for _ in range(iters):
            fn()
        ms.append((time.perf_counter() - t) / iters * 1e3)
    b1, s1, t1_, self1 = _cpu()
    hz = os.sysconf("SC_CLK_TCK")
    tot = max(1, t1_ - t0_)
    return {"timing": {"median_ms": statistics.median(ms), "min_ms": min(ms), "samples": len(ms),
                       "iters": iters, "samples_ms": [round(x, 5) for x in ms]},
            "others_cpu_pct": round(100 * max(0.0, (b1 - b0) - (self1 - self0) * hz) / tot, 1),
            "steal_pct": round(100 * (s1 - s0) / tot, 1),
            "load1_before": round(load0, 2), "load1_after": round(os.getloadavg()[0], 2)}


def ort_setup(x, w, threads):
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    M, K = x.shape
    N = w.shape[0]
    wt = numpy_helper.from_array(np.ascontiguousarray(w.T), name="Wt")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["X", "Wt"], ["Y"])], "gemm",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [M, K])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [M, N])], [wt])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    y = np.empty((M, N), np.float32)
    io = sess.io_binding()
    io.bind_cpu_input("X", x)
    io.bind_output("Y", "cpu", 0, np.float32, [M, N], y.ctypes.data)
    fn = lambda: sess.run_with_iobinding(io)
    return fn, (lambda: y), f"onnxruntime {ort.__version__} (MLAS, {sess.get_providers()[0]})"


def torch_setup(x, w, threads, kind):
    import torch
    torch.set_num_threads(threads)
    X = torch.from_numpy(x)
    W = torch.from_numpy(w)
    if kind == "torch-linear":
        out = {}

        def fn():
            out["y"] = torch.nn.functional.linear(X, W)
        get = lambda: out["y"].numpy()
        desc = "F.linear(X, W[N,K])"
    else:
        Wt = W.t().contiguous()
        Y = torch.empty((x.shape[0], w.shape[0]), dtype=torch.float32)
        fn = lambda: torch.matmul(X, Wt, out=Y)
        get = lambda: Y.numpy()
        desc = "torch.matmul(X, Wt[K,N], out=Y)"
    blas = "MKL" if torch.backends.mkl.is_available() else "?"
    dnn = "oneDNN" if torch.backends.mkldnn.is_available() else ""
    return fn, get, f"torch {torch.__version__} {desc} ({blas}/{dnn} available)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--samples", type=int, default=15)
    ap.add_argument("--sample-ms", type=float, default=40)
    ap.add_argument("--systems", default="onnxruntime,torch-linear,torch-matmul")
    a = ap.parse_args()
    rng = np.random.default_rng(7)
    recs = []
    for system in a.systems.split(","):
        for N, K in SHAPES:
            w = rng.uniform(-.05, .05, (N, K)).astype(np.float32)
            for M in MS:
                if a.quick and M == 1024 and N != 768:
                    continue
                x = rng.uniform(-1, 1, (M, K)).astype(np.float32)
                try:
                    if system == "onnxruntime":
                        fn, get, impl = ort_setup(x, w, a.threads)
                    else:
                        fn, get, impl = torch_setup(x, w, a.threads, system)
                    fn()
                    err = float(np.max(np.abs(get() - x.astype(np.float64) @ w.T.astype(np.float64))))
                    r = measure(fn, a.samples, a.sample_ms)
                except Exception as e:  # a peer that fails loses its row only
                    recs.append({"part": "gemm", "system": system, "threads": a.threads,
                                 "M": M, "N": N, "K": K, "status": "failed",
                                 "error": f"{type(e).__name__}: {e}"})
                    print(f"gemm {system} M={M} N={N} K={K} FAILED: {e}", flush=True)
                    continue
                gflop = 2.0 * M * N * K * 1e-9
                r.update({"part": "gemm", "system": system, "impl": impl, "threads": a.threads,
                          "M": M, "N": N, "K": K, "gflop": gflop, "max_abs_err": err})
                recs.append(r)
                t = r["timing"]
                print(f"gemm {system} T={a.threads} M={M:<5} N={N:<5} K={K:<5} median "
                      f"{t['median_ms']:8.3f} ms  min {t['min_ms']:8.3f} ms  "
                      f"{gflop / t['median_ms'] * 1e3:6.1f} GFLOP/s  (others "
                      f"{r['others_cpu_pct']:.0f}% steal {r['steal_pct']:.0f}%, load "
                      f"{r['load1_before']:.2f}->{r['load1_after']:.2f}, max|err| {err:.1e})",
                      flush=True)
    with open(a.json, "w") as f:
        json.dump({"threads": a.threads, "records": recs}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
