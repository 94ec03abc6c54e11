//===- ProfileTest.cpp - bert_model_set_profiling and the report ----------===//
//
// The fake model marks two calls per run (FakeModel.c): the report must
// count the runs, name both kernels and calls, carry the pooler's flops
// only, follow snprintf's rules, and restart from zero when re-enabled.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "bert_runtime.h"
#include "runtime/src/profile.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace berttest;

namespace {

class Profile : public LoadedFakeModel {
protected:
  Profile() : LoadedFakeModel("profile.safetensors") {}

  void runOnce() {
    std::vector<int32_t> ids = {1, 2, 3};
    std::vector<float> out(3 * FAKE_HIDDEN), pooled(FAKE_HIDDEN);
    ASSERT_EQ(bert_run(m, ids.data(), nullptr, nullptr, 1, 3, out.data(),
                       pooled.data(), &st),
              BERT_OK)
        << st.message;
  }

  std::string report() {
    size_t len = bert_model_profile_report(m, nullptr, 0);
    std::string s(len + 1, '\0');
    EXPECT_EQ(bert_model_profile_report(m, s.data(), s.size()), len);
    s.resize(len);
    return s;
  }
};

bool contains(const std::string &s, const std::string &needle) {
  return s.find(needle) != std::string::npos;
}

TEST_F(Profile, OffByDefault) {
  runOnce();
  EXPECT_TRUE(contains(report(), "profile of 'fake_bert': 0 runs")) << report();
}

TEST_F(Profile, CountsRunsKernelsAndCalls) {
  ASSERT_EQ(bert_model_set_profiling(m, 1, &st), BERT_OK);
  for (int i = 0; i < 3; ++i)
    runOnce();
  std::string r = report();
  EXPECT_TRUE(contains(r, "profile of 'fake_bert': 3 runs")) << r;
  EXPECT_TRUE(contains(r, "2 kernel calls take")) << r;
  EXPECT_TRUE(contains(r, "fake embeddings")) << r;
  EXPECT_TRUE(contains(r, "fake pooler")) << r;
  EXPECT_TRUE(contains(r, "fake.embeddings sum")) << r;
  EXPECT_TRUE(contains(r, "fake.pooler weighted")) << r;
  // Only the pooler counts flops: its line has a GFLOP/s figure, the
  // embeddings line a dash.
  for (const char *line : {"fake embeddings", "fake pooler"}) {
    size_t at = r.find(line);
    size_t begin = r.rfind('\n', at) + 1;
    std::string row = r.substr(begin, at - begin);
    EXPECT_EQ(contains(row, " - "), std::string(line) == "fake embeddings")
        << row;
  }
}

TEST_F(Profile, DisablingStopsCountingAndEnablingClears) {
  ASSERT_EQ(bert_model_set_profiling(m, 1, &st), BERT_OK);
  runOnce();
  ASSERT_EQ(bert_model_set_profiling(m, 0, &st), BERT_OK);
  runOnce();
  EXPECT_TRUE(contains(report(), ": 1 run,")) << report();
  ASSERT_EQ(bert_model_set_profiling(m, 1, &st), BERT_OK);
  EXPECT_TRUE(contains(report(), ": 0 runs")) << report();
}

TEST_F(Profile, FailedRunsAreNotCounted) {
  ASSERT_EQ(bert_model_set_profiling(m, 1, &st), BERT_OK);
  std::vector<int32_t> ids = {FAKE_FAIL_ID};
  std::vector<float> out(FAKE_HIDDEN);
  EXPECT_EQ(
      bert_run(m, ids.data(), nullptr, nullptr, 1, 1, out.data(), nullptr, &st),
      BERT_ERR_KERNEL);
  EXPECT_TRUE(contains(report(), ": 0 runs")) << report();
}

TEST_F(Profile, ReportTruncatesLikeSnprintf) {
  ASSERT_EQ(bert_model_set_profiling(m, 1, &st), BERT_OK);
  runOnce();
  std::string full = report();
  char small[16];
  EXPECT_EQ(bert_model_profile_report(m, small, sizeof small), full.size());
  EXPECT_EQ(std::string(small), full.substr(0, sizeof small - 1));
}

// bert_run reads the profiling flag once: switching it off while a run is
// in progress must not leave the thread's marks aimed at the run's record
// (a stack frame that is gone once bert_run returns; ASan reported
// stack-use-after-return when bert_run read the flag three times).
bert_model_t *toggledModel = nullptr;
void switchProfilingOff() {
  bert_status s;
  bert_model_set_profiling(toggledModel, 0, &s);
}

TEST_F(Profile, SwitchedOffDuringRun) {
  ASSERT_EQ(bert_model_set_profiling(m, 1, &st), BERT_OK);
  toggledModel = m;
  fake_model_during_run = switchProfilingOff;
  runOnce();
  fake_model_during_run = nullptr;
  EXPECT_EQ(bert_profile_recording(), 0);
  runOnce(); // its marks must go nowhere
  EXPECT_TRUE(contains(report(), ": 0 runs")) << report();
}

TEST_F(Profile, ToggledFromAnotherThread) {
  std::atomic<bool> stop{false};
  std::thread toggler([&] {
    bert_status s;
    for (int i = 0; !stop; ++i)
      bert_model_set_profiling(m, i % 2, &s);
  });
  std::vector<std::thread> runners;
  std::atomic<int> failures{0};
  for (int t = 0; t < 2; ++t)
    runners.emplace_back([&] {
      std::vector<int32_t> ids = {1, 2, 3};
      std::vector<float> out(3 * FAKE_HIDDEN), pooled(FAKE_HIDDEN);
      bert_status s;
      for (int i = 0; i < 2000; ++i) {
        if (bert_run(m, ids.data(), nullptr, nullptr, 1, 3, out.data(),
                     pooled.data(), &s) != BERT_OK ||
            bert_profile_recording())
          ++failures;
      }
    });
  for (std::thread &r : runners)
    r.join();
  stop = true;
  toggler.join();
  EXPECT_EQ(failures, 0);
  // The report stays well formed whatever the interleaving.
  EXPECT_TRUE(contains(report(), "profile of 'fake_bert': ")) << report();
}

TEST_F(Profile, NullModel) {
  EXPECT_EQ(bert_model_set_profiling(nullptr, 1, &st), BERT_ERR_BAD_ARGUMENT);
  char buf[4] = "xyz";
  EXPECT_EQ(bert_model_profile_report(nullptr, buf, sizeof buf), 0u);
  EXPECT_EQ(buf[0], '\0');
}

} // namespace
