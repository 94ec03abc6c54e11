//===- BertRun.h - Running the real bert-run binary in a test -------------===//
//
// The bert-run tests (here and test/Tokenizer) drive the tool as a user
// does: a shell command line, the output and the exit status. The target
// defines BERT_RUN_PATH and FAKE_MODEL_PATH (bert_run_test in CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_TEST_RUNTIME_BERTRUN_H
#define BERT_TEST_RUNTIME_BERTRUN_H

#include "runtime/src/npy.h"

#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace berttest {

struct Result {
  int status;
  std::string output;
};

// Runs bert-run with `args` after the library argument (`lib`, by default
// the fake model). Under `timeout`, so that a bert-run that blocks fails the
// test (status 124) instead of hanging it.
inline Result bertRun(const std::string &args,
                      const std::string &lib = FAKE_MODEL_PATH) {
  std::string cmd = "timeout 60 " + std::string(BERT_RUN_PATH) + " " + lib +
                    " " + args + " 2>&1";
  Result r{-1, ""};
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return r;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.output.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// An output file of bert-run read back, freed when it goes out of scope (so
// a failed ASSERT leaks nothing). `ok` says whether the read succeeded;
// when not, `error` says why.
struct NpyOutput {
  bert_npy_array a{};
  char error[256] = "";
  bool ok;
  explicit NpyOutput(const std::string &path)
      : ok(bert_npy_read(path.c_str(), &a, error, sizeof(error)) == 0) {}
  ~NpyOutput() {
    if (ok)
      bert_npy_free(&a);
  }
  std::vector<int64_t> shape() const { return {a.shape, a.shape + a.rank}; }
  NpyOutput(const NpyOutput &) = delete;
  NpyOutput &operator=(const NpyOutput &) = delete;
};

} // namespace berttest

#endif // BERT_TEST_RUNTIME_BERTRUN_H
