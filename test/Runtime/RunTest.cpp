//===- RunTest.cpp - bert_run: results, argument checks, threads ----------===//
//
// The fake model's output is computed here independently from the weights
// written to the file, so a wrong slot order, a bad default for NULL inputs
// or a shared arena shows up as a wrong number.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "bert_runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace berttest;

namespace {

class Run : public LoadedFakeModel {
protected:
  Run() : LoadedFakeModel("run.safetensors") {}

  // Reference output of the fake model (see FakeModel.c).
  static void reference(const std::vector<int32_t> &ids,
                        const std::vector<int32_t> &types,
                        const std::vector<int32_t> &mask, int64_t batch,
                        int64_t seq, std::vector<float> &hidden,
                        std::vector<float> &pooled) {
    std::vector<float> word = values(FAKE_VOCAB * FAKE_HIDDEN, 0.5f),
                       type = values(FAKE_TYPE_VOCAB * FAKE_HIDDEN, 2.0f),
                       bias = values(FAKE_HIDDEN, 3.0f), qkv;
    for (float base : {0.25f, -0.75f, 1.5f}) {
      std::vector<float> part = values(16, base);
      qkv.insert(qkv.end(), part.begin(), part.end());
    }
    hidden.assign(batch * seq * FAKE_HIDDEN, 0.0f);
    pooled.assign(batch * FAKE_HIDDEN, 0.0f);
    for (int64_t i = 0; i < batch * seq; ++i)
      for (int h = 0; h < FAKE_HIDDEN; ++h)
        hidden[i * FAKE_HIDDEN + h] =
            (mask.empty() || mask[i])
                ? word[ids[i] * FAKE_HIDDEN + h] +
                      type[(types.empty() ? 0 : types[i]) * FAKE_HIDDEN + h]
                : 0.0f;
    for (int64_t b = 0; b < batch; ++b)
      for (int h = 0; h < FAKE_HIDDEN; ++h) {
        float acc = hidden[b * seq * FAKE_HIDDEN + h] + bias[h];
        for (int r = 0; r < FAKE_QKV_ROWS; ++r)
          acc += static_cast<float>(r + 1) * qkv[r * FAKE_HIDDEN + h];
        pooled[b * FAKE_HIDDEN + h] = acc;
      }
  }

  // Expects bert_run to refuse with BERT_ERR_BAD_ARGUMENT and `needle`.
  void expectBadArg(const int32_t *ids, const int32_t *types,
                    const int32_t *mask, int64_t batch, int64_t seq,
                    const std::string &needle) {
    std::vector<float> out(FAKE_MAX_BATCH * FAKE_MAX_SEQ * FAKE_HIDDEN);
    EXPECT_EQ(
        bert_run(m, ids, types, mask, batch, seq, out.data(), nullptr, &st),
        BERT_ERR_BAD_ARGUMENT);
    EXPECT_EQ(st.code, BERT_ERR_BAD_ARGUMENT);
    EXPECT_NE(std::string(st.message).find(needle), std::string::npos)
        << st.message;
  }
};

TEST_F(Run, Queries) {
  EXPECT_STREQ(bert_model_name(m), "fake_bert");
  EXPECT_EQ(bert_model_hidden_size(m), FAKE_HIDDEN);
  EXPECT_EQ(bert_model_num_layers(m), 1);
  EXPECT_EQ(bert_model_num_heads(m), 1);
  EXPECT_EQ(bert_model_intermediate_size(m), 16);
  EXPECT_EQ(bert_model_vocab_size(m), FAKE_VOCAB);
  EXPECT_EQ(bert_model_type_vocab_size(m), FAKE_TYPE_VOCAB);
  EXPECT_EQ(bert_model_max_batch(m), FAKE_MAX_BATCH);
  EXPECT_EQ(bert_model_max_seq(m), FAKE_MAX_SEQ);
  EXPECT_EQ(bert_model_arena_bytes(m, 2, 3), size_t(2 * 3 * FAKE_HIDDEN * 4));
  EXPECT_EQ(bert_model_arena_bytes(m, 3, 3), 0u);
}

TEST_F(Run, MatchesReference) {
  const int64_t batch = 2, seq = 5;
  std::vector<int32_t> ids = {1, 2, 3, 4, 5, 0, 8, 7, 6, 1};
  std::vector<int32_t> types = {0, 0, 1, 1, 1, 0, 1, 0, 1, 0};
  std::vector<int32_t> mask = {1, 1, 1, 1, 0, 1, 1, 0, 0, 0};
  std::vector<float> out(batch * seq * FAKE_HIDDEN),
      pooled(batch * FAKE_HIDDEN);
  ASSERT_EQ(bert_run(m, ids.data(), types.data(), mask.data(), batch, seq,
                     out.data(), pooled.data(), &st),
            BERT_OK)
      << st.message;
  EXPECT_STREQ(st.message, "");
  std::vector<float> wantOut, wantPooled;
  reference(ids, types, mask, batch, seq, wantOut, wantPooled);
  EXPECT_EQ(out, wantOut);
  EXPECT_EQ(pooled, wantPooled);
}

TEST_F(Run, NullTypesMaskAndPoolerUseDefaults) {
  std::vector<int32_t> ids = {3, 1, 4};
  std::vector<float> out(3 * FAKE_HIDDEN), wantOut, wantPooled;
  ASSERT_EQ(bert_run(m, ids.data(), nullptr, nullptr, 1, 3, out.data(), nullptr,
                     nullptr),
            BERT_OK);
  reference(ids, {}, {}, 1, 3, wantOut, wantPooled);
  EXPECT_EQ(out, wantOut);
}

TEST_F(Run, ArgumentChecks) {
  std::vector<int32_t> ids(FAKE_MAX_BATCH * FAKE_MAX_SEQ + 8, 1);
  expectBadArg(ids.data(), nullptr, nullptr, 0, 4,
               "batch 0 out of range [1, 2]");
  expectBadArg(ids.data(), nullptr, nullptr, 3, 4, "batch 3 out of range");
  expectBadArg(ids.data(), nullptr, nullptr, 1, 0, "seq 0 out of range");
  expectBadArg(ids.data(), nullptr, nullptr, 1, FAKE_MAX_SEQ + 1,
               "seq 9 out of range [1, 8]");
  std::vector<int32_t> bad = ids;
  bad[1 * 4 + 2] = FAKE_VOCAB;
  expectBadArg(bad.data(), nullptr, nullptr, 2, 4,
               "input_ids[1][2] = 10 out of range [0, 10)");
  bad[1 * 4 + 2] = -1;
  expectBadArg(bad.data(), nullptr, nullptr, 2, 4, "input_ids[1][2] = -1");
  std::vector<int32_t> types(8, 0);
  types[5] = 2;
  expectBadArg(ids.data(), types.data(), nullptr, 2, 4,
               "token_type_ids[1][1] = 2 out of range [0, 2)");
  std::vector<int32_t> mask(8, 1);
  mask[0] = 2;
  expectBadArg(ids.data(), nullptr, mask.data(), 2, 4, "attention_mask[0][0]");
  expectBadArg(nullptr, nullptr, nullptr, 1, 1, "input_ids is NULL");
  EXPECT_EQ(bert_run(nullptr, ids.data(), nullptr, nullptr, 1, 1, nullptr,
                     nullptr, nullptr),
            BERT_ERR_BAD_ARGUMENT);
}

TEST_F(Run, KernelFailureReported) {
  std::vector<int32_t> ids = {FAKE_FAIL_ID, 1};
  std::vector<float> out(2 * FAKE_HIDDEN);
  EXPECT_EQ(
      bert_run(m, ids.data(), nullptr, nullptr, 1, 2, out.data(), nullptr, &st),
      BERT_ERR_KERNEL);
  EXPECT_NE(std::string(st.message).find("fake_bert"), std::string::npos);
  EXPECT_NE(std::string(st.message).find("error 42"), std::string::npos);
}

TEST_F(Run, SetNumThreads) {
  EXPECT_EQ(bert_model_set_num_threads(m, 3, &st), BERT_OK);
  EXPECT_EQ(fake_model_num_threads, 3);
  EXPECT_EQ(bert_model_set_num_threads(m, -1, &st), BERT_ERR_BAD_ARGUMENT);
}

// The packed-path choice (bert_runtime.h): auto packs when at most 90% of
// the positions are computed (real tokens plus position 0 of each row),
// never with a fully masked row; BERT_PACKING forces either way.
TEST_F(Run, PackingChoice) {
  const int64_t batch = 2, seq = 8;
  std::vector<int32_t> ids(batch * seq, 1);
  std::vector<float> out(batch * seq * FAKE_HIDDEN),
      pooled(batch * FAKE_HIDDEN);
  auto packed = [&](const std::vector<int32_t> &mask, const char *env) {
    if (env)
      setenv("BERT_PACKING", env, 1);
    else
      unsetenv("BERT_PACKING");
    int before = fake_model_packed_calls;
    EXPECT_EQ(bert_run(m, ids.data(), nullptr,
                       mask.empty() ? nullptr : mask.data(), batch, seq,
                       out.data(), pooled.data(), &st),
              BERT_OK)
        << st.message;
    unsetenv("BERT_PACKING");
    return fake_model_packed_calls - before;
  };
  std::vector<int32_t> ones(batch * seq, 1), half = ones, tight = ones,
                                             left = ones, empty = ones;
  for (int s = 4; s < 8; ++s)
    half[s] = 0; // 12 of 16 computed: packs
  tight[7] = 0;  // 15 of 16: not worth it
  for (int s = 0; s < 6; ++s)
    left[s] = 0; // left padding: 2 real + position 0 + 8 = 11 of 16: packs
  for (int s = 0; s < 8; ++s)
    empty[s] = 0; // a fully masked row: never packed
  EXPECT_EQ(packed({}, nullptr), 0);
  EXPECT_EQ(packed(ones, nullptr), 0);
  EXPECT_EQ(packed(half, nullptr), 1);
  EXPECT_EQ(packed(left, nullptr), 1);
  EXPECT_EQ(packed(tight, nullptr), 0);
  EXPECT_EQ(packed(empty, nullptr), 0);
  EXPECT_EQ(packed(tight, "always"), 1);
  EXPECT_EQ(packed(ones, "packed"), 1);
  EXPECT_EQ(packed(empty, "always"), 0);
  EXPECT_EQ(packed(half, "never"), 0);
  EXPECT_EQ(packed(half, "padded"), 0);
  EXPECT_EQ(packed(half, "auto"), 1);
}

TEST_F(Run, ConcurrentCallsAgree) {
  // Each thread cycles through shapes so arenas of different sizes move
  // through the pool while other calls hold theirs.
  struct Case {
    int64_t batch, seq;
    std::vector<int32_t> ids, types, mask;
    std::vector<float> out, pooled;
  };
  std::vector<Case> cases;
  for (int64_t batch = 1; batch <= FAKE_MAX_BATCH; ++batch)
    for (int64_t seq = 1; seq <= FAKE_MAX_SEQ; seq += 3) {
      Case c{batch, seq, {}, {}, {}, {}, {}};
      for (int64_t i = 0; i < batch * seq; ++i) {
        c.ids.push_back(static_cast<int32_t>((i * 7 + batch) % 9));
        c.types.push_back(static_cast<int32_t>(i % 2));
        c.mask.push_back(i % 5 != 4);
      }
      reference(c.ids, c.types, c.mask, batch, seq, c.out, c.pooled);
      cases.push_back(c);
    }
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      bert_status ts;
      for (int iter = 0; iter < 200; ++iter) {
        const Case &c = cases[(iter + t) % cases.size()];
        std::vector<float> out(c.out.size()), pooled(c.pooled.size());
        if (bert_run(m, c.ids.data(), c.types.data(), c.mask.data(), c.batch,
                     c.seq, out.data(), pooled.data(), &ts) != BERT_OK ||
            out != c.out || pooled != c.pooled)
          ++failures[t];
      }
    });
  for (std::thread &th : threads)
    th.join();
  for (int t = 0; t < 4; ++t)
    EXPECT_EQ(failures[t], 0) << "thread " << t;
}

} // namespace
