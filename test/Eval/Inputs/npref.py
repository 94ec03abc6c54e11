"""NumPy reference for the bert-eval tests: an implementation of the bert ops
independent of compiler/eval (vectorized NumPy in float64, written from the
ODS descriptions and Hugging Face's modeling_bert.py), plus minimal
safetensors and .npy helpers. Used to check the evaluator itself."""

import json
import struct

import numpy as np

LOWEST = np.finfo(np.float32).min


def gelu(x, approximation="exact"):
    from math import erf, pi, sqrt
    x = np.asarray(x, np.float64)
    if approximation == "exact":
        return x * 0.5 * (1.0 + np.vectorize(erf)(x / sqrt(2.0)))
    return 0.5 * x * (1.0 + np.tanh(sqrt(2.0 / pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x, gamma, beta, eps):
    x = np.asarray(x, np.float64)
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def linear(x, w, b=None, act="none"):
    y = np.asarray(x, np.float64) @ np.asarray(w, np.float64).T
    if b is not None:
        y = y + b
    if act == "gelu":
        y = gelu(y, "exact")
    elif act == "gelu_tanh":
        y = gelu(y, "tanh")
    return y


def mask_scores(scores, mask):
    """scores [B, ..., Sq, Sk] in float32 plus lowest where mask[b, k] == 0,
    added in float32 as Hugging Face does."""
    s = np.asarray(scores, np.float32)
    bias = np.where(np.asarray(mask) == 0, LOWEST, np.float32(0)).astype(np.float32)
    shape = (bias.shape[0],) + (1,) * (s.ndim - 2) + (bias.shape[1],)
    return s + bias.reshape(shape)


def softmax(s):
    s = np.asarray(s, np.float64)
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def masked_softmax(scores, mask):
    return softmax(mask_scores(scores, mask))


def split_heads(x, heads):
    b, s, h = x.shape
    return x.reshape(b, s, heads, h // heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    b, h, s, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, s, h * d)


def attention_core(q, k, v, mask, heads, scale):
    q4, k4, v4 = (split_heads(np.asarray(t, np.float64), heads) for t in (q, k, v))
    scores = (q4 @ k4.transpose(0, 1, 3, 2)) * scale
    return merge_heads(masked_softmax(scores, mask) @ v4)


def attention(x, mask, wq, bq, wk, bk, wv, bv, wo, bo, heads):
    d = x.shape[-1] // heads
    ctx = attention_core(linear(x, wq, bq), linear(x, wk, bk), linear(x, wv, bv),
                         mask, heads, 1.0 / np.sqrt(d))
    return linear(ctx, wo, bo)


def embeddings(ids, tt, word, pos, typ):
    s = ids.shape[1]
    return (word[ids].astype(np.float64) + pos[np.arange(s)][None] + typ[tt])


def pooler(x, w, b):
    return np.tanh(linear(x[:, 0], w, b))


# --- files -------------------------------------------------------------------

def to_bf16_bytes(a):
    """Round-to-nearest-even bfloat16 bit patterns of float32 values."""
    bits = np.asarray(a, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2").tobytes()


def write_safetensors(path, tensors, dtype="F32", metadata=None):
    """tensors: dict name -> array. dtype: F32, F16 or BF16 for all."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], np.float32)
        if dtype == "F32":
            blob = a.astype("<f4").tobytes()
        elif dtype == "F16":
            blob = a.astype("<f2").tobytes()
        else:
            blob = to_bf16_bytes(a)
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    """Returns (header dict, {name: float32 array}); F32 only."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", e
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b:8 + n + end], "<f4").reshape(e["shape"])
    return header, out


def compare(name, got, want, atol):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != want.shape:
        print(f"{name}: shape {got.shape} != expected {want.shape} FAIL")
        return False
    diff = float(np.max(np.abs(got - want))) if got.size else 0.0
    ok = diff <= atol
    print(f"{name}: max abs diff {'<=' if ok else '>'} {atol:g} "
          f"{'ok' if ok else 'FAIL (%g)' % diff}")
    return ok
