//===- AmxBlockTest.cpp - the AMX GEMM blocks vs plain loops -------------===//
//
// Calls the C blocks (compiler/backend/cpu/amx/AmxGemm.h), bf16 and int8,
// directly, as the linears' Halide code calls them per task, on blocks
// whose rows and columns start inside the matrices and whose row counts
// leave every strip shape (1 to 32 rows: one or two A tiles, partial
// tiles) and whose column counts leave a 16-column edge. Each case runs
// twice where it can: on the emulated tiles (amx/AmxEmulator.c, every CPU),
// where every tile row loaded must lie in the block's rows of X or in W and
// every row stored in the block's span of the output, and on the hardware
// (skipped where the CPU or kernel has no AMX).
// bf16: the reference sums the same bf16 values in double, so only fp32
// summation order separates the two. int8: weights that are integers with
// a row maximum of 127 go through the runtime's packer unchanged, and the
// int32 sums must match exactly. Cells around the block are poisoned and
// must stay so: partial tiles may not write past the block.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/amx/AmxEmulator.h"
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

/// AMX-TILE, AMX-BF16 and AMX-INT8 in CPUID (leaf 7, EDX bits 24, 22, 25)
/// and the tile state granted.
bool hostRunsAmx() {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  const unsigned bits = 1u << 22 | 1u << 24 | 1u << 25;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || (d & bits) != bits)
    return false;
  return cpu::requestAMXState();
#else
  return false;
#endif
}

using GemmBlock = int (*)(int32_t, int32_t, int32_t, halide_buffer_t *,
                          halide_buffer_t *, halide_buffer_t *);
enum class Tiles { Emulated, Hardware };
enum class Elem { BF16, Int8 };

GemmBlock blockOf(Tiles tiles, Elem elem) {
  if (tiles == Tiles::Emulated)
    return elem == Elem::BF16 ? bert_amx_emu_bf16_gemm : bert_amx_emu_i8_gemm;
  return elem == Elem::BF16 ? bert_amx_bf16_gemm : bert_amx_i8_gemm;
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

/// The output's poison: a NaN as fp32, an unlikely int32.
constexpr uint32_t kPoison = 0xffc00001u;

/// acc[m0.., n0..] (rows x cols) of X (M x K) times W (N x K)^T, W in
/// panels of nb columns, on `tiles`.
void testBlock(Tiles tiles, Elem elem, int M, int N, int K, int m0, int rows,
               int n0, int cols, int nb = 32) {
  std::mt19937 rng(M * 7919 + N * 31 + K + m0 + n0);
  const bool bf16 = elem == Elem::BF16;
  const size_t xBytes = bf16 ? 2 : 1;
  std::vector<uint8_t> x(size_t(M) * K * xBytes);
  std::vector<float> w(size_t(N) * K);
  std::vector<uint8_t> wp;
  // X and W as the reference reads them (the values the tiles see).
  auto xAt = [&](int m, int k) -> double {
    size_t i = size_t(m) * K + k;
    if (!bf16)
      return x[i];
    uint16_t v;
    std::memcpy(&v, &x[2 * i], 2);
    return valueOf(v);
  };
  std::vector<double> wRef(w.size());
  std::vector<halide_dimension_t> wd;
  if (bf16) {
    std::uniform_real_distribution<float> ux(-1, 1), uw(-.05f, .05f);
    for (size_t i = 0; i < size_t(M) * K; ++i) {
      uint16_t v = cpu::floatToBF16(ux(rng));
      std::memcpy(&x[2 * i], &v, 2);
    }
    for (size_t i = 0; i < w.size(); ++i) {
      w[i] = uw(rng);
      wRef[i] = valueOf(cpu::floatToBF16(w[i]));
    }
    cpu::BF16Layout l{N, K, nb, 2 * nb, (N + nb - 1) / nb};
    wp.assign(size_t(l.numElements()) * 2, 0);
    bert_pack_bf16_rows(w.data(), 0, N, K, nb, l.rowStride,
                        reinterpret_cast<uint16_t *>(wp.data()));
    wd = l.dims();
  } else {
    // The full ranges: u8 0..255, s8 -127..127 (the packer's symmetric
    // range), one 127 per row so the packer's scale is 1.
    std::uniform_int_distribution<int> ux(0, 255), uw(-127, 127);
    for (uint8_t &v : x)
      v = uint8_t(ux(rng));
    for (int n = 0; n < N; ++n)
      for (int k = 0; k < K; ++k)
        w[size_t(n) * K + k] = k == n % K ? 127.f : float(uw(rng));
    for (size_t i = 0; i < w.size(); ++i)
      wRef[i] = w[i];
    cpu::Int8Layout l;
    l.N = N;
    l.K = K;
    l.nb = nb;
    l.rowStride = 4 * nb;
    l.numPanels = (N + nb - 1) / nb;
    l.bytes = bert_s8_weight_bytes(N, K, nb, l.rowStride, &l.scaleOffset);
    wp.assign(size_t(l.bytes), 0);
    int8_t *q = reinterpret_cast<int8_t *>(wp.data());
    bert_pack_s8_rows(w.data(), 0, N, K, 0, nb, l.rowStride, q,
                      reinterpret_cast<float *>(q + l.scaleOffset),
                      reinterpret_cast<int32_t *>(q + l.scaleOffset + 4 * N));
    wd = l.dims();
  }

  // The block's output inside a larger poisoned matrix (pitch N + 8).
  const int pitch = N + 8;
  std::vector<uint32_t> out(size_t(M + 2) * pitch, kPoison);
  const halide_type_t xType = bf16 ? halide_type_t(halide_type_bfloat, 16)
                                   : halide_type_t(halide_type_uint, 8),
                      wType = bf16 ? halide_type_t(halide_type_bfloat, 16)
                                   : halide_type_t(halide_type_int, 8),
                      accType = bf16 ? halide_type_t(halide_type_float, 32)
                                     : halide_type_t(halide_type_int, 32);
  std::vector<halide_dimension_t> xd = {{0, K, 1}, {0, M, K}},
                                  ad = {{n0, cols, 1}, {m0, rows, pitch}};
  uint32_t *block = &out[size_t(m0) * pitch + n0];
  halide_buffer_t xbuf = bufferOf(x.data(), xType, xd),
                  wbuf = bufferOf(wp.data(), wType, wd),
                  abuf = bufferOf(block, accType, ad);
  if (tiles == Tiles::Emulated) {
    // Only the block's rows of X, the packed weights, and the block's span
    // of the output (its first cell to its last).
    bert_amx_emu_reset_errors();
    bert_amx_emu_allow(&x[size_t(m0) * K * xBytes], size_t(rows) * K * xBytes,
                       0);
    bert_amx_emu_allow(wp.data(), wp.size(), 0);
    bert_amx_emu_allow(block, (size_t(rows - 1) * pitch + cols) * 4, 1);
  }
  const int rc = blockOf(tiles, elem)(K, N, nb, &xbuf, &wbuf, &abuf);
  if (tiles == Tiles::Emulated) {
    bert_amx_emu_clear_regions();
    EXPECT_EQ(bert_amx_emu_error_count(), 0)
        << "first fault: " << bert_amx_emu_first_error();
    EXPECT_GT(bert_amx_emu_dot_count(), 0);
  }
  ASSERT_EQ(rc, 0);

  double maxErr = 0;
  int poisoned = 0;
  for (int m = 0; m < M + 2; ++m)
    for (int n = 0; n < pitch; ++n) {
      uint32_t bits = out[size_t(m) * pitch + n];
      bool inside = m >= m0 && m < m0 + rows && n >= n0 && n < n0 + cols;
      if (!inside) {
        poisoned += bits != kPoison;
        continue;
      }
      double want = 0;
      for (int k = 0; k < K; ++k)
        want += xAt(m, k) * wRef[size_t(n) * K + k];
      double got;
      if (bf16) {
        float f;
        std::memcpy(&f, &bits, 4);
        got = f;
      } else {
        got = double(int32_t(bits));
      }
      double e = std::abs(got - want);
      maxErr = std::isnan(e) ? INFINITY : std::max(maxErr, e);
    }
  // int8 sums are exact; bf16 ones differ from double by fp32 rounding.
  const double tol = !bf16 ? 0 : K >= 768 ? 1e-4 : 1e-5;
  const char *what = tiles == Tiles::Emulated ? "emulated" : "hardware";
  EXPECT_LE(maxErr, tol) << what << (bf16 ? " bf16" : " int8") << " M=" << M
                         << " N=" << N << " K=" << K << " block rows " << m0
                         << "+" << rows << " cols " << n0 << "+" << cols;
  EXPECT_EQ(poisoned, 0) << "cells outside the block written";
  std::printf("[%s] %s %s block M=%d N=%d K=%d nb=%d rows %d+%d cols %d+%d  "
              "max|err| %.2e (tol %.0e)\n",
              maxErr <= tol && !poisoned ? " OK " : "FAIL", what,
              bf16 ? "bf16" : "int8", M, N, K, nb, m0, rows, n0, cols, maxErr,
              tol);
}

/// The cases, for one element type on one kind of tiles. K runs from the
/// least a block accepts (32 bf16, 64 int8: one 64-byte tile row) to
/// bert-large's FFN depth.
void stripsAndEdges(Tiles tiles, Elem elem) {
  const int k0 = elem == Elem::BF16 ? 32 : 64;
  // Every strip shape: 1, 15, 16, 17 and 31 rows (partial A and
  // accumulator tiles), whole strips, several strips with a tail.
  for (int rows : {1, 15, 16, 17, 31, 32, 33, 128, 300})
    testBlock(tiles, elem, 300, 64, 64, 300 - rows, rows, 0, 64);
  // Column edges of 16 (the 2 x 1 and 1 x 1 micro-kernels), blocks that
  // start inside W, a last panel of 16 columns, and pairs that straddle
  // panels (16- and 48-column panels, and a block starting mid-panel).
  testBlock(tiles, elem, 40, 112, 2 * k0, 3, 37, 16, 48);
  testBlock(tiles, elem, 20, 112, 3 * k0, 2, 9, 80, 16);
  testBlock(tiles, elem, 40, 112, 3 * k0, 3, 37, 16, 96, 16);
  testBlock(tiles, elem, 33, 96, k0, 0, 33, 0, 96, 48);
  testBlock(tiles, elem, 33, 112, 2 * k0, 0, 33, 48, 64);
  // The BERT depths, as the strategy cuts them, and bert-large's FFN.
  testBlock(tiles, elem, 128, 768, 768, 0, 128, 128, 128);
  testBlock(tiles, elem, 37, 768, 3072, 5, 32, 0, 96);
  testBlock(tiles, elem, 17, 64, 4096, 0, 17, 0, 64);
}

} // namespace

TEST(AmxBlockEmulated, BF16StripsAndEdges) {
  stripsAndEdges(Tiles::Emulated, Elem::BF16);
}
TEST(AmxBlockEmulated, Int8StripsAndEdges) {
  stripsAndEdges(Tiles::Emulated, Elem::Int8);
}

TEST(AmxBlock, BF16StripsAndEdges) {
  if (!hostRunsAmx())
    GTEST_SKIP() << "no AMX on this CPU or kernel";
  stripsAndEdges(Tiles::Hardware, Elem::BF16);
}
TEST(AmxBlock, Int8StripsAndEdges) {
  if (!hostRunsAmx())
    GTEST_SKIP() << "no AMX on this CPU or kernel";
  stripsAndEdges(Tiles::Hardware, Elem::Int8);
}
