#!/usr/bin/env python3
"""Independent NumPy-only reference of transformers' BertModel forward (eval, fp32 in, fp64 math).

    bert_ref_numpy.py --case DIR --out DIR

Reads DIR/config.json, DIR/model.safetensors (parsed by hand: 8-byte header length, JSON header,
raw little-endian data) and the input .npy files, writes last_hidden_state.npy and pooler_output.npy
(float32) to --out, for check_goldens.py. It exists to cross-check the goldens against a second,
readable implementation of the semantics bertc must follow:
  embeddings = LN(word[ids] + token_type[tt] + position[arange(S)])            (absolute positions 0..S-1)
  per layer:  scores = (x Wq^T+bq)(x Wk^T+bk)^T / sqrt(head_dim) + (1-mask)*finfo(float32).min
              x = LN(softmax(scores) V Wo^T + bo + x);  x = LN(act(x Wi^T + bi) Wo2^T + bo2 + x)
  pooler = tanh(x[:, 0] Wp^T + bp)
LN(y) = (y-mean)/sqrt(var+layer_norm_eps)*gamma+beta (biased variance). act per hidden_act:
gelu (erf), gelu_new / gelu_pytorch_tanh / gelu_fast (tanh approximations), relu, silu/swish.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys

import numpy as np

DT = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(data[b:e], dtype=DT[v["dtype"]]).reshape(v["shape"])
    return out


erf = np.vectorize(math.erf, otypes=[np.float64])  # NumPy has no erf; exact, slow, fine for tests


ACT = {
    "gelu": lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))),
    "gelu_new": lambda x: 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))),
    "gelu_pytorch_tanh": lambda x: 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))),
    "gelu_fast": lambda x: 0.5 * x * (1.0 + np.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x))),
    "relu": lambda x: np.maximum(x, 0.0),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
    "swish": lambda x: x / (1.0 + np.exp(-x)),
}


def ln(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def forward(cfg: dict, W: dict, ids, tt, mask):
    W = {k: v.astype(np.float64) for k, v in W.items() if v.dtype.kind == "f"}
    eps = cfg.get("layer_norm_eps", 1e-12)
    act = ACT[cfg.get("hidden_act", "gelu")]
    nh = cfg["num_attention_heads"]
    B, S = ids.shape
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.token_type_embeddings.weight"][tt] \
        + W["embeddings.position_embeddings.weight"][np.arange(S)][None]
    x = ln(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    H = x.shape[-1]
    hd = H // nh
    bias = np.where(mask[:, None, None, :] == 1, 0.0, float(np.finfo(np.float32).min))

    def lin(y, p):
        return y @ W[p + ".weight"].T + W[p + ".bias"]

    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (lin(x, p + "attention.self." + n).reshape(B, S, nh, hd).transpose(0, 2, 1, 3)
                   for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        a = (s @ v).transpose(0, 2, 1, 3).reshape(B, S, H)
        x = ln(lin(a, p + "attention.output.dense") + x,
               W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"], eps)
        f = lin(act(lin(x, p + "intermediate.dense")), p + "output.dense")
        x = ln(f + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    pooled = np.tanh(lin(x[:, 0], "pooler.dense")) if "pooler.dense.weight" in W else None
    return x, pooled


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(os.path.join(a.case, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        print("bert_ref_numpy: only absolute position embeddings are supported", file=sys.stderr)
        return 2
    W = read_safetensors(os.path.join(a.case, "model.safetensors"))
    ids, tt, mask = (np.load(os.path.join(a.case, n + ".npy")) for n in ("input_ids", "token_type_ids", "attention_mask"))
    h, p = forward(cfg, W, ids, tt, mask)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "last_hidden_state.npy"), h.astype(np.float32))
    if p is not None:
        np.save(os.path.join(a.out, "pooler_output.npy"), p.astype(np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
