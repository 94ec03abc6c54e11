"""Checks bert-run --json head results (runtime/tools/bert_run_heads.h)
against the logits the same run wrote with --out-dir, recomputed here with
NumPy: the top labels and their softmax, the best answer span inside the
context (start <= end, fewer than 30 tokens, max start + end logit) and its
text, the top tokens at each [MASK], the entities' text spans.

usage: check_heads.py KIND RESULTS.jsonl OUT_DIR [LABELS.json] [TOKENIZER.json]
"""
import json
import sys

import numpy as np


def softmax(x):
    e = np.exp(x.astype(np.float64) - x.max())
    return e / e.sum()


def top(p, k):
    order = sorted(range(len(p)), key=lambda i: (-p[i], i))
    return order[:k]


def close(a, b):
    return abs(a - b) <= 1e-5 * max(1.0, abs(b))


def main():
    kind, results, out = sys.argv[1:4]
    labels = json.load(open(sys.argv[4]))["id2label"] if len(sys.argv) > 4 and sys.argv[4] else None
    vocab = None
    if len(sys.argv) > 5:
        v = json.load(open(sys.argv[5]))["model"]["vocab"]
        vocab = {i: t for t, i in v.items()}
    rows = [json.loads(line) for line in open(results, encoding="utf-8")]
    ids = np.load(out + "/input_ids.npy")
    name = lambda i: labels[i] if labels else "LABEL_%d" % i
    for b, r in enumerate(rows):
        assert r["index"] == b, r
        if kind == "seq":
            p = softmax(np.load(out + "/logits.npy")[b])
            want = [(name(i), p[i]) for i in top(p, 3)]
            got = [(x["label"], x["score"]) for x in r["labels"]]
            assert len(got) == len(want), (got, want)
            for (gl, gs), (wl, ws) in zip(got, want):
                assert gl == wl and close(gs, ws), (got, want)
        elif kind == "qa":
            s = np.load(out + "/start_logits.npy")[b].astype(np.float64)
            e = np.load(out + "/end_logits.npy")[b].astype(np.float64)
            seps = [i for i, t in enumerate(ids[b]) if t == 3]
            ctx = range(seps[0] + 1, seps[-1])
            best = max(((s[i] + e[j], -i, -j) for i in ctx for j in ctx
                        if i <= j < i + 30))
            assert (r["start_token"], r["end_token"]) == (-best[1], -best[2]), (r, best)
            assert close(r["logit"], best[0]), (r, best)
            context = r["context"].encode()
            assert 0 <= r["start"] < r["end"] <= len(context), r
            assert context[r["start"]:r["end"]].decode() == r["answer"], r
            assert r["answer"] in r["context"], r
        elif kind == "mlm":
            logits = np.load(out + "/logits.npy")[b]
            masks = [i for i, t in enumerate(ids[b]) if t == 4]
            assert [m["token"] for m in r["masks"]] == masks, (r, masks)
            for m in r["masks"]:
                p = softmax(logits[m["token"]])
                want = top(p, 5)
                assert [x["id"] for x in m["predictions"]] == want, (m, want)
                for x in m["predictions"]:
                    assert close(x["score"], p[x["id"]]), x
                    assert x["token"] == vocab[x["id"]], x
        elif kind == "token":
            text = r["text"].encode()
            tags = {l[2:] if l[:2] in ("B-", "I-") else l for l in labels}
            end = 0
            for ent in r["entities"]:
                assert ent["label"] in tags and ent["label"] != "O", ent
                assert end <= ent["start"] < ent["end"] <= len(text), ent
                assert text[ent["start"]:ent["end"]].decode() == ent["text"], ent
                assert 0 < ent["score"] <= 1, ent
                end = ent["end"]
        else:
            sys.exit("unknown kind " + kind)
    print("%s: %d rows ok" % (kind, len(rows)))


if __name__ == "__main__":
    main()
