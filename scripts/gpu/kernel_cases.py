"""The per-kernel cases of scripts/gpu/check.py's kernels step: random arguments of one generated
kernel and the float64 reference of its output, by family (torch on the CPU), with the operand
rounding of bf16 and f16 kernels."""
import itertools
import math

ACTS = {0: lambda v: v, 1: lambda v: 0.5 * v * (1 + _erf(v / math.sqrt(2))),
        2: lambda v: 0.5 * v * (1 + (math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)).tanh()),
        3: lambda v: v.clamp(min=0), 4: lambda v: v * v.sigmoid(), 5: lambda v: v * (1.702 * v).sigmoid(),
        6: lambda v: v.tanh()}


def _erf(v):
    import torch
    return torch.erf(v)


def bf16(t):
    """t rounded to bfloat16 (nearest even) and back, as float64: what a bf16 operand holds."""
    import torch
    return t.to(torch.bfloat16).double()


def f16(t):
    """t as an f16 operand holds it: IEEE half (nearest even), saturated to +-65504 as
    precision <f16> defines (cvt.rn.satfinite; NaN stays NaN)."""
    import torch
    return t.clamp(-65504, 65504).to(torch.float16).double()


def operand(t, fields: dict):
    """t as the kernel with key `fields` rounds its operands: bf16, f16 or as is."""
    return bf16(t) if fields.get("bf16") else f16(t) if fields.get("f16") else t


def kernel_case(k: dict, B: int, S: int):
    """Random arguments of kernel k at (B, S) as [(tensor, [(extent, stride)...])], the index of
    the output, the grid, and the float64 reference of the output; None for a family without one."""
    import torch
    g = torch.Generator().manual_seed(0)
    f = {n: float(v) if "." in v or "e" in v else int(v) for n, v in k["fields"].items()}
    fam, M = k["family"], B * S
    # Activations stored in 16 bits between kernels (--precision bf16 / f16) reach the kernel
    # rounded (Driver.launch converts them): the reference reads them so. The first float
    # buffer is the family's activation input (X, x, QKV, src); a weight's type is the operand's.
    halves = [b["half"] for b in k["buffers"] if not b["int"]]
    stored = {"bf16": bf16, "f16": f16}.get(halves[0] if halves else None, lambda t: t)

    def rnd(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale)

    def mat(t, rows, cols, stride=None):
        return (t, [(cols, 1), (rows, stride or cols)])

    if fam in ("linear", "pooler"):
        K = f["h"] if fam == "pooler" else f["k"]
        N = f.get("n", K) if fam == "pooler" else f["n"]
        rows, stride = (B, K * S) if fam == "pooler" else (M, K)
        x = rnd(rows * stride)
        if f.get("f16"):  # row 0 leaves fp16's range: the kernel must saturate, not give inf
            x[:4] = torch.tensor([1e5, -1e5, 7e4, -7e4], dtype=torch.float64)
        w, b = rnd(N, K, scale=K ** -0.5), rnd(N)
        xv = x.view(-1)[: rows * stride].view(rows, stride)[:, :K]
        act = f.get("act", 6 if fam == "pooler" else 0)
        # X rounded as the A fragments are built; W is stored bf16 (f16)
        xv, w = operand(stored(xv), f), operand(w, f)
        ref = ACTS[act](xv @ w.T + (b if fam == "pooler" or f.get("bias") else 0))
        args = [(x, [(K, 1), (rows, stride)]), mat(w, N, K)]
        if fam == "pooler" or f.get("bias"):
            args.append((b, [(N, 1)]))
        args.append(mat(torch.zeros(rows, N, dtype=torch.float64), rows, N))
        grid = (math.ceil(N / f["tile_n"]), math.ceil(rows / f["tile_m"]), 1)
        return args, grid, ref
    if fam == "layer_norm" and not f.get("strided_rows"):
        H = f["h"]
        x, r, gm, bt = stored(rnd(M, H)), stored(rnd(M, H)), rnd(H), rnd(H)
        v = x + r if f.get("residual") else x
        ref = torch.nn.functional.layer_norm(v, (H,), gm, bt, f["eps"])
        args = [mat(x, M, H)] + ([mat(r, M, H)] if f.get("residual") else [])
        args += [(gm, [(H, 1)]), (bt, [(H, 1)]), mat(torch.zeros(M, H, dtype=torch.float64), M, H)]
        return args, (math.ceil(M / f["tile_m"]), 1, 1), ref
    if fam == "attention":
        H, heads = f["h"], f["heads"]
        d = H // heads
        qkv = stored(rnd(B, S, 3, heads, d))
        mask = torch.ones(B, S, dtype=torch.int32)
        for b in range(B):
            mask[b, max(1, S - 3 * b):] = 0  # rows of different lengths
        scale = f["scale"] or d ** -0.5

        def attend(qkv, mask):  # [B', S', 3, heads, d] and [B', S'] -> [B', S', H]
            q, kk, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # [B', heads, S', d]
            q, kk, v = operand(q, f), operand(kk, f), operand(v, f)
            s = q @ kk.transpose(-1, -2) * scale + (mask[:, None, None, :] == 0) * -3.4028234663852886e38
            p = s.softmax(-1)
            return (operand(p, f) @ v).transpose(1, 2).reshape(*mask.shape, H)

        qkv_dims = [(d, 1), (heads, d), (3, H), (S, 3 * H), (B, 3 * H * S)]
        out_dims = [(d, 1), (heads, d), (S, H), (B, H * S)]
        grid = (math.ceil(S / f["tile_m"]), heads, B)
        if not f.get("varlen"):
            return ([(qkv, qkv_dims), (mask, [(S, 1), (B, S)]),
                     (torch.zeros(B, S, H, dtype=torch.float64), out_dims)], grid, attend(qkv, mask))
        # The packed path's variant: each row's real tokens packed one after another (cu), in
        # buffers of B * S rows; rows cu[B] .. cu[B + 1] (filled with 7 here) the last z zeroes.
        lengths = mask.sum(1).tolist()
        tokens = sum(lengths)
        cu = torch.tensor([0] + list(itertools.accumulate(lengths)) + [min(B * S, tokens + 5)],
                          dtype=torch.int32)
        grid = (grid[0], heads, B + 1)
        packed = torch.zeros(B * S, 3, heads, d, dtype=torch.float64)
        packed[:tokens] = torch.cat([qkv[b, :n] for b, n in enumerate(lengths)])
        ref = torch.zeros(B * S, H, dtype=torch.float64)
        for b, n in enumerate(lengths):
            ref[cu[b]: cu[b] + n] = attend(qkv[b:b + 1, :n], mask[b:b + 1, :n])[0]
        out = torch.zeros(B * S, H, dtype=torch.float64)
        out[tokens: int(cu[-1])] = 7.0
        return ([(cu, []), (packed, qkv_dims), (torch.ones(B * S, dtype=torch.int32), [(S, 1), (B, S)]),
                 (out, out_dims)], grid, ref)
    if fam == "copy_rows":  # dst row r = src row idx[r], zeros where idx[r] < 0
        W, rows = 48, M
        src = stored(rnd(rows, W))
        idx = torch.randperm(rows, generator=g).to(torch.int32)
        idx[::5] = -1
        ref = torch.where((idx >= 0)[:, None], src[idx.clamp(min=0).long()], torch.zeros(()))
        return ([(idx, [(rows, 1)]), mat(src, rows, W), mat(torch.zeros(rows, W, dtype=torch.float64), rows, W)],
                (math.ceil(rows / f["tile_m"]), 1, 1), ref)
    if fam == "embeddings" and not f.get("langs") and f.get("padding_idx", -1) < 0:
        H, V, P, T = f["h"], f["vocab"], f["positions"], f["types"]
        ids = torch.randint(0, V, (B, S), generator=g, dtype=torch.int32)
        tt = torch.randint(0, max(T, 1), (B, S), generator=g, dtype=torch.int32)
        word, pos, typ, gm, bt = rnd(V, H), rnd(P, H), rnd(max(T, 1), H), rnd(H), rnd(H)
        e = word[ids.long()] + pos[:S][None] + (typ[tt.long()] if T else 0)
        ref = torch.nn.functional.layer_norm(e, (H,), gm, bt, f["eps"])
        args = [(ids, [(S, 1), (B, S)])] + ([(tt, [(S, 1), (B, S)])] if T else [])
        args += [mat(word, V, H), mat(pos, P, H)] + ([mat(typ, T, H)] if T else [])
        args += [(gm, [(H, 1)]), (bt, [(H, 1)]),
                 (torch.zeros(B, S, H, dtype=torch.float64), [(H, 1), (S, H), (B, H * S)])]
        return args, (math.ceil(M / f["tile_m"]), 1, 1), ref
    if fam == "lt_act":  # a cuBLASLt linear's activation, in place on Y
        y = rnd(M, f["n"])
        return [mat(y, M, f["n"])], (math.ceil(M / f["tile_m"]), 1, 1), ACTS[f["act"]](y)
    return None
