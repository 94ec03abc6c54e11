#!/usr/bin/env python3
"""End-to-end check of one golden case: config -> native library -> outputs vs transformers.

    run_case.py --case test/E2E/goldens/NAME --work DIR --bin BUILD/bin [--tol 1e-4]
                [--max-batch N] [--max-seq N]

Steps (each printed):
  1. bertc init-weights: the case's weights, regenerated bit for bit (see make_goldens.py);
  2. bertc compile -o DIR: lib<name>.so, lib<name>.a, <name>.h for the case's config;
  3. bert-run on the case's inputs -> last_hidden_state.npy, pooler_output.npy;
  4. bert-eval (the plain C++ reference evaluator) on the frontend IR, same weights and inputs;
  5. compare: library vs transformers, evaluator vs transformers, library vs evaluator
     (last_hidden_state on real tokens only, pooler_output everywhere).
Exit 0 when every comparison is within --tol. Needs NumPy only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))


def run(cmd: list[str]) -> None:
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def max_err(golden: str, actual: str, mask: np.ndarray) -> dict[str, float]:
    errs = {}
    for name in ("last_hidden_state", "pooler_output"):
        g = np.load(os.path.join(golden, name + ".npy")).astype(np.float64)
        a = np.load(os.path.join(actual, name + ".npy")).astype(np.float64)
        if g.shape != a.shape:
            raise SystemExit(f"run_case: {actual}/{name}.npy: shape {a.shape}, expected {g.shape}")
        d = np.abs(g - a)
        errs[name] = float(d[mask].max() if name == "last_hidden_state" else d.max())
    return errs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True, help="directory with bertc, bert-run, bert-eval")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--max-batch", type=int, default=0, help="default: the case's batch")
    ap.add_argument("--max-seq", type=int, default=0, help="default: max_position_embeddings")
    a = ap.parse_args()

    with open(os.path.join(a.case, "case.json")) as f:
        case = json.load(f)
    name = os.path.basename(os.path.normpath(a.case)).replace("-", "_")
    os.makedirs(a.work, exist_ok=True)
    bertc, bert_run, bert_eval = (os.path.join(a.bin, t) for t in ("bertc", "bert-run", "bert-eval"))
    config = os.path.join(a.case, "config.json")
    weights = os.path.join(a.work, "model.safetensors")
    lib_dir = os.path.join(a.work, "lib")
    inputs = [os.path.join(a.case, f + ".npy") for f in ("input_ids", "token_type_ids", "attention_mask")]

    run([bertc, "init-weights", config, "--seed", str(case["weight_seed"]), "--std", str(case["init_std"]),
         "-o", weights])
    max_batch = a.max_batch or case["batch"]
    max_seq = a.max_seq or case["model"]["max_position_embeddings"]
    run([bertc, "compile", config, "--name", name, "--max-batch", str(max_batch), "--max-seq", str(max_seq),
         "-o", lib_dir + "/"])
    lib_out = os.path.join(a.work, "library")
    run([bert_run, os.path.join(lib_dir, f"lib{name}.so"), weights, "--input-ids", inputs[0],
         "--token-type-ids", inputs[1], "--attention-mask", inputs[2], "--out-dir", lib_out])

    frontend = os.path.join(a.work, "frontend.mlir")
    run([bertc, "compile", config, "--name", name, "--max-batch", str(max_batch), "--max-seq", str(max_seq),
         "--emit", "mlir", "-o", frontend])
    eval_out = os.path.join(a.work, "evaluator")
    run([bert_eval, frontend, "--weights", weights, "--inputs-dir", a.case, "--out-dir", eval_out])
    for i, n in enumerate(("last_hidden_state", "pooler_output")):
        os.replace(os.path.join(eval_out, f"result{i}.npy"), os.path.join(eval_out, n + ".npy"))

    mask = np.load(inputs[2]).astype(bool)
    ok = True
    for label, golden, actual in (("library vs transformers", a.case, lib_out),
                                  ("evaluator vs transformers", a.case, eval_out),
                                  ("library vs evaluator", eval_out, lib_out)):
        errs = max_err(golden, actual, mask)
        good = all(e <= a.tol for e in errs.values())
        ok &= good
        print(f"{case['name']}: {label}: " + ", ".join(f"{k} max abs err {v:.3g}" for k, v in errs.items())
              + (" PASS" if good else f" FAIL (tolerance {a.tol:g})"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
