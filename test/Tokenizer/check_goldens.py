#!/usr/bin/env python3
"""Runs bert-tokenize on the committed golden inputs and compares, line by line, with
the outputs of Hugging Face `tokenizers` recorded by test/tools/tokenizer_goldens.py.
Standard library only, so `make test` needs no Python package.

  check_goldens.py --bin path/to/bert-tokenize [--goldens DIR]
"""
import argparse
import json
import os
import subprocess
import sys


def same(got, want):
    if got == want:
        return True
    try:
        g, w = json.loads(got), json.loads(want)
    except ValueError:
        return False
    # tokenizers' exception text is not ours to copy: an error matches an error.
    return "error" in g and "error" in w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--goldens", default=os.path.join(os.path.dirname(__file__), "goldens"))
    a = ap.parse_args()
    with open(os.path.join(a.goldens, "manifest.json")) as f:
        manifest = json.load(f)
    passed = failed = 0
    for case in manifest:
        with open(os.path.join(a.goldens, case["input"]), "rb") as f:
            data = f.read()
        with open(os.path.join(a.goldens, case["expected"]), encoding="utf-8") as f:
            want = f.read().split("\n")[:-1]
        cmd = [a.bin, os.path.join(a.goldens, case["tokenizer"])] + case["args"]
        r = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        got = r.stdout.decode("utf-8", "replace").split("\n")[:-1]
        bad = [i for i in range(max(len(got), len(want)))
               if i >= len(got) or i >= len(want) or not same(got[i], want[i])]
        name = "%s %s %s" % (case["tokenizer"], case["input"], " ".join(case["args"]))
        if r.returncode or bad:
            failed += 1
            print("FAIL: %s (exit %d, %d of %d lines differ)" % (name, r.returncode, len(bad),
                                                                 len(want)))
            for i in bad[:3]:
                print("  line %d\n    want %s\n    got  %s" % (
                    i + 1, want[i] if i < len(want) else "<none>",
                    got[i] if i < len(got) else "<none>"))
            if r.stderr:
                print("  stderr: %s" % r.stderr.decode("utf-8", "replace").strip())
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
