#!/usr/bin/env python3
"""bertc's sentence embeddings against sentence-transformers', text in (`make test-real`).

    check_text_embeddings.py --bin BUILD/bin --model-dir DIR --golden test/E2E/goldens/minilm-st
                             --work BUILD/real-minilm-text [--live ST.npy] [--tol 1e-5]

1. `bertc compile DIR` (the model directory: tokenizer and pooling land beside the library),
   --max-batch 8 --max-seq 256 (sentence-transformers' max_seq_length for all-MiniLM-L6-v2);
2. `bert-run LIB DIR/model.safetensors --texts GOLDEN/texts.txt --out-dir ...`: tokenizer, model,
   pooling and normalization all in C, found beside the library;
3. the max abs difference of sentence_embedding.npy against GOLDEN/embeddings.npy
   (sentence-transformers' output, committed; test/tools/st_embeddings.py --golden) and, with
   --live, against sentence-transformers run now on the same texts. Fails above --tol.
NumPy only: the reference is a file.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np


def run(cmd: list[str]) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--live", help="sentence-transformers' embeddings of the same texts, made now")
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--precision", default="f32", choices=("f32", "bf16", "int8"))
    ap.add_argument("--min-cosine", type=float, default=None,
                    help="judge each text's embedding by its cosine with the reference (at least "
                    "this) instead of --tol: the quantized precisions")
    args = ap.parse_args()

    lib_dir = os.path.join(args.work, "lib")
    out_dir = os.path.join(args.work, "out")
    name = "all_minilm_l6_v2"
    run([os.path.join(args.bin, "bertc"), "compile", args.model_dir, "--name", name,
         "--max-batch", "8", "--max-seq", "256", "--precision", args.precision, "-o", lib_dir + "/"])
    texts = os.path.join(args.golden, "texts.txt")
    run([os.path.join(args.bin, "bert-run"), os.path.join(lib_dir, f"lib{name}.so"),
         os.path.join(args.model_dir, "model.safetensors"), "--texts", texts, "--out-dir", out_dir])
    ours = np.load(os.path.join(out_dir, "sentence_embedding.npy"))
    lengths = np.load(os.path.join(out_dir, "input_ids.npy")) != 0

    refs = [("committed golden " + os.path.join(args.golden, "embeddings.npy"),
             np.load(os.path.join(args.golden, "embeddings.npy")))]
    if args.live and os.path.exists(args.live):
        refs.append(("sentence-transformers now (" + args.live + ")", np.load(args.live)))
    else:
        print("check_text_embeddings: live comparison SKIPPED: sentence-transformers was not "
              "installed (test/tools/install-st.sh); the committed golden is the reference")
    print(f"bertc: {ours.shape[0]} texts, tokens per text {lengths.sum(axis=1).tolist()}")
    ok = True
    for what, ref in refs:
        if ref.shape != ours.shape:
            print(f"FAIL: {what}: shape {list(ref.shape)}, bertc {list(ours.shape)}")
            ok = False
            continue
        err = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
        per_text = err.max(axis=1)
        if args.min_cosine is None:
            good = err.max() <= args.tol
            bound = f"tolerance {args.tol:g}"
        else:
            # Both are L2-normalized: the cosine is the dot product.
            cos = (ours.astype(np.float64) * ref.astype(np.float64)).sum(axis=1)
            good = cos.min() >= args.min_cosine
            bound = (f"cosine min {cos.min():.6f} mean {cos.mean():.6f}, at least "
                     f"{args.min_cosine:g}")
        status = "ok" if good else "FAIL"
        print(f"{status}: sentence_embedding vs {what}: max abs {err.max():.2e} ({bound}); "
              f"per text {', '.join(f'{e:.1e}' for e in per_text)}")
        ok &= bool(good)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
