#!/usr/bin/env python3
"""Writes the safetensors fuzz target's seed files into DIR (run.sh calls it).

The seeds are small hand-made files (a header, an F32 tensor, mixed dtypes,
a name with a NUL, a scalar), written at fuzz time rather than committed, so
that no model-format file lives in git. Usage: safetensors_seeds.py DIR
"""
import json
import os
import struct
import sys


def write(path, header, data=b"", pad_to=8):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % pad_to)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "empty.safetensors"), {})
    write(os.path.join(out, "f32.safetensors"),
          {"__metadata__": {"format": "pt"},
           "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}},
          struct.pack("<4f", 1, 2, 3, 4))
    write(os.path.join(out, "mixed.safetensors"),
          {"a": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
           "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [6, 10]},
           "c": {"dtype": "I64", "shape": [1], "data_offsets": [10, 18]},
           "e": {"dtype": "BOOL", "shape": [0], "data_offsets": [18, 18]}},
          bytes.fromhex("003c0180007c803f49400700000000000000"))
    write(os.path.join(out, "nulname.safetensors"),
          {"a\u0000x": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
           "a": {"dtype": "U8", "shape": [1], "data_offsets": [2, 3]}},
          b"abc")
    write(os.path.join(out, "scalar.safetensors"),
          {"s": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}},
          struct.pack("<d", 3.5))


if __name__ == "__main__":
    main()
