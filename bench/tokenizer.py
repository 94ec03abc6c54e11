#!/usr/bin/env python3
"""Tokenizer throughput: berttok (C) against Hugging Face tokenizers (Rust, via Python).

  bench/tokenizer.py --build-dir BUILD [--threads N] [--reps R] [--lines N]

Both tokenize the same corpus (test/tools/tokenizer_corpus.py: 20,000 single texts and
10,000 pairs by default) with the same tokenizer files (test/Tokenizer/goldens/*.json),
padding off and each file's truncation, two ways:
  - one text at a time on one thread (tokenizers: Tokenizer.encode in a loop);
  - batches of 1024 over N threads (tokenizers: encode_batch with RAYON_NUM_THREADS=N;
    berttok: bert_tokenizer_encode_batch on N threads, bench/tokenizer/tokenizer_bench.c).
Best of R repetitions; lines and MB per second. Needs the venv of
test/tools/setup-tokenizer-venv.sh (run this script with its python) and a build of
berttok (ninja berttok). Writes BUILD/bench/tokenizer.{json,txt}.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "tools"))
import tokenizer_corpus  # noqa: E402

GOLDENS = os.path.join(ROOT, "test", "Tokenizer", "goldens")
NAMES = ["minilm", "bpe", "unigram", "unigram-xl"]

HF_CHILD = r"""
import json, sys, time
from tokenizers import Tokenizer
path, corpus, pairs, reps = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
with open(corpus, encoding="utf-8", newline="") as f:
    lines = f.read().split("\n")[:-1]
inputs = [tuple(l.split("\t", 1)) if pairs else l for l in lines]
inputs = [(x + ("",)) if isinstance(x, tuple) and len(x) == 1 else x for x in inputs]
tok = Tokenizer.from_file(path)
tok.no_padding()
nbytes = sum(len(l.encode("utf-8")) for l in lines)
best1 = bestb = 1e30
for _ in range(reps):
    t = time.perf_counter()
    for x in inputs:
        tok.encode(*x) if pairs else tok.encode(x)
    best1 = min(best1, time.perf_counter() - t)
for _ in range(reps):
    t = time.perf_counter()
    for k in range(0, len(inputs), 1024):
        tok.encode_batch(inputs[k:k + 1024])
    bestb = min(bestb, time.perf_counter() - t)
print(json.dumps({"lines": len(lines), "bytes": nbytes,
                  "single_lines_per_s": len(lines) / best1,
                  "single_mb_per_s": nbytes / best1 / 1e6,
                  "batch_lines_per_s": len(lines) / bestb,
                  "batch_mb_per_s": nbytes / bestb / 1e6}))
"""


def build_bench(build_dir, out):
    libs = [os.path.join(build_dir, "runtime", "src", "tokenizer", "libberttok.a"),
            os.path.join(build_dir, "runtime", "libbertrt.a")]
    for lib in libs:
        if not os.path.exists(lib):
            sys.exit("bench/tokenizer.py: %s is missing (ninja -C %s berttok)" % (lib, build_dir))
    cmd = ["cc", "-O2", "-std=c99", "-D_POSIX_C_SOURCE=200809L",
           "-I" + os.path.join(ROOT, "runtime", "include"),
           os.path.join(ROOT, "bench", "tokenizer", "tokenizer_bench.c")] + libs + [
               "-lutf8proc", "-lpthread", "-lm", "-o", out]
    subprocess.run(cmd, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--lines", type=int, default=20000)
    a = ap.parse_args()
    out_dir = os.path.join(a.build_dir, "bench")
    os.makedirs(out_dir, exist_ok=True)
    exe = os.path.join(out_dir, "tokenizer_bench")
    build_bench(a.build_dir, exe)
    results = []
    with tempfile.TemporaryDirectory() as work:
        corpora = {}
        for pairs, n, seed in ((False, a.lines, 18), (True, a.lines // 2, 19)):
            path = os.path.join(work, "pairs.txt" if pairs else "single.txt")
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write("\n".join(tokenizer_corpus.corpus(n, seed=seed, pairs=pairs)) + "\n")
            corpora[pairs] = path
        for name in NAMES:
            tok = os.path.join(GOLDENS, name + ".json")
            for pairs in (False, True):
                c = subprocess.run([exe, tok, corpora[pairs], "--threads", str(a.threads),
                                    "--reps", str(a.reps)] + (["--pairs"] if pairs else []),
                                   check=True, stdout=subprocess.PIPE).stdout
                c = json.loads(c)
                env = dict(os.environ, RAYON_NUM_THREADS=str(a.threads),
                           TOKENIZERS_PARALLELISM="true")
                h = subprocess.run([sys.executable, "-c", HF_CHILD, tok, corpora[pairs],
                                    "1" if pairs else "0", str(a.reps)],
                                   check=True, stdout=subprocess.PIPE, env=env).stdout
                h = json.loads(h)
                results.append({"tokenizer": name, "pairs": pairs, "threads": a.threads,
                                "berttok": c, "tokenizers": h})
                print("%-10s %-6s 1 thread: berttok %8.0f lines/s (%6.2f MB/s), tokenizers "
                      "%8.0f (%6.2f) -> %.2fx | batch x%d: berttok %8.0f, tokenizers %8.0f "
                      "-> %.2fx" % (
                          name, "pairs" if pairs else "single", c["single_lines_per_s"],
                          c["single_mb_per_s"], h["single_lines_per_s"], h["single_mb_per_s"],
                          c["single_lines_per_s"] / h["single_lines_per_s"], a.threads,
                          c["batch_lines_per_s"], h["batch_lines_per_s"],
                          c["batch_lines_per_s"] / h["batch_lines_per_s"]), flush=True)
    import tokenizers
    meta = {"tokenizers_version": tokenizers.__version__, "cpu_count": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results}
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("bench/tokenizer.py: %s" % os.path.join(out_dir, "tokenizer.json"))


if __name__ == "__main__":
    main()
