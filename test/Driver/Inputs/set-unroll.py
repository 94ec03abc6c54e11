"""Rewrites a schedule cache's unroll to U for the entries tuned at SHAPE.

Usage: set-unroll.py IN OUT SHAPE=U [SHAPE=U ...]. Tests use it to mark the
entries of one shape with a value no strategy picks, so the tiled IR shows
which shape's entry each kernel got.
"""
import json
import sys

cache = json.load(open(sys.argv[1]))
marks = dict(arg.split("=") for arg in sys.argv[3:])
for entry in cache["entries"]:
    if entry.get("shape") in marks:
        entry["schedule"]["unroll"] = int(marks[entry["shape"]])
json.dump(cache, open(sys.argv[2], "w"), indent=2)
