"""Drives bench/report.py's annotate() and table() on a made-up int8 case (bench-int8-table.test),
and bench/systems.py's min_cosine on known rows."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(sys.argv[1], "bench"))
import report  # noqa: E402
import systems  # noqa: E402

ref = np.array([[1.0, 0.0], [0.0, 2.0]], np.float32)
got = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32)  # row 1 at 45 degrees
print(f"min_cosine {systems.min_cosine(got, ref):.5f}")


def row(system, ms, cos):
    return {"system": system, "status": "ok", "median_ms": ms, "min_ms": ms, "reps": 5,
            "max_abs_diff": {"pooler_output": 0.01}, "min_cosine": {"pooler_output": cos},
            "load1_before": 1.0, "load1_after": 1.0, "others_cpu_pct": 0, "steal_pct": 0}


case = {"name": "c", "model": "m", "batch": 1, "seq": 8, "flops": 1e9,
        "outputs": ["pooler_output"],
        "runs": {"2": [row("bertc-int8", 8.0, 0.9999), row("bertc-int8-all", 6.0, 0.999),
                       row("onnxruntime-int8", 20.0, 0.99),
                       row("openvino-int8", 10.0, 0.995)]}}
meta = {"fma_peak_gflops": {}, "date": "d", "git": "g", "cpu": "cpu", "cores": 2,
        "load_start": [], "load_end": [], "fma_peak_start_gflops": {},
        "fma_peak_end_gflops": {}, "versions": {}}
report.annotate([case], {})
print(report.table(meta, [case]))
