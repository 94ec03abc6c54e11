"""int8 activation-quantization schemes on a trained model, simulated in PyTorch: which one
`--precision int8` should use (issue 21: per token or per tensor, measured both).

    PYTHON bench/int8_scheme.py --model-dir DIR [--texts FILE] [--norm-input-variants]
                                [--attention bf16|fp32]

DIR is a Hugging Face BertModel directory with tokenizer.json (all-MiniLM-L6-v2 as
test/tools/install-minilm.sh installs it); needs torch, transformers, tokenizers (the goldens
venv). Each scheme replaces the encoder's nn.Linear forward by its quantized arithmetic, as
LinearInt8.cpp / LinearBF16.cpp compute it (int8: weights symmetric per output channel,
round(w * 127 / max|w|); activations asymmetric uint8 over the range with 0 in it, zero point
round(-lo / scale), sums exact; bf16: operands rounded to bf16, fp32 sums), and prints the
sentence-embedding cosine (masked mean pool + L2 norm, the sentence-transformers output) of
every text against fp32: min and mean. The attention's two products are bf16 ones (Q, K, the
probabilities and V rounded to bf16, as --precision int8 now compiles them) unless
--attention fp32; every scheme is also printed with fp32 attention when --attention both. Schemes:
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
  smooth-est/A  SmoothQuant without calibration: X / s and W * s per input channel with
                s = a^A / max|W column|^(1-A) (max over the linears reading that LayerNorm),
                a = 4 |gamma| + |beta| standing in for max|X| (exact in real arithmetic)
  smooth-cal/A  the same with a = max|X| over these texts (calibrated: the ceiling of smoothing)
  shift         X - beta quantized (the LayerNorm's beta taken out of the per-token range),
                W . beta added back in fp32
  shift-gamma   (X - beta) / |gamma| quantized against W * |gamma|, W . beta added back
  qk-only       only Q and K of the LayerNorm-fed linears int8 (V and the FFN's first bf16)
  ffn-shift     only the FFN's first linear of them int8, with shift-gamma (Q/K/V bf16)
  qk+ffn-shift  Q, K int8 and the FFN's first with shift-gamma; V bf16
Per-tensor and per-token cost the same in the kernel (the range pass and the GEMM are
identical; per-tensor only folds the row ranges into one), so accuracy decides.
"""
import argparse
import os

import torch
from tokenizers import Tokenizer
from transformers import BertModel
from transformers.models.bert import modeling_bert

eager_fp32 = modeling_bert.eager_attention_forward

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


def hadamard(b):
    """The b x b Walsh-Hadamard matrix (Sylvester order), scaled to be orthonormal."""
    h = torch.ones(1, 1, dtype=torch.float64)
    while h.shape[0] < b:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return h / b ** 0.5


def rotate(t, b):
    """t's last dimension in blocks of b, each multiplied by hadamard(b): X H and W H keep
    X W^T = (X H)(W H)^T exact in real arithmetic and spread one channel's outlier over b."""
    return (t.reshape(*t.shape[:-1], t.shape[-1] // b, b) @ hadamard(b).to(t.dtype)).reshape(t.shape)


def make_forward(lin, kind, per_token, smooth=None, variant=None, shift=None):
    """variant (an int8 linear reading a LayerNorm, --norm-input-variants): ("group", G),
    ("outliers", C), ("weights-only",) or ("acts-only",). smooth: X / smooth and W * smooth
    per input channel; shift: X - shift quantized, W . shift added back in fp32."""
    w0 = lin.weight.detach().double()
    w = w0 * smooth if smooth is not None else w0
    rot = variant[1] if variant and variant[0] == "rotate" else None
    if rot:
        w = rotate(w, rot)
    qw, sw = q_weight(w)
    back = w0 @ shift if shift is not None else 0

    def forward(x):
        if shift is not None:
            x = x - shift
        if kind == "bf16":
            y = bf16(x) @ bf16(lin.weight).T
        elif variant and variant[0] == "weights-only":
            y = ((x.double() @ qw.T) * sw.T).float()
        elif variant and variant[0] == "group":
            y = ((dequant_groups(x.double(), variant[1]) @ qw.T) * sw.T).float()
        else:
            xd, extra = x.double(), 0
            if rot:
                xd = rotate(xd, rot)
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
            y = (y + back).float()
        return y + lin.bias if lin.bias is not None else y
    return forward


def bf16_attention(module, q, k, v, mask, scaling=None, dropout=0.0, **kw):
    """transformers' eager attention with bf16 products (bert.attention's i8 definition)."""
    scaling = scaling or q.size(-1) ** -0.5
    s = torch.matmul(bf16(q), bf16(k).transpose(2, 3)) * scaling
    if mask is not None:
        s = s + mask
    p = torch.softmax(s, dim=-1)
    return torch.matmul(bf16(p), bf16(v)).transpose(1, 2).contiguous(), p


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
    ap.add_argument("--attention", choices=("bf16", "fp32", "both"), default="bf16",
                    help="the attention products' precision (bf16: what --precision int8 runs)")
    ap.add_argument("--rotation-variants", action="store_true",
                    help="also rotate/B (the LayerNorm-fed linears' X and W in Hadamard blocks "
                    "of B) and rotate-all/B (every linear's)")
    a = ap.parse_args()
    texts = list(SENTENCES)
    if a.texts:
        texts += [t for t in open(a.texts, encoding="utf-8").read().splitlines() if t.strip()]
    tok = Tokenizer.from_file(os.path.join(a.model_dir, "tokenizer.json"))
    tok.enable_padding()
    tok.enable_truncation(256)
    enc = tok.encode_batch(texts)
    model = BertModel.from_pretrained(a.model_dir, add_pooling_layer=False,
                                      attn_implementation="eager").eval()
    ref = embed(model, enc)  # fp32, fp32 attention
    linears = {n: m for n, m in model.encoder.named_modules() if isinstance(m, torch.nn.Linear)}
    # bert-int8-norm-inputs' rule on BertModel: Q/K/V and the FFN's first linear read a
    # LayerNorm output; attention.output.dense and output.dense do not.
    reads_ln = ("attention.self.query", "attention.self.key", "attention.self.value",
                "intermediate.dense")
    print(f"{len(texts)} texts; sentence-embedding cosine against fp32")
    # The LayerNorm each LayerNorm-fed linear reads: the previous layer's output LayerNorm (the
    # embeddings' for layer 0) for Q/K/V, the attention's for the FFN.
    def norm_of(name):
        layer = int(name.split(".")[1])
        if name.endswith("intermediate.dense"):
            return model.encoder.layer[layer].attention.output.LayerNorm
        return model.embeddings.LayerNorm if layer == 0 else model.encoder.layer[layer - 1].output.LayerNorm

    def gamma_of(name):
        return norm_of(name).weight.detach().double().abs().clamp(min=1e-2)

    def beta_of(name):
        return norm_of(name).bias.detach().double()

    def column_max(name):  # over every linear reading the same LayerNorm output
        w = [m.weight for n, m in linears.items() if n.endswith(reads_ln) and norm_of(n) is norm_of(name)]
        return torch.stack([v.detach().double().abs().amax(0) for v in w]).amax(0)

    act_max = {}  # max |X| per input channel of each LayerNorm-fed linear (smooth-cal)
    if a.norm_input_variants:
        def record(mod, inp, out, n):
            v = inp[0].detach().abs().reshape(-1, inp[0].shape[-1]).amax(0).double()
            act_max[n] = torch.maximum(act_max.get(n, v), v)
        hooks = [m.register_forward_hook(lambda mod, i, o, n=n: record(mod, i, o, n))
                 for n, m in linears.items() if n.endswith(reads_ln)]
        embed(model, enc)
        for h in hooks:
            h.remove()

    def smoothing(name, a_max, alpha):
        return a_max.clamp(min=1e-5) ** alpha / column_max(name).clamp(min=1e-5) ** (1 - alpha)

    schemes = ["mixed/token", "mixed/tensor", "int8/token", "int8/tensor", "smooth/token"]
    variants = {}
    if a.norm_input_variants:
        variants = {f"group/{g}": ("group", g) for g in (128, 64, 32)}
        variants.update({f"outliers/{c}": ("outliers", c) for c in (1, 4, 16)})
        variants.update({"weights-only": ("weights-only",), "acts-only": ("acts-only",)})
        variants.update({f"smooth-est/{al}": ("smooth-est", al) for al in (0.5, 0.75)})
        variants.update({f"smooth-cal/{al}": ("smooth-cal", al) for al in (0.5, 0.75)})
        variants.update({v: (v,) for v in ("shift", "shift-gamma", "qk-only", "ffn-shift",
                                           "qk+ffn-shift")})
        schemes += list(variants)

    if a.rotation_variants:
        for b in (16, 32, 64, 128):
            variants[f"rotate/{b}"] = ("rotate", b)
            variants[f"rotate-all/{b}"] = ("rotate", b)
            schemes += [f"rotate/{b}", f"rotate-all/{b}"]

    def plan(scheme, n):
        """(kind, smooth, shift, variant) of linear n under the scheme."""
        which = scheme.split("/")[0]
        if which == "rotate-all":
            return "int8", None, None, variants[scheme]
        if not n.endswith(reads_ln):
            return "int8", None, None, None
        if which == "mixed":
            return "bf16", None, None, None
        if which == "smooth":
            return "int8", gamma_of(n), None, None
        v = variants.get(scheme)
        if not v:
            return "int8", None, None, None
        is_qk, is_ffn = n.endswith(reads_ln[:2]), n.endswith("intermediate.dense")
        if v[0] in ("qk-only", "ffn-shift", "qk+ffn-shift"):
            if is_qk and v[0] != "ffn-shift":
                return "int8", None, None, None
            if is_ffn and v[0] != "qk-only":
                return "int8", gamma_of(n), beta_of(n), None
            return "bf16", None, None, None
        if v[0] == "smooth-est":
            return "int8", smoothing(n, 4 * gamma_of(n) + beta_of(n).abs(), v[1]), None, None
        if v[0] == "smooth-cal":
            return "int8", smoothing(n, act_max[n], v[1]), None, None
        if v[0] == "shift":
            return "int8", None, beta_of(n), None
        if v[0] == "shift-gamma":
            return "int8", gamma_of(n), beta_of(n), None
        return "int8", None, None, v

    for attention in (("bf16", "fp32") if a.attention == "both" else (a.attention,)):
        modeling_bert.eager_attention_forward = (bf16_attention if attention == "bf16"
                                                 else eager_fp32)
        print(f" attention {attention}:")
        for scheme in schemes:
            gran = scheme.split("/")[1] if scheme not in variants else "token"
            for n, m in linears.items():
                kind, smooth, shift, variant = plan(scheme, n)
                m.forward = make_forward(m, kind, gran == "token", smooth, variant, shift)
            cos = (embed(model, enc) * ref).sum(-1)
            print(f"  {scheme:<13} min {cos.min().item():.5f}  mean {cos.mean().item():.5f}",
                  flush=True)
            for m in linears.values():
                del m.forward
    modeling_bert.eager_attention_forward = eager_fp32


if __name__ == "__main__":
    main()
