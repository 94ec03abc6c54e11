"""cuBLASLt on the device, for scripts/gpu/check.py (issue 17, part 2).

library_path(): the libcublasLt torch loaded (bert-run of a --cuda-gemm=cublaslt library finds it
through $BERT_LIBCUBLASLT).

probe(): which GELU cuBLASLt's GELU_BIAS epilogue computes. bertc's linears run HF's `gelu`, the
erf form; the tanh approximation differs from it by up to about 5e-4, so the library uses the BIAS
epilogue and its own GELU kernel until this probe has shown the form on the device. One fp32
matmul (fp32 compute: no operand rounding) with a pre-activation spread over [-6, 6], through the
same calls and constants as the generated host code (runtime/include/bert_cublaslt_driver.h),
compared with the float64 erf and tanh forms; plus the BIAS epilogue alone (fp32 and bf16
operands) against its reference, which checks the layouts the library uses.
"""
from __future__ import annotations

import ctypes as C
import glob
import os
import sys

# cublasLt.h (CUDA 13.0, cuBLAS 13.1), as bert_cublaslt_driver.h spells them.
COMPUTE_32F, R_32F, R_16BF = 68, 0, 14
OP_N, OP_T = 0, 1
DESC_TRANSA, DESC_TRANSB, DESC_EPILOGUE, DESC_BIAS_POINTER, DESC_BIAS_DATA_TYPE = 3, 4, 7, 8, 26
EPILOGUE_BIAS, EPILOGUE_GELU_BIAS = 4, 36
PREF_MAX_WORKSPACE_BYTES = 1
WORKSPACE = 32 << 20


def library_path() -> str | None:
    """The libcublasLt.so this process loaded through torch, else one under sys.path."""
    import torch
    a = torch.ones(8, 8, device="cuda")
    (a @ a).sum().item()  # cuBLAS(Lt) loaded now
    with open("/proc/self/maps") as f:
        for line in f:
            if "libcublasLt.so" in line:
                return line.split()[-1]
    for d in sys.path:
        hits = sorted(glob.glob(os.path.join(d, "nvidia", "*", "lib", "libcublasLt.so*")))
        if hits:
            return hits[-1]
    return None


class Lt:
    def __init__(self, path: str):
        self.lib = C.CDLL(path)
        self.handle = C.c_void_p()
        self.check("cublasLtCreate", C.byref(self.handle))

    def check(self, name: str, *args) -> None:
        rc = getattr(self.lib, name)(*args)
        if rc != 0:
            text = self.lib.cublasLtGetStatusString
            text.restype = C.c_char_p
            raise RuntimeError(f"{name}: status {rc} ({text(rc).decode()})")

    def matmul(self, x, w, b, epilogue: int, dtype: int):
        """Y [M, N] = epilogue(X [M, K] W [N, K]^T + b) as the generated host code computes it:
        D (N x M) = op(A) B with A = W (column-major K x N, transposed), B = X (K x M)."""
        import torch
        M, K = x.shape
        N = w.shape[0]
        y = torch.empty(M, N, device="cuda", dtype=torch.float32)
        ws = torch.empty(WORKSPACE, device="cuda", dtype=torch.uint8)
        desc, pref = C.c_void_p(), C.c_void_p()
        lay = [C.c_void_p() for _ in range(3)]
        self.check("cublasLtMatmulDescCreate", C.byref(desc), COMPUTE_32F, R_32F)
        for attr, value in ((DESC_TRANSA, C.c_int32(OP_T)), (DESC_TRANSB, C.c_int32(OP_N)),
                            (DESC_EPILOGUE, C.c_uint32(epilogue)),
                            (DESC_BIAS_POINTER, C.c_void_p(b.data_ptr())),
                            (DESC_BIAS_DATA_TYPE, C.c_int32(R_32F))):
            self.check("cublasLtMatmulDescSetAttribute", desc, attr, C.byref(value), C.sizeof(value))
        for l, (t, r, c, ld) in zip(lay, ((dtype, K, N, K), (dtype, K, M, K), (R_32F, N, M, N))):
            self.check("cublasLtMatrixLayoutCreate", C.byref(l), t, C.c_uint64(r), C.c_uint64(c),
                       C.c_int64(ld))
        self.check("cublasLtMatmulPreferenceCreate", C.byref(pref))
        wsb = C.c_uint64(WORKSPACE)
        self.check("cublasLtMatmulPreferenceSetAttribute", pref, PREF_MAX_WORKSPACE_BYTES,
                   C.byref(wsb), C.sizeof(wsb))
        heur = (C.c_uint8 * 256)()  # cublasLtMatmulHeuristicResult_t (algo first), with room
        count = C.c_int()
        self.check("cublasLtMatmulAlgoGetHeuristic", self.handle, desc, lay[0], lay[1], lay[2],
                   lay[2], pref, 1, heur, C.byref(count))
        if count.value < 1:
            raise RuntimeError("cublasLtMatmulAlgoGetHeuristic: no algorithm")
        one, zero = C.c_float(1.0), C.c_float(0.0)
        stream = C.c_void_p(torch.cuda.current_stream().cuda_stream)
        ptr = lambda t: C.c_void_p(t.data_ptr())
        self.check("cublasLtMatmul", self.handle, desc, C.byref(one), ptr(w), lay[0], ptr(x), lay[1],
                   C.byref(zero), ptr(y), lay[2], ptr(y), lay[2], heur, ptr(ws),
                   C.c_size_t(WORKSPACE), stream)
        torch.cuda.synchronize()
        for l in lay:
            self.lib.cublasLtMatrixLayoutDestroy(l)
        self.lib.cublasLtMatmulPreferenceDestroy(pref)
        self.lib.cublasLtMatmulDescDestroy(desc)
        return y.double().cpu()


def probe(path: str | None) -> list[dict]:
    if not path:
        return [{"model": "cublaslt", "status": "ERROR: no libcublasLt.so found"}]
    import torch
    g = torch.Generator().manual_seed(0)
    M, N, K = 256, 256, 256
    x = torch.randn(M, K, generator=g)
    w = torch.randn(N, K, generator=g) * (2.0 / K ** 0.5)  # pre-activations of std 2
    b = torch.randn(N, generator=g)
    pre = x.double() @ w.double().T + b.double()
    erf = 0.5 * pre * (1 + torch.erf(pre / 2 ** 0.5))
    tanh = 0.5 * pre * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (pre + 0.044715 * pre ** 3)))
    lt = Lt(path)
    dev = lambda t: t.cuda().contiguous()
    rows = []
    got = lt.matmul(dev(x), dev(w), dev(b), EPILOGUE_GELU_BIAS, R_32F)
    e_erf, e_tanh = float((got - erf).abs().max()), float((got - tanh).abs().max())
    form = "erf" if e_erf < 1e-4 <= e_tanh else "tanh" if e_tanh < 1e-4 <= e_erf else "unclear"
    rows.append({"model": "cublaslt", "probe": "GELU_BIAS fp32", "library": path,
                 "max_err_vs_erf": e_erf, "max_err_vs_tanh": e_tanh,
                 "erf_vs_tanh": float((erf - tanh).abs().max()), "form": form,
                 "status": "measured" if form != "unclear" else "FAIL: neither form within 1e-4"})
    got = lt.matmul(dev(x), dev(w), dev(b), EPILOGUE_BIAS, R_32F)
    err = float((got - pre).abs().max())
    rows.append({"model": "cublaslt", "probe": "BIAS fp32", "max_abs_err": err, "tolerance": 1e-3,
                 "status": "PASS" if err <= 1e-3 else "FAIL"})
    xb, wb = x.to(torch.bfloat16), w.to(torch.bfloat16)
    ref = xb.double() @ wb.double().T + b.double()
    got = lt.matmul(dev(xb), dev(wb), dev(b), EPILOGUE_BIAS, R_16BF)
    err = float((got - ref).abs().max())
    rows.append({"model": "cublaslt", "probe": "BIAS bf16 operands", "max_abs_err": err,
                 "tolerance": 1e-3, "status": "PASS" if err <= 1e-3 else "FAIL"})
    return rows
