//===- ActivationTest.cpp - the erf GELU epilogue against double erfc -----===//
//
// detail::activate(Gelu) is a piecewise polynomial, not Halide's erf(); the
// linear tests see it only through 1e-4 tolerances. Here it is JIT-compiled
// alone (vectorized for the target BERT_TEST_TARGET names, as the kernels
// are) and compared, float by float, with 0.5 x erfc(-x / sqrt 2) in double
// (erfc: no cancellation for negative x) over the floats of [-10, 10]
// (every 61st bit pattern, 36M points; BERT_GELU_SWEEP_STRIDE=1 sweeps all
// 2.2e9), plus the special values: NaN stays NaN, +inf gives +inf, and -inf
// or any large negative x gives 0, not NaN. Tolerance |err| <= 2e-7
// max(1, |x|), about 3 half-ulps of the result; the erf() expression this
// replaced fails both tests (2.27e-7 at x = 1.41; NaN at -inf, +-1e30).
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

using namespace bert;
using Halide::Buffer;

namespace {

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

double geluRef(double x) { return 0.5 * x * std::erfc(-x * M_SQRT1_2); }

/// activate(act, in(i)) over `xs`, vectorized as the kernels' epilogues are.
std::vector<float> evaluate(cpu::Activation act, std::vector<float> xs) {
  Halide::Target target = cpu::parseTarget(
      getenv("BERT_TEST_TARGET") ? getenv("BERT_TEST_TARGET") : "host");
  int vec = target.natural_vector_size<float>();
  size_t n = xs.size();
  xs.resize((n + vec - 1) / vec * vec, 0.f);
  Halide::ImageParam in(Halide::Float(32), 1, "in");
  Halide::Var i("i");
  Halide::Func f("gelu");
  f(i) = cpu::detail::activate(act, in(i));
  f.vectorize(i, vec);
  f.compile_jit(target);
  in.set(Buffer<float>(xs.data(), int(xs.size())));
  Buffer<float> out = f.realize({int(xs.size())});
  return std::vector<float>(out.data(), out.data() + n);
}

TEST(Activation, GeluErfSweep) {
  uint32_t stride = 61;
  if (const char *s = getenv("BERT_GELU_SWEEP_STRIDE"))
    stride = uint32_t(std::max(1, atoi(s)));
  const uint32_t ten = 0x41200000; // 10.0f
  const double tol = 2e-7;
  // In chunks: the full sweep would not fit in memory at once.
  double worst = 0;
  float worstX = 0;
  size_t points = 0;
  std::vector<float> xs;
  for (uint64_t base = 0; base <= ten; base += uint64_t(stride) << 22) {
    xs.clear();
    uint64_t end = std::min<uint64_t>(ten, base + (uint64_t(stride) << 22) - 1);
    for (uint64_t u = base; u <= end; u += stride) {
      xs.push_back(fromBits(uint32_t(u)));
      xs.push_back(-fromBits(uint32_t(u)));
    }
    std::vector<float> got = evaluate(cpu::Activation::Gelu, xs);
    for (size_t k = 0; k < xs.size(); ++k) {
      double x = xs[k];
      double e = std::abs(got[k] - geluRef(x)) / std::max(1.0, std::abs(x));
      if (!(e <= worst)) { // NaN counts as the worst
        worst = std::isnan(e) ? INFINITY : e;
        worstX = xs[k];
      }
    }
    points += xs.size();
  }
  std::printf("GELU(erf) on %zu floats of [-10, 10]: max |err| / max(1, |x|) "
              "%.3e at x = %.9g (tol %.0e)\n",
              points, worst, worstX, tol);
  EXPECT_LE(worst, tol) << "at x = " << worstX;
}

TEST(Activation, GeluErfSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float big = std::numeric_limits<float>::max();
  const float tiny = std::numeric_limits<float>::denorm_min();
  const float nrm = std::numeric_limits<float>::min();
  std::vector<float> xs = {
      std::nanf(""), -std::nanf(""), inf, -inf, big,  -big,  1e30f, -1e30f,
      1e6f,          -1e6f,          100, -100, 20,   -20,   10.5f, -10.5f,
      5.3f,          -5.3f,          0,   -0.f, tiny, -tiny, nrm,   -nrm,
      1e-20f,        -1e-20f};
  std::vector<float> got = evaluate(cpu::Activation::Gelu, xs);
  EXPECT_TRUE(std::isnan(got[0])) << "GELU(NaN) = " << got[0];
  EXPECT_TRUE(std::isnan(got[1])) << "GELU(-NaN) = " << got[1];
  EXPECT_EQ(got[2], inf);
  for (size_t k = 3; k < xs.size(); ++k) {
    double x = xs[k];
    if (x < -10) // HF's value underflows to -0; NaN or -inf would be wrong
      EXPECT_EQ(got[k], 0.f) << "GELU(" << x << ") = " << got[k];
    else
      EXPECT_LE(std::abs(got[k] - geluRef(x)),
                2e-7 * std::max(1.0, std::abs(x)))
          << "GELU(" << x << ") = " << got[k];
  }
}

} // namespace
