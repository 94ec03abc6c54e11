//===- AmxBlockTest.cpp - the AMX bf16 GEMM block vs plain loops ----------===//
//
// Calls the C block (compiler/backend/cpu/amx/AmxGemm.h) directly, as the
// bf16 linear's Halide code calls it per task, on blocks whose rows and
// columns start inside the matrices and whose row counts leave every
// strip shape (1 to 32 rows: one or two A tiles, partial tiles) and whose
// column counts leave a 16-column edge. The reference sums the same bf16
// values in double, so only fp32 summation order separates the two. Cells
// around the block are poisoned and must stay so: partial tiles may not
// write past the block. Skipped where the CPU or kernel has no AMX.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/amx/AmxGemm.h"
#include "compiler/backend/cpu/kernels/Kernels.h"
#include "runtime/src/weight_pack.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

using namespace bert;

namespace {

/// AMX-BF16 in CPUID (leaf 7, EDX bit 22) and the tile state granted.
bool hostRunsAmx() {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 22)))
    return false;
  return cpu::requestAMXState();
#else
  return false;
#endif
}

float valueOf(uint16_t bf16) {
  uint32_t u = uint32_t(bf16) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

halide_buffer_t bufferOf(void *host, halide_type_t type,
                         std::vector<halide_dimension_t> &dims) {
  halide_buffer_t b{};
  b.host = static_cast<uint8_t *>(host);
  b.type = type;
  b.dimensions = int(dims.size());
  b.dim = dims.data();
  return b;
}

/// acc[m0.., n0..] (rows x cols) of X (M x K) times W (N x K)^T, W in
/// panels of nb columns.
void testBlock(int M, int N, int K, int m0, int rows, int n0, int cols,
               int nb = 32) {
  std::mt19937 rng(M * 7919 + N * 31 + K + m0 + n0);
  std::uniform_real_distribution<float> ux(-1, 1), uw(-.05f, .05f);
  std::vector<uint16_t> xb(size_t(M) * K);
  std::vector<float> w(size_t(N) * K), wf(w.size());
  for (uint16_t &v : xb)
    v = cpu::floatToBF16(ux(rng));
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = uw(rng);
    wf[i] = valueOf(cpu::floatToBF16(w[i]));
  }
  cpu::BF16Layout l{N, K, nb, 2 * nb, (N + nb - 1) / nb};
  std::vector<uint16_t> wp(size_t(l.numElements()), 0);
  bert_pack_bf16_rows(w.data(), 0, N, K, nb, l.rowStride, wp.data());

  // The block's output inside a larger poisoned matrix (pitch N + 8).
  const int pitch = N + 8;
  std::vector<float> out(size_t(M + 2) * pitch, NAN);
  std::vector<halide_dimension_t> xd = {{0, K, 1}, {0, M, K}}, wd = l.dims(),
                                  ad = {{n0, cols, 1}, {m0, rows, pitch}};
  halide_buffer_t xbuf = bufferOf(xb.data(), {halide_type_bfloat, 16, 1}, xd),
                  wbuf = bufferOf(wp.data(), {halide_type_bfloat, 16, 1}, wd),
                  abuf = bufferOf(&out[size_t(m0) * pitch + n0],
                                  {halide_type_float, 32, 1}, ad);
  ASSERT_EQ(bert_amx_bf16_gemm(K, N, nb, &xbuf, &wbuf, &abuf), 0);

  double maxErr = 0;
  int poisoned = 0;
  for (int m = 0; m < M + 2; ++m)
    for (int n = 0; n < pitch; ++n) {
      float got = out[size_t(m) * pitch + n];
      bool inside = m >= m0 && m < m0 + rows && n >= n0 && n < n0 + cols;
      if (!inside) {
        poisoned += !std::isnan(got);
        continue;
      }
      double want = 0;
      for (int k = 0; k < K; ++k)
        want += double(valueOf(xb[size_t(m) * K + k])) *
                double(wf[size_t(n) * K + k]);
      double e = std::abs(double(got) - want);
      maxErr = std::isnan(e) ? INFINITY : std::max(maxErr, e);
    }
  const double tol = K >= 768 ? 1e-4 : 1e-5;
  EXPECT_LE(maxErr, tol) << "M=" << M << " N=" << N << " K=" << K
                         << " block rows " << m0 << "+" << rows << " cols "
                         << n0 << "+" << cols;
  EXPECT_EQ(poisoned, 0) << "cells outside the block written";
  std::printf("[%s] amx block M=%d N=%d K=%d nb=%d rows %d+%d cols %d+%d  "
              "max|err| %.2e (tol %.0e)\n",
              maxErr <= tol && !poisoned ? " OK " : "FAIL", M, N, K, nb, m0,
              rows, n0, cols, maxErr, tol);
}

} // namespace

TEST(AmxBlock, StripsAndEdges) {
  if (!hostRunsAmx())
    GTEST_SKIP() << "no AMX-BF16 on this CPU or kernel";
  // Every strip shape: 1, 15, 16, 17 and 31 rows (partial A and
  // accumulator tiles), whole strips, several strips with a tail.
  for (int rows : {1, 15, 16, 17, 31, 32, 33, 128, 300})
    testBlock(300, 64, 64, 300 - rows, rows, 0, 64);
  // Column edges of 16 (the 2 x 1 and 1 x 1 micro-kernels), blocks that
  // start inside W, a last panel of 16 columns, and pairs that straddle
  // panels (16-column panels, and a block starting mid-panel).
  testBlock(40, 112, 96, 3, 37, 16, 48);
  testBlock(20, 112, 96, 2, 9, 80, 16);
  testBlock(40, 112, 96, 3, 37, 16, 96, 16);
  testBlock(33, 112, 64, 0, 33, 48, 64);
  // The BERT depths, as the strategy cuts them.
  testBlock(128, 768, 768, 0, 128, 128, 128);
  testBlock(37, 768, 3072, 5, 32, 0, 96);
}
