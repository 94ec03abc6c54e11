//===- TokenizerTest.cpp - Unit tests of berttok's components -------------===//
//
// Each test writes a small tokenizer.json in place and checks one component
// through the public API: ids, type ids and byte offsets. The expected values
// are what Hugging Face tokenizers 0.23 returns for the same file and text
// (worked out from its algorithms; the full comparison with the real package
// is test/tools/tokenizer_goldens.py and the goldens under goldens/).
//
//===----------------------------------------------------------------------===//

#include "bert_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// A WordPiece vocabulary: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3, then words.
const char *kWordPieceVocab =
    R"("[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4,
       "world": 5, ",": 6, "!": 7, "un": 8, "##aff": 9, "##able": 10,
       "e": 11, "cafe": 12, "中": 13, "文": 14, "a": 15, "##a": 16,
       "ab": 17, "##b": 18, "\u00e9": 19, "x": 20)";

std::string
wordPiece(const std::string &normalizer,
          const std::string &pretok = R"({"type": "BertPreTokenizer"})",
          const std::string &extra = "", int maxChars = 100) {
  return R"({"version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [
      {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false,
       "rstrip": false, "normalized": false, "special": true},
      {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false,
       "rstrip": false, "normalized": false, "special": true},
      {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false,
       "rstrip": false, "normalized": false, "special": true}],
    "normalizer": )" +
         normalizer + R"(, "pre_tokenizer": )" + pretok + R"(,
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3],
                       "cls": ["[CLS]", 2]},
    "decoder": null,
    "model": {"type": "WordPiece", "unk_token": "[UNK]",
      "continuing_subword_prefix": "##", "max_input_chars_per_word": )" +
         std::to_string(maxChars) + R"(, "vocab": {)" + kWordPieceVocab + "}}" +
         extra + "}";
}

const char *kBert =
    R"({"type": "BertNormalizer", "clean_text": true,
        "handle_chinese_chars": true, "strip_accents": null,
        "lowercase": true})";

struct Tok {
  bert_tokenizer_t *t = nullptr;
  char err[512] = "";
  explicit Tok(const std::string &json) {
    t = bert_tokenizer_load_buffer(json.data(), json.size(), "test.json", err,
                                   sizeof(err));
  }
  ~Tok() { bert_tokenizer_destroy(t); }
};

struct Enc {
  std::vector<int32_t> ids, types, mask;
  std::vector<std::pair<uint32_t, uint32_t>> offs;
  int rc = 0;
};

Enc encode(const Tok &tok, const std::string &text,
           const std::string *pair = nullptr, int special = 1) {
  Enc r;
  bert_encoding_t *e = nullptr;
  r.rc = bert_tokenizer_encode(tok.t, text.data(), text.size(),
                               pair ? pair->data() : nullptr,
                               pair ? pair->size() : 0, special, &e);
  if (r.rc)
    return r;
  for (size_t i = 0; i < e->length; ++i) {
    r.ids.push_back(e->ids[i]);
    r.types.push_back(e->type_ids[i]);
    r.mask.push_back(e->attention_mask[i]);
    r.offs.emplace_back(e->offsets[2 * i], e->offsets[2 * i + 1]);
  }
  bert_encoding_destroy(e);
  return r;
}

using Offs = std::vector<std::pair<uint32_t, uint32_t>>;

// Messages come from BERT_TOK_STATUS_LIST, one per status; other values
// get a fallback, not a read outside the table.
TEST(Tokenizer, StatusStrings) {
  EXPECT_STREQ(bert_tokenizer_status_string(BERT_TOK_OK), "success");
  EXPECT_STREQ(bert_tokenizer_status_string(BERT_TOK_ERR_NOMEM),
               "out of memory");
  EXPECT_STREQ(bert_tokenizer_status_string(BERT_TOK_ERR_NO_UNK),
               "the model needs an unknown token and has none");
  EXPECT_STREQ(bert_tokenizer_status_string(1000), "unknown status");
  EXPECT_STREQ(bert_tokenizer_status_string(-1), "unknown status");
}

TEST(Tokenizer, WordPieceGreedyLongestMatch) {
  Tok tok(wordPiece(kBert));
  ASSERT_TRUE(tok.t) << tok.err;
  Enc e = encode(tok, "Hello, unaffable world!");
  ASSERT_EQ(e.rc, 0);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 4, 6, 8, 9, 10, 5, 7, 3}));
  EXPECT_EQ(e.offs, (Offs{{0, 0},
                          {0, 5},
                          {5, 6},
                          {7, 9},
                          {9, 12},
                          {12, 16},
                          {17, 22},
                          {22, 23},
                          {0, 0}}));
}

TEST(Tokenizer, WordPieceUnknownWordAndMaxChars) {
  Tok tok(wordPiece(kBert, R"({"type": "BertPreTokenizer"})", "", 3));
  ASSERT_TRUE(tok.t) << tok.err;
  // "unaffable" is longer than 3 chars: one [UNK] for the whole word; "zz"
  // has no piece at all: [UNK] too.
  Enc e = encode(tok, "aaa aaaa zz", nullptr, 0);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{15, 16, 16, 1, 1}));
  EXPECT_EQ(e.offs, (Offs{{0, 1}, {1, 2}, {2, 3}, {4, 8}, {9, 11}}));
}

TEST(Tokenizer, BertNormalizerAccentsChineseControls) {
  Tok tok(wordPiece(kBert));
  ASSERT_TRUE(tok.t) << tok.err;
  // é is stripped to e (offsets keep the two bytes of é), the controls
  // vanish, each CJK char is its own word.
  Enc e = encode(tok, std::string("Caf\xc3\xa9\x01\xe4\xb8\xad\xe6\x96\x87"),
                 nullptr, 0);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{12, 13, 14}));
  EXPECT_EQ(e.offs, (Offs{{0, 5}, {6, 9}, {9, 12}}));
}

TEST(Tokenizer, InvalidUtf8IsReplacementCharOverTheBadBytes) {
  // No normalizer: U+FFFD reaches the model, which has no piece: [UNK],
  // with offsets over the caller's bad bytes.
  Tok tok(wordPiece("null"));
  ASSERT_TRUE(tok.t) << tok.err;
  Enc e = encode(tok, std::string("x \xff\xfe x \xe4\xb8 x"), nullptr, 0);
  ASSERT_EQ(e.rc, 0);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{20, 1, 20, 1, 20}));
  EXPECT_EQ(e.offs, (Offs{{0, 1}, {2, 4}, {5, 6}, {7, 9}, {10, 11}}));
}

TEST(Tokenizer, PairTypeIdsAndTruncation) {
  Tok tok(wordPiece(kBert));
  ASSERT_TRUE(tok.t) << tok.err;
  std::string b = "world world world world";
  Enc e = encode(tok, "hello hello", &b);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 4, 4, 3, 5, 5, 5, 5, 3}));
  EXPECT_EQ(e.types, (std::vector<int32_t>{0, 0, 0, 0, 1, 1, 1, 1, 1}));
  // LongestFirst to 7: 4 tokens left for the texts, 2 each.
  ASSERT_EQ(bert_tokenizer_set_truncation(tok.t, 7, 0, BERT_TOK_LONGEST_FIRST,
                                          BERT_TOK_RIGHT),
            0);
  e = encode(tok, "hello hello", &b);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 4, 4, 3, 5, 5, 3}));
  // OnlyFirst cannot drop 4 tokens from a 2-token first text.
  bert_tokenizer_set_truncation(tok.t, 5, 0, BERT_TOK_ONLY_FIRST,
                                BERT_TOK_RIGHT);
  EXPECT_EQ(encode(tok, "hello hello", &b).rc, BERT_TOK_ERR_TRUNCATION);
  // Left direction keeps the end; stride must stay below the length left.
  bert_tokenizer_set_truncation(tok.t, 4, 0, BERT_TOK_LONGEST_FIRST,
                                BERT_TOK_LEFT);
  e = encode(tok, "hello world !");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 5, 7, 3}));
  bert_tokenizer_set_truncation(tok.t, 4, 2, BERT_TOK_LONGEST_FIRST,
                                BERT_TOK_LEFT);
  EXPECT_EQ(encode(tok, "hello world !").rc, BERT_TOK_ERR_TRUNCATION);
}

TEST(Tokenizer, OverflowingWindowsWithStride) {
  Tok tok(wordPiece(kBert));
  ASSERT_TRUE(tok.t) << tok.err;
  // 5 tokens, max 4 with 2 specials: windows of 2 overlapping by 1.
  bert_tokenizer_set_truncation(tok.t, 4, 1, BERT_TOK_LONGEST_FIRST,
                                BERT_TOK_RIGHT);
  bert_encoding_t *e = nullptr;
  std::string text = "hello world ! hello world";
  ASSERT_EQ(
      bert_tokenizer_encode(tok.t, text.data(), text.size(), nullptr, 0, 1, &e),
      0);
  EXPECT_EQ(std::vector<int32_t>(e->ids, e->ids + e->length),
            (std::vector<int32_t>{2, 4, 5, 3}));
  ASSERT_EQ(e->num_overflowing, 3u);
  std::vector<std::vector<int32_t>> wins;
  for (size_t i = 0; i < e->num_overflowing; ++i)
    wins.emplace_back(e->overflowing[i]->ids,
                      e->overflowing[i]->ids + e->overflowing[i]->length);
  EXPECT_EQ(wins, (std::vector<std::vector<int32_t>>{
                      {2, 5, 7, 3}, {2, 7, 4, 3}, {2, 4, 5, 3}}));
  EXPECT_EQ(e->overflowing[0]->offsets[2], 6u); // "world" again
  bert_encoding_destroy(e);
}

TEST(Tokenizer, PaddingBatchLongestLeftAndMultiple) {
  Tok tok(wordPiece(kBert));
  ASSERT_TRUE(tok.t) << tok.err;
  ASSERT_EQ(
      bert_tokenizer_set_padding(tok.t, 0, 4, 0, 7, "[PAD]", BERT_TOK_LEFT), 0);
  const char *texts[2] = {"hello", "hello world !"};
  size_t lens[2] = {5, 13};
  bert_encoding_t *out[2];
  ASSERT_EQ(bert_tokenizer_encode_batch(tok.t, 2, texts, lens, nullptr, nullptr,
                                        1, out),
            0);
  ASSERT_EQ(out[0]->length, 8u); // longest is 5, up to a multiple of 4
  ASSERT_EQ(out[1]->length, 8u);
  std::vector<int32_t> ids(out[0]->ids, out[0]->ids + 8);
  std::vector<int32_t> types(out[0]->type_ids, out[0]->type_ids + 8);
  std::vector<int32_t> mask(out[0]->attention_mask, out[0]->attention_mask + 8);
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 2, 4, 3}));
  EXPECT_EQ(types, (std::vector<int32_t>{7, 7, 7, 7, 7, 0, 0, 0}));
  EXPECT_EQ(mask, (std::vector<int32_t>{0, 0, 0, 0, 0, 1, 1, 1}));
  bert_encoding_destroy(out[0]);
  bert_encoding_destroy(out[1]);
}

TEST(Tokenizer, EncodeStraightIntoModelInputs) {
  Tok tok(wordPiece(kBert));
  ASSERT_TRUE(tok.t) << tok.err;
  const char *texts[2] = {"hello", "hello world !"};
  size_t lens[2] = {5, 13}, got_lens[2];
  int32_t ids[12], types[12], mask[12];
  ASSERT_EQ(bert_tokenizer_encode_to_inputs(tok.t, 2, texts, lens, nullptr,
                                            nullptr, 1, 6, ids, types, mask,
                                            got_lens),
            0);
  EXPECT_EQ(std::vector<int32_t>(ids, ids + 12),
            (std::vector<int32_t>{2, 4, 3, 0, 0, 0, 2, 4, 5, 7, 3, 0}));
  EXPECT_EQ(std::vector<int32_t>(mask, mask + 12),
            (std::vector<int32_t>{1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(got_lens[0], 3u);
  EXPECT_EQ(got_lens[1], 5u);
  // Too long for 4 columns without truncation; fine with it.
  EXPECT_EQ(bert_tokenizer_encode_to_inputs(tok.t, 2, texts, lens, nullptr,
                                            nullptr, 1, 4, ids, nullptr,
                                            nullptr, nullptr),
            BERT_TOK_ERR_TRUNCATION);
  bert_tokenizer_set_truncation(tok.t, 4, 0, BERT_TOK_LONGEST_FIRST,
                                BERT_TOK_RIGHT);
  ASSERT_EQ(bert_tokenizer_encode_to_inputs(tok.t, 2, texts, lens, nullptr,
                                            nullptr, 1, 4, ids, nullptr,
                                            nullptr, nullptr),
            0);
  EXPECT_EQ(std::vector<int32_t>(ids, ids + 8),
            (std::vector<int32_t>{2, 4, 3, 0, 2, 4, 5, 3}));
}

TEST(Tokenizer, AddedTokensInTextAndLstrip) {
  std::string extra = "";
  std::string json = wordPiece(kBert);
  // An added "[MASK]" with lstrip, normalized: false.
  json.replace(
      json.find("\"added_tokens\": ["), 17,
      R"("added_tokens": [{"id": 21, "content": "[MASK]", "single_word": false,
                 "lstrip": true, "rstrip": false, "normalized": false, "special": true},)");
  Tok tok(json);
  ASSERT_TRUE(tok.t) << tok.err;
  Enc e = encode(tok, "hello  [MASK]world", nullptr, 0);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{4, 21, 5}));
  EXPECT_EQ(e.offs, (Offs{{0, 5}, {5, 13}, {13, 18}}));
}

std::string bpe(const std::string &merges, const std::string &pretok = "null",
                const std::string &model_extra = "") {
  return R"({"version": "1.0", "added_tokens": [], "normalizer": null,
    "pre_tokenizer": )" +
         pretok + R"(, "post_processor": null, "decoder": null,
    "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>",
      "continuing_subword_prefix": null, "end_of_word_suffix": null,
      "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
      "vocab": {"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "bc": 5, "abc": 6,
                "<0x7A>": 7)" +
         model_extra + R"(}, "merges": [)" + merges + "]}}";
}

TEST(Tokenizer, BpeMergesByRankThenPosition) {
  // "b c" outranks "a b": abc -> a + bc (no "a bc" merge) -> [a, bc].
  Tok t1(bpe(R"("b c", "a b")"));
  ASSERT_TRUE(t1.t) << t1.err;
  EXPECT_EQ(encode(t1, "abc").ids, (std::vector<int32_t>{1, 5}));
  Tok t2(bpe(R"(["a", "b"], ["b", "c"], ["ab", "c"])"));
  ASSERT_TRUE(t2.t) << t2.err;
  EXPECT_EQ(encode(t2, "abc").ids, (std::vector<int32_t>{6}));
  // Unknown chars become <unk> (not fused: fuse_unk false).
  Enc e = encode(t2, "xyab");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 0, 4}));
  EXPECT_EQ(e.offs, (Offs{{0, 1}, {1, 2}, {2, 4}}));
}

TEST(Tokenizer, BpeByteLevelAndByteFallback) {
  std::string json = bpe(R"("a b")");
  json.replace(json.find("\"byte_fallback\": false"), 22,
               "\"byte_fallback\": true");
  Tok tok(json);
  ASSERT_TRUE(tok.t) << tok.err;
  // 'z' has a <0x7A> piece; 'y' has none and falls to <unk>.
  EXPECT_EQ(encode(tok, "zyab").ids, (std::vector<int32_t>{7, 0, 4}));
}

std::string unigram(const std::string &extra_vocab = "",
                    bool byte_fallback = false) {
  return R"({"version": "1.0", "added_tokens": [], "normalizer": null,
    "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581",
                      "prepend_scheme": "always", "split": true},
    "post_processor": null, "decoder": null,
    "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": )" +
         std::string(byte_fallback ? "true" : "false") +
         R"(, "vocab": [["<unk>", 0.0], ["\u2581", -2.0], ["\u2581ab", -1.5],
       ["a", -1.0], ["b", -1.0], ["ab", -1.2], ["c", -3.0], ["\u2581a", -1.0])" +
         extra_vocab + "]}}";
}

TEST(Tokenizer, UnigramViterbiAndFusedUnknowns) {
  Tok tok(unigram());
  ASSERT_TRUE(tok.t) << tok.err;
  // "▁ab": ▁ab (-1.5) beats ▁a + b (-2.0) and ▁ + ab (-3.2).
  Enc e = encode(tok, "ab");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2}));
  EXPECT_EQ(e.offs, (Offs{{0, 2}}));
  // "xyc": ▁ (aligned with the char it was prepended to), then x and y
  // fused into one unknown, then c.
  e = encode(tok, "xyc");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 0, 6}));
  EXPECT_EQ(e.offs, (Offs{{0, 1}, {0, 2}, {2, 3}}));
}

TEST(Tokenizer, UnigramByteFallback) {
  Tok tok(unigram(R"(, ["<0x78>", -5.0], ["<0x79>", -5.0])", true));
  ASSERT_TRUE(tok.t) << tok.err;
  // The fused unknown "xy" becomes its bytes, both with the piece's offsets.
  Enc e = encode(tok, "xy");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 8, 9}));
  EXPECT_EQ(e.offs, (Offs{{0, 1}, {0, 2}, {0, 2}}));
}

TEST(Tokenizer, SplitRegexAndByteLevel) {
  // GPT-2 split, byte-level chars and merges; the two byte-level chars of
  // é both get the offsets of the whole char.
  std::string json =
      R"({"version": "1.0", "added_tokens": [], "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false,
                      "trim_offsets": true, "use_regex": true},
    "post_processor": null, "decoder": null,
    "model": {"type": "BPE", "dropout": null, "unk_token": null,
      "continuing_subword_prefix": null, "end_of_word_suffix": null,
      "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
      "vocab": {"I": 0, "\u0120": 1, "a": 2, "m": 3, "'": 4, "\u0120am": 5,
                "\u00c3": 6, "\u00a9": 7, "\u0120a": 8},
      "merges": ["\u0120 a", "\u0120a m"]}})";
  Tok tok(json);
  ASSERT_TRUE(tok.t) << tok.err;
  // "I'm am é": I | 'm | Ġam | Ġé (é is two byte-level chars, one char)
  Enc e = encode(tok, "I'm am \xc3\xa9");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 4, 3, 5, 1, 6, 7}));
  EXPECT_EQ(e.offs,
            (Offs{{0, 1}, {1, 2}, {2, 3}, {3, 6}, {6, 7}, {7, 9}, {7, 9}}));
}

TEST(Tokenizer, LoadErrorsNameTheComponent) {
  Tok t1(wordPiece(R"({"type": "Nmt"})"));
  EXPECT_EQ(t1.t, nullptr);
  EXPECT_NE(std::string(t1.err).find("normalizer type 'Nmt' is not supported"),
            std::string::npos)
      << t1.err;
  Tok t2(wordPiece(kBert, R"({"type": "UnicodeScripts"})"));
  EXPECT_NE(std::string(t2.err).find(
                "pre_tokenizer type 'UnicodeScripts' is not supported"),
            std::string::npos)
      << t2.err;
  Tok t3(wordPiece(kBert, R"({"type": "Split", "pattern": {"Regex": "(?<=a)b"},
                              "behavior": "Isolated", "invert": false})"));
  EXPECT_EQ(t3.t, nullptr);
  EXPECT_NE(std::string(t3.err).find("regex '(?<=a)b' is not supported"),
            std::string::npos)
      << t3.err;
  std::string wl = wordPiece(kBert);
  wl.replace(wl.find("\"WordPiece\""), 11, "\"WordLevel\"");
  Tok t4(wl);
  EXPECT_NE(std::string(t4.err).find("model type 'WordLevel' is not supported"),
            std::string::npos)
      << t4.err;
}

TEST(Tokenizer, TruncatedFileIsRefusedWhole) {
  // Every proper prefix of a valid file is refused with a message; none
  // crashes or returns a partial tokenizer.
  std::string json = wordPiece(kBert);
  for (size_t n = 0; n < json.size(); n += 7) {
    char err[256] = "";
    bert_tokenizer_t *t =
        bert_tokenizer_load_buffer(json.data(), n, "x", err, sizeof(err));
    EXPECT_EQ(t, nullptr) << n;
    EXPECT_NE(err[0], '\0') << n;
    bert_tokenizer_destroy(t);
  }
}

TEST(Tokenizer, ConcurrentEncodesAgree) {
  Tok tok(wordPiece(kBert));
  ASSERT_TRUE(tok.t) << tok.err;
  Enc want = encode(tok, "Hello, unaffable world! Caf\xc3\xa9");
  std::vector<std::thread> th;
  std::vector<int> ok(4, 0);
  for (int i = 0; i < 4; ++i)
    th.emplace_back([&, i] {
      int good = 1;
      for (int k = 0; k < 200; ++k)
        good &=
            encode(tok, "Hello, unaffable world! Caf\xc3\xa9").ids == want.ids;
      ok[i] = good;
    });
  for (auto &t : th)
    t.join();
  EXPECT_EQ(ok, (std::vector<int>{1, 1, 1, 1}));
}

} // namespace
