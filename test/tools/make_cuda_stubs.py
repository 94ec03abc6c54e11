#!/usr/bin/env python3
"""Build stub NVIDIA shared libraries so PyPI's (CUDA) Linux torch wheel imports on a CPU-only box.

PyPI's x86_64 Linux `torch` wheel is a CUDA build: libtorch_cpu/libtorch_cuda/libtorch_python are
linked (DT_NEEDED) against libcudart, libcublas, libcudnn, libnccl, ... which normally come from
~3-4 GB of `nvidia-*` / `cuda-toolkit` wheels. bertc's test tooling only ever runs torch on the CPU,
so instead of installing those wheels, `setup-venv.sh` installs torch with `--no-deps` and runs this
script, which:

  1. reads the dynamic symbol tables of torch/lib/*.so and torch/_C*.so (binutils `readelf`),
  2. finds the NVIDIA sonames they need (lib{cu*,nv*,nccl*}) and every undefined, non-weak symbol
     that neither torch's own libraries nor the system libraries they link define,
  3. writes one C file defining all of them (functions return a non-zero "error" status,
     `cudaGetDeviceCount` reports 0 devices / cudaErrorNoDevice, `*ErrorString`-style functions
     return a message), with a linker version script carrying every version node the torch
     libraries require (e.g. `libcudart.so.13`),
  4. compiles that C file once per needed soname into  site-packages/nvidia/cu13/lib/  (a
     directory already on the torch libraries' RUNPATH: `$ORIGIN/../../nvidia/cu13/lib`).

The result: `import torch` works, `torch.cuda.is_available()` is False, and every CPU op works.
Any attempt to actually use CUDA fails with an error status. Needs: python3, readelf, nm, cc.

Usage: make_cuda_stubs.py SITE_PACKAGES_DIR
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

NV_SONAME = re.compile(r"^lib(cu|nv|nccl)[A-Za-z0-9_]*\.so(\.\d+)*$")
SYS_VERSION = re.compile(r"^(GLIBC|GLIBCXX|CXXABI|GCC|GOMP|OMP|GFORTRAN|ZLIB|LIBQUADMATH)_")


def run(cmd: list[str]) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def dynamic(path: str) -> tuple[list[str], list[str]]:
    """(NEEDED sonames, RUNPATH/RPATH entries) of an ELF file."""
    needed, paths = [], []
    for line in run(["readelf", "-d", "-W", path]).splitlines():
        m = re.search(r"\((NEEDED|RUNPATH|RPATH)\).*\[(.*)\]", line)
        if m:
            (needed if m.group(1) == "NEEDED" else paths).append(m.group(2))
    return needed, paths


def undefined(path: str) -> list[tuple[str, str, str]]:
    """[(name, version or '', type)] of the undefined, non-weak dynamic symbols."""
    out = []
    for line in run(["readelf", "--dyn-syms", "-W", path]).splitlines():
        f = line.split()
        if len(f) < 8 or f[6] != "UND" or f[4] != "GLOBAL":
            continue
        name, ver = f[7], ""
        if "@" in name:
            name, ver = name.split("@", 1)
            ver = ver.lstrip("@")
        out.append((name, ver, f[3]))
    return out


def defined(path: str) -> set[str]:
    names = set()
    for line in run(["nm", "-D", "--defined-only", path]).splitlines():
        f = line.split()
        if len(f) >= 3:
            names.add(f[2].split("@")[0])
    return names


def verneed(path: str) -> set[str]:
    """Version names required from NVIDIA sonames (readelf -V)."""
    vers, cur = set(), None
    for line in run(["readelf", "-V", "-W", path]).splitlines():
        m = re.search(r"File: (\S+)", line)
        if m:
            cur = m.group(1)
            continue
        m = re.search(r"Name: (\S+)", line)
        if m and cur and NV_SONAME.match(cur):
            vers.add(m.group(1))
    return vers


_LDCACHE: list[str] | None = None


def system_lib(soname: str) -> str | None:
    global _LDCACHE
    if _LDCACHE is None:
        _LDCACHE = run(["/sbin/ldconfig", "-p"]).splitlines()
    for line in _LDCACHE:
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and m.group(1) == soname and ("x86-64" in m.group(2) or "AArch64" in m.group(2)):
            return m.group(3)
    return None


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    site = os.path.abspath(sys.argv[1])
    tdir = os.path.join(site, "torch")
    libs = sorted(glob.glob(os.path.join(tdir, "lib", "*.so*")) + glob.glob(os.path.join(tdir, "_C*.so")))
    if not libs:
        print(f"make_cuda_stubs: no torch libraries under {tdir}", file=sys.stderr)
        return 1
    own = {os.path.basename(p) for p in libs}

    nv_sonames: set[str] = set()
    sys_sonames: set[str] = set()
    undef: dict[str, tuple[str, str]] = {}
    versions: set[str] = set()
    have: set[str] = set()
    for p in libs:
        needed, _ = dynamic(p)
        for n in needed:
            if NV_SONAME.match(n):
                nv_sonames.add(n)
            elif n not in own:
                sys_sonames.add(n)
        for name, ver, typ in undefined(p):
            if ver and SYS_VERSION.match(ver):
                continue
            prev = undef.get(name)
            if prev is None or (ver and not prev[0]):
                undef[name] = (ver, typ)
        versions |= verneed(p)
        have |= defined(p)
    # libcuda.so.1 is the driver (not a wheel); only libcaffe2_nvrtc needs it and torch dlopens that
    # lazily. Stub it too so nothing ever fails to load.
    for s in sorted(sys_sonames):
        path = system_lib(s)
        if path:
            have |= defined(path)
    missing = {n: v for n, v in undef.items() if n not in have}
    for ver, _ in missing.values():
        if ver:
            versions.add(ver)

    outdir = os.path.join(site, "nvidia", "cu13", "lib")
    os.makedirs(outdir, exist_ok=True)
    build = os.path.join(site, "nvidia", "cu13", "stub-src")
    os.makedirs(build, exist_ok=True)

    c = ["/* generated by bertc test/tools/make_cuda_stubs.py: CPU-only stand-ins for NVIDIA libs */",
         "static const char stub_msg[] = \"CUDA is not available: bertc test venv has stub CUDA libraries\";",
         "#define STUB_ERR 999"]
    for name in sorted(missing):
        ver, typ = missing[name]
        if typ == "OBJECT":
            c.append(f"char {name}[256] __attribute__((aligned(64)));")
        elif name == "cudaGetDeviceCount":
            c.append("int cudaGetDeviceCount(int *n) { if (n) *n = 0; return 100; /* cudaErrorNoDevice */ }")
        elif name in ("cudaGetLastError", "cudaPeekAtLastError"):
            c.append(f"int {name}(void) {{ return 0; }}")
        elif name in ("cudaDriverGetVersion", "cudaRuntimeGetVersion"):
            c.append(f"int {name}(int *v) {{ if (v) *v = 0; return 0; }}")
        elif re.search(r"(ErrorString|ErrorName|StatusString|StatusName|GetLastErrorString)$", name):
            c.append(f"const char *{name}(void) {{ return stub_msg; }}")
        else:
            c.append(f"long {name}(void) {{ return STUB_ERR; }}")
    csrc = os.path.join(build, "cuda_stub.c")
    with open(csrc, "w") as f:
        f.write("\n".join(c) + "\n")

    by_ver: dict[str, list[str]] = {v: [] for v in sorted(versions)}
    unversioned = []
    for name, (ver, _) in sorted(missing.items()):
        (by_ver[ver] if ver else unversioned).append(name)
    script = []
    for i, (v, names) in enumerate(by_ver.items()):
        body = "".join(f" {n};" for n in names)
        script.append(f"{v} {{ global:{body} }};" if names else f"{v} {{ }};")
    if unversioned:
        # unversioned references bind to any definition; give them their own node
        script.append("BERTC_CUDA_STUB { global:" + "".join(f" {n};" for n in unversioned) + " local: *; };")
    vscript = os.path.join(build, "cuda_stub.map")
    with open(vscript, "w") as f:
        f.write("\n".join(script) + "\n")

    nv_sonames.add("libcuda.so.1")
    obj = os.path.join(build, "cuda_stub.o")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-O0", "-fPIC", "-w", "-c", csrc, "-o", obj], check=True)
    for so in sorted(nv_sonames):
        subprocess.run([cc, "-shared", "-o", os.path.join(outdir, so), obj,
                        f"-Wl,-soname,{so}", f"-Wl,--version-script={vscript}"], check=True)
    print(f"make_cuda_stubs: {len(missing)} symbols, {len(versions)} version nodes, "
          f"{len(nv_sonames)} stub libraries in {outdir}: {' '.join(sorted(nv_sonames))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
