"""Records a benchmark run in the repository: bench/results/<date>-<cpu>-<N>c.json.

    python3 bench/record.py --build-dir build --command "make bench-record ..." [--note TEXT]

Run by `make bench-record` right after `make bench` (BENCH_FLAGS pass through), so recording a
run is one line. It reads BUILD/bench/results.json and writes the same cases without the per-call
samples (the medians, minima, round medians, load and "others" noise figures stay), plus an
"about" block: when, on what CPU and how many cores, at which commit, at which thread counts,
the exact command, how busy the machine was, and the note. The guide (docs/guide/gen.py) draws
section 13 from the newest such file when the build has no results.json of its own, and says
which run it shows. Standard library only.
"""
import argparse
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=str(ROOT / "build"))
    ap.add_argument("--command", required=True, help="the command line that made the run, recorded as is")
    ap.add_argument("--note", default="", help="what a reader should know about the machine or the run")
    ap.add_argument("--out-dir", default=str(ROOT / "bench/results"))
    a = ap.parse_args()
    src = Path(a.build_dir) / "bench/results.json"
    if not src.exists():
        sys.exit(f"bench/record: {src} does not exist: run `make bench` first (or `make bench-record`)")
    data = json.loads(src.read_text())
    if "meta" not in data or "cases" not in data:
        sys.exit(f"bench/record: {src}: expected the keys 'meta' and 'cases' that bench/report.py writes")
    meta, cases = data["meta"], data["cases"]
    rows = [r for c in cases for runs in c["runs"].values() for r in runs]
    for r in rows:
        r.pop("samples_ms", None)  # every call's time: large, and the medians are what is read
    others = [r["others_cpu_pct"] for r in rows if "others_cpu_pct" in r]
    about = {
        "date": meta["date"], "cpu": meta["cpu"], "cpu_class": meta.get("cpu_class"),
        "cores": meta["cores"], "commit": meta["git"],
        "threads": sorted({int(t) for c in cases for t in c["runs"]}, reverse=True),
        "cases": [c["name"] for c in cases], "command": a.command,
        "load_average": {"start": meta.get("load_start"), "end": meta.get("load_end")},
        "others_cpu_pct_median": round(statistics.median(others), 1) if others else None,
        "fma_peak_gflops": meta.get("fma_peak_gflops"), "wall_s": meta.get("wall_s"),
        "note": a.note,
    }
    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{meta['date'][:10]}-{slug(meta['cpu'])}-{meta['cores']}c.json"
    path.write_text(json.dumps({"about": about, "meta": meta, "cases": cases}, indent=1) + "\n")
    print(f"bench/record: wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
          f"({len(cases)} cases, {len(rows)} rows)")


if __name__ == "__main__":
    main()
