#!/usr/bin/env python3
"""End-to-end check of one golden case: config -> native library -> outputs vs transformers.

    run_case.py --case test/E2E/goldens/NAME --work DIR --bin BUILD/bin [--tol 1e-4]
                [--max-batch N] [--max-seq N] [--weights FILE]
                [--precision bf16|int8 [--int8-scheme hadamard|mixed|all]
                 --tol-transformers T]
                [--evaluator-only]

--evaluator-only skips steps 2 and 3 and the comparisons with the library: for a family whose
IR the CPU backend cannot compile yet (none today), the golden still checks the
frontend and the op semantics (the reference evaluator) against transformers, and the IR after
the whole CPU pipeline (--emit planned: split, packed, fused, tiled, planned) evaluated the same
way, so the passes are checked on that family too.

Steps (each printed):
  1. the weights: with --weights, or for a case whose case.json has no weight_seed (a real
     checkpoint such as make_real_model_case.py's build/real-minilm), that file or the case's own
     model.safetensors, used as is; otherwise bertc init-weights regenerates the golden's weights
     bit for bit (see make_goldens.py);
  2. bertc compile -o DIR: lib<name>.so, lib<name>.a, <name>.h for the case's config;
  3. bert-run on the case's inputs -> last_hidden_state.npy, pooler_output.npy;
  4. bert-eval (the plain C++ reference evaluator) on the frontend IR, same weights and inputs;
  5. compare: library vs transformers, evaluator vs transformers, library vs evaluator
     (last_hidden_state on real tokens only, pooler_output everywhere; pooler_output is skipped
     when the case has no pooler_output.npy, as for checkpoints without pooler weights).
     A case with sentence_embedding.npy (the real-model case) also gets the sentence-transformers
     embedding (masked mean + L2 norm) recomputed from the library's last_hidden_state and compared.
Exit 0 when every comparison is within --tol. Needs NumPy only.

With --precision bf16 both the library and the evaluator's IR are compiled with bf16 matmuls and
the evaluator rounds the same operands to bf16 (plain loops, double sums). The two still differ:
the attention kernel rounds its probabilities per key tile before the online-softmax rescale
(the evaluator rounds the normalized ones), and an activation within float32 rounding of a bf16
rounding boundary rounds up on one side and down on the other, which LayerNorm spreads over the
token; the two are about as far apart as either is from fp32. So library vs evaluator must be
within --tol-transformers everywhere, and the library's mean error against fp32 transformers
over the real tokens at most 1.25x the evaluator's (measured 0.98-1.09x): the library is as
accurate as the plain bf16 computation. A wrong layout or pairing is far above that; a subtler
fault such as truncating activations instead of rounding them measured 1.03-1.23x (and 0.174
max on tiny-b1-s128, a FAIL), so the bf16 kernel tests (test/Backend), which compare each
kernel with the reference on bf16-rounded operands, are the ones that pin the rounding.
The comparisons with fp32 transformers use --tol-transformers: the bf16 error bound under test.
--precision f16 (CUDA targets only) is checked the same way, with the evaluator rounding to IEEE half.

--precision int8 is checked the same way: the evaluator quantizes the same rows and channels in
plain loops (exact integer sums), and an activation within float32 rounding of a quantization
boundary rounds one way in the kernel and the other in the evaluator, one step of that row's
scale, which the next layers spread; the int8 kernel test (test/Backend) pins the arithmetic.
With int8 the evaluator reads the IR after the split stage (--emit split) rather than the
frontend's: bert-int8-norm-inputs, which runs there, decides which linears stay int8 and which
go bf16 (the mixed scheme), so the evaluator computes the same scheme as the library.
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


def max_err(golden: str, actual: str, mask: np.ndarray, names: list[str],
            per_token: list[str]) -> dict[str, float]:
    """Max abs difference per output: per-token outputs on the real tokens only."""
    errs = {}
    for name in names:
        g = np.load(os.path.join(golden, name + ".npy")).astype(np.float64)
        a = np.load(os.path.join(actual, name + ".npy")).astype(np.float64)
        if g.shape != a.shape:
            raise SystemExit(f"run_case: {actual}/{name}.npy: shape {a.shape}, expected {g.shape}")
        d = np.abs(g - a)
        errs[name] = float(d[mask].max() if name in per_token else d.max())
    return errs


def mean_err(golden: str, actual: str, mask: np.ndarray) -> float:
    """Mean abs difference of last_hidden_state over the real tokens."""
    g = np.load(os.path.join(golden, "last_hidden_state.npy")).astype(np.float64)
    a = np.load(os.path.join(actual, "last_hidden_state.npy")).astype(np.float64)
    return float(np.abs(g - a)[mask].mean())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True, help="directory with bertc, bert-run, bert-eval")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--max-batch", type=int, default=0, help="default: the case's batch")
    ap.add_argument("--max-seq", type=int, default=0, help="default: max_position_embeddings")
    ap.add_argument("--precision", default="f32", choices=("f32", "bf16", "f16", "int8"))
    ap.add_argument("--int8-scheme", choices=("hadamard", "mixed", "all"),
                    help="bertc --int8-scheme (with --precision int8): the library's and the "
                    "evaluator's IR alike")
    ap.add_argument("--target", default="host", help="bertc --target of the library")
    ap.add_argument("--cuda-gemm", help="bertc --cuda-gemm of the library (ours or cublaslt)")
    ap.add_argument("--tol-transformers", type=float, default=None,
                    help="tolerance of the comparisons with transformers (default: --tol)")
    ap.add_argument("--evaluator-only", action="store_true",
                    help="no library: compare the reference evaluator with transformers only")
    ap.add_argument("--min-cosine", type=float, default=None,
                    help="real-model cases: judge the sentence embedding by its cosine with "
                    "transformers' (every sentence at least this) instead of --tol")
    ap.add_argument("--weights", help="safetensors to use as is (default: the case's model.safetensors when "
                    "case.json has no weight_seed, else bertc init-weights)")
    a = ap.parse_args()

    with open(os.path.join(a.case, "case.json")) as f:
        case = json.load(f)
    name = os.path.basename(os.path.normpath(a.case)).replace("-", "_")
    os.makedirs(a.work, exist_ok=True)
    bertc, bert_run, bert_eval = (os.path.join(a.bin, t) for t in ("bertc", "bert-run", "bert-eval"))
    config = os.path.join(a.case, "config.json")
    weights = a.weights
    if not weights and "weight_seed" not in case:
        weights = os.path.join(a.case, "model.safetensors")
    lib_dir = os.path.join(a.work, "lib")
    # The case's inputs: DistilBERT cases have no token types; XLM cases with languages have langs.
    inputs = {f: os.path.join(a.case, f + ".npy") for f in ("input_ids", "token_type_ids", "attention_mask", "langs")
              if os.path.exists(os.path.join(a.case, f + ".npy"))}

    if weights:
        print(f"weights: {weights} ({os.path.getsize(weights)} bytes, used as is)", flush=True)
    else:
        weights = os.path.join(a.work, "model.safetensors")
        run([bertc, "init-weights", config, "--seed", str(case["weight_seed"]), "--std", str(case["init_std"]),
             "-o", weights])
    max_batch = a.max_batch or case["batch"]
    if a.max_seq:
        max_seq = a.max_seq
    elif "max_seq" in case:
        max_seq = case["max_seq"]
    elif "model" in case:
        max_seq = case["model"]["max_position_embeddings"]
    else:
        with open(config) as f:
            max_seq = json.load(f).get("max_position_embeddings", 512)
    # The precision options of every bertc compile below, so the evaluator's IR has the library's
    # scheme.
    precision = ["--precision", a.precision] + (["--int8-scheme", a.int8_scheme] if a.int8_scheme else [])
    lib_out = os.path.join(a.work, "library")
    if not a.evaluator_only:
        run([bertc, "compile", config, "--name", name, "--max-batch", str(max_batch), "--max-seq", str(max_seq),
             *precision, "--target", a.target, *(["--cuda-gemm", a.cuda_gemm] if a.cuda_gemm else []),
             "-o", lib_dir + "/"])
        flags = [x for f, path in inputs.items() for x in ("--" + f.replace("_", "-"), path)]
        run([bert_run, os.path.join(lib_dir, f"lib{name}.so"), weights, *flags, "--out-dir", lib_out])

    frontend = os.path.join(a.work, "frontend.mlir")
    stage = "split" if a.precision == "int8" else "mlir"
    # The IR stages take the library's --target too: bertc accepts f16 for a CUDA target only.
    run([bertc, "compile", config, "--name", name, "--max-batch", str(max_batch), "--max-seq", str(max_seq),
         *precision, "--target", a.target, "--emit", stage, "-o", frontend])
    eval_out = os.path.join(a.work, "evaluator")
    run([bert_eval, frontend, "--weights", weights, "--inputs-dir", a.case, "--out-dir", eval_out])
    evaluated = [eval_out]
    planned_out = os.path.join(a.work, "planned")
    if a.evaluator_only:
        planned = os.path.join(a.work, "planned.mlir")
        run([bertc, "compile", config, "--name", name, "--max-batch", str(max_batch), "--max-seq", str(max_seq),
             *precision, "--target", a.target, "--emit", "planned", "-o", planned])
        run([bert_eval, planned, "--weights", weights, "--inputs-dir", a.case, "--out-dir", planned_out])
        evaluated.append(planned_out)
    # The evaluator writes result<i>.npy in the function's result order, which is the order of the
    # case's outputs (the head's, as transformers returns them).
    results = case.get("outputs", ["last_hidden_state", "pooler_output"])
    for out_dir in evaluated:
        for i, n in enumerate(results):
            if os.path.exists(os.path.join(out_dir, f"result{i}.npy")):
                os.replace(os.path.join(out_dir, f"result{i}.npy"), os.path.join(out_dir, n + ".npy"))

    mask = np.load(inputs["attention_mask"]).astype(bool)
    names = [n for n in results if os.path.exists(os.path.join(a.case, n + ".npy"))]
    for n in results:
        if n not in names:
            print(f"{case['name']}: no {n}.npy in the case: {n} not compared")
    per_token = case.get("per_token", ["last_hidden_state"])
    ok = True
    tol_hf = a.tol if a.tol_transformers is None else a.tol_transformers
    quantized = a.precision in ("bf16", "f16", "int8")
    bf16_error = mean_err(a.case, eval_out, mask) if quantized else 0.0  # bf16/int8 ref vs fp32
    comparisons = [("library vs transformers", a.case, lib_out, tol_hf),
                   ("evaluator vs transformers", a.case, eval_out, tol_hf),
                   ("library vs evaluator", eval_out, lib_out, a.tol)]
    if a.evaluator_only:
        comparisons = [comparisons[1], ("planned IR (evaluator) vs transformers", a.case, planned_out, tol_hf)]
        print(f"{case['name']}: library: not built (--evaluator-only)")
    for label, golden, actual, tol in comparisons:
        errs = max_err(golden, actual, mask, names, per_token)
        extra = ""
        if quantized and label == "library vs evaluator":
            lib_error = mean_err(a.case, lib_out, mask)
            good = lib_error <= 1.25 * bf16_error and all(e <= tol_hf for e in errs.values())
            extra = (f"; mean abs err vs transformers: library {lib_error:.3g}, evaluator "
                     f"{bf16_error:.3g} (at most 1.25x)")
            tol = tol_hf
        else:
            good = all(e <= tol for e in errs.values())
        ok &= good
        print(f"{case['name']}: {label}: " + ", ".join(f"{k} max abs err {v:.3g}" for k, v in errs.items())
              + extra + (" PASS" if good else f" FAIL (tolerance {tol:g})"))
    # Real-model cases (make_real_model_case.py) also carry the sentence-transformers embedding:
    # masked mean over real tokens, then L2 norm. Recompute it from the library's hidden states.
    sent = os.path.join(a.case, "sentence_embedding.npy")
    if os.path.exists(sent):
        hidden = np.load(os.path.join(lib_out, "last_hidden_state.npy")).astype(np.float64)
        m = mask[..., None].astype(np.float64)
        emb = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        ref = np.load(sent).astype(np.float64)
        err = float(np.abs(emb - ref).max())
        # Both are unit vectors: the cosine is the dot product.
        cos = (emb * ref).sum(1) / np.linalg.norm(ref, axis=1)
        if a.min_cosine is None:
            good, bound = err <= a.tol, f"tolerance {a.tol:g}"
        else:
            good, bound = bool(cos.min() >= a.min_cosine), f"cosine at least {a.min_cosine:g}"
        ok &= good
        print(f"{case['name']}: library vs transformers: sentence_embedding (mean pool + L2 norm) max abs err "
              f"{err:.3g}, cosine min {cos.min():.6f} mean {cos.mean():.6f}"
              + (" PASS" if good else f" FAIL ({bound})"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
