//===- Int8KernelTest.cpp - the int8 linear and its Hadamard rotation -----===//
//
// The int8 linear (LinearInt8.cpp, LinearAMXInt8.cpp) against the reference
// of its definition (ReferenceKernels.cpp), with and without `hadamard B`,
// and the rotation's C extern stage (quant/HadamardRows.c) against the
// transform's definition (runtime/src/hadamard.h) and an explicit matrix.
//===----------------------------------------------------------------------===//

#include "KernelDefaults.h"
#include "KernelTestUtil.h"
#include "ReferenceKernels.h"

#include "compiler/backend/cpu/amx/AmxEmulator.h"
#include "compiler/backend/cpu/amx/AmxGemm.h"
#include "compiler/backend/cpu/kernels/Kernels.h"
#include "compiler/backend/cpu/quant/HadamardRows.h"
#include "compiler/backend/cpu/quant/QuantizeRows.h"
#include "runtime/src/hadamard.h"
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

using namespace bert;
using namespace bert::test;
using Halide::Buffer;
namespace dflt = bert::cpu::defaults;

namespace {

/// int8 linear vs the reference of its definition (ref::linearInt8: the
/// same quantization, exact integer sums). Only the float scaling and the
/// activation round differently, so the fp32 tolerances apply; one
/// activation quantized one step apart moves an output by about
/// sx * sw * 127 (~4e-3 here, with W in [-0.5, 0.5]), far above them.
/// `oddRows`: row 1 of X is all zeros (scale 0), row 2 all positive (zero
/// point 0), row 3 all negative (zero point 255).
/// `amx`: the kernel of an amx schedule for the host, its sums on the
/// emulated AMX tiles (amx/AmxEmulator.c), so that it runs on every CPU.
/// `hadamard`: X and W rotated in Walsh-Hadamard blocks of that size first
/// (bert.linear `hadamard B`; the kernel's C extern stage, the reference's
/// own butterflies: the same float operations, so the same quantized values).
void testLinearInt8(int M, int N, int K, ref::Act act, bool bias,
                    std::optional<cpu::GemmSchedule> pinned = std::nullopt,
                    bool oddRows = false, const cpu::AmxSchedule *amx = nullptr,
                    int hadamard = 0) {
  cpu::GemmSchedule sched = amx      ? cpu::int8DotSchedule(*amx)
                            : pinned ? *pinned
                                     : dflt::gemm(N, host());
  auto x = randomVec(size_t(M) * K, -1, 1),
       w = randomVec(size_t(N) * K, -.5f, .5f);
  auto b = randomVec(N, -.5f, .5f);
  if (oddRows && M > 3)
    for (int k = 0; k < K; ++k) {
      x[size_t(K + k)] = 0.f;
      x[size_t(2 * K + k)] = std::abs(x[size_t(2 * K + k)]);
      x[size_t(3 * K + k)] = -std::abs(x[size_t(3 * K + k)]);
    }
  std::vector<float> y(size_t(M) * N), want(y.size());
  ref::linearInt8(x.data(), w.data(), bias ? b.data() : nullptr, want.data(), M,
                  N, K, act, hadamard);

  cpu::LinearSpec spec{N, K, toCpu(act), bias, false, false, false, true};
  spec.hadamard = hadamard;
  cpu::Kernel k = amx ? cpu::buildLinearInt8Amx(spec, *amx, host())
                      : cpu::buildLinearInt8(spec, sched, host());
  if (amx)
    k.pipeline.set_jit_externs(
        {{BERT_AMX_I8_GEMM_NAME, Halide::JITExtern(&bert_amx_emu_i8_gemm)},
         {BERT_QUANTIZE_ROWS_NAME, Halide::JITExtern(&bert_quantize_rows)}});
  bert_amx_emu_reset_errors();
  cpu::Int8Layout layout = cpu::linearInt8Layout(spec, sched);
  std::vector<int8_t> wq(size_t(layout.bytes));
  cpu::packLinearWeightsInt8(w.data(), layout, wq.data());
  std::vector<halide_dimension_t> wdims = layout.dims();
  int8_t *tail = wq.data() + layout.scaleOffset;
  int i = 0;
  k.inputs[i++].set(view(x.data(), {{K, 1}, {M, K}}));
  k.inputs[i++].set(Buffer<int8_t>(wq.data(), int(wdims.size()), wdims.data()));
  k.inputs[i++].set(view(reinterpret_cast<float *>(tail), {{N, 1}}));
  k.inputs[i++].set(view(reinterpret_cast<int32_t *>(tail + 4 * N), {{N, 1}}));
  if (bias)
    k.inputs[i++].set(view(b.data(), {{N, 1}}));
  auto out = view(y.data(), {{N, 1}, {M, N}});
  k.pipeline.realize(out, host());
  char name[160];
  std::snprintf(
      name, sizeof name,
      "linear int8%s M=%d N=%d K=%d act=%d bias=%d nb=%d rows=%d h=%d",
      amx ? " (emulated amx)" : "", M, N, K, int(act), bias, int(layout.nb),
      int(sched.rows), hadamard);
  check(name, y, want, K >= 768 ? 1e-4 : 1e-5);
  if (amx) {
    EXPECT_EQ(bert_amx_emu_error_count(), 0) << bert_amx_emu_first_error();
    // The tiles computed the sums from 16 rows on, the dot path below.
    EXPECT_EQ(bert_amx_emu_dot_count() > 0, M >= 16) << name;
  }
}

/// bert_quantize_rows_with over rows [m0, m0 + rows) of a [M, K] matrix
/// (pitch `pitch` >= K) into `out` ([rows][K + tail]); returns its status.
int quantizeRows(std::vector<float> &x, int M, int K, int pitch, int m0,
                 int rows, int block, std::vector<uint8_t> &out,
                 int widest = BERT_HADAMARD_AVX512, int extent = -1) {
  halide_dimension_t xd[2] = {{0, K, 1, 0}, {0, M, pitch, 0}};
  const int width = K + BERT_QUANTIZE_TAIL;
  halide_dimension_t od[2] = {{0, extent < 0 ? width : extent, 1, 0},
                              {m0, rows, width, 0}};
  halide_buffer_t xb{}, ob{};
  xb.host = reinterpret_cast<uint8_t *>(x.data());
  xb.type = halide_type_t(halide_type_float, 32);
  xb.dimensions = 2;
  xb.dim = xd;
  ob.host = out.data();
  ob.type = halide_type_t(halide_type_uint, 8);
  ob.dimensions = 2;
  ob.dim = od;
  return bert_quantize_rows_with(block, K, &xb, &ob, widest);
}

} // namespace

using A = ref::Act;

/// Each rotation body (AVX-512 and AVX2 for blocks of 16 and 64 where the
/// host has them, the portable one always) gives bit for bit the
/// transform's definition (runtime/src/hadamard.h), which is X H for the
/// explicit +-1 matrix over sqrt(B) (in double, to float rounding).
TEST(Kernels, HadamardRowsMatchDefinition) {
  for (int widest :
       {BERT_HADAMARD_PORTABLE, BERT_HADAMARD_AVX2, BERT_HADAMARD_AVX512})
    for (int block : {4, 16, 64, 256})
      for (int K : {block, 3 * block, 768 / block * block}) {
        auto x = randomVec(size_t(K), -3, 3);
        x[1] = 40.f; // one outlier channel
        std::vector<float> got(size_t(K), -1.f), want(x);
        bert_hadamard_row_into(x.data(), got.data(), K, block, widest);
        bert_hadamard_row(want.data(), K, block);
        EXPECT_EQ(
            std::memcmp(want.data(), got.data(), sizeof(float) * size_t(K)), 0)
            << "body " << widest << " block " << block << " K " << K;
        double worst = 0;
        for (int i = 0; i < K; ++i) {
          const int base = i / block * block, r = i % block;
          double acc = 0;
          for (int j = 0; j < block; ++j)
            acc += (__builtin_popcount(unsigned(r & j)) % 2 ? -1.0 : 1.0) *
                   double(x[size_t(base + j)]);
          acc /= std::sqrt(double(block));
          worst = std::max(worst, std::abs(acc - double(got[size_t(i)])));
        }
        EXPECT_LT(worst, 1e-4) << "block " << block << " K " << K;
      }
}

/// The activation pass, each body, against the definition written out
/// (ref::quantizeRowU8 over the rotated row): the bytes and the range in each
/// row's tail; row pitches wider than K; zero, one-sided and outlier rows;
/// K off the vector width (the bodies' scalar tails).
TEST(Kernels, QuantizeRowsMatchDefinition) {
  for (int widest :
       {BERT_HADAMARD_PORTABLE, BERT_HADAMARD_AVX2, BERT_HADAMARD_AVX512})
    for (int block : {0, 4, 16, 64})
      for (int K : {64, 100, 768}) {
        if (block && K % block)
          continue;
        const int M = 6, pitch = K + 8, width = K + BERT_QUANTIZE_TAIL;
        auto x = randomVec(size_t(M) * pitch, -2, 2);
        for (int i = 0; i < K; ++i) {
          x[size_t(pitch + i)] = 0.f;                                    // zero
          x[size_t(2 * pitch + i)] = std::abs(x[size_t(2 * pitch + i)]); // >= 0
          x[size_t(3 * pitch + i)] = -std::abs(x[size_t(3 * pitch + i)]);
        }
        x[size_t(4 * pitch + 3)] = 60.f;
        std::vector<uint8_t> got(size_t(M) * width, 7);
        ASSERT_EQ(quantizeRows(x, M, K, pitch, 0, M, block, got, widest), 0);
        for (int m = 0; m < M; ++m) {
          std::vector<float> row(x.begin() + m * pitch,
                                 x.begin() + m * pitch + K);
          if (block)
            bert_hadamard_row(row.data(), K, block);
          float lo, hi, gotLo, gotHi;
          std::vector<uint8_t> want(static_cast<size_t>(K));
          ref::quantizeRowU8(row.data(), K, want.data(), lo, hi);
          const uint8_t *g = got.data() + size_t(m) * width;
          EXPECT_EQ(std::memcmp(want.data(), g, size_t(K)), 0)
              << "body " << widest << " block " << block << " K " << K
              << " row " << m;
          std::memcpy(&gotLo, g + K, 4);
          std::memcpy(&gotHi, g + K + 4, 4);
          EXPECT_EQ(gotLo, lo);
          EXPECT_EQ(gotHi, hi);
          for (int i = K + 8; i < width; ++i)
            ASSERT_EQ(g[i], 0) << "tail byte " << i;
        }
      }
}

/// The kernel asks for blocks of 16 rows guarded at M: a last block past
/// X's rows gets only the rows X has (the storage ends there). Bad blocks,
/// regions other than [0, K + tail) return -1 and write nothing.
TEST(Kernels, QuantizeRowsEdges) {
  const int M = 6, K = 64, width = K + BERT_QUANTIZE_TAIL;
  auto x = randomVec(size_t(M) * K, -1, 1);
  std::vector<uint8_t> out(size_t(16) * width, 7);
  ASSERT_EQ(quantizeRows(x, M, K, K, 0, 16, 64, out), 0);
  for (size_t i = size_t(M) * width; i < out.size(); ++i)
    ASSERT_EQ(out[i], 7) << "wrote past X's rows at " << i;
  std::vector<uint8_t> untouched(size_t(M) * width, 7);
  for (int bad : {2, 8, 32, -4})
    EXPECT_EQ(quantizeRows(x, M, K, K, 0, M, bad, untouched), -1) << bad;
  EXPECT_EQ(
      quantizeRows(x, M, K, K, 0, M, 0, untouched, BERT_HADAMARD_AVX512, K),
      -1);
  std::vector<float> x48 = randomVec(size_t(M) * 48, -1, 1);
  EXPECT_EQ(quantizeRows(x48, M, 48, 48, 0, M, 64, untouched), -1);
  for (uint8_t v : untouched)
    ASSERT_EQ(v, 7);
}

TEST(Kernels, LinearInt8) {
  // Register tiles with row tails and single rows, N off the panel grid,
  // K not a multiple of the vector (row ranges in strips of 4), long K,
  // zero, one-sided rows, and pinned 1- and 2-vector tiles without k unroll.
  testLinearInt8(37, 768, 768, A::Gelu, true);
  testLinearInt8(130, 2304, 768, A::None, true);
  testLinearInt8(19, 768, 3072, A::None, true);
  testLinearInt8(5, 768, 768, A::GeluTanh, true, std::nullopt, true);
  testLinearInt8(1, 128, 64, A::Gelu, false);
  testLinearInt8(7, 100, 36, A::Relu, true);
  const int64_t vec = dflt::nativeLanes(host());
  testLinearInt8(37, 384, 128, A::None, true,
                 dflt::gemm(384, host(), 4, vec, 1, 32));
  testLinearInt8(37, 384, 128, A::None, true,
                 dflt::gemm(384, host(), 6, 2 * vec, 2, 48));
}

/// The int8 linear under an amx schedule, its TDPBUSD block on the emulated
/// tiles: the quantization, the zero-point correction and the epilogue
/// around the block, every strip shape, task tails in M and N, panels of
/// 48 columns (block pairs straddle them), and the dot path below 16 rows.
TEST(AmxBlockEmulated, LinearInt8Kernel) {
  cpu::AmxSchedule s;
  s.rowsPerTask = 32;
  s.colsPerTask = 64;
  s.dotRows = 4;
  s.dotCols = 48;
  s.dotKUnroll = 4;
  s.dotRowsPerTask = 16;
  s.vectorWidth = 16;
  for (int M : {1, 5, 16, 17, 33, 130})
    testLinearInt8(M, 96, 128, A::Gelu, true, std::nullopt, true, &s);
  s.dotCols = 32;
  testLinearInt8(37, 768, 768, A::None, false, std::nullopt, false, &s);
  testLinearInt8(19, 64, 3072, A::GeluTanh, true, std::nullopt, true, &s);
  testLinearInt8(33, 96, 128, A::Gelu, true, std::nullopt, true, &s, 64);
}

TEST(Kernels, LinearInt8Hadamard) {
  // Blocks of 64 (K = 768, 3072: the AVX-512 body of four vectors), 16
  // (K = 96, one vector) and 4 (K = 36: the portable body); row counts with
  // a guarded last block of the rotation (M % 16 != 0), one row, zero and
  // one-sided rows, and a pinned tile.
  testLinearInt8(37, 768, 768, A::Gelu, true, std::nullopt, false, nullptr, 64);
  testLinearInt8(130, 2304, 768, A::None, true, std::nullopt, false, nullptr,
                 64);
  testLinearInt8(19, 768, 3072, A::None, true, std::nullopt, false, nullptr,
                 64);
  testLinearInt8(5, 768, 768, A::GeluTanh, true, std::nullopt, true, nullptr,
                 16);
  testLinearInt8(1, 128, 96, A::Gelu, false, std::nullopt, false, nullptr, 16);
  testLinearInt8(7, 100, 36, A::Relu, true, std::nullopt, true, nullptr, 4);
  const int64_t vec = dflt::nativeLanes(host());
  testLinearInt8(37, 384, 128, A::None, true,
                 dflt::gemm(384, host(), 4, vec, 1, 32), false, nullptr, 64);
}
