//===- TileStrategies.h - per-family schedule strategies --------*- C++ -*-===//
//
// bert-tile reduces every kernel op to a KernelProblem (its family and the
// extents that matter for tiling) and asks the strategy of that family for
// the target's ISA. Strategies are plain functions, one per (family, ISA),
// kept in TileStrategiesCPU.cpp and TileStrategiesBF16.cpp, so that adding a
// family or a target adds a function, not a case to a monolithic switch.
//
// What each field means is stated once, on the schedule structs of
// dialect/Schedules.h; a strategy fills every field of its family's struct.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_PASSES_TILESTRATEGIES_H
#define BERT_PASSES_TILESTRATEGIES_H

#include "dialect/BertOps.h"
#include "support/TargetRegistry.h"

namespace mlir::bert {

/// Kernel families that share a schedule shape.
enum class KernelFamily { Gemm, Attention, RowWise, Elementwise };

/// What a strategy needs to know about one kernel. Dynamic extents are
/// estimated at the function's maxima (MaxShapes.h), or at 1 x 128 tokens
/// when the function does not say.
struct KernelProblem {
  /// The schedule's `kernel` name (the op mnemonic).
  StringRef kernel;
  KernelFamily family = KernelFamily::Elementwise;
  /// Rows of the output matrix (gemm: M; rowwise: rows; attention: queries
  /// of one sequence, S).
  int64_t rows = 1;
  /// Output columns (gemm: N; rowwise: the row length; attention: unused).
  int64_t cols = 1;
  /// Reduction depth (gemm: K; attention: the head dimension d).
  int64_t depth = 1;
  /// Independent problems (batch_matmul: B * heads; attention: B * heads).
  int64_t batch = 1;
  /// M is only the batch (pooler: one row per sequence), too small to split.
  bool rowsAreBatch = false;
  /// gemm (TileStrategiesBF16.cpp) or fused attention with `precision =
  /// bf16` operands.
  bool bf16 = false;
  /// gemm or fused attention with `precision = f16` operands (CUDA only:
  /// the tensor-core tiles of bf16, whose operands are as wide).
  bool f16 = false;
  /// gemm with `precision = i8` operands: the bf16 dot-product tiles, never
  /// AMX (TileStrategiesBF16.cpp).
  bool int8 = false;
  /// gemm of a linear whose product cuBLASLt computes (bert-tile
  /// cuda-gemm=cublaslt): the schedule sizes only the backend's kernels
  /// around it.
  bool cublasLt = false;
};

/// A strategy: the schedule for `problem` on `target`. The strategies below
/// are declared with this one signature.
using Strategy = ::bert::KernelSchedule(const KernelProblem &problem,
                                        const TargetInfo &target);
using StrategyFn = Strategy *;

Strategy cpuGemmStrategy;
/// bf16 gemm: AMX tiles, or bf16 dot-product register tiles; i8 gemm: the
/// same dot-product tiles (cpuGemmStrategy hands problems with `bf16` or
/// `int8` set to it).
Strategy cpuGemmBF16Strategy;
Strategy cpuAttentionStrategy;
Strategy cpuRowWiseStrategy;
Strategy cpuElementwiseStrategy;

/// CUDA targets (TileStrategiesCUDA.cpp); row-wise and elementwise kernels
/// share the warp-per-row strategy.
Strategy cudaGemmStrategy;
Strategy cudaAttentionStrategy;
Strategy cudaRowWiseStrategy;

//===----------------------------------------------------------------------===//
// Small arithmetic shared by the strategies
//===----------------------------------------------------------------------===//

/// Largest power of two <= x (1 for x < 1).
inline int64_t powerOf2Floor(int64_t x) {
  int64_t p = 1;
  while (p * 2 <= x)
    p *= 2;
  return p;
}

/// Smallest power of two >= x (1 for x < 1).
inline int64_t powerOf2Ceil(int64_t x) {
  int64_t p = 1;
  while (p < x)
    p *= 2;
  return p;
}

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// f32 lanes to vectorize an extent of `n` with: the target's width, narrowed
/// to a power of two <= n so a short row (a head of 8) is not all tail.
inline int64_t lanesFor(int64_t n, const TargetInfo &target) {
  return std::min(target.vectorWidth, powerOf2Floor(n));
}

} // namespace mlir::bert

#endif // BERT_PASSES_TILESTRATEGIES_H
