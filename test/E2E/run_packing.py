#!/usr/bin/env python3
"""The packed (no padding) path of bert_run against the padded path, on one library.

    run_packing.py --config CONFIG --work DIR --bin BUILD/bin [--tol 1e-5] [--eval-tol 1e-4]
                   [--target T] [--precision P] [--relative]

Compiles CONFIG (max batch 5, max seq 37), then runs bert-run on batches whose masks have
right padding, left padding (mask[b][0] == 0: position 0 is still a pooler query), holes in
the middle, a full row and a single real token, once with BERT_PACKING=never (padded) and once
with BERT_PACKING=always (packed), and compares:
  * last_hidden_state on real tokens and pooler_output: packed vs padded (--tol);
  * both vs the reference evaluator (bert-eval) on the same inputs (--eval-tol);
  * the documented padding rows of the packed path: zeros at mask-0 positions s > 0;
  * a batch with a fully masked row: BERT_PACKING=always falls back to the padded path
    (bit-identical outputs, padding rows not zero).
--target and --precision go to bertc compile (a CUDA library runs on whatever driver
$BERT_LIBCUDA names, e.g. the mock of test/Cuda).
--relative (XLNetModel: relative attention, no pooler): the packed path packs only real tokens,
so every padding row is zero (position 0 too), holes are replaced by a row padded on both
sides, and a batch with holes must fall back to the padded path (packing would change the
distances between real tokens).
Exit 0 when everything holds. Needs NumPy only.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np


def run(cmd: list[str], env: dict | None = None) -> None:
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


def write_inputs(d: str, mask: np.ndarray, seed: int, vocab: int) -> None:
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, size=mask.shape).astype(np.int64)
    tt = (rng.random(mask.shape) < 0.3).astype(np.int64)
    np.save(os.path.join(d, "input_ids.npy"), ids)
    np.save(os.path.join(d, "token_type_ids.npy"), tt)
    np.save(os.path.join(d, "attention_mask.npy"), mask.astype(np.int64))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--eval-tol", type=float, default=1e-4)
    ap.add_argument("--target", default=None)
    ap.add_argument("--precision", default=None)
    ap.add_argument("--relative", action="store_true")
    a = ap.parse_args()
    bertc, bert_run, bert_eval = (os.path.join(a.bin, t) for t in ("bertc", "bert-run", "bert-eval"))
    os.makedirs(a.work, exist_ok=True)
    import json
    with open(a.config) as f:
        vocab = json.load(f)["vocab_size"]
    weights = os.path.join(a.work, "model.safetensors")
    run([bertc, "init-weights", a.config, "--seed", "77", "--std", "0.2", "-o", weights])
    batch, seq = 5, 37
    lib_dir = os.path.join(a.work, "lib")
    flags = (["--target", a.target] if a.target else []) + (["--precision", a.precision] if a.precision else [])
    run([bertc, "compile", a.config, "--name", "packing", "--max-batch", str(batch), "--max-seq", str(seq),
         "-o", lib_dir + "/"] + flags)
    frontend = os.path.join(a.work, "frontend.mlir")
    run([bertc, "compile", a.config, "--name", "packing", "--max-batch", str(batch), "--max-seq", str(seq),
         "--emit", "mlir", "-o", frontend])
    lib = os.path.join(lib_dir, "libpacking.so")

    mask = np.zeros((batch, seq), dtype=np.int64)
    mask[0, :21] = 1                      # right padding
    mask[1, 30:] = 1                      # left padding: position 0 is padding
    mask[2, :] = 1                        # full row
    holes = [0, 2, 3, 9, 17, 18, 30]
    if a.relative:
        mask[3, 5:20] = 1                 # padded on both sides
    else:
        mask[3, holes] = 1                # holes
    mask[4, 11] = 1                       # one real token, not at position 0
    full_masked = mask.copy()
    full_masked[4, :] = 0                 # a fully masked row: padded path only

    ok = True

    def execute(case: str, m: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray | None]:
        inputs = os.path.join(a.work, case)
        out = os.path.join(a.work, f"{case}-{mode}")
        env = dict(os.environ, BERT_PACKING=mode)
        run([bert_run, lib, weights, "--input-ids", inputs + "/input_ids.npy", "--token-type-ids",
             inputs + "/token_type_ids.npy", "--attention-mask", inputs + "/attention_mask.npy",
             "--out-dir", out], env)
        pooled = os.path.join(out, "pooler_output.npy")
        return (np.load(os.path.join(out, "last_hidden_state.npy")).astype(np.float64),
                np.load(pooled).astype(np.float64) if os.path.exists(pooled) else None)

    def check(label: str, err: float, tol: float) -> None:
        nonlocal ok
        good = err <= tol
        ok &= good
        print(f"packing: {label}: max abs err {err:.3g}" + (" PASS" if good else f" FAIL (tolerance {tol:g})"))

    write_inputs(os.path.join(a.work, "mixed"), mask, 5, vocab)
    real = mask.astype(bool)
    pad_h, pad_p = execute("mixed", mask, "never")
    pk_h, pk_p = execute("mixed", mask, "always")
    check("packed vs padded last_hidden_state (real tokens)", float(np.abs(pk_h - pad_h)[real].max()), a.tol)
    if pk_p is not None:
        check("packed vs padded pooler_output", float(np.abs(pk_p - pad_p).max()), a.tol)
    not_computed = ~real
    if not a.relative:
        not_computed[:, 0] = False  # position 0 is always computed
    check("packed last_hidden_state at padding positions" + ("" if a.relative else " s > 0") + " (zeros)",
          float(np.abs(pk_h[not_computed]).max()), 0.0)
    check("packed path really packed (padded path's padding rows differ)",
          0.0 if np.abs(pad_h[not_computed]).max() > 0 else 1.0, 0.0)
    eval_out = os.path.join(a.work, "evaluator")
    run([bert_eval, frontend, "--weights", weights, "--inputs-dir", os.path.join(a.work, "mixed"),
         "--out-dir", eval_out])
    ev_h = np.load(os.path.join(eval_out, "result0.npy")).astype(np.float64)
    for label, h, p in (("padded", pad_h, pad_p), ("packed", pk_h, pk_p)):
        check(f"{label} vs evaluator last_hidden_state (real tokens)", float(np.abs(h - ev_h)[real].max()),
              a.eval_tol)
        if p is not None:
            ev_p = np.load(os.path.join(eval_out, "result1.npy")).astype(np.float64)
            check(f"{label} vs evaluator pooler_output", float(np.abs(p - ev_p).max()), a.eval_tol)

    def same(x: tuple, y: tuple) -> float:
        return max(float(np.abs(u - v).max()) for u, v in zip(x, y) if u is not None)

    if a.relative:
        with_holes = mask.copy()
        with_holes[3, :] = 0
        with_holes[3, holes] = 1
        write_inputs(os.path.join(a.work, "holes"), with_holes, 7, vocab)
        check("holes: always == never (padded fallback)",
              same(execute("holes", with_holes, "never"), execute("holes", with_holes, "always")), 0.0)

    write_inputs(os.path.join(a.work, "masked-row"), full_masked, 6, vocab)
    pad_h, pad_p = execute("masked-row", full_masked, "never")
    pk_h, pk_p = execute("masked-row", full_masked, "always")
    check("fully masked row: always == never (padded fallback)", same((pk_h, pk_p), (pad_h, pad_p)), 0.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
