"""Table, JSON and chart of a bench run (used by bench.py; needs matplotlib only for the chart)."""
import json

PEERS = ("onnxruntime", "openvino", "pytorch")
SYSTEMS = ("bertc",) + PEERS
# The bf16 table (CPUs with AVX512-BF16 / AMX): bf16 weights and matmuls, fp32 accumulation.
BF16_PEERS = ("openvino-bf16", "pytorch-bf16")
BF16_SYSTEMS = ("bertc-bf16",) + BF16_PEERS
# bertc compiled with --no-prune-first-token: on task-head cases only, against the fp32 peers;
# the bertc row says how much faster the pruned library is.
HEAD_SYSTEMS = ("bertc-noprune",)
# The int8 table (every CPU): int8 weights per output channel, activations quantized per call.
# ONNX Runtime's quantize_dynamic (per-channel QInt8 weights, per-tensor uint8 activations) of
# the exported model; OpenVINO's NNCF post-training quantization (static int8 activations) of
# the same IR. Their rows add the smallest per-row cosine with transformers' output ('cos').
# bertc-int8: the default --int8-scheme hadamard (every linear int8, X and W rotated in Hadamard
# blocks before quantizing); bertc-int8-all: --int8-scheme all (every linear int8, no rotation:
# what the rotation costs, and what it buys in accuracy).
INT8_PEERS = ("onnxruntime-int8", "openvino-int8")
INT8_SYSTEMS = ("bertc-int8", "bertc-int8-all") + INT8_PEERS
ALL_SYSTEMS = SYSTEMS + HEAD_SYSTEMS + BF16_SYSTEMS + INT8_SYSTEMS
# Short column names of the outputs in the table (max|d| columns).
SHORT = {"last_hidden_state": "lhs", "pooler_output": "pool"}


def encoder_flops(cfg, batch, seq):
    """2*M*N*K for every linear of every encoder layer (Q, K, V, attention output, FFN up and
    down) plus attention's 4*B*S^2*H (Q.K^T and P.V). Embeddings, the pooler (one H x H linear
    per sequence, < 0.1% of a layer) and the element-wise ops are not counted. ALBERT's
    embedding projection is not counted either; a task head is counted as the full encoder
    (bert-prune-first-token's saving shows as a higher GFLOP/s). DistilBERT's names: dim,
    hidden_dim, n_layers. XLNet's (d_model, d_inner, n_layer) add its position keys, a linear
    of the 2S sinusoids per layer (2 * 2S * H^2, shared by the batch), and a second score term
    per pair (6*B*S^2*H in all; the segment term, two dot products per query, not counted)."""
    h = cfg.get("hidden_size") or cfg.get("d_model") or cfg["dim"]
    i = cfg.get("intermediate_size") or cfg.get("d_inner") or cfg["hidden_dim"]
    n = cfg.get("num_hidden_layers") or cfg.get("n_layer") or cfg["n_layers"]
    m = batch * seq
    per_layer = 2 * m * h * (4 * h) + 2 * m * h * i * 2 + 4 * batch * seq * seq * h
    if cfg.get("model_type") == "xlnet":
        per_layer += 2 * (2 * seq) * h * h + 2 * batch * seq * seq * h
    return n * per_layer


def annotate(cases, peak):
    """Adds seq/s, GFLOP/s, % of FMA peak and the ratio to the best peer to every ok row."""
    for c in cases:
        for t, rows in c["runs"].items():
            ok = {r["system"]: r for r in rows if r.get("status") == "ok"}
            best32 = min((ok[p]["median_ms"] for p in PEERS if p in ok), default=None)
            best16 = min((ok[p]["median_ms"] for p in BF16_PEERS if p in ok), default=None)
            best8 = min((ok[p]["median_ms"] for p in INT8_PEERS if p in ok), default=None)
            for r in ok.values():
                bf16 = r["system"] in BF16_SYSTEMS
                int8 = r["system"] in INT8_SYSTEMS
                best = best16 if bf16 else best8 if int8 else best32
                if bf16 or int8:  # how much faster than the best fp32 peer
                    r["speedup_vs_best_fp32_peer"] = (best32 / r["median_ms"]
                                                      if best32 else None)
                ms = r["median_ms"]
                r["seq_per_s"] = c["batch"] * 1e3 / ms
                r["gflops"] = c["flops"] / (ms * 1e-3) / 1e9
                pk = peak.get(str(t))
                r["pct_fma_peak"] = 100 * r["gflops"] / pk if pk else None
                r["vs_best_peer"] = ms / best if best else None
            if "bertc" in ok and "bertc-noprune" in ok:  # the pruning pass's speed-up
                ok["bertc"]["prune_speedup"] = (ok["bertc-noprune"]["median_ms"]
                                                / ok["bertc"]["median_ms"])


def _fmt(v, f):
    return "-" if v is None else format(v, f)


def _spread(r):
    """'  rounds 3%': the range of the rounds' medians over the reported median."""
    meds = r.get("round_medians_ms") or []
    if len(meds) < 2:
        return ""
    return f"  rounds {100 * (max(meds) - min(meds)) / r['median_ms']:.0f}%"


def table(meta, cases):
    """The text report: header, one block per case and thread count, then thread scaling."""
    L = []
    pk = meta["fma_peak_gflops"]
    L.append(f"# bertc benchmark  {meta['date']}  bertc {meta['git']}")
    L.append(f"# machine: {meta['cpu']}, {meta['cores']} cores; load avg (1/5/15 min) at start "
             f"{meta['load_start']}, at end {meta['load_end']}")
    L.append("# FMA peak (bench/halide_matmul/fma_peak.cpp, fp32; best of start and end, and at T "
             "threads at least T x the 1-thread peak): "
             + ", ".join(f"{t} thread{'s' if t != '1' else ''} {v:.1f} GFLOP/s"
                         for t, v in pk.items())
             + "; measured at start " + ", ".join(
                 f"{t}t {v:.1f}" for t, v in meta["fma_peak_start_gflops"].items())
             + ", at end " + ", ".join(
                 f"{t}t {v:.1f}" for t, v in meta["fma_peak_end_gflops"].items())
             + " (a lower figure means the machine was busy then)")
    L.append("# peers: " + "; ".join(f"{k} {v}" for k, v in meta["versions"].items()))
    L.append("# median / min of N timed calls after warm-up, each system in its own process, one "
             "after another, in interleaved rounds (the median is the median of the rounds' "
             "medians; 'rounds x%' = their range over that median); GFLOP/s counts the encoder's linears + attention; %peak is of the FMA "
             "peak at that thread count; 'vs best peer' = median / best peer's median (< 1: "
             "faster; the -bf16 rows against the best bf16 peer, and 'x fp32' = best fp32 "
             "peer's median / this median, the -int8 rows likewise against the best int8 peer; 'pruning x' on a head's bertc row = bertc-noprune's "
             "median / bertc's); max|diff| is against transformers (sdpa, fp32), "
             "for the -bf16 rows the bf16 error; load = 1-min load avg "
             "before->after (includes this benchmark's own threads), others = CPU share other "
             "processes used during the samples (+ steal).")
    for c in cases:
        # One max|d| column per output of the model (BertModel: lhs, pool; a head: logits).
        outs = c.get("outputs") or ["last_hidden_state", "pooler_output"]
        cols = [(n, f"max|d| {SHORT.get(n, n)}") for n in outs]
        hdr = (f"{'system':<16} {'median ms':>10} {'min ms':>9} {'N':>4} {'seq/s':>8} "
               f"{'GFLOP/s':>8} {'%peak':>6} {'vs best':>8} "
               + " ".join(f"{h:>{max(10, len(h))}}" for _, h in cols) + "  load / others")
        arch = f" ({c['architecture']})" if c.get("architecture") else ""
        for t in sorted(c["runs"], key=int, reverse=True):
            L.append("")
            L.append(f"== {c['name']}: {c['model']}{arch} batch {c['batch']} seq {c['seq']}, "
                     f"{t} thread{'s' if t != '1' else ''}, {c['flops'] / 1e9:.2f} GFLOP")
            L.append(hdr)
            for r in c["runs"][t]:
                if r.get("status") != "ok":
                    L.append(f"{r['system']:<16} FAILED: {r.get('error', '?')}"[:200])
                    continue
                d = r["max_abs_diff"]
                x32 = r.get("speedup_vs_best_fp32_peer")
                ps = r.get("prune_speedup")
                L.append(
                    f"{r['system']:<16} {r['median_ms']:>10.3f} {r['min_ms']:>9.3f} "
                    f"{r['reps']:>4} {r['seq_per_s']:>8.1f} {r['gflops']:>8.1f} "
                    f"{_fmt(r['pct_fma_peak'], '5.1f'):>6} {_fmt(r['vs_best_peer'], '.2f'):>8} "
                    + " ".join(f"{_fmt(d.get(n), '.2e'):>{max(10, len(h))}}" for n, h in cols)
                    + "  "
                    f"{r['load1_before']:.2f}->{r['load1_after']:.2f} / "
                    f"{r['others_cpu_pct']:.0f}%+{r['steal_pct']:.0f}%"
                    + _spread(r) + (f"  x fp32 {x32:.2f}" if x32 else "")
                    + (f"  pruning x{ps:.2f}" if ps else "")
                    + "".join(f"  cos {SHORT.get(n, n)} {v:.5f}"
                              for n, v in (r.get("min_cosine") or {}).items()
                              if v is not None and r["system"] in INT8_SYSTEMS))
    scal = [c for c in cases if {"1", "2"} <= set(c["runs"])]
    if scal:
        L.append("")
        L.append("== thread scaling: median ms at 1 and 2 threads, speedup = t1 / t2")
        L.append(f"{'case':<14} {'system':<12} {'1 thread':>10} {'2 threads':>10} {'speedup':>8}"
                 f"  load t1 / t2")
        for c in scal:
            one = {r["system"]: r for r in c["runs"]["1"] if r.get("status") == "ok"}
            two = {r["system"]: r for r in c["runs"]["2"] if r.get("status") == "ok"}
            for s in SYSTEMS:
                if s in one and s in two:
                    a, b = one[s], two[s]
                    L.append(f"{c['name']:<14} {s:<12} {a['median_ms']:>10.3f} "
                             f"{b['median_ms']:>10.3f} {a['median_ms'] / b['median_ms']:>8.2f}"
                             f"  {a['load1_before']:.2f} / {b['load1_before']:.2f}")
    return "\n".join(L)


def write_json(path, meta, cases):
    with open(path, "w") as f:
        json.dump({"meta": meta, "cases": cases}, f, indent=1)


def chart(path, meta, cases):
    """Grouped bars: median latency (log scale) per case, one bar per system, min as a tick;
    one panel (row) per thread count."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    threads = sorted({t for c in cases for t in c["runs"]}, key=int, reverse=True)
    colors = {"bertc": "#d62728", "onnxruntime": "#1f77b4", "openvino": "#9467bd",
              "pytorch": "#ff7f0e", "bertc-noprune": "#e377c2", "bertc-bf16": "#ff9896", "openvino-bf16": "#c5b0d5",
              "pytorch-bf16": "#ffbb78", "bertc-int8": "#8c564b", "bertc-int8-all": "#c49c94",
              "onnxruntime-int8": "#aec7e8", "openvino-int8": "#9467bd"}
    fig, axes = plt.subplots(len(threads), 1, figsize=(2.5 + 2.0 * len(cases), 3.8 * len(threads)),
                             squeeze=False, sharey=True)
    present = {r["system"] for c in cases for rows in c["runs"].values() for r in rows}
    systems = [s for s in ALL_SYSTEMS if s in present]
    w = 0.8 / len(systems)
    for ax, t in zip(axes[:, 0], threads):
        for k, s in enumerate(systems):
            xs, med, mins = [], [], []
            for i, c in enumerate(cases):
                r = next((r for r in c["runs"].get(t, []) if r["system"] == s
                          and r.get("status") == "ok"), None)
                if r:
                    xs.append(i + (k - (len(systems) - 1) / 2) * w)
                    med.append(r["median_ms"])
                    mins.append(r["min_ms"])
            bars = ax.bar(xs, med, w, label=s, color=colors[s])
            ax.scatter(xs, mins, marker="_", color="black", s=60, zorder=3)
            for bar, v in zip(bars, med):
                ax.annotate(f"{v:.0f}" if v >= 100 else f"{v:.3g}", (bar.get_x() + bar.get_width() / 2, v),
                            ha="center", va="bottom", fontsize=7, rotation=90,
                            xytext=(0, 2), textcoords="offset points")
        ax.set_yscale("log")
        ax.set_xticks(range(len(cases)))
        ax.set_xticklabels([f"{c['model']}\nb{c['batch']} s{c['seq']}" for c in cases],
                           fontsize=8)
        loads = [r["load1_before"] for c in cases for r in c["runs"].get(t, [])
                 if r.get("status") == "ok"]
        ax.set_title(f"{t} thread{'s' if t != '1' else ''} (load {min(loads, default=0):.1f}"
                     f"-{max(loads, default=0):.1f})", fontsize=10)
        ax.set_ylabel("median latency, ms (log; tick = min)")
        ax.margins(y=0.25)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"bertc vs peers, CPU (fp32; -bf16: bf16 matmuls) — {meta['cpu']}, "
                 f"{meta['date']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
