"""`make bench-kernels`: bertc's Halide kernels against the FMA limit, the best-known sgemm, and
their own unfused chains. One table (text) and one JSON:

    build/bench-venv/bin/python bench/kernels.py --build-dir build [--quick] [--threads 1,2]
        [--repeat 2] [--samples 15] [--sample-ms 40]

1. FMA limit: build/bench/fma_peak (bench/halide_matmul/fma_peak.cpp, native vector width) at
   the start and at the end; the limit at T threads is the best of the two and at least T x the
   1-thread figure (as bench/report.py).
2. GEMM (Y = X W^T, fp32, M in {128, 1024} x N x K in {768x768, 2304x768, 3072x768, 768x3072}):
   bertc's linear (bench/kernels/KernelsBench.cpp: Kernels.h buildLinear, W packed once with
   packLinearWeights, JIT Callable; HL_NUM_THREADS = T) and the peers of bench/gemm_peers.py
   (ONNX Runtime MLAS, torch F.linear and torch.matmul on MKL/oneDNN), each in its own process,
   same timing protocol. GFLOP/s from the median per-call time (and from the min), % of the FMA
   limit at T, and the ratio to the best peer's GFLOP/s (> 1: bertc faster).
3. Fusion: every fused kernel against its unfused chain of small Halide pipelines, alternating
   samples in one process (KernelsBench.cpp). speedup = unfused median / fused median.
4. AMX-INT8 (CPUs with amx_int8 only; part amx-int8): the int8 linear (LinearInt8.cpp, VPDPBUSD
   register tile 8x48, k unroll 4, 128-row tasks) against the same kernel with TDPBUSD tiles
   (LinearAMXInt8.cpp, 128 x 64 tasks, the same weight panels), interleaved in one process
   (bench/kernels/Int8Bench.cpp, --target x86-64-amx); GOP/s = 2MNK / median, amx/vnni their ratio.
Every measurement runs --repeat R times (default 2; rounds interleaved over systems, bertc's
GEMM process first in even rounds and the peers' first in odd ones); the samples of all rounds
are pooled (median, min), the noise figures averaged.
Noise: 'others' = CPU share of both cores used by other processes while the samples ran (from
/proc/stat, minus this process), '+steal'; 'load' = 1-min load average before the samples.
Outputs: <build>/bench/kernels.txt, <build>/bench/kernels.json (raw samples included).
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = [(768, 768), (2304, 768), (3072, 768), (768, 3072)]
PEERS = ("onnxruntime", "torch-linear", "torch-matmul")
SYSTEMS = ("bertc",) + PEERS


def log(msg):
    print(f"bench-kernels: {msg}", flush=True)


def run(cmd, env=None):
    log(" ".join(cmd))
    p = subprocess.run(cmd, env=env, text=True, capture_output=True)
    sys.stdout.write(p.stdout)
    if p.returncode != 0:
        sys.stdout.write(p.stderr)
        log(f"FAILED ({p.returncode}): {' '.join(cmd)}")
    return p.returncode == 0


def fma_peak(exe, tmax):
    out = subprocess.run([exe, str(tmax)], capture_output=True, text=True).stdout
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"threads=(\d+) .*?([\d.]+) GFLOP/s", out)}


# bert-int8-bench variants of part 4: the VPDPBUSD tile, then the same tile under AMX tasks.
INT8_VNNI = "8x48x4x128"
INT8_AMX = INT8_VNNI + "+amx128x64"


def amx_int8_host():
    flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
    return "amx_int8" in flags.split()


def int8_bench(exe, M, N, K, samples, env):
    """GOP/s (median) of the VNNI and AMX variants, interleaved in one bert-int8-bench run."""
    cmd = [exe, str(M), str(N), str(K), INT8_VNNI, INT8_AMX, "--target", "x86-64-amx",
           "--samples", str(samples)]
    log(" ".join(cmd))
    p = subprocess.run(cmd, env=env, text=True, capture_output=True)
    sys.stdout.write(p.stdout)
    if p.returncode != 0:
        sys.stdout.write(p.stderr)
        return None
    gops = {m.group(1): float(m.group(2)) for m in
            re.finditer(r"^\s+(\S+)\s+median .*?([\d.]+) GOP/s \(median\)", p.stdout, re.M)}
    if INT8_VNNI not in gops or INT8_AMX not in gops:
        return None
    return {"part": "amx-int8", "M": M, "N": N, "K": K, "vnni_gops": gops[INT8_VNNI],
            "amx_gops": gops[INT8_AMX], "load1_before": os.getloadavg()[0]}


def pool(recs):
    """One record from the same measurement of several rounds: samples pooled."""
    r = dict(recs[0])
    if len(recs) == 1:
        return r

    def merged(key):
        ms = [x for q in recs for x in q[key]["samples_ms"]]
        return {"median_ms": statistics.median(ms), "min_ms": min(ms), "samples": len(ms),
                "round_medians_ms": [q[key]["median_ms"] for q in recs], "samples_ms": ms}
    for key in ("timing", "fused", "unfused"):
        if key in r:
            r[key] = merged(key)
    for k in ("others_cpu_pct", "steal_pct"):
        r[k] = statistics.mean(q[k] for q in recs)
    r["load1_before"] = min(q["load1_before"] for q in recs)
    r["load1_after"] = max(q["load1_after"] for q in recs)
    if "fused" in r:
        r["speedup"] = r["unfused"]["median_ms"] / r["fused"]["median_ms"]
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--samples", type=int, default=15)
    ap.add_argument("--sample-ms", type=float, default=40)
    ap.add_argument("--quick", action="store_true", help="fewer shapes, fewer samples")
    ap.add_argument("--parts", default="gemm,fusion,amx-int8")
    a = ap.parse_args()
    bd = os.path.abspath(a.build_dir)
    exe = os.path.join(bd, "bench", "kernels", "bert-kernels-bench")
    fma = os.path.join(bd, "bench", "fma_peak")
    py = sys.executable  # the bench venv's python (make runs this script with it)
    out = os.path.join(bd, "bench")
    work = os.path.join(out, "kernels-runs")
    os.makedirs(work, exist_ok=True)
    threads = [int(t) for t in a.threads.split(",")]
    parts = a.parts.split(",")
    if a.quick:
        a.samples = min(a.samples, 7)
    common = ["--samples", str(a.samples), "--sample-ms", str(a.sample_ms)] + \
        (["--quick"] if a.quick else [])

    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or "?"
    if subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                      capture_output=True, text=True).stdout.strip():
        git += "+dirty"
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "git": git, "cpu": cpu,
            "cores": os.cpu_count(), "load_start": [round(x, 2) for x in os.getloadavg()],
            "threads": threads, "repeat": a.repeat, "samples": a.samples,
            "sample_ms": a.sample_ms, "quick": a.quick}
    meta["fma_peak_start"] = fma_peak(fma, max(threads)) if os.path.exists(fma) else {}
    log(f"fma_peak at start: {meta['fma_peak_start']}")

    raw, amx_int8 = [], []
    if "amx-int8" in parts and not amx_int8_host():
        log("amx-int8: skipped (this CPU has no AMX-INT8)")
        parts.remove("amx-int8")
    for rep in range(a.repeat):
        for t in threads:
            env = dict(os.environ, HL_NUM_THREADS=str(t))
            if "gemm" in parts:
                bertc = ("bertc", [exe, "--part", "gemm"])
                peers = ("peers", [py, os.path.join(ROOT, "bench", "gemm_peers.py"),
                                   "--threads", str(t)])
                # Odd rounds run the peers first, so that a drift in the machine's load
                # (it moves by 10-20% within minutes on a shared host) hits both sides alike.
                for name, cmd in ((bertc, peers) if rep % 2 == 0 else (peers, bertc)):
                    j = os.path.join(work, f"gemm-{name}-t{t}-r{rep}.json")
                    if run(cmd + ["--json", j] + common, env):
                        raw += json.load(open(j))["records"]
            if "amx-int8" in parts:
                i8 = os.path.join(bd, "bench", "kernels", "bert-int8-bench")
                for M in (128, 1024):
                    for N, K in SHAPES:
                        r = int8_bench(i8, M, N, K, a.samples, env)
                        if r:
                            amx_int8.append(dict(r, threads=t, round=rep))
            if "fusion" in parts:
                j = os.path.join(work, f"fusion-t{t}-r{rep}.json")
                if run([exe, "--part", "fusion", "--json", j] + common, env):
                    raw += json.load(open(j))["records"]
    meta["fma_peak_end"] = fma_peak(fma, max(threads)) if os.path.exists(fma) else {}
    meta["load_end"] = [round(x, 2) for x in os.getloadavg()]
    log(f"fma_peak at end: {meta['fma_peak_end']}")
    one = max(meta["fma_peak_start"].get("1", 0), meta["fma_peak_end"].get("1", 0))
    peak = {str(t): max(meta["fma_peak_start"].get(str(t), 0), meta["fma_peak_end"].get(str(t), 0),
                        t * one) for t in threads}
    meta["fma_peak_gflops"] = peak

    groups = {}
    for r in raw:
        if r.get("status") == "failed":
            groups.setdefault(("fail", r["system"], r["threads"], r["M"], r["N"], r["K"]), [r])
            continue
        key = ((r["part"], r["system"], r["threads"], r["M"], r["N"], r["K"]) if r["part"] == "gemm"
               else (r["part"], r["name"], r["threads"], r["shape"]))
        groups.setdefault(key, []).append(r)
    recs = [pool(v) for v in groups.values()]
    gemm = {(r["system"], r["threads"], r["M"], r["N"], r["K"]): r for r in recs
            if r.get("part") == "gemm" and r.get("status") != "failed"}
    for r in gemm.values():
        r["gflops"] = r["gflop"] / r["timing"]["median_ms"] * 1e3
        r["gflops_at_min"] = r["gflop"] / r["timing"]["min_ms"] * 1e3
        pk = peak.get(str(r["threads"]))
        r["pct_fma_peak"] = 100 * r["gflops"] / pk if pk else None
    for r in gemm.values():
        best = max((gemm[(p,) + (r["threads"], r["M"], r["N"], r["K"])]["gflops"] for p in PEERS
                    if (p,) + (r["threads"], r["M"], r["N"], r["K"]) in gemm), default=None)
        r["vs_best_peer"] = r["gflops"] / best if best else None

    L = [f"# bertc kernel benchmark  {meta['date']}  bertc {git}  ({cpu}, {meta['cores']} cores)",
         f"# load avg (1/5/15) at start {meta['load_start']}, at end {meta['load_end']}",
         "# FMA limit (bench/halide_matmul/fma_peak.cpp, native width, fp32; best of start/end, "
         ">= T x 1-thread): " + ", ".join(f"{t}t {v:.1f} GFLOP/s" for t, v in peak.items())
         + f"; measured start {meta['fma_peak_start']}, end {meta['fma_peak_end']}",
         f"# timing: {a.samples} samples x ~{a.sample_ms:.0f} ms of back-to-back calls"
         f"{f' x {a.repeat} rounds (pooled)' if a.repeat > 1 else ''}; median per call (min "
         "in JSON/fusion table); 'others' = CPU share (of both cores) other processes used while "
         "the samples ran, +steal; 'load' = 1-min load avg before."]
    peer_impl = {r["system"]: r.get("impl", "") for r in gemm.values() if r["system"] in PEERS}
    peer_impl["bertc"] = next((r.get("impl", "") for r in gemm.values() if r["system"] == "bertc"), "")
    for s in SYSTEMS:
        if peer_impl.get(s):
            L.append(f"#   {s}: {peer_impl[s]}")
    if gemm:
        L.append("")
        L.append("== GEMM  Y = X W^T (fp32): GFLOP/s from the median (% of the FMA limit at T); "
                 "bertc/best = bertc GFLOP/s / best peer's (>= 1.00 meets the target)")
        L.append(f"{'T':>1} {'M':>5} {'N x K':>10} | {'bertc':>13} {'onnxruntime':>13} "
                 f"{'torch.linear':>13} {'torch.matmul':>13} | {'bertc/best':>10} | "
                 f"others%+steal% (bertc / ort / t.lin / t.mm), load")
        miss_pk, miss_best, n_best = [], [], 0
        for t in threads:
            for M in (128, 1024):
                for N, K in SHAPES:
                    rows = {s: gemm.get((s, t, M, N, K)) for s in SYSTEMS}
                    if not any(rows.values()):
                        continue
                    cell = lambda r: "-" if not r else f"{r['gflops']:6.1f} ({r['pct_fma_peak']:3.0f}%)"
                    b = rows["bertc"]
                    vs = "-" if not b or b["vs_best_peer"] is None else f"{b['vs_best_peer']:.2f}"
                    noise = " / ".join("-" if not rows[s] else
                                       f"{rows[s]['others_cpu_pct']:.0f}+{rows[s]['steal_pct']:.0f}"
                                       for s in SYSTEMS)
                    ld = b["load1_before"] if b else 0
                    L.append(f"{t:>1} {M:>5} {f'{N}x{K}':>10} | " + " ".join(
                        f"{cell(rows[s]):>13}" for s in SYSTEMS) + f" | {vs:>10} | {noise}, {ld:.2f}")
                    if b:
                        if M == 1024 and b["pct_fma_peak"] < 85:
                            miss_pk.append(f"T{t} {N}x{K} {b['pct_fma_peak']:.0f}%")
                        if b["vs_best_peer"] is not None:
                            n_best += 1
                            if b["vs_best_peer"] < 1:
                                miss_best.append(f"T{t} M{M} {N}x{K} {b['vs_best_peer']:.2f}")
        L.append("targets: >= 85% of the FMA limit at M=1024: "
                 + ("met" if not miss_pk else "MISSED at " + ", ".join(miss_pk)))
        L.append(f"         >= best peer at every shape: {n_best - len(miss_best)}/{n_best} shapes"
                 + ("" if not miss_best else "; below at " + ", ".join(miss_best)))
    fus = [r for r in recs if r.get("part") == "fusion"]
    if fus:
        L.append("")
        L.append("== Fusion: fused kernel vs unfused chain (small Halide pipelines), same inputs, "
                 "alternating samples; ms per call; speedup = unfused / fused median")
        L.append(f"{'T':>1} {'fusion':<11} {'shape':<20} {'fused med':>9} {'min':>8} "
                 f"{'unfused med':>11} {'min':>8} {'speedup':>7} {'max|diff|':>9}  others+steal, load")
        for t in threads:
            for r in fus:
                if r["threads"] != t:
                    continue
                f, u = r["fused"], r["unfused"]
                L.append(f"{t:>1} {r['name']:<11} {r['shape']:<20} {f['median_ms']:>9.3f} "
                         f"{f['min_ms']:>8.3f} {u['median_ms']:>11.3f} {u['min_ms']:>8.3f} "
                         f"{r['speedup']:>6.2f}x {r['max_abs_diff']:>9.1e}  "
                         f"{r['others_cpu_pct']:.0f}%+{r['steal_pct']:.0f}%, {r['load1_before']:.2f}")
        L.append("unfused chains: " + "; ".join(sorted({f"{r['name']}: {r['unfused_impl']}"
                                                        for r in fus})))
    if amx_int8:
        L.append("")
        L.append(f"== int8 linear, AMX-INT8 tiles ({INT8_AMX}) vs VPDPBUSD ({INT8_VNNI}), "
                 "interleaved; GOP/s from the median, per round")
        L.append(f"{'T':>1} {'M':>5} {'N x K':>10} {'round':>5} | {'vnni':>8} {'amx':>8} | "
                 f"{'amx/vnni':>8}  load")
        for r in amx_int8:
            L.append(f"{r['threads']:>1} {r['M']:>5} {str(r['N']) + 'x' + str(r['K']):>10} "
                     f"{r['round']:>5} | {r['vnni_gops']:>8.0f} {r['amx_gops']:>8.0f} | "
                     f"{r['amx_gops'] / r['vnni_gops']:>8.2f}  {r['load1_before']:.2f}")
    text = "\n".join(L)
    print()
    print(text)
    with open(os.path.join(out, "kernels.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "kernels.json"), "w") as f:
        json.dump({"meta": meta, "records": recs + amx_int8}, f, indent=1)
    log(f"wrote {out}/kernels.txt and {out}/kernels.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
