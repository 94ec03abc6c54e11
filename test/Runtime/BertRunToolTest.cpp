//===- BertRunToolTest.cpp - The bert-run command line tool ---------------===//
//
// Drives the real bert-run binary against the fake model built as a shared
// library (linked the way bertc links model libraries: the whole runtime
// archive inside), so the dlopen/dlsym path and the exported API are tested
// as a user meets them.
//
//===----------------------------------------------------------------------===//

#include "BertRun.h"
#include "TestUtil.h"

#include "runtime/src/npy.h"

#include <gtest/gtest.h>

#include <string>
#include <sys/stat.h>

using namespace berttest;

namespace {

class BertRunTool : public ::testing::Test {
protected:
  void SetUp() override {
    weights = tempPath("tool.safetensors");
    writeSafetensors(weights, fakeTensors());
  }
  std::string writeNpy(const std::string &name, bert_npy_dtype dtype,
                       std::vector<int64_t> shape, const void *data) {
    std::string p = tempPath(name);
    char err[256];
    EXPECT_EQ(bert_npy_write(p.c_str(), dtype, int(shape.size()), shape.data(),
                             data, err, sizeof(err)),
              0);
    return p;
  }
  std::string weights;
};

TEST_F(BertRunTool, IdsSummary) {
  Result r = bertRun(weights + " --ids 1,2,3");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("model: fake_bert"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("last_hidden_state: [1, 3, 4]"), std::string::npos);
}

TEST_F(BertRunTool, NpyInputsToOutDir) {
  int64_t ids[6] = {1, 2, 3, 4, 5, 6};
  int32_t types[6] = {0, 1, 0, 1, 0, 1};
  std::string idsPath = writeNpy("ids.npy", BERT_NPY_I64, {2, 3}, ids);
  std::string typesPath = writeNpy("types.npy", BERT_NPY_I32, {2, 3}, types);
  std::string dir = tempPath("out");
  Result r =
      bertRun(weights + " --input-ids " + idsPath + " --token-type-ids " +
              typesPath + " --out-dir " + dir + " --threads 2");
  ASSERT_EQ(r.status, 0) << r.output;
  NpyOutput hidden(dir + "/last_hidden_state.npy");
  ASSERT_TRUE(hidden.ok) << hidden.error;
  EXPECT_EQ(hidden.a.dtype, BERT_NPY_F32);
  ASSERT_EQ(hidden.shape(), (std::vector<int64_t>{2, 3, FAKE_HIDDEN}));
  // Token 0 of batch 0: word row 1 + type row 0.
  std::vector<float> word = values(FAKE_VOCAB * FAKE_HIDDEN, 0.5f),
                     type = values(FAKE_TYPE_VOCAB * FAKE_HIDDEN, 2.0f);
  EXPECT_EQ(static_cast<float *>(hidden.a.data)[0], word[4] + type[0]);
  NpyOutput pooled(dir + "/pooler_output.npy");
  ASSERT_TRUE(pooled.ok) << pooled.error;
  EXPECT_EQ(pooled.a.rank, 2);
  EXPECT_EQ(pooled.a.shape[1], FAKE_HIDDEN);
}

// A head without last_hidden_state: every output the model has goes to
// <out-dir>/<name>.npy with the call's shape; --langs is an input like the
// others; the summary lists each output.
TEST_F(BertRunTool, HeadOutputsAndLangsToOutDir) {
  int32_t ids[6] = {1, 2, 3, 4, 5, 6}, mask[6] = {1, 1, 0, 1, 1, 1};
  int64_t langs[6] = {0, 1, 2, 2, 1, 0};
  std::string idsPath = writeNpy("tids.npy", BERT_NPY_I32, {2, 3}, ids);
  std::string maskPath = writeNpy("tmask.npy", BERT_NPY_I32, {2, 3}, mask);
  std::string langsPath = writeNpy("tlangs.npy", BERT_NPY_I64, {2, 3}, langs);
  std::string dir = tempPath("head-out");
  Result r =
      bertRun(weights + " --input-ids " + idsPath + " --attention-mask " +
                  maskPath + " --langs " + langsPath + " --out-dir " + dir,
              FAKE_TOKEN_MODEL_PATH);
  ASSERT_EQ(r.status, 0) << r.output;
  {
    NpyOutput logits(dir + "/logits.npy");
    ASSERT_TRUE(logits.ok) << logits.error;
    ASSERT_EQ(logits.shape(), (std::vector<int64_t>{2, 3, FAKE_HIDDEN}));
    // Row 1, token 1: word row 5 + lang 1.
    std::vector<float> word = values(FAKE_VOCAB * FAKE_HIDDEN, 0.5f);
    EXPECT_EQ(static_cast<float *>(logits.a.data)[4 * FAKE_HIDDEN],
              word[5 * 4] + 1.0f);
    NpyOutput first(dir + "/first.npy");
    ASSERT_TRUE(first.ok) << first.error;
    EXPECT_EQ(first.a.rank, 2);
    EXPECT_EQ(first.a.shape[1], FAKE_HIDDEN);
  }
  struct stat sb;
  EXPECT_NE(stat((dir + "/last_hidden_state.npy").c_str(), &sb), 0);

  r = bertRun(weights + " --ids 1,2,3", FAKE_TOKEN_MODEL_PATH);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("logits: [1, 3, 4] first values:"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("first: [1, 4] first values:"), std::string::npos);
  // A bad langs value is named by the runtime.
  int32_t badLangs[6] = {0, 0, 0, 0, 7, 0};
  std::string bad = writeNpy("tbad.npy", BERT_NPY_I32, {2, 3}, badLangs);
  r = bertRun(weights + " --input-ids " + idsPath + " --langs " + bad,
              FAKE_TOKEN_MODEL_PATH);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("langs[1][1] = 7 out of range [0, 3)"),
            std::string::npos)
      << r.output;
  // Token types to a model without them: the runtime names the input.
  r = bertRun(weights + " --input-ids " + idsPath + " --token-type-ids " +
                  maskPath,
              FAKE_TOKEN_MODEL_PATH);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("has no input 'token_type_ids'"), std::string::npos)
      << r.output;
}

TEST_F(BertRunTool, Bench) {
  Result r = bertRun(weights + " --ids 1,2 --bench 5");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("latency: median"), std::string::npos) << r.output;
}

TEST_F(BertRunTool, Profile) {
  // The warm-up run stays out of the profile: 4 runs, not 5.
  Result r = bertRun(weights + " --ids 1,2 --bench 4 --profile");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("profile of 'fake_bert': 4 runs"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("fake.pooler weighted"), std::string::npos)
      << r.output;
  // Without --bench the one run is profiled.
  r = bertRun(weights + " --profile --ids 1,2");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("profile of 'fake_bert': 1 run,"), std::string::npos)
      << r.output;
}

TEST_F(BertRunTool, Errors) {
  float f[2] = {1, 2};
  int32_t ids3[3] = {1, 2, 3}, ids2[2] = {1, 2};
  std::string floats = writeNpy("f.npy", BERT_NPY_F32, {1, 2}, f);
  std::string a = writeNpy("a.npy", BERT_NPY_I32, {1, 3}, ids3);
  std::string b = writeNpy("b.npy", BERT_NPY_I32, {1, 2}, ids2);
  std::string junk = tempPath("junk.npy");
  writeBytes(junk, "not numpy at all");
  std::string missing = tempPath("missing.npy");
  struct {
    std::string args, needle;
  } cases[] = {
      {weights + " --input-ids " + missing,
       "bert-run: error: " + missing + ": cannot open"},
      {weights + " --input-ids " + junk,
       "bert-run: error: " + junk + ": not a .npy file"},
      {weights + " --input-ids " + floats,
       "bert-run: error: " + floats + ": expected int32 or int64"},
      {weights + " --input-ids " + a + " --attention-mask " + b,
       "bert-run: error: " + b + ": shape [1, 2] disagrees with " + a},
      {weights + " --ids 1,x", "bert-run: error: --ids: bad token id"},
      {weights + " --ids 1,99", "input_ids[0][1] = 99 out of range"},
      {weights + " --ids 1,2,3,4,5,6,7,8,9", "outside the compiled maximum"},
      {tempPath("nope.safetensors") + " --ids 1",
       "nope.safetensors: cannot open"},
  };
  for (auto &c : cases) {
    Result r = bertRun(c.args);
    EXPECT_EQ(r.status, 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.needle), std::string::npos)
        << "'" << r.output << "' lacks '" << c.needle << "'";
  }
}

// Issue 19: a FIFO blocked bert-run in open(), a directory as --input-ids
// read as "out of memory", /dev/zero as weights was read. Each is now one
// "<file>: is a ..., not a regular file" line and exit 1, at once.
TEST_F(BertRunTool, NonRegularFilesRefusedWithoutBlocking) {
  std::string fifo = tempPath("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  struct Case {
    std::string lib, args, want;
  } cases[] = {
      {fifo, weights + " --ids 1", fifo + ": is a FIFO, not a regular file"},
      {FAKE_MODEL_PATH, fifo + " --ids 1",
       fifo + ": is a FIFO, not a regular file"},
      {FAKE_MODEL_PATH, weights + " --input-ids " + fifo,
       fifo + ": is a FIFO, not a regular file"},
      {FAKE_MODEL_PATH, weights + " --input-ids /tmp",
       "/tmp: is a directory, not a regular file"},
      {FAKE_MODEL_PATH, "/dev/zero --ids 1",
       "/dev/zero: is a character device, not a regular file"},
  };
  for (const Case &c : cases) {
    Result r = bertRun(c.args, c.lib);
    EXPECT_EQ(r.status, 1) << c.lib << " " << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.want), std::string::npos)
        << "output '" << r.output << "' lacks '" << c.want << "'";
  }
}

} // namespace
