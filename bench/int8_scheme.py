"""int8 activation-quantization schemes on a trained model, simulated in PyTorch: which one
`--precision int8` should use (issue 21: per token or per tensor, measured both).

    PYTHON bench/int8_scheme.py --model-dir DIR [--texts FILE] [--norm-input-variants]

DIR is a Hugging Face BertModel directory with tokenizer.json (all-MiniLM-L6-v2 as
test/tools/install-minilm.sh installs it); needs torch, transformers, tokenizers (the goldens
venv). Each scheme replaces the encoder's nn.Linear forward by its quantized arithmetic, as
LinearInt8.cpp / LinearBF16.cpp compute it (int8: weights symmetric per output channel,
round(w * 127 / max|w|); activations asymmetric uint8 over the range with 0 in it, zero point
round(-lo / scale), sums exact; bf16: operands rounded to bf16, fp32 sums), and prints the
sentence-embedding cosine (masked mean pool + L2 norm, the sentence-transformers output) of
every text against fp32: min and mean. Schemes:
  mixed/token   the shipped one: linears reading a LayerNorm output (Q/K/V, FFN up) in bf16,
                the others int8 with per-token (row) activation ranges
  mixed/tensor  the same with one range per call (the whole [tokens, K] input)
  int8/token    every encoder linear int8, per token
  int8/tensor   every encoder linear int8, per tensor
  smooth/token  every encoder linear int8, per token; those reading a LayerNorm quantize
                X / |gamma| per input channel and take W * |gamma| (the LayerNorm's scale
                moved into the weights at load, no calibration: a candidate to make Q/K/V and
                the FFN's first linear int8 too)
--norm-input-variants adds schemes that try to make the LayerNorm-fed linears int8 at the
mixed scheme's accuracy (every other linear int8 per token; docs/performance.md, Zen 4):
  group/G       per-token scales over groups of G input channels
  outliers/C    the call's C input channels of largest |x| taken out of the int8 range and
                summed in fp32 against the int8 weights
  weights-only  int8 weights, fp32 activations (how much of the error is the weights')
  acts-only     fp32 weights, int8 activations per token
Per-tensor and per-token cost the same in the kernel (the range pass and the GEMM are
identical; per-tensor only folds the row ranges into one), so accuracy decides.
"""
import argparse
import os

import torch
from tokenizers import Tokenizer
from transformers import BertModel

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A fast auburn fox leaped over a sleepy hound near the riverbank at dawn.",
    "Compilers turn graphs into native code.",
    "The weather in Paris is mild in the spring, with occasional rain.",
    "She sold her old bicycle and bought a used car with the money.",
    "Neural networks learn representations from large amounts of data.",
    "The committee postponed the vote until the next meeting in March.",
    "How many moons does Jupiter have?",
    "He forgot his umbrella on the train again this morning.",
    "Quantization maps floating point values onto a small set of integers.",
    "The museum opens at nine and closes at five on weekdays.",
    "A recipe for bread needs flour, water, salt and yeast.",
    "Stock markets fell sharply after the interest rate announcement.",
    "The children built a sandcastle before the tide came in.",
    "Please send me the report by the end of the day.",
    "Mount Everest is the highest mountain above sea level.",
]


def q_weight(w):
    s = w.abs().amax(dim=1, keepdim=True) / 127
    return torch.round(w / torch.where(s > 0, s, torch.ones_like(s))), s


def q_act(x, per_token):
    dims = (-1,) if per_token else tuple(range(x.dim()))
    lo = torch.clamp(x.amin(dim=dims, keepdim=True), max=0)
    hi = torch.clamp(x.amax(dim=dims, keepdim=True), min=0)
    inv = torch.where(hi > lo, 255 / (hi - lo), torch.zeros_like(hi))
    zero = torch.round(-lo * inv)
    u = torch.clamp(torch.round(x * inv) + zero, 0, 255)
    return u, zero, (hi - lo) / 255


def bf16(t):
    return t.to(torch.bfloat16).to(torch.float32)


def dequant_groups(x, group):
    """x quantized as q_act per token does, but over groups of `group` input channels, and
    dequantized: (u - zero) * scale of each group."""
    xg = x.reshape(*x.shape[:-1], x.shape[-1] // group, group)
    u, zero, sx = q_act(xg, True)
    return ((u - zero) * sx).reshape(x.shape)


def make_forward(lin, kind, per_token, smooth=None, variant=None):
    """variant (an int8 linear reading a LayerNorm, --norm-input-variants): ("group", G),
    ("outliers", C), ("weights-only",) or ("acts-only",)."""
    w = lin.weight.detach().double()
    if smooth is not None:
        w = w * smooth
    qw, sw = q_weight(w)

    def forward(x):
        if kind == "bf16":
            y = bf16(x) @ bf16(lin.weight).T
        elif variant and variant[0] == "weights-only":
            y = ((x.double() @ qw.T) * sw.T).float()
        elif variant and variant[0] == "group":
            y = ((dequant_groups(x.double(), variant[1]) @ qw.T) * sw.T).float()
        else:
            xd, extra = x.double(), 0
            if variant and variant[0] == "outliers":
                big = xd.abs().reshape(-1, xd.shape[-1]).amax(0).topk(variant[1]).indices
                xo = torch.zeros_like(xd)
                xo[..., big] = xd[..., big]
                xd, extra = xd - xo, (xo @ qw.T) * sw.T
            u, zero, sx = q_act(xd / (smooth if smooth is not None else 1), per_token)
            if variant and variant[0] == "acts-only":
                y = ((u - zero) * sx) @ w.T
            else:  # sum_k (u - zero) * qw, exact in double, then the scales
                y = ((u - zero) @ qw.T) * sx * sw.T + extra
            y = y.float()
        return y + lin.bias if lin.bias is not None else y
    return forward


def embed(model, enc):
    ids = torch.tensor([e.ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc])
    with torch.inference_mode():
        h = model(input_ids=ids, attention_mask=mask,
                  token_type_ids=torch.zeros_like(ids)).last_hidden_state
    m = mask.unsqueeze(-1).float()
    e = (h * m).sum(1) / m.sum(1)
    return torch.nn.functional.normalize(e, dim=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--texts", help="more texts, one a line")
    ap.add_argument("--norm-input-variants", action="store_true",
                    help="also the schemes that try to make the LayerNorm-fed linears int8")
    a = ap.parse_args()
    texts = list(SENTENCES)
    if a.texts:
        texts += [t for t in open(a.texts, encoding="utf-8").read().splitlines() if t.strip()]
    tok = Tokenizer.from_file(os.path.join(a.model_dir, "tokenizer.json"))
    tok.enable_padding()
    tok.enable_truncation(256)
    enc = tok.encode_batch(texts)
    model = BertModel.from_pretrained(a.model_dir, add_pooling_layer=False).eval()
    ref = embed(model, enc)
    linears = {n: m for n, m in model.encoder.named_modules() if isinstance(m, torch.nn.Linear)}
    # bert-int8-norm-inputs' rule on BertModel: Q/K/V and the FFN's first linear read a
    # LayerNorm output; attention.output.dense and output.dense do not.
    reads_ln = ("attention.self.query", "attention.self.key", "attention.self.value",
                "intermediate.dense")
    print(f"{len(texts)} texts; sentence-embedding cosine against fp32")
    # The LayerNorm each LayerNorm-fed linear reads: the previous layer's output LayerNorm (the
    # embeddings' for layer 0) for Q/K/V, the attention's for the FFN.
    def gamma_of(name):
        layer = int(name.split(".")[1])
        if name.endswith("intermediate.dense"):
            ln = model.encoder.layer[layer].attention.output.LayerNorm
        elif layer == 0:
            ln = model.embeddings.LayerNorm
        else:
            ln = model.encoder.layer[layer - 1].output.LayerNorm
        return ln.weight.detach().double().abs().clamp(min=1e-2)
    schemes = ["mixed/token", "mixed/tensor", "int8/token", "int8/tensor", "smooth/token"]
    variants = {}
    if a.norm_input_variants:
        variants = {f"group/{g}": ("group", g) for g in (128, 64, 32)}
        variants.update({f"outliers/{c}": ("outliers", c) for c in (1, 4, 16)})
        variants.update({"weights-only": ("weights-only",), "acts-only": ("acts-only",)})
        schemes += list(variants)
    for scheme in schemes:
        which, gran = (scheme.split("/") + ["token"])[:2] if scheme not in variants else (scheme, "token")
        for n, m in linears.items():
            kind = "bf16" if which == "mixed" and n.endswith(reads_ln) else "int8"
            smooth = gamma_of(n) if which == "smooth" and n.endswith(reads_ln) else None
            variant = variants.get(scheme) if n.endswith(reads_ln) else None
            m.forward = make_forward(m, kind, gran == "token", smooth, variant)
        cos = (embed(model, enc) * ref).sum(-1)
        print(f"  {scheme:<13} min {cos.min().item():.5f}  mean {cos.mean().item():.5f}")
        for m in linears.values():
            del m.forward


if __name__ == "__main__":
    main()
