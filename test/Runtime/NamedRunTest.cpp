//===- NamedRunTest.cpp - inputs and outputs by name ----------------------===//
//
// bert_run_named and the input/output queries over three fake heads that
// share the fake weights (FakeModel.h): the BertModel-like fake_bert, a
// token-level head without token types but with langs (fake_token_model)
// and an encoder without a pooler (fake_nopool_model). Results are checked
// against values computed here from the weights, so a buffer bound to the
// wrong table slot, a wrong default or a lost scatter shows as a number.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "bert_runtime.h"
#include "runtime/src/model.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace berttest;

namespace {

bool contains(const std::string &s, const std::string &needle) {
  return s.find(needle) != std::string::npos;
}

/// Loads `desc` over the fake weights; freed at the end of the test.
class Named : public ::testing::Test {
protected:
  void SetUp() override {
    path = tempPath("named.safetensors");
    writeSafetensors(path, fakeTensors());
    // The three heads, loaded once here for every test.
    bert = load(bert_generated_model);
    token = load(fake_token_model);
    nopool = load(fake_nopool_model);
    ASSERT_NE(bert, nullptr);
    ASSERT_NE(token, nullptr);
    ASSERT_NE(nopool, nullptr);
  }
  void TearDown() override {
    for (bert_model_t *m : models)
      bert_model_free(m);
  }
  bert_model_t *load(const bert_model_desc &desc) {
    bert_model_t *m = bert_model_load_desc(&desc, path.c_str(), &st);
    EXPECT_NE(m, nullptr) << st.message;
    if (m)
      models.push_back(m);
    return m;
  }
  /// Expects BERT_ERR_BAD_ARGUMENT from `code` with every needle in it.
  void expectBad(bert_status_code code,
                 std::initializer_list<std::string> needles) {
    EXPECT_EQ(code, BERT_ERR_BAD_ARGUMENT) << st.message;
    for (const std::string &n : needles)
      EXPECT_TRUE(contains(st.message, n))
          << "'" << st.message << "' lacks '" << n << "'";
  }

  /// Expects every field of `got` to be `want`'s (dims past the rank too).
  static void expectInfo(const bert_tensor_info &got,
                         const bert_tensor_info &want) {
    EXPECT_STREQ(got.name, want.name);
    EXPECT_EQ(got.dtype, want.dtype) << want.name;
    EXPECT_EQ(got.rank, want.rank) << want.name;
    for (int d = 0; d < BERT_MAX_RANK; ++d)
      EXPECT_EQ(got.dims[d], want.dims[d]) << want.name << " dim " << d;
    EXPECT_EQ(got.upper_bound, want.upper_bound) << want.name;
    EXPECT_EQ(got.required, want.required) << want.name;
    EXPECT_EQ(got.default_value, want.default_value) << want.name;
  }

  /// mask[b, s] * word[id] + types + langs, as the fake heads compute it.
  static std::vector<float> embed(const std::vector<int32_t> &ids,
                                  const std::vector<int32_t> &types,
                                  const std::vector<int32_t> &mask,
                                  const std::vector<int32_t> &langs) {
    std::vector<float> word = values(FAKE_VOCAB * FAKE_HIDDEN, 0.5f),
                       type = values(FAKE_TYPE_VOCAB * FAKE_HIDDEN, 2.0f);
    std::vector<float> out(ids.size() * FAKE_HIDDEN);
    for (size_t i = 0; i < ids.size(); ++i)
      for (int h = 0; h < FAKE_HIDDEN; ++h) {
        bool on = mask.empty() || mask[i];
        out[i * FAKE_HIDDEN + h] =
            (on ? word[ids[i] * FAKE_HIDDEN + h] +
                      (types.empty() ? 0.0f : type[types[i] * FAKE_HIDDEN + h])
                : 0.0f) +
            (langs.empty() ? 0.0f : float(langs[i]));
      }
    return out;
  }

  std::string path;
  bert_status st;
  std::vector<bert_model_t *> models;
  bert_model_t *bert = nullptr, *token = nullptr, *nopool = nullptr;
};

TEST_F(Named, QueriesListInputsAndOutputs) {
  bert_model_t *m = bert;
  ASSERT_EQ(bert_model_num_inputs(m), 3);
  ASSERT_EQ(bert_model_num_outputs(m), 2);
  bert_tensor_info info;
  ASSERT_EQ(bert_model_input_info(m, 2, &info, &st), BERT_OK);
  expectInfo(info, {"attention_mask",
                    BERT_DTYPE_INT32,
                    2,
                    {BERT_DIM_BATCH, BERT_DIM_SEQ},
                    2,
                    0,
                    1});
  ASSERT_EQ(bert_model_input_info(m, 0, &info, &st), BERT_OK);
  expectInfo(info, {"input_ids",
                    BERT_DTYPE_INT32,
                    2,
                    {BERT_DIM_BATCH, BERT_DIM_SEQ},
                    FAKE_VOCAB,
                    1,
                    0});
  ASSERT_EQ(bert_model_output_info(m, 1, &info, &st), BERT_OK);
  expectInfo(info, {"pooler_output",
                    BERT_DTYPE_FLOAT32,
                    2,
                    {BERT_DIM_BATCH, FAKE_HIDDEN},
                    0,
                    0,
                    0});
  EXPECT_EQ(bert_tensor_numel(&info, 2, 5), 2 * FAKE_HIDDEN);
  ASSERT_EQ(bert_model_output_info(m, 0, &info, &st), BERT_OK);
  EXPECT_EQ(bert_tensor_numel(&info, 2, 5), 2 * 5 * FAKE_HIDDEN);
  EXPECT_EQ(bert_model_find_input(m, "token_type_ids"), 1);
  EXPECT_EQ(bert_model_find_input(m, "langs"), -1);
  EXPECT_EQ(bert_model_find_output(m, "pooler_output"), 1);
  EXPECT_EQ(bert_model_find_output(m, nullptr), -1);
  expectBad(bert_model_output_info(m, 2, &info, &st), {"out of range", "2"});
  expectBad(bert_model_input_info(m, 0, nullptr, &st), {"info is NULL"});

  bert_model_t *t = token;
  EXPECT_EQ(bert_model_find_input(t, "token_type_ids"), -1);
  EXPECT_EQ(bert_model_find_input(t, "langs"), 2);
  EXPECT_EQ(bert_model_find_output(t, "last_hidden_state"), -1);
}

// Named buffers in any order, outputs left out going to scratch, inputs
// left out taking their defaults: the same numbers as bert_run.
TEST_F(Named, MatchesBertRunWithDefaultsAndScratch) {
  bert_model_t *m = bert;
  const int64_t batch = 2, seq = 3;
  std::vector<int32_t> ids = {1, 2, 3, 4, 5, 6}, types = {0, 1, 0, 1, 1, 0},
                       mask = {1, 1, 0, 1, 0, 0};
  std::vector<float> hidden(batch * seq * FAKE_HIDDEN),
      pooled(batch * FAKE_HIDDEN);
  ASSERT_EQ(bert_run(m, ids.data(), types.data(), mask.data(), batch, seq,
                     hidden.data(), pooled.data(), &st),
            BERT_OK);
  std::vector<float> h2(hidden.size(), -1), p2(pooled.size(), -1);
  bert_buffer in[] = {{"attention_mask", mask.data()},
                      {"input_ids", ids.data()},
                      {"token_type_ids", types.data()}};
  bert_buffer out[] = {{"pooler_output", p2.data()},
                       {"last_hidden_state", h2.data()}};
  ASSERT_EQ(bert_run_named(m, batch, seq, in, 3, out, 2, &st), BERT_OK)
      << st.message;
  EXPECT_EQ(h2, hidden);
  EXPECT_EQ(p2, pooled);

  // Only input_ids and only the pooled output: types 0, mask 1.
  std::vector<float> p3(pooled.size(), -1);
  ASSERT_EQ(bert_run(m, ids.data(), nullptr, nullptr, batch, seq, hidden.data(),
                     pooled.data(), &st),
            BERT_OK);
  bert_buffer pooledOnly = {"pooler_output", p3.data()};
  ASSERT_EQ(bert_run_named(m, batch, seq, in + 1, 1, &pooledOnly, 1, &st),
            BERT_OK)
      << st.message;
  EXPECT_EQ(p3, pooled);
  // No outputs at all is a valid (if pointless) run.
  EXPECT_EQ(bert_run_named(m, batch, seq, in + 1, 1, nullptr, 0, &st), BERT_OK);
}

TEST_F(Named, BadNamesAreNamed) {
  bert_model_t *m = bert;
  std::vector<int32_t> ids = {1, 2};
  std::vector<float> out(2 * FAKE_HIDDEN);
  bert_buffer ok = {"input_ids", ids.data()};
  bert_buffer unknown[] = {ok, {"langs", ids.data()}};
  expectBad(bert_run_named(m, 1, 2, unknown, 2, nullptr, 0, &st),
            {"has no input 'langs'",
             "its inputs: input_ids, token_type_ids, attention_mask"});
  bert_buffer twice[] = {ok, ok};
  expectBad(bert_run_named(m, 1, 2, twice, 2, nullptr, 0, &st),
            {"input 'input_ids' given twice"});
  bert_buffer logits = {"logits", out.data()};
  expectBad(bert_run_named(m, 1, 2, &ok, 1, &logits, 1, &st),
            {"has no output 'logits'",
             "its outputs: last_hidden_state, pooler_output"});
  bert_buffer types = {"token_type_ids", ids.data()};
  expectBad(bert_run_named(m, 1, 2, &types, 1, nullptr, 0, &st),
            {"input 'input_ids' is required"});
  bert_buffer nulldata = {"last_hidden_state", nullptr};
  expectBad(bert_run_named(m, 1, 2, &ok, 1, &nulldata, 1, &st),
            {"output 'last_hidden_state' has NULL data"});
  bert_buffer noname = {nullptr, ids.data()};
  expectBad(bert_run_named(m, 1, 2, &noname, 1, nullptr, 0, &st),
            {"input 0 has a NULL name"});
  expectBad(bert_run_named(m, 1, 2, nullptr, 1, nullptr, 0, &st), {"inputs"});
  expectBad(bert_run_named(m, 3, 2, &ok, 1, nullptr, 0, &st),
            {"bert_run_named: batch 3 out of range [1, 2]"});
  expectBad(bert_run_named(nullptr, 1, 2, &ok, 1, nullptr, 0, &st),
            {"model is NULL"});
}

TEST_F(Named, BadValuesNameTheInputAndPosition) {
  bert_model_t *m = bert;
  bert_model_t *t = token;
  std::vector<int32_t> ids = {1, 2, 3, 4}, types = {0, 1, 1, 2};
  bert_buffer in[] = {{"input_ids", ids.data()},
                      {"token_type_ids", types.data()}};
  expectBad(bert_run_named(m, 2, 2, in, 2, nullptr, 0, &st),
            {"token_type_ids[1][1] = 2 out of range [0, 2)"});
  std::vector<int32_t> langs = {0, 3, 0, 0};
  bert_buffer tin[] = {{"input_ids", ids.data()}, {"langs", langs.data()}};
  expectBad(bert_run_named(t, 2, 2, tin, 2, nullptr, 0, &st),
            {"langs[0][1] = 3 out of range [0, 3)"});
  ids[2] = FAKE_VOCAB;
  expectBad(bert_run_named(t, 2, 2, tin, 2, nullptr, 0, &st),
            {"input_ids[1][0] = 10 out of range [0, 10)"});
}

// bert_run is BertModel's call: it refuses a head without
// last_hidden_state, and a pooler buffer or token types the model lacks.
TEST_F(Named, BertRunNeedsLastHiddenState) {
  bert_model_t *t = token;
  bert_model_t *n = nopool;
  std::vector<int32_t> ids = {1, 2, 3};
  std::vector<float> hidden(3 * FAKE_HIDDEN), pooled(FAKE_HIDDEN);
  expectBad(bert_run(t, ids.data(), nullptr, nullptr, 1, 3, hidden.data(),
                     nullptr, &st),
            {"model 'fake_token' has no last_hidden_state output",
             "its outputs: logits, first", "use bert_run_named"});
  expectBad(bert_run(n, ids.data(), nullptr, nullptr, 1, 3, hidden.data(),
                     pooled.data(), &st),
            {"model 'fake_nopool' has no pooler_output", "pass NULL"});
  expectBad(bert_run(n, ids.data(), ids.data(), nullptr, 1, 3, hidden.data(),
                     nullptr, &st),
            {"has no token_type_ids input"});
  ASSERT_EQ(bert_run(n, ids.data(), nullptr, nullptr, 1, 3, hidden.data(),
                     nullptr, &st),
            BERT_OK)
      << st.message;
  EXPECT_EQ(hidden, embed(ids, {}, {}, {}));
}

// A token-level output through the packed path: real positions as the
// padded path computes them, padding rows s > 0 zeros, the per-sequence
// output unchanged; defaults for langs (0) and the inputs in table order.
TEST_F(Named, PackedRunWithTokenLevelOutput) {
  bert_model_t *t = token;
  const int64_t batch = 2, seq = 8;
  std::vector<int32_t> ids(batch * seq), mask(batch * seq, 1),
      langs(batch * seq, 0);
  for (int i = 0; i < batch * seq; ++i) {
    ids[i] = (i * 3) % FAKE_VOCAB;
    langs[i] = i % FAKE_N_LANGS;
  }
  for (int s = 3; s < 8; ++s)
    mask[s] = 0; // row 0: 3 real tokens of 8
  mask[8] = 0;   // row 1: left padding at position 0
  std::vector<float> padded(batch * seq * FAKE_HIDDEN), first(batch * 4),
      packed(padded.size(), -1), firstPacked(first.size(), -1);
  bert_buffer in[] = {{"langs", langs.data()},
                      {"attention_mask", mask.data()},
                      {"input_ids", ids.data()}};
  setenv("BERT_PACKING", "never", 1);
  bert_buffer out[] = {{"logits", padded.data()}, {"first", first.data()}};
  ASSERT_EQ(bert_run_named(t, batch, seq, in, 3, out, 2, &st), BERT_OK)
      << st.message;
  unsetenv("BERT_PACKING");
  EXPECT_EQ(padded, embed(ids, {}, mask, langs));
  int before = fake_model_packed_calls;
  bert_buffer outPacked[] = {{"first", firstPacked.data()},
                             {"logits", packed.data()}};
  ASSERT_EQ(bert_run_named(t, batch, seq, in, 3, outPacked, 2, &st), BERT_OK)
      << st.message;
  EXPECT_EQ(fake_model_packed_calls, before + 1);
  EXPECT_EQ(firstPacked, first);
  for (int64_t i = 0; i < batch * seq; ++i)
    for (int h = 0; h < FAKE_HIDDEN; ++h) {
      bool computed = mask[i] || i % seq == 0;
      EXPECT_EQ(packed[i * FAKE_HIDDEN + h],
                computed ? padded[i * FAKE_HIDDEN + h] : 0.0f)
          << "row " << i;
    }
  // Without langs (default 0) and without the mask (all attended).
  ASSERT_EQ(bert_run_named(t, batch, seq, in + 2, 1, out, 1, &st), BERT_OK);
  EXPECT_EQ(padded, embed(ids, {}, {}, {}));
}

// The io tables are checked at load like the weight table.
TEST_F(Named, InvalidIOTablesRefusedAtLoad) {
  bert_io_spec outs[2];
  bert_model_desc d = bert_generated_model;
  outs[0] = d.outputs[0];
  outs[1] = d.outputs[0]; // a duplicate name
  d.outputs = outs;
  EXPECT_EQ(bert_model_load_desc(&d, path.c_str(), &st), nullptr);
  EXPECT_EQ(st.code, BERT_ERR_ABI_MISMATCH);
  EXPECT_TRUE(contains(st.message, "output 1 ('last_hidden_state') is invalid"))
      << st.message;
  bert_io_spec ins[3] = {d.inputs[0], d.inputs[1], d.inputs[2]};
  d = bert_generated_model;
  ins[2].default_value = 2; // defaults are 0 or 1
  d.inputs = ins;
  EXPECT_EQ(bert_model_load_desc(&d, path.c_str(), &st), nullptr);
  EXPECT_TRUE(contains(st.message, "input 2 ('attention_mask') is invalid"))
      << st.message;
  ins[2] = bert_generated_model.inputs[2];
  ins[0].name = "ids"; // no input_ids
  EXPECT_EQ(bert_model_load_desc(&d, path.c_str(), &st), nullptr);
  EXPECT_TRUE(contains(st.message, "has no input_ids input")) << st.message;
}

} // namespace
