"""A deterministic, deliberately awkward corpus for checking berttok against tokenizers.

corpus(n, seed) returns n lines (no '\\n' inside; tabs only where pairs are wanted)
covering: Latin with accents, CJK, Hangul, Arabic, Devanagari, Cyrillic, Greek, Thai,
emoji with skin tones / ZWJ sequences / flags / keycaps, control and zero-width
characters, bidi marks, words longer than max_input_chars_per_word, odd whitespace,
compatibility characters, combining sequences in non-canonical order, added/special
tokens written in the text, and pairs. Only the standard library is used.
"""
import random

LATIN = ("the quick brown fox jumps over lazy dog naïve café résumé façade jalapeño "
         "über straße Ærøskøbing Ångström déjà-vu coöperate São Paulo Kraków Đà Nẵng "
         "tiếng Việt señor niño mañana Zürich Œuvre œil ﬁancé İstanbul ıI Łódź "
         "don't it's we're they've I'm you'll he'd rock'n'roll O'Brien "
         "THE Game WILL lead TO a Tie if both GUYS tie their final tie").split()
CJK = list("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴")
KANA = list("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコガギグゲゴパピプペポッャュョー")
HANGUL = ["한국어", "안녕하세요", "세계", "감사합니다", "서울", "가", "ᄒᆞᆫ"]
ARABIC = "مرحبا بالعالم العربية كتاب مدرسة السلام عليكم ٣٤٥ فِي الْبَيْتِ".split()
DEVANAGARI = "नमस्ते दुनिया हिन्दी भाषा क़िला ज़िंदगी विद्यालय २०२४ श्री".split()
CYRILLIC = "Привет мир Москва ёжик ЁЛКА съешь ещё этих мягких французских булок".split()
GREEK = "Καλημέρα κόσμε Ἀθῆναι ΣΟΦΊΑ λόγος ὅτι".split()
THAI = "สวัสดีครับ ภาษาไทย ประเทศ".split()
EMOJI = ["😀", "😂", "🥰", "🫠", "🤖", "👍🏽", "👩🏿‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "🇯🇵",
         "1️⃣", "❤️", "✨", "🧑‍🤝‍🧑", "🐈‍⬛", "👁‍🗨", "🫶🏻", "☕", "⚽️"]
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1c", "\x1f",
            "\x7f", "\x85", "\x9f", "\r", "\u200b", "\u200c", "\u200d", "\u2060",
            "\ufeff", "\u200e", "\u200f", "\u202a", "\u202e", "\u00ad", "\ufffd",
            "\U000e0041", "\ue000", "\U000f0000"]
SPACES = [" ", "  ", "\t", "\u00a0", "\u2003", "\u3000", "\u2028", "\u2029", "\u1680",
          "\u205f", "\u202f", " \t ", "\r"]
COMPAT = ["ﬁ", "ﬂ", "①", "⑳", "㎏", "㍻", "Ａ", "ｂ", "１２３", "²", "₃", "Ⅻ", "ⅷ", "½",
          "﹏", "ㄱ", "ｶﾀｶﾅ", "℡", "™", "℃", "µ", "ſ", "Ǆ", "ǅ", "ﷺ", "…", "‥", "„",
          "«", "»", "‹›", "“quoted”", "‘single’", "``latex''", "—", "–", "·", "•",
          "Ⓐ", "ⓩ", "🄰", "𝐀𝐁𝐂", "𝔘𝔫𝔦", "ℌ", "Å", "Ω", "K"]
COMBINING = ["e\u0301", "a\u0316\u0301", "a\u0301\u0316", "o\u0308\u0304",
             "n\u0303", "\u0301x", "i\u0307", "A\u030a", "\u1100\u1161\u11a8",
             "q\u0323\u0307", "s\u0323\u0307", "\u0915\u093c", "c\u0327\u0301",
             "\u05d1\u05bc", "u\u031b\u0303", "Z\u0335\u0353\u0358"]
SPECIALS = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "<s>", "</s>", "<mask>",
            "<unk>", "<pad>", "[mask]", "<S>"]
PUNCT = list(".,;:!?()[]{}<>\"'`~@#$%^&*-_=+|\\/") + ["...", "?!", "--", "::", "→", "§", "¶",
                                                     "¿", "¡", "、", "。", "「", "」", "《", "》"]
WORDS = ["hello", "world", "tokenizer", "unbelievable", "internationalization",
         "transformers", "embedding", "running", "quickly", "https://example.com/a?b=c",
         "foo_bar", "x86_64", "3.14159", "1,000,000", "2024-06-01", "e-mail",
         "C++", "naïveté", "AI", "GPU", "µs", "UPPER", "MiXeD", "don't", "Let's"]


def _run(alphabet, lo, hi):
    """lo to hi characters of alphabet, as one word."""
    return lambda r: "".join(r.choice(alphabet) for _ in range(r.randint(lo, hi)))


def _long_word(r):
    # Longer than max_input_chars_per_word (100) or close to it.
    n = r.choice([99, 100, 101, 150, 260])
    return "".join(r.choice("abcdefghijklmnopqrstuvwxyzé") for _ in range(n))


def _cased(r):
    w = r.choice(LATIN)
    return w.upper() if r.random() < 0.5 else w.capitalize()


# The kinds of word, by cumulative probability: a list is one word picked from
# it, a function makes one. Above the last bound: word, punctuation, word.
_KINDS = [
    (0.30, LATIN), (0.42, WORDS), (0.48, _run(CJK, 1, 6)), (0.51, _run(KANA, 1, 5)),
    (0.53, HANGUL), (0.56, ARABIC), (0.59, DEVANAGARI), (0.62, CYRILLIC), (0.64, GREEK),
    (0.65, THAI), (0.70, _run(EMOJI, 1, 3)), (0.74, COMPAT),
    (0.77, lambda r: r.choice(COMBINING) + r.choice(LATIN)), (0.80, PUNCT), (0.82, SPECIALS),
    (0.84, _long_word), (0.87, lambda r: str(r.randint(0, 10 ** r.randint(1, 12)))),
    (0.90, _cased), (0.93, lambda r: r.choice(LATIN) + r.choice(CONTROLS) + r.choice(LATIN)),
    # Random code points from the BMP and beyond, assigned or not.
    (0.96, lambda r: "".join(chr(_random_cp(r)) for _ in range(r.randint(1, 4)))),
]


def _word(r):
    k = r.random()
    for bound, kind in _KINDS:
        if k < bound:
            return kind(r) if callable(kind) else r.choice(kind)
    return r.choice(LATIN) + r.choice(PUNCT) + r.choice(LATIN)


def _random_cp(r):
    while True:
        c = r.choice([r.randint(0x20, 0x2FF), r.randint(0x300, 0x36F),
                      r.randint(0x370, 0x1FFF), r.randint(0x2000, 0x2BFF),
                      r.randint(0x2E80, 0xD7FF), r.randint(0xF900, 0xFFFD),
                      r.randint(0x10000, 0x1FAFF), r.randint(0x20000, 0x2FA1F)])
        if c != 0x0A and not (0xD800 <= c <= 0xDFFF):
            return c


def _sentence(r, max_words):
    parts = []
    for _ in range(r.randint(0, max_words)):
        parts.append(_word(r))
        parts.append(r.choice(SPACES) if r.random() < 0.25 else " ")
    s = "".join(parts)
    if r.random() < 0.1:
        s = r.choice(SPACES) + s
    if r.random() < 0.1:
        s = s.rstrip(" ")
    return s.replace("\n", " ")


def corpus(n, seed=18, pairs=False, lengths=(3, 8, 20, 60)):
    """n lines; with pairs=True each line is 'text\\tpair' (no other tabs); each
    text has up to a number of words drawn from lengths."""
    r = random.Random(seed)
    out = []
    for i in range(n):
        max_words = r.choice(lengths)
        if pairs:
            a = _sentence(r, max_words).replace("\t", " ")
            b = _sentence(r, r.choice(lengths)).replace("\t", " ")
            out.append(a + "\t" + b)
        else:
            out.append(_sentence(r, max_words))
    return out


def training_text(n, seed=1818):
    r = random.Random(seed)
    return [_sentence(r, 30) for _ in range(n)]
