#!/usr/bin/env python3
"""Generate bertc's end-to-end golden cases from Hugging Face transformers' BertModel.

Run inside the test venv (test/tools/setup-venv.sh):
    build/venv/bin/python test/tools/make_goldens.py --out test/E2E/goldens [--only NAME ...]

Each case directory gets:
    config.json            from BertConfig.save_pretrained (what bertc compiles)
    input_ids.npy, token_type_ids.npy, attention_mask.npy      int64 [B, S]
    last_hidden_state.npy  float32 [B, S, H]
    pooler_output.npy      float32 [B, H]
    case.json              batch, seq, lengths, seeds, notes, versions

The weights are not committed (generated models never go into git). They are made by
`bertc init-weights config.json --seed S --std 0.2`, which is deterministic on every machine, so
the end-to-end test regenerates exactly the same file. This script loads that file into
BertModel (strict: every BertModel parameter, nothing else), saves the model with
save_pretrained(safe_serialization=True) and checks that the file Hugging Face writes holds the
very same tensors, and that BertModel.from_pretrained on it gives bit-identical outputs. So
bertc's input is, tensor for tensor, the file a Hugging Face user has.

std 0.2 rather than BERT's 0.02: with 0.02 attention is almost uniform and GELU almost linear,
which hides bugs. LayerNorm gammas are 1 + N(0, 0.2). The model runs in eval mode, fp32, on the
CPU, with the eager attention implementation.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import BertConfig, BertModel  # noqa: E402

transformers.utils.logging.disable_progress_bar()

VOCAB = 512
TINY = dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512)

# name: config overrides, batch, seq, valid lengths per row, weight seed, input seed, notes
CASES = {
    "tiny-b1-s128": dict(
        config=dict(TINY, max_position_embeddings=128), batch=1, seq=128, lengths=[128],
        weight_seed=1234, input_seed=1, notes="bert-tiny shape, full 128-token sequence, no padding "
        "(HF skips the additive mask entirely when attention_mask is all ones)"),
    "h96-b3-s37-pad": dict(
        config=dict(hidden_size=96, num_hidden_layers=3, num_attention_heads=3, intermediate_size=200,
                    max_position_embeddings=64),
        batch=3, seq=37, lengths=[37, 20, 5], weight_seed=4321, input_seed=2,
        notes="odd shapes (head dim 32, ffn 200, seq 37); rows 1 and 2 right-padded"),
    "tiny-s1": dict(
        config=dict(TINY, max_position_embeddings=128), batch=1, seq=1, lengths=[1],
        weight_seed=1234, input_seed=3, notes="single token (CLS only)"),
    "tiny-bmax": dict(
        config=dict(TINY, max_position_embeddings=128), batch=4, seq=16, lengths=[16, 9, 1, 12],
        weight_seed=1234, input_seed=4,
        notes="batch 4 (compile with --max-batch 4), mixed padding incl. a length-1 row"),
    "tiny-gelu-new": dict(
        config=dict(TINY, max_position_embeddings=128, hidden_act="gelu_new"), batch=2, seq=24,
        lengths=[24, 17], weight_seed=1234, input_seed=5,
        notes="hidden_act gelu_new: 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))"),
    "tiny-gelu-pytorch-tanh": dict(
        config=dict(TINY, max_position_embeddings=128, hidden_act="gelu_pytorch_tanh"), batch=2, seq=24,
        lengths=[24, 17], weight_seed=1234, input_seed=5,
        notes="hidden_act gelu_pytorch_tanh: torch gelu(approximate='tanh'), same formula as gelu_new"),
    "tiny-ln-eps1e-3": dict(
        config=dict(TINY, max_position_embeddings=128, layer_norm_eps=1e-3), batch=2, seq=8,
        lengths=[8, 6], weight_seed=1234, input_seed=6,
        notes="layer_norm_eps 1e-3 (default is 1e-12): catches a compiler that ignores config.layer_norm_eps "
              "(with 1e-5 vs 1e-12 the difference is only ~3e-5, under tolerance)"),
}
CLS_ID, SEP_ID, PAD_ID = 2, 3, 0


INIT_STD = 0.2


def load_bertc_weights(model: BertModel, config_path: str, seed: int, bertc: str, tmp: str) -> str:
    """Writes weights with `bertc init-weights` and loads them into `model` (strict)."""
    path = os.path.join(tmp, "bertc.safetensors")
    subprocess.run([bertc, "init-weights", config_path, "--seed", str(seed), "--std", str(INIT_STD),
                    "-o", path], check=True, stdout=subprocess.DEVNULL)
    model.load_state_dict(load_file(path), strict=True)
    return path


def check_same_tensors(a_path: str, b_path: str, what: str) -> None:
    a, b = load_file(a_path), load_file(b_path)
    if sorted(a) != sorted(b):
        raise RuntimeError(f"{what}: tensor names differ: {sorted(set(a) ^ set(b))}")
    for k in a:
        if not torch.equal(a[k], b[k]):
            raise RuntimeError(f"{what}: tensor {k} differs")


def make_inputs(batch: int, seq: int, lengths: list[int], seed: int):
    rng = np.random.default_rng(seed)
    ids = np.full((batch, seq), PAD_ID, dtype=np.int64)
    tt = np.zeros((batch, seq), dtype=np.int64)
    mask = np.zeros((batch, seq), dtype=np.int64)
    for b, n in enumerate(lengths):
        assert 1 <= n <= seq
        ids[b, :n] = rng.integers(5, VOCAB, size=n)
        ids[b, 0] = CLS_ID
        mask[b, :n] = 1
        if n >= 4:  # "[CLS] A [SEP] B [SEP]": second segment gets token type 1
            split = n // 2
            ids[b, split - 1] = SEP_ID
            ids[b, n - 1] = SEP_ID
            tt[b, split:n] = 1
    return ids, tt, mask


def run(model: BertModel, ids, tt, mask):
    with torch.no_grad():
        out = model(input_ids=torch.from_numpy(ids), token_type_ids=torch.from_numpy(tt),
                    attention_mask=torch.from_numpy(mask))
    return out.last_hidden_state.numpy().astype(np.float32), out.pooler_output.numpy().astype(np.float32)


def write_case_json(d: str, case: dict, generated_by: str) -> None:
    """Writes d/case.json: the case, what made it and with which versions."""
    case = dict(case, generated_by=generated_by,
                versions={"torch": torch.__version__, "transformers": transformers.__version__,
                          "numpy": np.__version__},
                attn_implementation="eager")
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
        f.write("\n")


def make_case(name: str, spec: dict, outdir: str, bertc: str) -> None:
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    for stale in ("model.safetensors",):
        if os.path.exists(os.path.join(d, stale)):
            os.remove(os.path.join(d, stale))
    cfg = BertConfig(vocab_size=VOCAB, **spec["config"])
    model = BertModel(cfg)
    model.config._attn_implementation = "eager"
    model.eval()
    cfg.save_pretrained(d)

    tmp = tempfile.mkdtemp(prefix="bertc-golden-")
    weights = load_bertc_weights(model, os.path.join(d, "config.json"), spec["weight_seed"], bertc, tmp)
    hf_dir = os.path.join(tmp, "hf")
    model.save_pretrained(hf_dir, safe_serialization=True)
    check_same_tensors(weights, os.path.join(hf_dir, "model.safetensors"), name)

    ids, tt, mask = make_inputs(spec["batch"], spec["seq"], spec["lengths"], spec["input_seed"])
    hidden, pooled = run(model, ids, tt, mask)

    # self-check: what a user loading the saved files gets
    again = BertModel.from_pretrained(hf_dir, attn_implementation="eager").eval()
    h2, p2 = run(again, ids, tt, mask)
    if not (np.array_equal(hidden, h2) and np.array_equal(pooled, p2)):
        raise RuntimeError(f"{name}: reloaded model gives different outputs "
                           f"({np.abs(hidden - h2).max()}, {np.abs(pooled - p2).max()})")
    assert np.isfinite(hidden).all() and np.isfinite(pooled).all()

    for fname, arr in [("input_ids", ids), ("token_type_ids", tt), ("attention_mask", mask),
                       ("last_hidden_state", hidden), ("pooler_output", pooled)]:
        np.save(os.path.join(d, fname + ".npy"), arr)
    c = spec["config"]
    case = {
        "name": name,
        "batch": spec["batch"],
        "seq": spec["seq"],
        "lengths": spec["lengths"],
        "weight_seed": spec["weight_seed"],
        "init_std": INIT_STD,
        "weights": f"bertc init-weights config.json --seed {spec['weight_seed']} --std {INIT_STD}",
        "input_seed": spec["input_seed"],
        "tolerance": 1e-4,
        "compare": "last_hidden_state where attention_mask==1; pooler_output everywhere",
        "notes": spec["notes"] + f". Small vocab ({VOCAB}) and max_position_embeddings "
                 f"{c['max_position_embeddings']} to keep the files small; weights from bertc "
                 "init-weights (see make_goldens.py).",
        "model": {"hidden_size": c["hidden_size"], "num_hidden_layers": c["num_hidden_layers"],
                  "num_attention_heads": c["num_attention_heads"], "intermediate_size": c["intermediate_size"],
                  "hidden_act": cfg.hidden_act, "layer_norm_eps": cfg.layer_norm_eps, "vocab_size": VOCAB,
                  "max_position_embeddings": c["max_position_embeddings"]},
    }
    write_case_json(d, case, "test/tools/make_goldens.py")
    size = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
    print(f"make_goldens: {name}: B={spec['batch']} S={spec['seq']} lengths={spec['lengths']} "
          f"|hidden|max={np.abs(hidden).max():.3f} pooled std={pooled.std():.3f} size={size / 1e6:.2f} MB")


def parse_args(doc: str, example_out: str) -> argparse.Namespace:
    """The command line of both golden makers (this one and make_family_goldens.py)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help=f"output directory (e.g. {example_out})")
    ap.add_argument("--only", nargs="*", help="case names to (re)generate")
    ap.add_argument("--bertc", default="build/bin/bertc", help="the bertc that writes the weights")
    return ap.parse_args()


def main() -> int:
    a = parse_args(__doc__, "test/E2E/goldens")
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    names = a.only or list(CASES)
    for n in names:
        if n not in CASES:
            print(f"make_goldens: unknown case {n}; known: {', '.join(CASES)}", file=sys.stderr)
            return 2
    for n in names:
        make_case(n, CASES[n], a.out, a.bertc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
