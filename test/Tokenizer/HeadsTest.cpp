//===- HeadsTest.cpp - bert-run's task head post-processing ---------------===//
//
// runtime/tools/bert_run_heads.c on hand-made logits, with expectations
// worked out here independently: the top labels and their softmax, the
// grouping of B-/I- labels into entities (first piece of a word, special
// tokens, O), the question answering span (inside the context, start <=
// end, at most 30 tokens), the head told from the outputs, the labels
// file, the JSON printed; and the sequence ids bert_text_encode gives.
//
//===----------------------------------------------------------------------===//

#include "bert_run_heads.h"
#include "bert_run_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

// Reads what a function wrote to a FILE.
template <typename F> std::string captured(F write) {
  char *buf = nullptr;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  write(f);
  fclose(f);
  std::string s(buf, len);
  free(buf);
  return s;
}

std::string tempFile(const std::string &name, const std::string &text) {
  std::string path = ::testing::TempDir() + "heads-" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Heads, TopKIsTheSoftmaxInOrderTiesByLowerId) {
  const float logits[] = {1, 3, 2, 3};
  int32_t ids[3];
  double probs[3];
  ASSERT_EQ(bert_head_top_k(logits, 4, 3, ids, probs), 3);
  double z = std::exp(1.0) + 2 * std::exp(3.0) + std::exp(2.0);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[1], 3);
  EXPECT_EQ(ids[2], 2);
  EXPECT_NEAR(probs[0], std::exp(3.0) / z, 1e-12);
  EXPECT_NEAR(probs[1], std::exp(3.0) / z, 1e-12);
  EXPECT_NEAR(probs[2], std::exp(2.0) / z, 1e-12);
  // Fewer classes than asked for: all of them.
  EXPECT_EQ(bert_head_top_k(logits, 2, 3, ids, probs), 2);
  EXPECT_NEAR(probs[0] + probs[1], 1.0, 1e-12);
}

// The labels of the entity tests.
struct Labels {
  std::vector<std::string> names{"O",     "B-PER", "I-PER",
                                 "B-LOC", "I-LOC", "MISC"};
  std::vector<char *> ptrs;
  bert_head_labels l{};
  Labels() {
    for (std::string &s : names)
      ptrs.push_back(s.data());
    l.n = (int64_t)ptrs.size();
    l.names = ptrs.data();
  }
};

// One row of token logits: label[s] gets logit 2 (the others 0), so each
// token's probability is e^2 / (e^2 + 5).
std::vector<float> rowFor(const std::vector<int> &label, int numLabels) {
  std::vector<float> v(label.size() * numLabels, 0.0f);
  for (size_t s = 0; s < label.size(); ++s)
    v[s * numLabels + label[s]] = 2.0f;
  return v;
}

const double kP = std::exp(2.0) / (std::exp(2.0) + 5);

TEST(Heads, EntitiesFirstPieceOfAWordAndIOB2) {
  Labels L;
  // "Johnny lives in New York": [CLS] john ##ny lives in new york [SEP] pad
  // The second piece of "Johnny" says I-LOC: the word keeps B-PER.
  std::vector<int> label = {0, 1, 4, 0, 0, 3, 4, 0, 1};
  std::vector<int32_t> seq = {-1, 0, 0, 0, 0, 0, 0, -1, -1};
  std::vector<int32_t> word = {-1, 0, 0, 1, 2, 3, 4, -1, -1};
  std::vector<uint32_t> offs = {0,  0,  0,  4,  4,  6, 7, 12, 13,
                                15, 16, 19, 20, 24, 0, 0, 0,  0};
  std::vector<float> logits = rowFor(label, 6);
  std::vector<bert_head_entity> e(label.size());
  size_t n = bert_head_entities(logits.data(), 9, 6, seq.data(), word.data(),
                                offs.data(), &L.l, e.data());
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(L.names[e[0].label].substr(e[0].tag_offset), "PER");
  EXPECT_EQ(e[0].begin, 0u);
  EXPECT_EQ(e[0].end, 6u); // both pieces
  EXPECT_EQ(e[0].first_token, 1);
  EXPECT_EQ(e[0].last_token, 2);
  EXPECT_NEAR(e[0].score, kP, 1e-12);
  EXPECT_EQ(L.names[e[1].label].substr(e[1].tag_offset), "LOC");
  EXPECT_EQ(e[1].begin, 16u);
  EXPECT_EQ(e[1].end, 24u);
  EXPECT_EQ(e[1].first_token, 5);
  EXPECT_EQ(e[1].last_token, 6);
  EXPECT_NEAR(e[1].score, kP, 1e-12);
}

TEST(Heads, EntitiesBreakAtBOtherTagsOAndSpecialTokens) {
  Labels L;
  // Tokens 1..10, one word each, bytes [2s, 2s + 1):
  //   B-PER B-PER | I-PER O I-PER | B-LOC I-PER | MISC MISC [SEP] MISC
  std::vector<int> label = {0, 1, 1, 2, 0, 2, 3, 2, 5, 5, 0, 5};
  std::vector<int32_t> seq = {-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 1};
  std::vector<int32_t> word = {-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, -1, 0};
  std::vector<uint32_t> offs;
  for (int s = 0; s < 12; ++s) {
    offs.push_back(seq[s] < 0 ? 0 : 2 * s);
    offs.push_back(seq[s] < 0 ? 0 : 2 * s + 1);
  }
  std::vector<float> logits = rowFor(label, 6);
  std::vector<bert_head_entity> e(label.size());
  size_t n = bert_head_entities(logits.data(), 12, 6, seq.data(), word.data(),
                                offs.data(), &L.l, e.data());
  std::vector<std::string> got;
  for (size_t i = 0; i < n; ++i)
    got.push_back(L.names[e[i].label].substr(e[i].tag_offset) + " " +
                  std::to_string(e[i].first_token) + "-" +
                  std::to_string(e[i].last_token) + " seq" +
                  std::to_string(e[i].seq));
  EXPECT_EQ(got, (std::vector<std::string>{"PER 1-1 seq0", "PER 2-3 seq0",
                                           "PER 5-5 seq0", "LOC 6-6 seq0",
                                           "PER 7-7 seq0", "MISC 8-9 seq0",
                                           "MISC 11-11 seq1"}));
  EXPECT_EQ(e[1].begin, 4u);
  EXPECT_EQ(e[1].end, 7u);
}

TEST(Heads, EntitiesScoreIsTheMeanOfItsWords) {
  Labels L;
  // B-LOC with logits {0, 0, 0, 3, 0, 0}, I-LOC with {0, 0, 0, 0, 1, 0}.
  std::vector<float> logits(2 * 6, 0.0f);
  logits[3] = 3;
  logits[6 + 4] = 1;
  std::vector<int32_t> seq = {0, 0}, word = {0, 1};
  std::vector<uint32_t> offs = {0, 3, 4, 9};
  bert_head_entity e[2];
  ASSERT_EQ(bert_head_entities(logits.data(), 2, 6, seq.data(), word.data(),
                               offs.data(), &L.l, e),
            1u);
  double p1 = std::exp(3.0) / (std::exp(3.0) + 5),
         p2 = std::exp(1.0) / (std::exp(1.0) + 5);
  EXPECT_NEAR(e[0].score, (p1 + p2) / 2, 1e-12);
  EXPECT_EQ(e[0].end, 9u);
  // Without labels: LABEL_<i>, no prefix, so equal labels continue.
  ASSERT_EQ(bert_head_entities(logits.data(), 2, 6, seq.data(), word.data(),
                               offs.data(), nullptr, e),
            2u);
  EXPECT_EQ(e[0].label, 3);
  EXPECT_EQ(e[1].label, 4);
}

TEST(Heads, AnswerSpanInsideTheContextAtMost30Tokens) {
  // [CLS] q q [SEP] c0 .. c39 [SEP]: 45 tokens.
  const int S = 45;
  std::vector<int32_t> seq(S, 1);
  seq[0] = seq[3] = seq[44] = -1;
  seq[1] = seq[2] = 0;
  std::vector<uint32_t> offs;
  for (int s = 0; s < S; ++s) {
    offs.push_back(s >= 4 ? 3 * (s - 4) : 0);
    offs.push_back(s >= 4 ? 3 * (s - 4) + 2 : 0);
  }
  std::vector<float> start(S, 0.0f), end(S, 0.0f);
  start[1] = 9;  // a question token: never
  end[0] = 9;    // [CLS]: never
  start[30] = 4; // (30, 20): end before start, never
  end[20] = 4.4f;
  start[5] = 3; // (5, 40): 36 tokens, too long
  end[40] = 3.5f;
  start[10] = 2.9f;
  end[12] = 2.0f;
  end[25] = 2.5f;
  bert_head_span sp;
  ASSERT_EQ(bert_head_best_span(start.data(), end.data(), S, seq.data(),
                                offs.data(), 1, 30, &sp),
            0);
  // (30, 40): 4 + 3.5 = 7.5, 11 tokens; then (5, 20) 7.4, (10, 20) 7.3.
  EXPECT_EQ(sp.start, 30);
  EXPECT_EQ(sp.end, 40);
  EXPECT_EQ(sp.begin, 3u * 26);
  EXPECT_EQ(sp.end_byte, 3u * 36 + 2);
  EXPECT_NEAR(sp.logit, 7.5, 1e-6);
  // Softmax over the 40 context tokens: start 4, 3, 2.9 and 37 zeros; end
  // 4.4, 3.5, 2.0, 2.5 and 36 zeros.
  double zs = std::exp(4.0) + std::exp(3.0) + std::exp(double(2.9f)) + 37;
  double ze = std::exp(double(4.4f)) + std::exp(3.5) + std::exp(2.0) +
              std::exp(2.5) + 36;
  EXPECT_NEAR(sp.score, std::exp(4.0) / zs * std::exp(3.5) / ze, 1e-9);

  // At most 10 tokens (end - start < 10): (5, 12) 3 + 2 = 5 beats (10, 12)
  // 4.9, (11..20, 20) 4.4 and (30, 30..39) 4.
  ASSERT_EQ(bert_head_best_span(start.data(), end.data(), S, seq.data(),
                                offs.data(), 1, 10, &sp),
            0);
  EXPECT_EQ(sp.start, 5);
  EXPECT_EQ(sp.end, 12);

  // No context token: no answer.
  std::vector<int32_t> none(S, 0);
  EXPECT_EQ(bert_head_best_span(start.data(), end.data(), S, none.data(),
                                offs.data(), 1, 30, &sp),
            -1);
}

bert_tensor_info info(const char *name, std::vector<int64_t> dims) {
  bert_tensor_info t{};
  t.name = name;
  t.dtype = BERT_DTYPE_FLOAT32;
  t.rank = (int)dims.size();
  for (size_t i = 0; i < dims.size(); ++i)
    t.dims[i] = dims[i];
  return t;
}

TEST(Heads, DetectFromOutputNamesAndShapes) {
  const int64_t B = BERT_DIM_BATCH, S = BERT_DIM_SEQ;
  bert_head h;
  bert_tensor_info qa[] = {info("start_logits", {B, S}),
                           info("end_logits", {B, S})};
  EXPECT_EQ(bert_head_detect(qa, 2, 97, &h), BERT_HEAD_QUESTION_ANSWERING);
  EXPECT_EQ(h.start, 0);
  EXPECT_EQ(h.end, 1);
  bert_tensor_info seq[] = {info("logits", {B, 3})};
  EXPECT_EQ(bert_head_detect(seq, 1, 97, &h),
            BERT_HEAD_SEQUENCE_CLASSIFICATION);
  bert_tensor_info mlm[] = {info("logits", {B, S, 97})};
  EXPECT_EQ(bert_head_detect(mlm, 1, 97, &h), BERT_HEAD_MASKED_LM);
  bert_tensor_info tok[] = {info("logits", {B, S, 5})};
  EXPECT_EQ(bert_head_detect(tok, 1, 97, &h), BERT_HEAD_TOKEN_CLASSIFICATION);
  EXPECT_EQ(h.logits, 0);
  bert_tensor_info pre[] = {info("prediction_logits", {B, S, 97}),
                            info("seq_relationship_logits", {B, 2})};
  EXPECT_EQ(bert_head_detect(pre, 2, 97, &h), BERT_HEAD_MASKED_LM);
  bert_tensor_info base[] = {info("last_hidden_state", {B, S, 36}),
                             info("pooler_output", {B, 36})};
  EXPECT_EQ(bert_head_detect(base, 2, 97, &h), BERT_HEAD_NONE);
}

TEST(Heads, Names) {
  EXPECT_STREQ(bert_head_name(BERT_HEAD_NONE), "none");
  EXPECT_STREQ(bert_head_name(BERT_HEAD_SEQUENCE_CLASSIFICATION),
               "sequence classification");
  EXPECT_STREQ(bert_head_name(BERT_HEAD_TOKEN_CLASSIFICATION),
               "token classification");
  EXPECT_STREQ(bert_head_name(BERT_HEAD_QUESTION_ANSWERING),
               "question answering");
  EXPECT_STREQ(bert_head_name(BERT_HEAD_MASKED_LM), "masked LM");
  EXPECT_STREQ(bert_head_name(static_cast<bert_head_kind>(-1)), "none");
}

TEST(Heads, LabelsFile) {
  bert_head_labels l;
  char err[512];
  std::string good =
      tempFile("labels.json", R"({"format": "bertc-labels", "version": 1,
        "id2label": ["O", "B-PER", "I-\u00e9"]})");
  ASSERT_EQ(bert_head_read_labels(good.c_str(), &l, err, sizeof(err)), 0)
      << err;
  ASSERT_EQ(l.n, 3);
  EXPECT_STREQ(l.names[1], "B-PER");
  EXPECT_STREQ(l.names[2], "I-\xc3\xa9");
  char buf[32];
  EXPECT_STREQ(bert_head_label(&l, 0, buf, sizeof(buf)), "O");
  EXPECT_STREQ(bert_head_label(&l, 7, buf, sizeof(buf)), "LABEL_7");
  EXPECT_STREQ(bert_head_label(nullptr, 2, buf, sizeof(buf)), "LABEL_2");
  bert_head_labels_free(&l);

  struct {
    const char *text, *message;
  } bad[] = {
      {R"({"format": "bertc-pooling", "version": 1, "id2label": ["a"]})",
       "\"format\": expected \"bertc-labels\""},
      {R"({"format": "bertc-labels", "version": 2, "id2label": ["a"]})",
       "\"version\": expected 1"},
      {R"({"format": "bertc-labels", "version": 1, "id2label": ["a", 3]})",
       "\"id2label\": expected a non-empty array of strings"},
      {R"({"format": "bertc-labels", "version": 1, "id2label": []})",
       "\"id2label\": expected a non-empty array of strings"},
      {R"(["a"])", "expected a JSON object"},
      {R"({"format": )", "not JSON"},
  };
  for (const auto &b : bad) {
    std::string path = tempFile("bad-labels.json", b.text);
    EXPECT_EQ(bert_head_read_labels(path.c_str(), &l, err, sizeof(err)), -1);
    EXPECT_NE(std::string(err).find(b.message), std::string::npos) << err;
    EXPECT_EQ(l.n, 0);
  }
}

TEST(Heads, JsonStringEscapesAndReplacesBadUtf8) {
  std::string s = "a\"b\\c\n\x01 \xc3\xa9 \xff \xe2\x82 \xf0\x9f\x98\x80";
  EXPECT_EQ(
      captured([&](FILE *f) { bert_head_json_string(f, s.data(), s.size()); }),
      "\"a\\\"b\\\\c\\u000a\\u0001 \xc3\xa9 \\ufffd \\ufffd\\ufffd "
      "\xf0\x9f\x98\x80\"");
}

TEST(Heads, PrintSequenceClassificationJson) {
  Labels L;
  L.l.n = 3;
  bert_tensor_info outs[] = {info("logits", {BERT_DIM_BATCH, 3})};
  std::vector<float> logits = {0, 1, 0, 2, 2, 2};
  float *data[] = {logits.data()};
  const char *text[] = {"good", "so \"so\""};
  size_t len[] = {4, 7};
  const char *pair[] = {nullptr, nullptr};
  size_t pairLen[] = {0, 0};
  bert_head_results r{};
  bert_head_detect(outs, 1, 97, &r.head);
  r.labels = &L.l;
  r.outputs = outs;
  r.data = data;
  r.batch = 2;
  r.seq = 1;
  r.text = text;
  r.len = len;
  r.pair = pair;
  r.pair_len = pairLen;
  char err[256];
  std::string out = captured([&](FILE *f) {
    ASSERT_EQ(bert_head_print(f, &r, 1, err, sizeof(err)), 0) << err;
  });
  // e / (e + 2) and 1 / (e + 2); a third each.
  EXPECT_EQ(out, "{\"index\": 0, \"text\": \"good\", \"labels\": "
                 "[{\"label\": \"B-PER\", \"score\": 0.576117}, "
                 "{\"label\": \"O\", \"score\": 0.211942}, "
                 "{\"label\": \"I-PER\", \"score\": 0.211942}]}\n"
                 "{\"index\": 1, \"text\": \"so \\\"so\\\"\", \"labels\": "
                 "[{\"label\": \"O\", \"score\": 0.333333}, "
                 "{\"label\": \"B-PER\", \"score\": 0.333333}, "
                 "{\"label\": \"I-PER\", \"score\": 0.333333}]}\n");
}

TEST(Heads, SequenceIdsOfPairsAndWordIds) {
  // The 97-token WordPiece vocabulary of test/Driver/heads.test.
  char err[256];
  bert_tokenizer_t *tok = bert_tokenizer_load(
      BERT_SRC_ROOT "/test/Driver/Inputs/heads/tokenizer.json", err,
      sizeof(err));
  ASSERT_NE(tok, nullptr) << err;
  EXPECT_EQ(bert_head_mask_id(tok), 4);
  const char *texts[] = {"where?", "", "the [MASK]"};
  size_t lens[] = {6, 0, 10};
  const char *pairs[] = {"in paris", "paris", nullptr};
  size_t pairLens[] = {8, 5, 0};
  bert_text_inputs in;
  ASSERT_EQ(bert_text_encode(tok, 3, texts, lens, pairs, pairLens, &in), 0);
  ASSERT_EQ(in.seq, 7);
  // [CLS] where ? [SEP] in paris [SEP]
  EXPECT_EQ(std::vector<int32_t>(in.seq_ids, in.seq_ids + 7),
            (std::vector<int32_t>{-1, 0, 0, -1, 1, 1, -1}));
  EXPECT_EQ(std::vector<int32_t>(in.word_ids, in.word_ids + 7),
            (std::vector<int32_t>{-1, 0, 1, -1, 0, 1, -1}));
  // An empty question: [CLS] [SEP] paris [SEP], then padding.
  EXPECT_EQ(std::vector<int32_t>(in.seq_ids + 7, in.seq_ids + 14),
            (std::vector<int32_t>{-1, -1, 1, -1, -1, -1, -1}));
  // One text: [CLS] the [MASK] [SEP].
  EXPECT_EQ(std::vector<int32_t>(in.ids + 14, in.ids + 18),
            (std::vector<int32_t>{2, 63, 4, 3}));
  EXPECT_EQ(in.seq_ids[15], 0);
  bert_text_inputs_free(&in);
  size_t len = 0;
  EXPECT_STREQ(bert_tokenizer_id_to_token(tok, 37, &len), "##a");
  EXPECT_EQ(len, 3u);
  bert_tokenizer_destroy(tok);
}

} // namespace
