"""Writes small test files byte by byte, in pure Python (no NumPy), so the
readers are checked against bytes nobody's library produced.

  mkfiles.py npy PATH {i4|f4} SHAPE VALUES   e.g. npy x.npy f4 2,3 1,2,3,4,5,6
  mkfiles.py safetensors DIR                 the files listed in safetensors()
  mkfiles.py inspect PATH                    prints a safetensors file's layout
"""

import json
import struct
import sys


def npy(path, dtype, shape, values):
    shape = tuple(int(d) for d in shape.split(","))
    header = "{'descr': '<%s', 'fortran_order': False, 'shape': (%s), }" % (
        dtype, "".join(f"{d}, " for d in shape))
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    fmt = "<%d%s" % (len(values), "i" if dtype == "i4" else "f")
    conv = int if dtype == "i4" else float
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(fmt, *[conv(v) for v in values]))


def st(path, entries, data, header_len=None):
    """entries: {name: {dtype, shape, data_offsets}}; data: raw bytes."""
    text = json.dumps(entries).encode()
    text += b" " * (-len(text) % 8)
    n = len(text) if header_len is None else header_len
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", n) + text + data)


def safetensors(d):
    # F16: 1, -2, 0.5, 65504 (largest half), 2^-24 (smallest subnormal).
    f16 = struct.pack("<5H", 0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001)
    st(f"{d}/f16.safetensors",
       {"w": {"dtype": "F16", "shape": [5], "data_offsets": [0, 10]}}, f16)
    # BF16: 1, -2, 0.5, 3.140625, -0 (upper halves of the float32 patterns).
    bf16 = struct.pack("<5H", 0x3F80, 0xC000, 0x3F00, 0x4049, 0x8000)
    st(f"{d}/bf16.safetensors",
       {"w": {"dtype": "BF16", "shape": [5], "data_offsets": [0, 10]}}, bf16)
    f32 = struct.pack("<5f", 1, 2, 3, 4, 5)
    # An integer tensor where a float weight is expected.
    st(f"{d}/i64.safetensors",
       {"w": {"dtype": "I64", "shape": [5], "data_offsets": [0, 40]}},
       struct.pack("<5q", 1, 2, 3, 4, 5))
    # Offsets run past the end of the file (cut-off download).
    st(f"{d}/truncated.safetensors",
       {"w": {"dtype": "F32", "shape": [5], "data_offsets": [0, 20]}}, f32[:12])
    # The header length field points past the end of the file.
    st(f"{d}/badlen.safetensors",
       {"w": {"dtype": "F32", "shape": [5], "data_offsets": [0, 20]}}, f32,
       header_len=4096)
    # Shape and byte range disagree.
    st(f"{d}/badsize.safetensors",
       {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 20]}}, f32)
    # A hole between two tensors.
    st(f"{d}/gap.safetensors",
       {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "w": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}, f32)


def inspect(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    print(f"header length {n}, multiple of 8: {n % 8 == 0}")
    text = data[8:8 + n].decode()
    print(f"header padded with spaces only: {text == text.rstrip(' ') + ' ' * (len(text) - len(text.rstrip(' ')))}")
    header = json.loads(text)
    print("keys in file order:", ", ".join(header))
    print("metadata:", json.dumps(header.get("__metadata__")))
    end = 0
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, e_ = e["data_offsets"]
        assert b == end, (name, b, end)
        end = e_
        vals = struct.unpack("<%df" % ((e_ - b) // 4), data[8 + n + b:8 + n + e_])
        print(f"{name}: {e['dtype']} {e['shape']} first {vals[0]:.6g}")
    print(f"data bytes {len(data) - 8 - n}, covered {end}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "npy":
        npy(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(","))
    elif cmd == "safetensors":
        safetensors(sys.argv[2])
    else:
        inspect(sys.argv[2])
