//===- BertRunTextTest.cpp - bert-run with text in (--tokenizer) ----------===//
//
// The real bert-run binary on the fake model library (test/Runtime) with a
// small WordPiece tokenizer.json: texts become the batch, long texts are cut
// at the library's maximum sequence (8), pairs come from --texts lines, and
// --pooling writes sentence-transformers' sentence embedding.
//
//===----------------------------------------------------------------------===//

#include "BertRun.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

using namespace berttest;

namespace {

// Ids below the fake model's vocabulary (10) and not its failing id (9).
const char *kTokenizer =
    R"({"version": "1.0", "truncation": null, "padding": null,
  "added_tokens": [], "normalizer": {"type": "BertNormalizer", "clean_text": true,
    "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
  "pre_tokenizer": {"type": "BertPreTokenizer"},
  "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
  "decoder": null,
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
    "max_input_chars_per_word": 100, "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2,
    "[SEP]": 3, "hello": 4, "world": 5, "a": 6, "b": 7, "!": 8}}})";

class BertRunText : public ::testing::Test {
protected:
  void SetUp() override {
    weights = tempPath("text.safetensors");
    writeSafetensors(weights, fakeTensors());
    tok = tempPath("tokenizer.json");
    std::ofstream(tok) << kTokenizer;
  }
  std::string weights, tok;
};

TEST_F(BertRunText, OneText) {
  Result r = bertRun(weights + " --tokenizer " + tok + " --text 'Hello world'");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("last_hidden_state: [1, 4, 4]"), std::string::npos)
      << r.output;
}

TEST_F(BertRunText, BatchOfTextsWithPairTruncatedToMaxSeq) {
  std::string file = tempPath("texts.txt");
  std::ofstream(file) << "a b a b a b a b a b\nhello\tworld !\n";
  std::string dir = tempPath("text-out");
  Result r = bertRun(weights + " --tokenizer " + tok + " --texts " + file +
                     " --out-dir " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  NpyOutput out(dir + "/input_ids.npy");
  ASSERT_TRUE(out.ok) << out.error;
  // Cut at the library's maximum sequence.
  ASSERT_EQ(out.shape(), (std::vector<int64_t>{2, 8}));
  const int32_t *ids = static_cast<const int32_t *>(out.a.data);
  EXPECT_EQ(
      std::vector<int32_t>(ids, ids + 16),
      (std::vector<int32_t>{2, 6, 7, 6, 7, 6, 7, 3, 2, 4, 3, 5, 8, 3, 0, 0}));
}

TEST_F(BertRunText, MeanPoolingNormalized) {
  std::string dir = tempPath("pool-out");
  Result r = bertRun(
      weights + " --tokenizer " + tok +
      " --text hello --text 'a b !' --pooling mean --normalize --out-dir " +
      dir);
  ASSERT_EQ(r.status, 0) << r.output;
  NpyOutput out(dir + "/sentence_embedding.npy");
  ASSERT_TRUE(out.ok) << out.error;
  ASSERT_EQ(out.shape(), (std::vector<int64_t>{2, FAKE_HIDDEN}));
  const float *e = static_cast<const float *>(out.a.data);
  for (int b = 0; b < 2; ++b) {
    double n = 0;
    for (int h = 0; h < FAKE_HIDDEN; ++h)
      n += double(e[b * FAKE_HIDDEN + h]) * e[b * FAKE_HIDDEN + h];
    EXPECT_NEAR(std::sqrt(n), 1.0, 1e-5);
  }
}

TEST_F(BertRunText, Errors) {
  Result r = bertRun(weights + " --text hello");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("--text: needs --tokenizer"), std::string::npos)
      << r.output;
  r = bertRun(weights + " --tokenizer " + tok + " --text a --text b --text c");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("more than the compiled maximum batch"),
            std::string::npos)
      << r.output;
  r = bertRun(weights + " --tokenizer " + tok + " --text a --pooling median");
  EXPECT_EQ(r.status, 1);
  r = bertRun(weights + " --tokenizer /nonexistent.json --text a");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("cannot open"), std::string::npos) << r.output;
}

} // namespace
