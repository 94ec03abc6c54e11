"""A BERT encoder in bert IR from a Hugging Face config.json, written the way
the frontend builds it (embeddings, layer_norm, per layer attention + add +
layer_norm, linear + gelu + linear + add + layer_norm, pooler; HF tensor
names), and the same model in NumPy (npref.py) to check bert-eval against.

  encoder.py mlir CONFIG                      bert IR on stdout (pure Python)
  encoder.py inputs CONFIG DIR B S PAD SEED   random input_ids/token_type_ids/
                                              attention_mask .npy in DIR
  encoder.py check CONFIG DIR                 NumPy forward with DIR/weights.
                                              safetensors on DIR's inputs vs
                                              DIR/out/result{0,1}.npy
"""

import json
import sys


def mlir(cfg):
    h, heads, ffn = cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"]
    vocab, maxpos = cfg["vocab_size"], cfg["max_position_embeddings"]
    types, eps = cfg["type_vocab_size"], cfg.get("layer_norm_eps", 1e-12)
    act = {"gelu": "", "gelu_new": " approximation <tanh>",
           "gelu_pytorch_tanh": " approximation <tanh>"}[cfg.get("hidden_act", "gelu")]
    x3, ids = f"tensor<?x?x{h}xf32>", "tensor<?x?xi32>"
    vec, mat = f"tensor<{h}xf32>", f"tensor<{h}x{h}xf32>"
    out = []
    n = [0]

    def v():
        n[0] += 1
        return f"%v{n[0]}"

    def weight(name, ty):
        r = v()
        out.append(f'  {r} = bert.weight "{name}" : {ty}')
        return r

    def layer_norm(x, prefix):
        g, b = weight(prefix + ".weight", vec), weight(prefix + ".bias", vec)
        r = v()
        out.append(f"  {r} = bert.layer_norm {x}, {g}, {b} {{epsilon = {eps:e} : f64}}"
                   f" : ({x3}, {vec}, {vec}) -> {x3}")
        return r

    def add(a, b):
        r = v()
        out.append(f"  {r} = bert.add {a}, {b} : {x3}")
        return r

    word = weight("embeddings.word_embeddings.weight", f"tensor<{vocab}x{h}xf32>")
    pos = weight("embeddings.position_embeddings.weight", f"tensor<{maxpos}x{h}xf32>")
    typ = weight("embeddings.token_type_embeddings.weight", f"tensor<{types}x{h}xf32>")
    e = v()
    out.append(f"  {e} = bert.embeddings %input_ids, {word}, {pos} token_types %token_type_ids, {typ}"
               f" : ({ids}, {ids}, tensor<{vocab}x{h}xf32>, tensor<{maxpos}x{h}xf32>,"
               f" tensor<{types}x{h}xf32>) -> {x3}")
    x = layer_norm(e, "embeddings.LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        ws = []
        for name in ("attention.self.query", "attention.self.key",
                     "attention.self.value", "attention.output.dense"):
            ws += [weight(p + name + ".weight", mat), weight(p + name + ".bias", vec)]
        a = v()
        out.append(f"  {a} = bert.attention {x}, %attention_mask, {', '.join(ws)}"
                   f" {{num_heads = {heads} : i64}} : ({x3}, {ids}, "
                   + ", ".join([mat, vec] * 4) + f") -> {x3}")
        x = layer_norm(add(a, x), p + "attention.output.LayerNorm")
        wi = weight(p + "intermediate.dense.weight", f"tensor<{ffn}x{h}xf32>")
        bi = weight(p + "intermediate.dense.bias", f"tensor<{ffn}xf32>")
        t, g = v(), v()
        xf = f"tensor<?x?x{ffn}xf32>"
        out.append(f"  {t} = bert.linear {x}, {wi}, {bi} : ({x3}, tensor<{ffn}x{h}xf32>,"
                   f" tensor<{ffn}xf32>) -> {xf}")
        out.append(f"  {g} = bert.gelu {t}{act} : {xf}")
        wo = weight(p + "output.dense.weight", f"tensor<{h}x{ffn}xf32>")
        bo = weight(p + "output.dense.bias", vec)
        o = v()
        out.append(f"  {o} = bert.linear {g}, {wo}, {bo} : ({xf}, tensor<{h}x{ffn}xf32>,"
                   f" {vec}) -> {x3}")
        x = layer_norm(add(o, x), p + "output.LayerNorm")
    pw, pb = weight("pooler.dense.weight", mat), weight("pooler.dense.bias", vec)
    pooled = v()
    out.append(f"  {pooled} = bert.pooler {x}, {pw}, {pb} : ({x3}, {mat}, {vec})"
               f" -> tensor<?x{h}xf32>")
    out.append(f"  return {x}, {pooled} : {x3}, tensor<?x{h}xf32>")
    head = (f"func.func @bert(%input_ids: {ids}, %token_type_ids: {ids},"
            f" %attention_mask: {ids}) -> ({x3}, tensor<?x{h}xf32>)"
            f" attributes {{bert.max_batch = 4 : i64, bert.max_seq = {maxpos} : i64}} {{")
    return "\n".join([head] + out + ["}"]) + "\n"


def forward(cfg, W, ids, tt, mask):
    import npref as ref
    eps, heads = cfg.get("layer_norm_eps", 1e-12), cfg["num_attention_heads"]
    approx = "exact" if cfg.get("hidden_act", "gelu") == "gelu" else "tanh"
    x = ref.embeddings(ids, tt, W["embeddings.word_embeddings.weight"],
                       W["embeddings.position_embeddings.weight"],
                       W["embeddings.token_type_embeddings.weight"])
    x = ref.layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        ws = [W[p + n + s] for n in ("attention.self.query", "attention.self.key",
                                     "attention.self.value", "attention.output.dense")
              for s in (".weight", ".bias")]
        a = ref.attention(x, mask, *ws, heads)
        x = ref.layer_norm(a + x, W[p + "attention.output.LayerNorm.weight"],
                           W[p + "attention.output.LayerNorm.bias"], eps)
        t = ref.gelu(ref.linear(x, W[p + "intermediate.dense.weight"],
                                W[p + "intermediate.dense.bias"]), approx)
        o = ref.linear(t, W[p + "output.dense.weight"], W[p + "output.dense.bias"])
        x = ref.layer_norm(o + x, W[p + "output.LayerNorm.weight"],
                           W[p + "output.LayerNorm.bias"], eps)
    return x, ref.pooler(x, W["pooler.dense.weight"], W["pooler.dense.bias"])


def main():
    cmd, cfg = sys.argv[1], json.load(open(sys.argv[2]))
    if cmd == "mlir":
        sys.stdout.write(mlir(cfg))
        return 0
    import os
    import numpy as np
    import npref as ref
    d = sys.argv[3]
    if cmd == "inputs":
        b, s, pad, seed = (int(a) for a in sys.argv[4:8])
        rng = np.random.RandomState(seed)
        mask = np.ones((b, s), np.int32)
        mask[1:, s - pad:] = 0
        np.save(f"{d}/input_ids.npy", rng.randint(0, cfg["vocab_size"], (b, s)).astype(np.int32))
        np.save(f"{d}/token_type_ids.npy",
                rng.randint(0, cfg["type_vocab_size"], (b, s)).astype(np.int32))
        np.save(f"{d}/attention_mask.npy", mask)
        return 0
    _, W = ref.read_safetensors(f"{d}/weights.safetensors")
    ids, tt, mask = (np.load(f"{d}/{n}.npy") for n in
                     ("input_ids", "token_type_ids", "attention_mask"))
    hidden, pooled = forward(cfg, W, ids, tt, mask)
    got = np.load(f"{d}/out/result0.npy")
    keep = mask.astype(bool)  # compare hidden states at real tokens only
    ok = ref.compare("last_hidden_state", got[keep], hidden[keep], 1e-5)
    ok &= ref.compare("pooler_output", np.load(f"{d}/out/result1.npy"), pooled, 1e-5)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
