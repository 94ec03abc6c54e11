"""Checks bert-eval op by op against the NumPy reference (npref.py).

usage: ops_ref.py BERT_EVAL FILE.mlir WORKDIR [CASE...]

For every case (a function of FILE.mlir with the same name) it writes the
inputs as .npy, all weights to one safetensors file, runs
`BERT_EVAL FILE.mlir --function CASE --inputs-dir ... --weights ...
--out-dir ...`, and compares each result with NumPy. Prints one line per
result; exits 1 on any mismatch."""

import os
import subprocess
import sys

import numpy as np

import npref as ref

B, S, H, HEADS, FFN, VOCAB, MAXPOS, TYPES = 2, 3, 8, 2, 16, 11, 5, 2
D = H // HEADS
EPS = 1e-12

rng = np.random.RandomState(1234)


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# Weights shared by all cases (names are what the .mlir functions use).
W = {
    "word": f32(VOCAB, H, scale=0.5), "pos": f32(MAXPOS, H, scale=0.5),
    "type": f32(TYPES, H, scale=0.5),
    "ln.weight": (1 + f32(H, scale=0.1)), "ln.bias": f32(H, scale=0.1),
    "fc.weight": f32(FFN, H, scale=0.4), "fc.bias": f32(FFN, scale=0.2),
    "pool.weight": f32(H, H, scale=0.4), "pool.bias": f32(H, scale=0.2),
    "a.weight": f32(H, H), "b.weight": f32(H, H),
}
for p in "qkvo":
    W[f"att.{p}.weight"] = f32(H, H, scale=0.4)
    W[f"att.{p}.bias"] = f32(H, scale=0.2)

ids = rng.randint(0, VOCAB, (B, S)).astype(np.int32)
tt = rng.randint(0, TYPES, (B, S)).astype(np.int32)
mask = np.array([[1, 1, 1], [1, 1, 0]], np.int32)  # row 1: last token padded
x = f32(B, S, H)
y = f32(B, S, H)
x4 = f32(B, HEADS, S, D)
k4 = f32(B, HEADS, S, D)
p4 = ref.softmax(f32(B, HEADS, S, S)).astype(np.float32)
s4 = f32(B, HEADS, S, S, scale=2.0)
s3 = f32(B, S, S, scale=2.0)
att = [W[f"att.{p}.{t}"] for p in "qkvo" for t in ("weight", "bias")]

# name -> (inputs written as arg<i>.npy or model names, reference outputs)
CASES = {
    "embeddings": ({"input_ids": ids, "token_type_ids": tt},
                   [ref.embeddings(ids, tt, W["word"], W["pos"], W["type"])]),
    "embeddings_layer_norm": (
        {"input_ids": ids, "token_type_ids": tt},
        [ref.layer_norm(ref.embeddings(ids, tt, W["word"], W["pos"], W["type"]),
                        W["ln.weight"], W["ln.bias"], EPS)]),
    "layer_norm": ([x], [ref.layer_norm(x, W["ln.weight"], W["ln.bias"], EPS)]),
    "add_layer_norm": ([x, y], [ref.layer_norm(x.astype(np.float64) + y,
                                               W["ln.weight"], W["ln.bias"], EPS)]),
    "linear": ([x], [ref.linear(x, W["fc.weight"], W["fc.bias"])]),
    "linear_no_bias": ([x], [ref.linear(x, W["fc.weight"])]),
    "linear_gelu": ([x], [ref.linear(x, W["fc.weight"], W["fc.bias"], "gelu")]),
    "linear_gelu_tanh": ([x], [ref.linear(x, W["fc.weight"], W["fc.bias"], "gelu_tanh")]),
    "gelu": ([x], [ref.gelu(x, "exact"), ref.gelu(x, "tanh")]),
    "add": ([x, y], [x.astype(np.float64) + y]),
    "pooler": ([x], [ref.pooler(x, W["pool.weight"], W["pool.bias"])]),
    "attention": ([x, mask], [ref.attention(x, mask, *att, HEADS)]),
    "split_heads": ([x], [ref.split_heads(x, HEADS)]),
    "merge_heads": ([x4], [ref.merge_heads(x4)]),
    "batch_matmul": ([x4, k4, p4], [
        np.asarray(x4, np.float64) @ np.asarray(k4, np.float64).transpose(0, 1, 3, 2) * 0.5,
        np.asarray(p4, np.float64) @ k4]),
    "masked_softmax": ([s4, s3, mask], [ref.masked_softmax(s4, mask),
                                        ref.masked_softmax(s3, mask)]),
    "slice": ([x], [x[:, :, 4:8], W["fc.weight"][8:16]]),
    "concat": ([x, y], [np.concatenate([x, y], 2),
                        np.concatenate([W["a.weight"], W["b.weight"]], 0)]),
    "fused_attention": ([x, y, x4.reshape(B, S, H), mask],
                        [ref.attention_core(x, y, x4.reshape(B, S, H), mask, HEADS, 0.5)]),
    # Padded rows zeroed (XLM), after a residual add (FlauBERT's pre-norm layers).
    "mask_rows": ([x, mask], [x * mask[..., None]]),
    "add_mask_rows": ([x, y, mask], [(x.astype(np.float64) + y) * mask[..., None]]),
}


def main():
    tool, mlir, work = sys.argv[1:4]
    only = sys.argv[4:]
    os.makedirs(work, exist_ok=True)
    weights = os.path.join(work, "weights.safetensors")
    ref.write_safetensors(weights, W)
    ok = True
    for name, (inputs, want) in CASES.items():
        if only and name not in only:
            continue
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        items = inputs.items() if isinstance(inputs, dict) else \
            ((f"arg{i}", a) for i, a in enumerate(inputs))
        for fname, a in items:
            np.save(os.path.join(d, fname + ".npy"), a)
        out = os.path.join(d, "out")
        run = subprocess.run([tool, mlir, "--function", name, "--inputs-dir", d,
                              "--weights", weights, "--out-dir", out],
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(f"{name}: bert-eval failed FAIL\n{run.stderr}")
            ok = False
            continue
        for i, w in enumerate(want):
            got = np.load(os.path.join(out, f"result{i}.npy"))
            ok &= ref.compare(f"{name} result #{i}", got, w, 2e-6)
    print("ALL OK" if ok else "SOME FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
