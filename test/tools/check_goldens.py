#!/usr/bin/env python3
"""Compare a bertc run's outputs against a golden case. Needs nothing but NumPy.

    check_goldens.py --golden DIR --actual DIR [--tol 1e-4]

DIR (golden) holds attention_mask.npy, last_hidden_state.npy [B,S,H], pooler_output.npy [B,H]
(see test/tools/make_goldens.py). The --actual DIR must hold last_hidden_state.npy and
pooler_output.npy of the same shapes (float32 or float64). last_hidden_state is compared only where
attention_mask == 1 (padded positions are unspecified); pooler_output everywhere (skipped when the
golden has no pooler_output.npy, i.e. a checkpoint without pooler weights).

Prints the max abs error per output and exits 0 when every output is within --tol, 1 when one is
not (or is NaN/Inf), 2 on a missing, unreadable or mis-shaped file (the message names the file).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

OUTPUTS = ("last_hidden_state", "pooler_output")


class BadFile(Exception):
    pass


def load(d: str, name: str) -> np.ndarray:
    path = os.path.join(d, name + ".npy")
    if not os.path.isfile(path):
        raise BadFile(f"missing file: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001
        raise BadFile(f"cannot read {path}: {e}") from e


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--actual", required=True)
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()

    try:
        mask = load(a.golden, "attention_mask")
        if mask.ndim != 2:
            raise BadFile(f"{os.path.join(a.golden, 'attention_mask.npy')}: expected [B,S], got {mask.shape}")
        B, S = mask.shape
        want_shapes = {"last_hidden_state": (B, S, None), "pooler_output": (B, None)}
        pairs = {}
        for name in OUTPUTS:
            if name == "pooler_output" and not os.path.exists(os.path.join(a.golden, name + ".npy")):
                print("check_goldens: pooler_output: golden has none (model without pooler): skipped")
                continue
            g, x = load(a.golden, name), load(a.actual, name)
            exp = want_shapes[name]
            gp = os.path.join(a.golden, name + ".npy")
            xp = os.path.join(a.actual, name + ".npy")
            if g.ndim != len(exp) or any(e is not None and e != s for e, s in zip(exp, g.shape)):
                raise BadFile(f"{gp}: shape {g.shape} does not fit attention_mask {mask.shape}")
            if x.shape != g.shape:
                raise BadFile(f"{xp}: shape {x.shape}, expected {g.shape} (as {gp})")
            if not np.issubdtype(x.dtype, np.floating):
                raise BadFile(f"{xp}: dtype {x.dtype}, expected a float type")
            pairs[name] = (g.astype(np.float64), x.astype(np.float64))
    except BadFile as e:
        print(f"check_goldens: ERROR: {e}", file=sys.stderr)
        return 2

    valid = mask.astype(bool)
    ok = True
    for name in OUTPUTS:
        if name not in pairs:
            continue
        g, x = pairs[name]
        if name == "last_hidden_state":
            g, x = g[valid], x[valid]  # [n_valid, H]
        if not np.isfinite(x).all():
            print(f"check_goldens: {name}: FAIL: actual has NaN/Inf ({np.count_nonzero(~np.isfinite(x))} values)")
            ok = False
            continue
        err = np.abs(g - x)
        mx = float(err.max()) if err.size else 0.0
        where = ""
        if err.size and mx > a.tol:
            idx = np.unravel_index(int(err.argmax()), err.shape)
            where = f" at {tuple(int(i) for i in idx)}" + (" (of valid tokens)" if name == "last_hidden_state" else "")
        status = "ok" if mx <= a.tol else "FAIL"
        print(f"check_goldens: {name}: max abs err {mx:.3e} (tol {a.tol:.0e}, {err.size} values){where}: {status}")
        ok &= mx <= a.tol
    print(f"check_goldens: {'PASS' if ok else 'FAIL'} {a.golden}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
