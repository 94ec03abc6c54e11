#!/usr/bin/env python3
"""Packed (no padding) vs padded bert_run on a batch of mixed lengths.

    python bench/padding.py [--bin build/bin] [--work build/bench/padding] [--reps 3]
                            [--threads 0] [--batch 32] [--max-seq 128] [--min-len 16]

Builds (once, then reused) a bert-base library with bertc compile --max-batch 32 --max-seq 128
and random weights from bertc init-weights, draws batch lengths uniformly from
[min-len, max-seq] (seed 0), and times bert_run on that batch padded to max-seq twice:
with BERT_PACKING=auto (the runtime packs the real tokens, see bert_runtime.h) and with
BERT_PACKING=never (every position computed). Runs alternate between the two modes so that a
change in machine load hits both alike; each mode reports its median and best time. Prints
both throughputs (sequences/s and real tokens/s), the speed-up (padded / packed time), and the
max abs difference between the two paths on real tokens and on pooler_output. Needs NumPy.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Status(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


def sh(cmd: list[str]) -> None:
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench", "padding"))
    ap.add_argument("--config", default=os.path.join(ROOT, "examples", "bert-base", "config.json"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-seq", type=int, default=128)
    ap.add_argument("--min-len", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    os.makedirs(a.work, exist_ok=True)
    name = f"bert_base_b{a.batch}_s{a.max_seq}"
    lib_path = os.path.join(a.work, f"lib{name}.so")
    weights = os.path.join(a.work, "model.safetensors")
    bertc = os.path.join(a.bin, "bertc")
    if not os.path.exists(lib_path):
        sh([bertc, "compile", a.config, "--name", name, "--max-batch", str(a.batch), "--max-seq",
            str(a.max_seq), "-o", a.work + "/"])
    if not os.path.exists(weights):
        sh([bertc, "init-weights", a.config, "--seed", "0", "--std", "0.02", "-o", weights])

    lib = ctypes.CDLL(lib_path)
    p = ctypes.c_void_p
    lib.bert_model_load.restype = p
    lib.bert_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(_Status)]
    lib.bert_model_hidden_size.restype = ctypes.c_int64
    lib.bert_model_hidden_size.argtypes = [p]
    lib.bert_model_vocab_size.restype = ctypes.c_int64
    lib.bert_model_vocab_size.argtypes = [p]
    lib.bert_model_set_num_threads.argtypes = [p, ctypes.c_int, ctypes.POINTER(_Status)]
    lib.bert_run.argtypes = [p, p, p, p, ctypes.c_int64, ctypes.c_int64, p, p, ctypes.POINTER(_Status)]
    lib.bert_model_free.argtypes = [p]
    st = _Status()
    m = lib.bert_model_load(weights.encode(), ctypes.byref(st))
    if not m:
        raise SystemExit("bert_model_load: " + st.message.decode())
    if lib.bert_model_set_num_threads(m, a.threads, ctypes.byref(st)):
        raise SystemExit("bert_model_set_num_threads: " + st.message.decode())
    hidden, vocab = lib.bert_model_hidden_size(m), lib.bert_model_vocab_size(m)

    B, S = a.batch, a.max_seq
    rng = np.random.default_rng(a.seed)
    lengths = rng.integers(a.min_len, S + 1, size=B)
    mask = (np.arange(S)[None, :] < lengths[:, None]).astype(np.int32)
    ids = rng.integers(1000, vocab, size=(B, S)).astype(np.int32)
    ids[:, 0] = 101
    ids[mask == 0] = 0
    tt = np.zeros((B, S), dtype=np.int32)
    real = int(mask.sum())
    out = {mode: (np.zeros((B, S, hidden), np.float32), np.zeros((B, hidden), np.float32))
           for mode in ("auto", "never")}

    def run(mode: str) -> float:
        os.environ["BERT_PACKING"] = mode
        lhs, pool = out[mode]
        t0 = time.perf_counter()
        rc = lib.bert_run(m, ids.ctypes.data, tt.ctypes.data, mask.ctypes.data, B, S, lhs.ctypes.data,
                          pool.ctypes.data, ctypes.byref(st))
        t = time.perf_counter() - t0
        if rc:
            raise SystemExit("bert_run: " + st.message.decode())
        return t

    print(f"bert-base, batch {B}, lengths uniform in [{a.min_len}, {S}] (seed {a.seed}): "
          f"{real} real tokens of {B * S} ({real / (B * S):.1%}); threads {a.threads or 'default'}; "
          f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    run("auto")
    run("never")  # warm-up (arenas, pages, thread pool)
    times = {"auto": [], "never": []}
    for r in range(a.reps):
        for mode in ("auto", "never"):
            times[mode].append(run(mode))
        print(f"  rep {r + 1}: packed {times['auto'][-1] * 1e3:.0f} ms, padded {times['never'][-1] * 1e3:.0f} ms",
              flush=True)
    os.environ.pop("BERT_PACKING", None)
    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    for label, mode in (("packed (BERT_PACKING=auto)", "auto"), ("padded (BERT_PACKING=never)", "never")):
        print(f"{label:28s}: median {med[mode] * 1e3:8.1f} ms, best {best[mode] * 1e3:8.1f} ms; "
              f"{B / med[mode]:7.2f} seq/s, {real / med[mode]:8.0f} real tokens/s")
    print(f"speed-up packed vs padded: {med['never'] / med['auto']:.2f}x (median), "
          f"{best['never'] / best['auto']:.2f}x (best)")
    realm = mask.astype(bool)
    dh = float(np.abs(out["auto"][0].astype(np.float64) - out["never"][0])[realm].max())
    dp = float(np.abs(out["auto"][1].astype(np.float64) - out["never"][1]).max())
    print(f"max abs diff packed vs padded: last_hidden_state (real tokens) {dh:.3g}, pooler_output {dp:.3g}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    lib.bert_model_free(m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
