#!/usr/bin/env python3
"""Writes runtime/src/tokenizer/hf_unicode_tables.h: where Hugging Face `tokenizers`
answers a Unicode question differently from libutf8proc.

berttok takes categories, case mappings and decompositions from libutf8proc (Unicode
15 in Debian 12). `tokenizers` answers some of them from older crates (its
unicode_categories and unicode-normalization-alignments tables predate Unicode 14) and
others from a newer Rust standard library (to_lowercase). To be exact to the id, the
library consults the small exception tables this script derives by asking both sides
about every code point:
  - OTHER:  BertNormalizer(clean_text) removal (is_other: Cc|Cf|Co|Cs);
  - MN:     BertNormalizer(strip_accents) removal of an NFD-stable char (Mn);
  - PUNCT:  the Punctuation pre-tokenizer's split test (ASCII punct or P*);
  - COMB:   StripAccents removal of an NFD-stable char (Mn|Mc|Me);
  - CCC0:   marks with a combining class in utf8proc that tokenizers' older tables
            treat as starters (class 0): canonical reordering does not move them;
  - NODECOMP_K / NODECOMP_C: characters tokenizers leaves alone in NFKD / NFD while
    utf8proc decomposes them (characters newer than its tables);
  - LOWER:  characters whose Lowercase result differs from utf8proc_tolower;
  - NEWCAT: characters utf8proc does not know (newer than its Unicode) that the regex
            engines (Oniguruma for Split/Replace/ByteLevel, Rust's regex and char) know,
            with the general category those give them;
  - NUMERIC: characters newer still that Rust's char::is_numeric (the Digits
            pre-tokenizer) counts as numeric.
Run with the venv that has `tokenizers` (test/tools/setup-tokenizer-venv.sh):
  build/tok-venv/bin/python test/tools/gen_hf_unicode_tables.py
"""
import ctypes
import os
import sys

import tokenizers
from tokenizers import normalizers, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "runtime", "src", "tokenizer", "hf_unicode_tables.h")

u = ctypes.CDLL("libutf8proc.so.2")
u.utf8proc_category.restype = ctypes.c_int
u.utf8proc_tolower.restype = ctypes.c_int32
u.utf8proc_version.restype = ctypes.c_char_p
u.utf8proc_unicode_version.restype = ctypes.c_char_p
for f in ("utf8proc_NFKD", "utf8proc_NFD"):
    getattr(u, f).restype = ctypes.c_void_p
libc = ctypes.CDLL("libc.so.6")
ASCII_PUNCT = set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')


def utf8proc_norm(fn, s):
    p = getattr(u, fn)(s.encode())
    r = ctypes.string_at(p).decode()
    libc.free(ctypes.c_void_p(p))
    return r


def ranges(cps):
    out = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


CATS = ["Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd",
        "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf",
        "Cs", "Co"]  # utf8proc's category numbering


def new_categories():
    """{code point: utf8proc category number} for code points utf8proc leaves
    unassigned but tokenizers' regex engine matches with \\p{XX}."""
    from tokenizers import Regex
    cands = [c for plane in (0, 1, 2, 3, 14) for c in range(plane << 16, (plane + 1) << 16)
             if not 0xD800 <= c <= 0xDFFF and u.utf8proc_category(c) == 0]
    found = {}
    for k, name in enumerate(CATS):
        if name in ("Cn", "Cs"):
            continue
        split = pre_tokenizers.Split(Regex(r"\p{%s}" % name), behavior="removed")
        for i in range(0, len(cands), 4096):
            chunk = cands[i:i + 4096]
            text = "\x01".join(chr(c) for c in chunk)
            kept = set("".join(p for p, _ in split.pre_tokenize_str(text)))
            for c in chunk:
                if chr(c) not in kept:
                    found[c] = k
    return found


def new_numerics(newcat):
    """Code points the Digits pre-tokenizer (Rust's char::is_numeric) isolates that
    neither utf8proc nor the regex tables above make numeric."""
    cands = [c for plane in (0, 1, 2, 3, 14) for c in range(plane << 16, (plane + 1) << 16)
             if not 0xD800 <= c <= 0xDFFF and u.utf8proc_category(c) == 0
             and newcat.get(c) not in (9, 10, 11)]
    digits = pre_tokenizers.Digits(individual_digits=True)
    found = set()
    for i in range(0, len(cands), 4096):
        text = "a".join(chr(c) for c in cands[i:i + 4096])
        for p, _ in digits.pre_tokenize_str(text):
            if len(p) == 1 and p != "a":
                found.add(ord(p))
    return sorted(found)


def main():
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                       strip_accents=False, lowercase=False)
    strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                       strip_accents=True, lowercase=False)
    nfkd, nfd, lower = normalizers.NFKD(), normalizers.NFD(), normalizers.Lowercase()
    punc = pre_tokenizers.Punctuation()
    sacc = normalizers.StripAccents()
    other, mn, punct, nodk, nod, low, comb, ccc0 = [], [], [], [], [], [], [], []
    u.utf8proc_get_property.restype = ctypes.POINTER(ctypes.c_int16 * 2)
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        cat = u.utf8proc_category(c)
        # \t \n \r are Cc but never "control" for BertNormalizer; NUL and U+FFFD are
        # removed explicitly: the library handles those five itself.
        if c not in (0, 9, 10, 13, 0xFFFD):
            if (clean.normalize_str(ch) == "") != (cat in (26, 27, 28, 29)):
                other.append(c)
        d = nfd.normalize_str(ch)
        if d == ch and (strip.normalize_str(ch) == "") != (cat == 6):
            mn.append(c)
        if d == ch and (sacc.normalize_str(ch) == "") != (cat in (6, 7, 8)):
            comb.append(c)
        # combining_class is the second int16 of utf8proc_property_t. A class-1 mark
        # after c moves in front of it exactly when tokenizers gives c a class > 1.
        if d == ch and u.utf8proc_get_property(c).contents[1] >= 2:
            if nfd.normalize_str("a" + ch + "\u0334") == "a" + ch + "\u0334":
                ccc0.append(c)
        hf_p = len(punc.pre_tokenize_str("a" + ch + "a")) == 3
        my_p = ch in ASCII_PUNCT or 12 <= cat <= 18
        if hf_p != my_p:
            punct.append(c)
        if c > 0x7F:
            k = nfkd.normalize_str(ch)
            if k != utf8proc_norm("utf8proc_NFKD", ch):
                if k != ch:
                    sys.exit(f"U+{c:04X}: NFKD differs and tokenizers decomposes it; extend the table kind")
                nodk.append(c)
            if d != utf8proc_norm("utf8proc_NFD", ch):
                if d != ch:
                    sys.exit(f"U+{c:04X}: NFD differs and tokenizers decomposes it; extend the table kind")
                nod.append(c)
        lw = lower.normalize_str(ch)
        if lw != chr(u.utf8proc_tolower(c)):
            if len(lw) > 3:
                sys.exit(f"U+{c:04X}: lowercase longer than 3 chars")
            low.append((c, [ord(x) for x in lw]))

    newcat = new_categories()
    numeric = new_numerics(newcat)

    # The range sets, as (enum name, code points, what differs). Their ranges
    # go into one table, four to a line across set boundaries, and
    # hf_range_sets says where each set's lie: one layout for all of them.
    sets = [
        ("HF_OTHER_FLIP", other, "is_other (Cc|Cf|Co|Cs) differs"),
        ("HF_MN_FLIP", mn, "Mn differs"),
        ("HF_PUNCT_FLIP", punct, "punctuation differs"),
        ("HF_COMB_FLIP", comb, "combining mark (Mn|Mc|Me) differs"),
        ("HF_CCC0", ccc0, "combining class 0 in tokenizers, not in utf8proc"),
        ("HF_NODECOMP_K", nodk, "NFKD: tokenizers keeps, utf8proc decomposes"),
        ("HF_NODECOMP_C", nod, "NFD: tokenizers keeps, utf8proc decomposes"),
        ("HF_NUMERIC_EXTRA", numeric, "numeric for Rust's char, unknown to utf8proc and the regexes"),
    ]
    all_ranges, index = [], []
    for _, cps, _ in sets:
        rs = ranges(cps)
        index.append((len(all_ranges), len(rs)))
        all_ranges += rs
    width = max(len(name) for name, _, _ in sets)
    set_lines = [
        "/* Sets of code points where tokenizers' answer is the opposite of utf8proc's,",
        " * as sorted ranges [first, last] in hf_ranges; hf_range_sets gives each set's",
        " * first range and number of ranges, in the enum's order:",
    ] + [f" *   {name:<{width}}  {what}: {len(cps)} code points" for name, cps, what in sets] + [
        " */",
        "enum { " + ", ".join(name for name, _, _ in sets) + ", HF_RANGE_SET_COUNT };",
        "static const uint32_t hf_range_sets[HF_RANGE_SET_COUNT][2] = {"
        + ", ".join(f"{{{first}, {n}}}" for first, n in index) + "};",
        "static const uint32_t hf_ranges[][2] = {",
    ]
    items = [f"{{0x{a:X}, 0x{b:X}}}" for a, b in all_ranges] or ["{0xFFFFFFFF, 0xFFFFFFFF}"]
    for i in range(0, len(items), 4):
        set_lines.append("    " + ", ".join(items[i:i + 4]) + ",")
    set_lines.append("};")

    parts = [
        "/* Generated by test/tools/gen_hf_unicode_tables.py; do not edit. */",
        f"/* tokenizers {tokenizers.__version__}, utf8proc {u.utf8proc_version().decode()} "
        f"(Unicode {u.utf8proc_unicode_version().decode()}). */",
        "",
        *set_lines,
        f"/* Lowercase where tokenizers differs from utf8proc_tolower: {len(low)}. */",
        "static const int32_t hf_lower[][4] = {",
    ]
    for c, m in low:
        m = m + [0] * (3 - len(m))
        parts.append(f"    {{0x{c:X}, 0x{m[0]:X}, 0x{m[1]:X}, 0x{m[2]:X}}},")
    if not low:
        parts.append("    {-1, 0, 0, 0},")
    parts.append("};")
    parts.append(f"#define HF_LOWER_N {len(low)}")
    rows = []
    for c in sorted(newcat):
        if rows and rows[-1][1] == c - 1 and rows[-1][2] == newcat[c]:
            rows[-1][1] = c
        else:
            rows.append([c, c, newcat[c]])
    parts.append(f"/* Categories of {len(newcat)} code points utf8proc does not know and the "
                 "regex engines do. */")
    parts.append("static const uint32_t hf_newcat[][3] = {")
    for a, b, k in rows:
        parts.append(f"    {{0x{a:X}, 0x{b:X}, {k}}}, /* {CATS[k]} */")
    if not rows:
        parts.append("    {0xFFFFFFFF, 0xFFFFFFFF, 0},")
    parts.append("};")
    parts.append(f"#define HF_NEWCAT_N {len(rows)}")
    with open(OUT, "w") as f:
        f.write("\n".join(parts) + "\n")
    print(f"wrote {OUT}: other {len(other)}, mn {len(mn)}, punct {len(punct)}, "
          f"comb {len(comb)}, ccc0 {len(ccc0)}, nfkd {len(nodk)}, nfd {len(nod)}, lower {len(low)}, newcat {len(newcat)}, numeric {len(numeric)}")


if __name__ == "__main__":
    main()
