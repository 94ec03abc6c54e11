"""Rewrites a schedule cache's vector_width to V for the entries tuned at SHAPE.

Usage: set-vector-width.py IN OUT SHAPE=V [SHAPE=V ...]. Tests use it to mark
the entries of one shape with a value no strategy picks for the model (every
schedule kind has a vector_width; 2 and 4 are valid widths that bert-tiny's
kernels never get), so the tiled IR shows which shape's entry each kernel got.
"""
import json
import sys

cache = json.load(open(sys.argv[1]))
marks = dict(arg.split("=") for arg in sys.argv[3:])
for entry in cache["entries"]:
    if entry.get("shape") in marks:
        entry["schedule"]["vector_width"] = int(marks[entry["shape"]])
json.dump(cache, open(sys.argv[2], "w"), indent=2)
