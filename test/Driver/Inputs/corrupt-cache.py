"""Damages three kernel cache entries in three ways (kernel-cache.test):
the first sorted entry cut in half, the second with its last byte flipped,
the third emptied. bertc must recompile exactly these three."""
import glob
import os
import sys

entries = sorted(glob.glob(os.path.join(sys.argv[1], "kernel-*.o")))
assert len(entries) >= 3, entries
with open(entries[0], "r+b") as f:
    f.truncate(os.path.getsize(entries[0]) // 2)
with open(entries[1], "r+b") as f:
    f.seek(-1, os.SEEK_END)
    last = f.read(1)
    f.seek(-1, os.SEEK_END)
    f.write(bytes([last[0] ^ 0xFF]))
open(entries[2], "wb").close()
