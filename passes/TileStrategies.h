//===- TileStrategies.h - per-family schedule strategies --------*- C++ -*-===//
//
// bert-tile reduces every kernel op to a KernelProblem (its family and the
// extents that matter for tiling) and asks the strategy of that family for
// the target's ISA. Strategies are plain functions, one per (family, ISA),
// kept in TileStrategiesCPU.cpp and TileStrategiesGPU.cpp so that adding a
// family or a target adds a function, not a case to a monolithic switch.
//
// Meaning of the #bert.schedule fields per family (what the backends read;
// the CPU Halide knobs of compiler/backend/cpu/Kernels.h in brackets):
//
//   gemm (linear, pooler, batch_matmul)
//     CPU: tile = [mr, nr, kc, mc]: register tile of mr rows [tileM] x nr
//          columns [tileN], K block [tileK], rows per parallel task
//          [parallelSplit]; unroll = k-loop unroll [unroll]; parallel = [0]
//          (tasks over M) or [1] (over N, when M is only the batch).
//     GPU: tile = [BM, BN, BK] block tile; threads = [16, 16, 1], each
//          thread a (BM/16) x (BN/16) register tile; unroll = BM/16;
//          parallel = [0, 1] (grid over M and N).
//     bf16 (linear with precision = bf16; TileStrategiesBF16.cpp):
//       AMX: tile = [16, 16, 32, mc, nc]: 16 x 16 accumulator tiles, K steps
//       of 32, tasks of mc rows [parallelSplit] x nc columns [colsPerTask];
//       parallel = [0, 1]. Without AMX: the f32 register tile with kc = 2
//       (one k-pair per VDPBF16PS step); parallel = [0].
//   attention (fused_attention)
//     tile = [Bq, Bk]: queries per task [tileM] and keys per tile;
//     vector_width over the head dimension; parallel = [0] (query tiles,
//     always together with batch and heads). CPU: unroll = d / vector_width
//     accumulators per query. GPU: threads = [32 * Bq / 16, 1, 1] (one warp
//     per 16 queries); unroll = keys per lane.
//   rowwise (layer_norm, add_layer_norm, embeddings[_layer_norm],
//            masked_softmax)  and  elementwise (gelu, add)
//     CPU: tile = [rows per task] [parallelSplit]; vector along the row;
//          unroll = independent vector accumulators; parallel = [0].
//     GPU: rowwise: one warp per row, threads = [32, rows per block, 1],
//          unroll = vectors per lane; elementwise: tile = [elements per
//          block], threads = [256, 1, 1], unroll = vectors per thread.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_PASSES_TILESTRATEGIES_H
#define BERT_PASSES_TILESTRATEGIES_H

#include "dialect/BertOps.h"
#include "passes/TargetInfo.h"

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
  /// gemm with `precision = bf16` operands (TileStrategiesBF16.cpp).
  bool bf16 = false;
};

/// A strategy: the schedule for `problem` on `target`.
using StrategyFn = ScheduleAttr (*)(MLIRContext *ctx,
                                    const KernelProblem &problem,
                                    const TargetInfo &target);

ScheduleAttr cpuGemmStrategy(MLIRContext *, const KernelProblem &,
                             const TargetInfo &);
/// bf16 gemm: AMX tiles, or bf16 dot-product register tiles
/// (cpuGemmStrategy hands problems with `bf16` set to it).
ScheduleAttr cpuGemmBF16Strategy(MLIRContext *, const KernelProblem &,
                                 const TargetInfo &);
ScheduleAttr cpuAttentionStrategy(MLIRContext *, const KernelProblem &,
                                  const TargetInfo &);
ScheduleAttr cpuRowWiseStrategy(MLIRContext *, const KernelProblem &,
                                const TargetInfo &);
ScheduleAttr cpuElementwiseStrategy(MLIRContext *, const KernelProblem &,
                                    const TargetInfo &);

ScheduleAttr gpuGemmStrategy(MLIRContext *, const KernelProblem &,
                             const TargetInfo &);
ScheduleAttr gpuAttentionStrategy(MLIRContext *, const KernelProblem &,
                                  const TargetInfo &);
ScheduleAttr gpuRowWiseStrategy(MLIRContext *, const KernelProblem &,
                                const TargetInfo &);
ScheduleAttr gpuElementwiseStrategy(MLIRContext *, const KernelProblem &,
                                    const TargetInfo &);

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
