#!/usr/bin/env python3
"""Fits the polynomials of the erf GELU epilogue (detail::activate, Gelu, in
compiler/backend/cpu/kernels/HalideCommon.cpp) and prints them as C++.

GELU(x) = max(x, 0) - t q(t) with t = |x| and q(t) = Phi(-t) = erfc(t/sqrt2)/2.
q is fitted on each piece [lo, hi] by a polynomial of degree DEG in
s = t - mid (mid = the piece's midpoint, rounded to float): a weighted minimax
fit by Lawson's algorithm (iteratively reweighted least squares, C. L. Lawson,
1961) on a Chebyshev basis, then expanded into monomials of s and rounded to
float. The weight is t / max(1, t): the tolerance is on GELU's error over
max(1, |x|), and GELU's error is t times q's. Needs numpy and scipy (the bench
venv has both):  build/bench-venv/bin/python scripts/fit-gelu.py
"""
import numpy as np
from numpy.polynomial import chebyshev as cheb
from numpy.polynomial import polynomial as poly
from scipy.special import ndtr

DEG = 9
PIECES = [(0.0, 2.4), (2.4, 5.3)]  # past 5.3, q < 5.8e-8: GELU is max(x, 0)


def lawson(t, f, w, lo, hi, iters=300):
    """Chebyshev coefficients (in s on [-1, 1]) of the weighted minimax fit."""
    a = cheb.chebvander((2 * t - (lo + hi)) / (hi - lo), DEG)
    lam = np.full(t.shape, 1.0 / len(t))
    best = None
    for _ in range(iters):
        sw = np.sqrt(lam) * w
        c = np.linalg.lstsq(a * sw[:, None], f * sw, rcond=None)[0]
        e = np.abs(a @ c - f) * w
        if best is None or e.max() < best[1]:
            best = (c, e.max())
        lam = lam * (e + 1e-300)
        lam /= lam.sum()
    return best[0]


def fit_piece(lo, hi):
    mid = float(np.float32((lo + hi) / 2))
    t = np.linspace(lo, hi, 4000)
    w = np.maximum(t, 1e-3) / np.maximum(1.0, t)
    c = lawson(t, ndtr(-t), w, lo, hi)
    # s' = (2t - lo - hi) / (hi - lo) = (2 / (hi - lo)) (s + mid - (lo + hi) / 2)
    k = 2 / (hi - lo)
    lin = np.array([k * (mid - (lo + hi) / 2), k])
    m, pw = np.zeros(1), np.ones(1)
    for ck in cheb.cheb2poly(c):
        m = poly.polyadd(m, ck * pw)
        pw = poly.polymul(pw, lin)
    return np.float32(mid), m.astype(np.float32)  # m: lowest order first


def horner32(m, s):
    """Horner in float32 with fused multiply-adds (exact product in double)."""
    r = np.full(s.shape, m[-1], np.float32)
    for ck in m[-2::-1]:
        r = (r.astype(np.float64) * s + np.float64(ck)).astype(np.float32)
    return r


def main():
    for lo, hi in PIECES:
        mid, m = fit_piece(lo, hi)
        t = np.linspace(lo, hi, 200001).astype(np.float32)
        q = horner32(m, (t - mid).astype(np.float32)).astype(np.float64)
        t64 = t.astype(np.float64)
        err = np.abs(q - ndtr(-t64)) * t64 / np.maximum(1.0, t64)
        print(f"// [{lo}, {hi}]: mid {float(mid)!r}, max t|dq|/max(1,t) {err.max():.2e}")
        print("{" + ", ".join(f"{float(v):.9g}f" for v in m[::-1]) + "},")


if __name__ == "__main__":
    main()
