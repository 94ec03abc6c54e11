//===- KernelDefaults.h - fixed schedules for kernel tests and benches -*- C++
//-*-===//
//
// Kernels read every field of their schedule (dialect/Schedules.h) and
// invent none. The numerical tests and the kernel benchmarks pick theirs
// here: a test's explicit choices, every other field the value the kernels
// used to fill in themselves before schedules were typed (so the benchmark
// figures stay comparable across that change): 8 x (up to 3 vectors) GEMM
// tiles on AVX-512, 4 x ... on AVX2, k unroll 4, 64 rows per task; 64 x 64
// attention tiles; 16 rows per row-wise task; the target's native vector.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_TEST_BACKEND_KERNELDEFAULTS_H
#define BERT_TEST_BACKEND_KERNELDEFAULTS_H

#include "compiler/backend/cpu/kernels/Kernels.h"

#include <algorithm>

namespace bert::cpu::defaults {

inline int64_t nativeLanes(const Halide::Target &t) {
  return t.natural_vector_size<float>();
}
inline bool avx512(const Halide::Target &t) {
  return t.has_feature(Halide::Target::AVX512);
}
inline bool amxTarget(const Halide::Target &t) {
  return t.has_feature(Halide::Target::AVX512_SapphireRapids);
}

/// The widest panel of at most `maxVectors` vectors of `vec` dividing N,
/// else one vector.
inline int64_t panelWidth(int64_t N, int64_t vec, int maxVectors) {
  for (int v = maxVectors; v >= 1; --v)
    if (N % (v * vec) == 0)
      return v * vec;
  return vec;
}

/// f32 linear / pooler with N output columns; 0 fields take the default.
inline GemmSchedule gemm(int64_t N, const Halide::Target &t, int64_t rows = 0,
                         int64_t cols = 0, int64_t kUnroll = 0,
                         int64_t rowsPerTask = 0) {
  GemmSchedule s;
  s.vectorWidth = nativeLanes(t);
  while (s.vectorWidth > 1 && s.vectorWidth > N)
    s.vectorWidth /= 2;
  s.rows = rows ? rows : (avx512(t) ? 8 : 4);
  s.cols = cols ? cols : panelWidth(N, s.vectorWidth, 3);
  s.kUnroll = kUnroll ? kUnroll : 4;
  int64_t split = rowsPerTask ? rowsPerTask : 64;
  s.rowsPerTask = std::max(s.rows, split / s.rows * s.rows);
  return s;
}

/// bf16 linear on the dot-product path (every target; on AMX targets the
/// one-panel layout's tile: at most 2 vectors, no k unroll).
inline GemmSchedule bf16Dot(int64_t N, const Halide::Target &t) {
  GemmSchedule s = gemm(N, t);
  const bool single = amxTarget(t);
  s.cols = panelWidth(N, s.vectorWidth, single ? 2 : (avx512(t) ? 3 : 2));
  s.kUnroll = single ? 1 : 4;
  return s;
}

/// bf16 linear: AMX tiles where the target has them and the shape allows
/// (N % 16, K % 32), else the dot-product path.
inline KernelSchedule bf16(int64_t N, int64_t K, const Halide::Target &t) {
  if (!amxTarget(t) || N % 16 || K % 32)
    return bf16Dot(N, t);
  GemmSchedule dot = bf16Dot(N, t);
  AmxSchedule s;
  s.rowsPerTask = 128;
  s.colsPerTask = 128;
  s.dotRows = dot.rows;
  s.dotCols = dot.cols;
  s.dotKUnroll = dot.kUnroll;
  s.dotRowsPerTask = dot.rowsPerTask;
  s.vectorWidth = dot.vectorWidth;
  return s;
}

/// Attention: `queries` x `keys` tiles (0: 64), rounded up to the register
/// tile as the kernel did.
inline AttentionSchedule attention(const Halide::Target &t, int64_t queries = 0,
                                   int64_t keys = 0) {
  AttentionSchedule s;
  s.vectorWidth = nativeLanes(t);
  int64_t want = queries ? queries : 64;
  int64_t qReg = want >= 2 * s.vectorWidth ? 2 * s.vectorWidth : s.vectorWidth;
  s.queriesPerTask = (want + qReg - 1) / qReg * qReg;
  int64_t keyReg = s.vectorWidth >= 16 ? 8 : 4;
  int64_t k = keys ? keys : 64;
  s.keyTile = (k + keyReg - 1) / keyReg * keyReg;
  return s;
}

/// Layer norm and embeddings.
inline RowSchedule rows(const Halide::Target &t, int64_t rowsPerTask = 16) {
  RowSchedule s;
  s.rowsPerTask = rowsPerTask;
  s.vectorWidth = nativeLanes(t);
  return s;
}

} // namespace bert::cpu::defaults

#endif // BERT_TEST_BACKEND_KERNELDEFAULTS_H
