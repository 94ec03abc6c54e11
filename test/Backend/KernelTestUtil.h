//===- KernelTestUtil.h - what the kernel test files share ------*- C++ -*-===//
//
// Random data, buffer views as the generated host code builds them, the
// max-error check every kernel test prints, and the target the tests JIT for
// (BERT_TEST_TARGET, default the host).
//===----------------------------------------------------------------------===//

#ifndef BERT_TEST_BACKEND_KERNELTESTUTIL_H
#define BERT_TEST_BACKEND_KERNELTESTUTIL_H

#include "ReferenceKernels.h"

#include "compiler/backend/cpu/kernels/Kernels.h"
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace bert::test {

/// One generator for the whole test binary, seeded once: runs repeat.
inline std::mt19937 &testRng() {
  static std::mt19937 rng(42);
  return rng;
}

inline std::vector<float> randomVec(size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto &x : v)
    x = u(testRng());
  return v;
}

/// A Halide buffer over `data` with explicit (extent, stride) pairs,
/// innermost first -- the same halide_buffer_t the generated host code builds.
template <typename T>
Halide::Buffer<T> view(T *data, std::vector<std::pair<int, int>> dims) {
  std::vector<halide_dimension_t> shape;
  for (auto [extent, stride] : dims)
    shape.push_back(halide_dimension_t(0, extent, stride));
  return Halide::Buffer<T>(data, int(shape.size()), shape.data());
}

inline void check(const std::string &name, const std::vector<float> &got,
                  const std::vector<float> &want, double tol) {
  double maxErr = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double e = std::abs(double(got[i]) - double(want[i]));
    if (!(e <= maxErr)) // NaN counts as failure
      maxErr = std::isnan(e) ? INFINITY : e;
  }
  bool ok = maxErr <= tol;
  EXPECT_TRUE(ok) << name << ": max|err| " << maxErr << " > " << tol;
  std::printf("[%s] %-58s max|err| %.2e (tol %.0e)\n", ok ? " OK " : "FAIL",
              name.c_str(), maxErr, tol);
}

inline const Halide::Target &host() {
  // BERT_TEST_TARGET=x86-64-avx2 checks the non-AVX-512 schedule branch.
  static Halide::Target t = [] {
    bert::cpu::requestAMXState(); // for the bf16 kernels on AMX hosts
    Halide::Target target = bert::cpu::parseTarget(
        getenv("BERT_TEST_TARGET") ? getenv("BERT_TEST_TARGET") : "host");
    std::printf("target %s\n", target.to_string().c_str());
    return target;
  }();
  return t;
}

inline bert::cpu::Activation toCpu(ref::Act a) {
  return bert::cpu::Activation(int(a));
}

} // namespace bert::test

#endif
