"""The per-class table: bertc against its best peer on every CPU class a run was recorded on.

    python3 bench/classes.py [RUN.json ...] [--out FILE]

Without arguments it reads every run recorded in bench/results/ (make bench-record) and, when
there, build/bench/results.json (the last make bench). A run's class is the one bertc put the
machine in (`bert.core`'s target_class in the planned IR, which bench.py records as
meta.cpu_class: x86-64-amx, x86-64-avx512-bf16, x86-64-avx512-bf16-2fma, ...), the key its
schedule caches go under, so Zen 4 and Zen 5 (same features, one or two 512-bit FMA pipes)
are told apart where the CPU's name ("AMD EPYC") does not. Runs recorded before the class was
recorded show as "unrecorded" with their CPU name.

For every class, case and thread count the newest run that has the row wins; each cell is
bertc's median over the best peer's in the same run and table (fp32 against ONNX Runtime,
OpenVINO and PyTorch; bf16 against their bf16 rows; int8 against ONNX Runtime's and
OpenVINO's int8), below 1.00 where bertc is faster, with the peer named. Standard library only.
"""
import argparse
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import report  # noqa: E402

# (column, bertc's system, the peers it is measured against)
TABLES = (("fp32", "bertc", report.PEERS),
          ("bf16", "bertc-bf16", report.BF16_PEERS),
          ("int8", "bertc-int8", report.INT8_PEERS),
          ("int8-all", "bertc-int8-all", report.INT8_PEERS))


def run_class(meta):
    cls = meta.get("cpu_class")
    return cls if cls else f"unrecorded ({meta.get('cpu', '?')})"


def cells(run):
    """{(class, case, threads): {table: (ratio, best peer, bertc ms, peer ms)}} of one run."""
    meta, out = run["meta"], {}
    for c in run["cases"]:
        for t, rows in c["runs"].items():
            ok = {r["system"]: r["median_ms"] for r in rows if r.get("status") == "ok"}
            for table, ours, peers in TABLES:
                have = [(ok[p], p) for p in peers if p in ok]
                if ours in ok and have:
                    ms, peer = min(have)
                    key = (run_class(meta), c["name"], int(t))
                    out.setdefault(key, {})[table] = (ok[ours] / ms, peer, ok[ours], ms)
    return out


def load(paths):
    runs = []
    for p in paths:
        try:
            data = json.load(open(p))
        except (OSError, ValueError) as e:
            sys.exit(f"bench/classes: {p}: {e}")
        if "meta" not in data or "cases" not in data:
            sys.exit(f"bench/classes: {p}: expected the keys 'meta' and 'cases' of a bench run")
        runs.append(data)
    return sorted(runs, key=lambda r: r["meta"].get("date", ""))


def table(runs):
    """Markdown: one row per (class, case, threads), one column per table."""
    newest, where = {}, {}
    for run in runs:  # oldest first, so a newer run's cell replaces an older one's
        for key, by_table in cells(run).items():
            for name, cell in by_table.items():
                newest.setdefault(key, {})[name] = cell
                where.setdefault(key, {})[name] = (run["meta"].get("date", "?")[:10],
                                                   run["meta"].get("git", "?"))
    names = [t[0] for t in TABLES if any(t[0] in v for v in newest.values())]
    L = ["| class | case | threads | " + " | ".join(f"{n}: bertc / best peer" for n in names)
         + " | run (date, commit) |",
         "|---|---|---|" + "---|" * len(names) + "---|"]
    for key in sorted(newest):
        cls, case, t = key
        row = []
        for n in names:
            cell = newest[key].get(n)
            row.append("-" if not cell else
                       f"{cell[0]:.2f} ({cell[2]:.1f} vs {cell[1]} {cell[3]:.1f} ms)")
        runs_of = sorted(set(where[key].values()))
        L.append(f"| {cls} | {case} | {t} | " + " | ".join(row) + " | "
                 + "; ".join(f"{d} {g}" for d, g in runs_of) + " |")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="*", help="bench runs (default: bench/results/*.json and "
                    "build/bench/results.json when there)")
    ap.add_argument("--out", help="also write the table to this file")
    a = ap.parse_args()
    paths = a.runs or sorted(glob.glob(os.path.join(ROOT, "bench/results/*.json")))
    if not a.runs and os.path.exists(os.path.join(ROOT, "build/bench/results.json")):
        paths.append(os.path.join(ROOT, "build/bench/results.json"))
    if not paths:
        sys.exit("bench/classes: no runs: run make bench (or pass result files)")
    text = table(load(paths))
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
