"""Prints the tensors of a safetensors file: name, dtype, shape, one a line,
sorted by name, then the metadata. Checks that the data section is exactly
covered by the tensors (so FileCheck sees a file the format accepts)."""
import json
import struct
import sys

with open(sys.argv[1], "rb") as f:
    data = f.read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
meta = header.pop("__metadata__", {})
end = 0
for name in sorted(header):
    entry = header[name]
    begin, stop = entry["data_offsets"]
    count = 1
    for d in entry["shape"]:
        count *= d
    assert stop - begin == 4 * count, name
    end = max(end, stop)
    print(name, entry["dtype"], entry["shape"])
assert end == len(data) - 8 - n, "data section not covered"
print("metadata", json.dumps(meta, sort_keys=True))
