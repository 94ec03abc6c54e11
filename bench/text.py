"""Text -> sentence embedding latency for all-MiniLM-L6-v2: bertc against sentence-transformers
on PyTorch and on ONNX Runtime, same machine, same run (`make bench-text`).

    VENV/bin/python bench/text.py --build-dir build [--threads 2] [--rounds 5] [--runs 20]

What is timed, per call, for each system: the texts to L2-normalized mean-pooled embeddings,
tokenization included (batch 1: one short sentence; batch 32: 32 sentences of 6 to 40 words).
  bertc        examples/embed_text.c (embed-text ... bench): berttok, the library bertc compiled
               from the model directory (--max-batch 32 --max-seq 256), pooling, all in C;
  st-torch     SentenceTransformer(DIR).encode(texts) (fp32, CPU, torch.set_num_threads);
  onnxruntime  the Transformer exported with torch.onnx.export (opset 17, dynamic axes) into
               BUILD/bench/text/, run by onnxruntime (all graph optimizations, intra-op threads)
               after Hugging Face tokenizers' encode_batch (padding to the longest, truncation
               256); mean pooling and normalization in NumPy (optimum-free).
Each system runs in a process of its own per round (a warm-up call, then --runs timed calls);
the rounds interleave the systems, and the table gives the median over all timed calls, with the
spread of the round medians. Every system's embeddings are compared with sentence-transformers'
(max abs). Writes BUILD/bench/text.json and text.txt. Nothing is asserted on time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NAME = "all_minilm_l6_v2"
SHORT = "A man is playing a guitar."
WORDS = ("the model turns every sentence into one vector so that texts with the same meaning "
         "end up close together while unrelated texts stay far apart in the space").split()


def batch_texts(n: int) -> list[str]:
    """n sentences of 6 to 40 words, deterministic."""
    out = []
    for i in range(n):
        k = 6 + (i * 7) % 35
        out.append(" ".join(WORDS[(i + j * 3) % len(WORDS)] for j in range(k)).capitalize() + ".")
    return out


# ---------------------------------------------------------------------------------------------
# Workers: one system, one batch, in a process of their own; print one JSON line.
# ---------------------------------------------------------------------------------------------

def timed(fn, runs: int) -> list[float]:
    fn()  # warm-up
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
    return ms


def worker(a) -> dict:
    import numpy as np
    texts = [l.rstrip("\n") for l in open(a.texts, encoding="utf-8")]
    if a.worker == "st-torch":
        import torch
        from sentence_transformers import SentenceTransformer
        torch.set_num_threads(a.threads)
        model = SentenceTransformer(a.model_dir, device="cpu")

        def fn():
            with torch.inference_mode():
                return model.encode(texts, batch_size=len(texts), convert_to_numpy=True)
    elif a.worker == "onnxruntime":
        import onnxruntime as ort
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(os.path.join(a.model_dir, "tokenizer.json"))
        tok.enable_truncation(256)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest of the batch
        so = ort.SessionOptions()
        so.intra_op_num_threads = a.threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])

        def fn():
            enc = tok.encode_batch(texts)
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            types = np.array([e.type_ids for e in enc], dtype=np.int64)
            h = sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask,
                                                 "token_type_ids": types})[0]
            m = mask[..., None].astype(np.float32)
            e = (h * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            return e / np.clip(np.linalg.norm(e, axis=1, keepdims=True), 1e-12, None)
    else:
        raise SystemExit(f"unknown worker {a.worker}")
    ms = timed(fn, a.runs)
    if a.emb_out:
        np.save(a.emb_out, np.asarray(fn(), dtype=np.float32))
    return {"times_ms": ms}


# ---------------------------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------------------------

def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def export_onnx(model_dir: str, path: str) -> None:
    import torch
    from transformers import AutoModel
    model = AutoModel.from_pretrained(model_dir).eval()

    class Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    x = torch.ones(2, 8, dtype=torch.int64)
    dyn = {n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids")}
    dyn["last_hidden_state"] = {0: "batch", 1: "seq"}
    torch.onnx.export(Hidden(model), (x, x, torch.zeros_like(x)), path, dynamo=False,
                      opset_version=17, input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["last_hidden_state"], dynamic_axes=dyn)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--model-dir", help="default: test/tools/install-minilm.sh into this venv")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--texts", help=argparse.SUPPRESS)
    ap.add_argument("--onnx", help=argparse.SUPPRESS)
    ap.add_argument("--emb-out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a)))
        return 0

    import numpy as np
    work = os.path.abspath(os.path.join(a.build_dir, "bench", "text"))
    os.makedirs(work, exist_ok=True)
    venv = os.path.dirname(os.path.dirname(sys.executable))
    model_dir = a.model_dir or sh([os.path.join(ROOT, "test/tools/install-minilm.sh"), venv]).stdout.strip()
    bin_dir = os.path.join(a.build_dir, "bin")
    print(f"bench-text: model {model_dir}", flush=True)
    sh([os.path.join(bin_dir, "bertc"), "compile", model_dir, "--name", NAME, "--max-batch", "32",
        "--max-seq", "256", "-o", os.path.join(work, "lib") + "/"])
    lib = os.path.join(work, "lib", f"lib{NAME}.so")
    onnx_path = os.path.join(work, "minilm.onnx")
    if not os.path.exists(onnx_path):
        print("bench-text: exporting the Transformer to ONNX", flush=True)
        export_onnx(model_dir, onnx_path)
    batches = {1: [SHORT], 32: batch_texts(32)}
    files = {}
    for b, texts in batches.items():
        files[b] = os.path.join(work, f"texts-b{b}.txt")
        with open(files[b], "w", encoding="utf-8") as f:
            f.write("\n".join(texts) + "\n")

    def run_system(system: str, b: int, emb_out: str | None = None) -> list[float]:
        if system == "bertc":
            out = sh([os.path.join(bin_dir, "embed-text"), lib, os.path.join(model_dir, "model.safetensors"),
                      "--threads", str(a.threads), "bench", str(a.runs), "@" + files[b]]).stdout
            return json.loads(out)["times_ms"]
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", system, "--model-dir", model_dir,
               "--texts", files[b], "--onnx", onnx_path, "--threads", str(a.threads), "--runs", str(a.runs)]
        if emb_out:
            cmd += ["--emb-out", emb_out]
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_PROGRESS_BARS="1")
        return json.loads(sh(cmd, env=env).stdout.strip().splitlines()[-1])["times_ms"]

    systems = ["bertc", "st-torch", "onnxruntime"]
    # Agreement first: every system's embeddings of the batch-32 texts against sentence-transformers'.
    embs = {}
    for s in ("st-torch", "onnxruntime"):
        p = os.path.join(work, f"emb-{s}.npy")
        run_system(s, 32, p)
        embs[s] = np.load(p)
    bertc_out = os.path.join(work, "bertc-out")
    sh([os.path.join(bin_dir, "bert-run"), lib, os.path.join(model_dir, "model.safetensors"),
        "--texts", files[32], "--out-dir", bertc_out])
    embs["bertc"] = np.load(os.path.join(bertc_out, "sentence_embedding.npy"))
    agree = {s: float(np.abs(embs[s].astype(np.float64) - embs["st-torch"]).max()) for s in systems}

    samples = {(s, b): [] for s in systems for b in batches}
    round_medians = {(s, b): [] for s in systems for b in batches}
    for r in range(a.rounds):
        for b in batches:
            order = systems[r % len(systems):] + systems[:r % len(systems)]
            for s in order:
                ms = run_system(s, b)
                samples[(s, b)] += ms
                round_medians[(s, b)].append(statistics.median(ms))
        print(f"bench-text: round {r + 1}/{a.rounds} done", flush=True)

    import onnxruntime
    import sentence_transformers
    import torch
    rows = []
    for b in batches:
        best_peer = min(statistics.median(samples[(s, b)]) for s in systems if s != "bertc")
        for s in systems:
            med = statistics.median(samples[(s, b)])
            rows.append({"system": s, "batch": b, "median_ms": med,
                         "round_medians_ms": round_medians[(s, b)], "min_ms": min(samples[(s, b)]),
                         "vs_best_peer": med / best_peer if s == "bertc" else None,
                         "max_abs_vs_st": agree[s]})
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpu": platform.processor() or platform.machine(),
              "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                                 if l.startswith("model name")), "?"),
              "threads": a.threads, "rounds": a.rounds, "runs_per_round": a.runs,
              "texts": {str(b): t for b, t in batches.items()},
              "versions": {"sentence_transformers": sentence_transformers.__version__,
                           "torch": torch.__version__, "onnxruntime": onnxruntime.__version__},
              "rows": rows}
    lines = [f"text -> embedding, all-MiniLM-L6-v2, {a.threads} threads, {result['cpu_model']}, "
             f"{a.rounds} interleaved rounds x {a.runs} calls, median ms (round medians min-max)",
             f"{'batch':>5}  {'system':<12} {'median':>9}  {'rounds':>17}  {'max abs vs ST':>13}"]
    for row in rows:
        rm = row["round_medians_ms"]
        lines.append(f"{row['batch']:>5}  {row['system']:<12} {row['median_ms']:>9.2f}  "
                     f"{min(rm):>8.2f}-{max(rm):<8.2f}  {row['max_abs_vs_st']:>13.1e}")
    for b in batches:
        bertc = next(r for r in rows if r["system"] == "bertc" and r["batch"] == b)
        lines.append(f"batch {b}: bertc / best peer = {bertc['vs_best_peer']:.2f}")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(a.build_dir, "bench", "text.json"), "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.join(a.build_dir, "bench", "text.txt"), "w") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
