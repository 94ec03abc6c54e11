"""bertc against ONNX Runtime, OpenVINO and PyTorch eager on the same random weights and inputs.

    build/bench-venv/bin/python bench/bench.py [--quick | --families] [--build-dir build]
        [--threads 2,1] [--budget 2] [--rounds 2] [--cases NAME,...] [--systems NAME,...]

Run by `make bench` / `make bench-quick` (see bench/README.md). For each model it runs
prepare.py (the random model of the config's architecture, ONNX, onnxruntime-optimized
ONNX, OpenVINO IR, inputs and transformers' reference outputs), compiles each case with bertc, then times every system on
every case and thread count with systems.py, each run in a process of its own, one after the
other, in --rounds interleaved rounds. Prints the table, writes BUILD/bench/results.json, results.txt and latency.png.
Nothing is asserted on time; a system that fails to install, convert or run gets a FAILED row
and the others go on. The exit code is 0 unless the harness itself broke.
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import classes  # noqa: E402
import report  # noqa: E402

MODELS = {"bert-tiny": "examples/bert-tiny/config.json",
          "bert-base": "examples/bert-base/config.json",
          "bert-large": "examples/bert-large/config.json",
          # the other families (BertModel's counterparts) and a task head
          "distilbert-base": "examples/distilbert-base/config.json",
          "roberta-base": "examples/roberta-base/config.json",
          "albert-base-v2": "examples/albert-base-v2/config.json",
          "bert-base-cls": "examples/bert-base-cls/config.json",
          "xlnet-base": "examples/xlnet-base/config.json",  # XLNet's relative attention (issue 16)
          # trained weights (TRAINED): the config is the one of the installed directory
          "all-minilm-l6-v2": None}
# Models run on their trained weights rather than random ones: the script that installs the
# Hugging Face directory into the bench venv and prints its path (the int8 table's accuracy
# means most on a trained model, whose activations have the outlier channels of real ones).
TRAINED = {"all-minilm-l6-v2": "test/tools/install-minilm.sh"}
# name, model, batch, seq
CASES = [("tiny_b1_s128", "bert-tiny", 1, 128),
         ("base_b1_s128", "bert-base", 1, 128),
         ("base_b8_s128", "bert-base", 8, 128),
         ("base_b1_s512", "bert-base", 1, 512),
         ("large_b1_s128", "bert-large", 1, 128),
         ("distil_b1_s128", "distilbert-base", 1, 128),
         ("distil_b8_s128", "distilbert-base", 8, 128),
         ("roberta_b1_s128", "roberta-base", 1, 128),
         ("albert_b1_s128", "albert-base-v2", 1, 128),
         ("base_cls_b1_s128", "bert-base-cls", 1, 128),
         ("xlnet_b1_s128", "xlnet-base", 1, 128),
         ("minilm_b1_s128", "all-minilm-l6-v2", 1, 128)]
QUICK = ("tiny_b1_s128", "base_b1_s128")
FAMILIES = ("distil_b1_s128", "roberta_b1_s128", "albert_b1_s128", "base_cls_b1_s128",
            "xlnet_b1_s128")
# --int8: the int8 table alone, bertc against ONNX Runtime's and OpenVINO's int8 (issue 21).
INT8_CASES = ("base_b1_s128", "minilm_b1_s128")
# The artefact each system needs from prepare.py (the key of its step in prepare.json).
NEEDS = {"bertc": "model", "bertc-noprune": "model", "onnxruntime": "onnxruntime_optimize",
         "openvino": "openvino_ir", "pytorch": "model",
         "bertc-bf16": "model", "openvino-bf16": "openvino_ir", "pytorch-bf16": "model",
         "bertc-int8": "model", "bertc-int8-all": "model", "onnxruntime-int8": "onnxruntime_quantize",
         "openvino-int8": "openvino_int8"}


def cpu_has_bf16():
    """AVX512-BF16 or AMX-BF16 (Linux /proc/cpuinfo): where the bf16 table means something."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
WORKER_TIMEOUT_S = 900


def log(msg):
    print(f"bench: {msg}", flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def fma_peak(exe, threads):
    """{threads: GFLOP/s} from fma_peak's lines 'fma_peak threads=T lanes=L  X GFLOP/s'."""
    if not exe or not os.path.exists(exe):
        log(f"no fma_peak binary ({exe}); % of peak left out")
        return {}
    out = sh([exe, str(max(threads))]).stdout
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"threads=(\d+) .*?([\d.]+) GFLOP/s", out)}


def machine_meta():
    cpu, ident = "?", {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("vendor_id", "cpu family", "model", "model name") and key not in ident:
                ident[key] = value.strip()
            if key == "model name":
                cpu = value.strip()
                break
    git = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip() or "?"
    if sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip():
        git += "+dirty"
    # vendor, family and model: what tells CPUs of one name apart ("AMD EPYC" is Zen 4 or 5).
    cpu_id = (f"{ident.get('vendor_id', '?')} family {ident.get('cpu family', '?')} "
              f"model {ident.get('model', '?')}")
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu,
            "cpu_id": cpu_id, "cores": os.cpu_count(), "git": git,
            "load_start": [round(x, 2) for x in os.getloadavg()]}


_SOURCES = {}


def model_source(model):
    """(config.json path, trained weights directory or None) of `model`; a TRAINED model's
    directory is installed on first use (None, None when that fails: its cases fail)."""
    if model not in _SOURCES:
        if model in TRAINED:
            r = sh([os.path.join(ROOT, TRAINED[model]), sys.prefix])
            wdir = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout else None
            if not wdir:
                log(f"{model}: {TRAINED[model]} failed (exit {r.returncode}): {r.stderr[-500:]}")
            _SOURCES[model] = (os.path.join(wdir, "config.json"), wdir) if wdir else (None, None)
        else:
            _SOURCES[model] = (os.path.join(ROOT, MODELS[model]), None)
    return _SOURCES[model]


def model_key(cfg_path):
    """Changes when the config, the pinned versions or the preparation code change."""
    h = hashlib.sha256()
    for p in (cfg_path, "bench/requirements.txt", "test/tools/requirements.txt",
              "bench/prepare.py"):
        with open(os.path.join(ROOT, p), "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:12]


def prepare(py, out, model, cases):
    """Runs prepare.py for `model` and returns (model_dir, its prepare.json)."""
    d = os.path.join(out, "models", model)
    cfg_path, weights = model_source(model)
    if not cfg_path:
        return d, {}
    key = model_key(cfg_path)
    kf = os.path.join(d, "key")
    if os.path.exists(kf) and open(kf).read() != key:
        shutil.rmtree(d)
    os.makedirs(d, exist_ok=True)
    with open(kf, "w") as f:
        f.write(key)
    cmd = [py, os.path.join(HERE, "prepare.py"), "--config", cfg_path,
           "--model-dir", d] + [f"--case={n}:{b}:{s}" for n, _, b, s in cases]
    if weights:
        cmd.append("--weights=" + weights)
    t0 = time.time()
    r = sh(cmd)
    for line in r.stdout.splitlines():
        if line.startswith("prepare:") and "cached" not in line:
            log(line)
    if r.returncode:
        log(f"prepare {model} failed (exit {r.returncode}):\n{r.stderr[-2000:]}")
    log(f"prepared {model} in {time.time() - t0:.0f}s")
    pj = os.path.join(d, "prepare.json")
    return d, (json.load(open(pj)) if os.path.exists(pj) else {})


def has_head(cfg):
    """A task head (architectures[0] not *Model): bert-prune-first-token may apply, so the
    bertc-noprune system runs on it."""
    return not (cfg.get("architectures") or ["BertModel"])[0].endswith("Model")


def compile_bertc(bertc, cfg, name, b, s, out, precision="f32", prune=True):
    """bertc compile for exactly this batch/seq; returns (lib path, None) or (None, error).
    prune=False: with --no-prune-first-token (library in lib-noprune/); precision "int8-all":
    --precision int8 --int8-scheme all (library in lib-int8-all/)."""
    d = os.path.join(out, ("lib" if precision == "f32" else "lib-" + precision)
                     + ("" if prune else "-noprune"), name)
    os.makedirs(d, exist_ok=True)
    t0 = time.time()
    try:
        r = sh([bertc, "compile", cfg, "--name", name, "--max-batch", str(b), "--max-seq", str(s),
                *(["--precision", "int8", "--int8-scheme", "all"] if precision == "int8-all"
                  else ["--precision", precision]), "-o", d + "/"]
               + ([] if prune else ["--no-prune-first-token"]))
    except OSError as e:  # e.g. build/bin/bertc missing or being rewritten by a build
        return None, f"bertc compile: {e}"
    lib = os.path.join(d, f"lib{name}.so")
    if r.returncode or not os.path.exists(lib):
        return None, f"bertc compile exit {r.returncode}: {(r.stderr or r.stdout)[-300:]}"
    log(f"bertc compiled {name} ({precision}{'' if prune else ', no pruning'}) in "
        f"{time.time() - t0:.1f}s")
    return lib, None


def core_facts(lib):
    """bert.core of the planned IR bertc wrote beside `lib` (the FMA facts it tiled for and
    the class it put the machine in: what the per-class table groups runs by), or None."""
    d, so = os.path.split(lib)
    path = os.path.join(d, so[len("lib"):-len(".so")] + ".planned.mlir")
    try:
        text = open(path).read()
    except OSError:
        return None
    m = re.search(r"bert\.core = \{([^}]*)\}", text)
    if not m:
        return None
    return {k: (v.strip('"') if v.startswith('"') else v == "true" if v in ("true", "false")
                else int(v.split(":")[0]))
            for k, v in re.findall(r'(\w+) = ("[^"]*"|true|false|-?\d+ : i64)', m.group(1))}


def run_worker(py, system, mdir, case, threads, lib, budget, out):
    res_path = os.path.join(out, "runs", f"{case}.{system}.t{threads}.json")
    os.makedirs(os.path.dirname(res_path), exist_ok=True)
    if os.path.exists(res_path):
        os.remove(res_path)
    cmd = [py, os.path.join(HERE, "systems.py"), "--system", system, "--model-dir", mdir,
           "--case", case, "--threads", str(threads), "--budget", str(budget),
           "--out", res_path] + (["--lib", lib] if lib else [])
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false")
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=WORKER_TIMEOUT_S)
        err = r.stderr
    except subprocess.TimeoutExpired:
        return {"system": system, "threads": threads, "status": "error",
                "error": f"timed out after {WORKER_TIMEOUT_S}s"}
    if os.path.exists(res_path):
        return json.load(open(res_path))
    tail = err.strip().splitlines()[-1:] or ["no output"]
    return {"system": system, "threads": threads, "status": "error",
            "error": f"worker died (exit {r.returncode}): {tail[0]}"}


def merge_rounds(rounds):
    """One row from a system's rows of several rounds: the median of the round medians (so one
    disturbed round moves it little), the least minimum, every sample, and the round medians
    themselves (the table prints their spread). Rows that failed are dropped; all failing keeps
    the first failure."""
    ok = [r for r in rounds if r.get("status") == "ok"]
    if not ok:
        return rounds[0]
    row = dict(ok[0])
    meds = [r["median_ms"] for r in ok]
    row["round_medians_ms"] = meds
    row["median_ms"] = statistics.median(meds)
    row["min_ms"] = min(r["min_ms"] for r in ok)
    row["reps"] = sum(r["reps"] for r in ok)
    row["samples_ms"] = [x for r in ok for x in r.get("samples_ms", [])]
    row["load1_after"] = ok[-1]["load1_after"]
    for k in ("others_cpu_pct", "steal_pct"):
        row[k] = max(r[k] for r in ok)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--quick", action="store_true", help="bert-tiny and bert-base b1 s128 only")
    ap.add_argument("--families", action="store_true",
                    help="DistilBERT, RoBERTa, ALBERT and bert-base-cls b1 s128 only")
    ap.add_argument("--int8", action="store_true",
                    help="the int8 table alone: bert-base and all-MiniLM-L6-v2 (trained weights) "
                    "b1 s128, bertc-int8 (and -all) vs onnxruntime-int8 and openvino-int8")
    ap.add_argument("--cases", help="comma-separated case names (default: all, or --quick's "
                    "or --families')")
    ap.add_argument("--systems", help="comma-separated (default: the fp32 systems, plus the "
                    "bf16 table's bertc-bf16, openvino-bf16, pytorch-bf16 on CPUs with bf16, "
                    "and the int8 table's bertc-int8, bertc-int8-all, onnxruntime-int8, openvino-int8; "
                    "the bf16 and int8 "
                    "systems run at the first thread count only; bertc-noprune, "
                    "bertc with --no-prune-first-token, runs on task-head cases only)")
    ap.add_argument("--threads", default="2,1", help="thread counts, first is the main table")
    ap.add_argument("--budget", type=float, default=2.0,
                    help="seconds of timed calls per system, case, thread count and round")
    ap.add_argument("--rounds", type=int, default=2,
                    help="times every system runs per case and thread count, interleaved "
                    "(round 2 in reverse order); the table reports the median of the rounds' "
                    "medians and their spread")
    ap.add_argument("--fma-peak", help="fma_peak binary (default BUILD/bench/fma_peak)")
    a = ap.parse_args()
    bdir = os.path.abspath(a.build_dir)
    out = os.path.join(bdir, "bench")
    os.makedirs(out, exist_ok=True)
    py = sys.executable
    bertc = os.path.join(bdir, "bin", "bertc")
    names = (a.cases.split(",") if a.cases else QUICK if a.quick else FAMILIES if a.families
             else INT8_CASES if a.int8 else [c[0] for c in CASES])
    cases = [c for c in CASES if c[0] in names]
    if len(cases) != len(names):
        sys.exit(f"bench: unknown case in {names}; known: {[c[0] for c in CASES]}")
    default_systems = (report.SYSTEMS + report.HEAD_SYSTEMS + report.INT8_SYSTEMS
                       + (report.BF16_SYSTEMS if cpu_has_bf16() else ()))
    if a.int8:
        default_systems = report.INT8_SYSTEMS
    wanted = a.systems.split(",") if a.systems else default_systems
    systems = [s for s in report.ALL_SYSTEMS if s in wanted]
    threads = [int(t) for t in a.threads.split(",")]
    t_start = time.time()

    meta = machine_meta()
    log(f"{meta['cpu']}, {meta['cores']} cores, load {meta['load_start']}")
    exe = a.fma_peak or os.path.join(out, "fma_peak")
    meta["fma_peak_start_gflops"] = fma_peak(exe, threads)
    log(f"FMA peak GFLOP/s by threads: {meta['fma_peak_start_gflops']}")

    results = []
    for model in dict.fromkeys(c[1] for c in cases):
        mcases = [c for c in cases if c[1] == model]
        mdir, plog = prepare(py, out, model, mcases)
        cfg_path = model_source(model)[0]
        if not cfg_path:
            continue
        cfg = json.load(open(cfg_path))
        io_path = os.path.join(mdir, "io.json")
        io = json.load(open(io_path)) if os.path.exists(io_path) else {}
        head = has_head(cfg)
        for name, _, b, s in mcases:
            c = {"name": name, "model": model, "batch": b, "seq": s,
                 "architecture": io.get("architecture"), "outputs": io.get("outputs", []),
                 "flops": report.encoder_flops(cfg, b, s), "prepare": plog, "runs": {}}
            lib, lib_err = (compile_bertc(bertc, cfg_path, name, b, s, out)
                            if "bertc" in systems else (None, None))
            libnp, libnp_err = (compile_bertc(bertc, cfg_path, name, b, s, out, prune=False)
                                if "bertc-noprune" in systems and head else (None, None))
            lib16, lib16_err = (compile_bertc(bertc, cfg_path, name, b, s, out, "bf16")
                                if "bertc-bf16" in systems else (None, None))
            lib8, lib8_err = (compile_bertc(bertc, cfg_path, name, b, s, out, "int8")
                              if "bertc-int8" in systems else (None, None))
            lib8a, lib8a_err = (compile_bertc(bertc, cfg_path, name, b, s, out, "int8-all")
                                if "bertc-int8-all" in systems else (None, None))
            if "cpu_class" not in meta:
                core = next((core_facts(x) for x in (lib, lib16, lib8, lib8a, libnp) if x), None)
                if core:
                    meta["core"], meta["cpu_class"] = core, core.get("target_class")
            case_ok = plog.get("case " + name, {}).get("ok")
            for t in threads:
                once = report.BF16_SYSTEMS + report.INT8_SYSTEMS
                here = [s for s in systems if (s not in once or t == threads[0])
                        and (s not in report.HEAD_SYSTEMS or head)]
                by_system = {s: [] for s in here}
                # Interleaved rounds, every other one in reverse order, so that a slow spell
                # of the machine (other tenants, frequency) falls on every system alike.
                for k in range(max(1, a.rounds)):
                    for system in (here if k % 2 == 0 else here[::-1]):
                        step = plog.get(NEEDS[system], {})
                        if not case_ok:
                            row = {"status": "error",
                                   "error": "no inputs/reference (prepare failed)"}
                        elif not step.get("ok"):
                            row = {"status": "error",
                                   "error": f"{NEEDS[system]}: {step.get('error', 'not made')}"}
                        elif system == "bertc" and lib_err:
                            row = {"status": "error", "error": lib_err}
                        elif system == "bertc-bf16" and lib16_err:
                            row = {"status": "error", "error": lib16_err}
                        elif system == "bertc-int8" and lib8_err:
                            row = {"status": "error", "error": lib8_err}
                        elif system == "bertc-int8-all" and lib8a_err:
                            row = {"status": "error", "error": lib8a_err}
                        elif system == "bertc-noprune" and libnp_err:
                            row = {"status": "error", "error": libnp_err}
                        else:
                            row = run_worker(py, system, mdir, name, t,
                                             {"bertc-bf16": lib16, "bertc-int8": lib8, "bertc-int8-all": lib8a,
                                              "bertc-noprune": libnp}.get(system, lib),
                                             a.budget, out)
                        row.update(system=system, threads=t)
                        by_system[system].append(row)
                        log(f"{name} t{t} {system} round {k + 1}: " + (
                            f"median {row['median_ms']:.3f} ms (min {row['min_ms']:.3f}, "
                            f"N {row['reps']}), load {row['load1_before']:.2f}->"
                            f"{row['load1_after']:.2f}" if row["status"] == "ok"
                            else "FAILED: " + row["error"]))
                c["runs"][str(t)] = [merge_rounds(by_system[s]) for s in here]
            results.append(c)

    meta["fma_peak_end_gflops"] = fma_peak(exe, threads)
    # The machine's limit is the better of the two measurements (a lower one was disturbed),
    # and at T threads at least T times the 1-thread limit: each vCPU is a core of its own
    # (lscpu: 1 thread per core), so a T-thread figure below that met other people's work.
    start, end = meta["fma_peak_start_gflops"], meta["fma_peak_end_gflops"]
    one = max(start.get("1", 0), end.get("1", 0))
    meta["fma_peak_gflops"] = {t: max(v, end.get(t, 0), int(t) * one) for t, v in start.items()}
    meta["load_end"] = [round(x, 2) for x in os.getloadavg()]
    meta["versions"] = {}
    for c in results:
        for rows in c["runs"].values():
            for r in rows:
                if r.get("version"):
                    meta["versions"][r["system"]] = r["version"]
    meta["wall_s"] = round(time.time() - t_start, 1)
    report.annotate(results, meta["fma_peak_gflops"])
    text = report.table(meta, results)
    print("\n" + text + "\n", flush=True)
    report.write_json(os.path.join(out, "results.json"), meta, results)
    with open(os.path.join(out, "results.txt"), "w") as f:
        f.write(text + "\n")
    try:
        report.chart(os.path.join(out, "latency.png"), meta, results)
        log(f"chart: {os.path.join(out, 'latency.png')}")
    except Exception as e:  # matplotlib missing or broken: the table and JSON still stand
        log(f"no chart: {type(e).__name__}: {e}")
    # The per-class table: this run beside every run recorded in bench/results/.
    recorded = sorted(glob.glob(os.path.join(ROOT, "bench/results/*.json")))
    text = classes.table(classes.load(recorded + [os.path.join(out, "results.json")]))
    with open(os.path.join(out, "classes.md"), "w") as f:
        f.write(text + "\n")
    print("\nbertc / best peer by CPU class (this run and bench/results/):\n" + text + "\n",
          flush=True)
    log(f"results: {os.path.join(out, 'results.json')}, {os.path.join(out, 'results.txt')} "
        f"({meta['wall_s']:.0f}s)")


if __name__ == "__main__":
    main()
