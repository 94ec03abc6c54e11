#!/usr/bin/env python3
"""Writes a damaged copy of a safetensors file, for the load-error tests.

    edit_safetensors.py IN OUT (--drop NAME | --dtype NAME DTYPE | --shape NAME D0,D1,...
                                | --truncate BYTES)

--drop removes a tensor (header entry and bytes); --dtype relabels a tensor's dtype (its
bytes are padded with zeros to the new element size, so only the dtype is wrong); --truncate
cuts BYTES off the end of the file; --shape relabels a tensor's shape (the same number of
elements, so only the shape is wrong). After --drop and --dtype the tensors are laid out back to
back again, as the format requires (a gap or an overlap is an error of its own). Standard
library only.
"""
import json
import struct
import sys

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "F64": 8, "U8": 1}


def main() -> int:
    src, dst, op, *args = sys.argv[1:]
    data = open(src, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    if op == "--truncate":
        open(dst, "wb").write(data[: len(data) - int(args[0])])
        return 0
    # Each tensor's bytes, by name, in file order.
    names = sorted((k for k in header if k != "__metadata__"),
                   key=lambda k: header[k]["data_offsets"])
    blobs = {k: body[header[k]["data_offsets"][0]:header[k]["data_offsets"][1]] for k in names}
    if op == "--drop":
        del header[args[0]]
        names.remove(args[0])
    elif op == "--dtype":
        t = header[args[0]]
        numel = 1
        for d in t["shape"]:
            numel *= d
        t["dtype"] = args[1]
        size = numel * SIZES[args[1]]
        blobs[args[0]] = blobs[args[0]][:size].ljust(size, b"\0")
    elif op == "--shape":
        header[args[0]]["shape"] = [int(d) for d in args[1].split(",")]
    else:
        print(f"edit_safetensors: unknown operation {op}", file=sys.stderr)
        return 2
    body = b""
    for k in names:
        header[k]["data_offsets"] = [len(body), len(body) + len(blobs[k])]
        body += blobs[k]
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    open(dst, "wb").write(struct.pack("<Q", len(text)) + text + body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
