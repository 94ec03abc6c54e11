#!/usr/bin/env python3
"""Compile time and memory of bertc and of the libraries it builds (`make bench-memory`).

Plain Python 3, no third-party packages. Measures

  * `bertc compile` wall time and peak RSS for bert-base and bert-large, cold (empty kernel
    cache) and warm (every kernel from the cache). Peak RSS is the child's ru_maxrss from
    os.wait4, which covers bertc and the cc/ar it waits for (the largest of them).
  * the runtime's peak RSS (VmHWM) of a process that loads bert-base's weights (random, from
    `bertc init-weights`) and runs one bert_run, batch 1 and batch 8 at seq 128
    (bench/memory_probe.c), against weights file size + arena bytes + bytes copied at load.

Targets: bert-base compiles (cold) in <= 30 s; runtime RSS <= (weights + arena) * 1.10.
Prints a table and writes <build>/bench/compile_memory.json.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1024.0 * 1024.0
COMPILE_TARGET_S = 30.0
RSS_SLACK = 1.10


def run_measured(cmd, env=None, log=None):
    """Runs cmd; returns (wall seconds, peak RSS bytes, stdout). Raises on failure."""
    start = time.monotonic()
    with open(log or os.devnull, "w") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("memory.py: %s failed (exit %d)%s" % (
            " ".join(cmd), proc.returncode, "; see " + log if log else ""))
    return wall, usage.ru_maxrss * 1024, out.decode()


def compile_model(bertc, model, out_dir, cache_dir, log):
    env = dict(os.environ, BERTC_CACHE_DIR=cache_dir)
    cmd = [bertc, "compile", os.path.join(REPO, "examples", model, "config.json"), "-o",
           out_dir + "/"]
    wall, rss, _ = run_measured(cmd, env=env, log=log)
    with open(log) as f:
        text = f.read()
    hits = text.count("(cached)")
    return {"model": model, "wall_s": round(wall, 2), "peak_rss_bytes": rss,
            "cached_kernels": hits}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--models", default="bert-base,bert-large",
                    help="models whose compile is measured (comma-separated)")
    ap.add_argument("--shapes", default="1x128,8x128",
                    help="BATCHxSEQ runs of the runtime probe (bert-base)")
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    bertc = os.path.join(build, "bin", "bertc")
    if not os.access(bertc, os.X_OK):
        raise SystemExit("memory.py: no %s (run `make build`)" % bertc)
    work = os.path.join(build, "bench", "memory")
    cache = os.path.join(work, "kernel-cache")
    os.makedirs(work, exist_ok=True)
    cc = os.environ.get("CC", "cc")

    # 1. Compile: cold (empty cache) then warm, per model.
    compiles = []
    for model in args.models.split(","):
        for mode in ("cold", "warm"):
            if mode == "cold":
                shutil.rmtree(cache, ignore_errors=True)
            out = os.path.join(work, "%s-%s" % (model, mode))
            shutil.rmtree(out, ignore_errors=True)
            r = compile_model(bertc, model, out, cache, out + ".log")
            r["mode"] = mode
            compiles.append(r)
            print("  compiled %s (%s): %.1f s" % (model, mode, r["wall_s"]), file=sys.stderr)

    # 2. Runtime: bert-base weights, one process per shape.
    lib_dir = os.path.join(work, "bert-base-warm")
    weights = os.path.join(work, "bert-base.safetensors")
    if not os.path.exists(weights):
        subprocess.run([bertc, "init-weights", os.path.join(REPO, "examples", "bert-base",
                                                            "config.json"), "-o", weights],
                       check=True, stdout=subprocess.DEVNULL)
    probe = os.path.join(work, "memory_probe")
    subprocess.run([cc, "-O2", "-std=c99", "-I", lib_dir,
                    os.path.join(REPO, "bench", "memory_probe.c"),
                    os.path.join(lib_dir, "libbert_base.a"), "-lpthread", "-ldl", "-lm",
                    "-o", probe], check=True)
    weights_bytes = os.path.getsize(weights)
    runs = []
    for shape in args.shapes.split(","):
        batch, seq = shape.split("x")
        _, _, out = run_measured([probe, weights, batch, seq])
        r = json.loads(out.strip().splitlines()[-1])
        r["weights_bytes"] = weights_bytes
        r["peak_rss_bytes"] = r["hwm_kb"] * 1024
        budget = weights_bytes + r["arena_bytes"]
        r["ratio"] = round(r["peak_rss_bytes"] / budget, 3)
        r["within_10pct"] = r["peak_rss_bytes"] <= budget * RSS_SLACK
        runs.append(r)

    # 3. Report.
    lines = []
    lines.append("bertc compile (%d cores)" % os.cpu_count())
    lines.append("%-11s %-5s %8s %13s %7s" % ("model", "cache", "wall s", "peak RSS MB",
                                             "cached"))
    for r in compiles:
        lines.append("%-11s %-5s %8.1f %13.1f %7d" % (r["model"], r["mode"], r["wall_s"],
                                                      r["peak_rss_bytes"] / MB,
                                                      r["cached_kernels"]))
    base_cold = [r for r in compiles if r["model"] == "bert-base" and r["mode"] == "cold"]
    if base_cold:
        ok = base_cold[0]["wall_s"] <= COMPILE_TARGET_S
        lines.append("target: bert-base cold compile <= %.0f s: %s" % (
            COMPILE_TARGET_S, "yes" if ok else "NO"))
    lines.append("")
    lines.append("runtime, bert-base (one process: load + one bert_run)")
    lines.append("%-11s %10s %9s %10s %11s %11s %8s %8s %9s %6s" % (
        "batch x seq", "weights MB", "arena MB", "copied MB", "load HWM MB", "peak RSS MB",
        "anon MB", "file MB", "RSS/(w+a)", "<=+10%"))
    for r in runs:
        lines.append("%-11s %10.1f %9.1f %10.1f %11.1f %11.1f %8.1f %8.1f %9.3f %6s" % (
            "%dx%d" % (r["batch"], r["seq"]), r["weights_bytes"] / MB, r["arena_bytes"] / MB,
            r["copied_bytes"] / MB, r["load_hwm_kb"] / 1024.0, r["peak_rss_bytes"] / MB,
            r["rss_anon_kb"] / 1024.0, r["rss_file_kb"] / 1024.0, r["ratio"],
            "yes" if r["within_10pct"] else "NO"))
    lines.append("(anon MB / file MB: RssAnon / RssFile after the run; budget = weights + arena)")
    text = "\n".join(lines)
    print(text)
    result = {"compile": compiles, "runtime": runs, "table": text,
              "targets": {"compile_s": COMPILE_TARGET_S, "rss_slack": RSS_SLACK}}
    out_json = os.path.join(build, "bench", "compile_memory.json")
    with open(out_json, "w") as f:
        json.dump(result, f, indent=2)
    print("wrote %s" % out_json)


if __name__ == "__main__":
    main()
