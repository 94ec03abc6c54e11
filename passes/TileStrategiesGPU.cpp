//===- TileStrategiesGPU.cpp - schedule strategies for CUDA targets -------===//
//
// Thread-block shapes and tiles for the `cuda-*` targets, one function per
// kernel family. fp32 SIMT kernels (no tensor cores yet): the rules are those
// of CUTLASS's SIMT GEMM and FlashAttention-2, bounded by the per-block
// shared memory a launch gets without an opt-in (TargetInfo::
// sharedMemPerBlock) so that every schedule launches on every SM version.
// Field meanings are listed in TileStrategies.h.
//
//===----------------------------------------------------------------------===//

#include "passes/TileStrategies.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::bert;

/// Threads per block for the 2-D GEMM block: 16 x 16 = 8 warps, enough to
/// hide global-memory latency with two blocks resident per SM.
static constexpr int64_t kGemmThreadsPerSide = 16;

/// Queries one warp owns in attention (FlashAttention-2 splits Q across
/// warps so the K/V tiles in shared memory need no inter-warp reduction).
static constexpr int64_t kQueriesPerWarp = 16;

/// Block tile BM x BN: 128 x 128 (CUTLASS's SIMT default) for large
/// matrices, shrunk to the problem so a small N does not idle most threads;
/// each thread owns a (BM/16) x (BN/16) register tile. BK is the deepest of
/// 32/16/8 whose double-buffered A and B tiles take at most half of the
/// block's shared memory (the other half lets two blocks share an SM):
/// 128 x 128 gets BK = 8, as in CUTLASS.
ScheduleAttr mlir::bert::gpuGemmStrategy(MLIRContext *ctx,
                                         const KernelProblem &p,
                                         const TargetInfo &t) {
  int64_t bm = std::clamp<int64_t>(powerOf2Ceil(p.rows), 32, 128);
  int64_t bn = std::clamp<int64_t>(powerOf2Ceil(p.cols), 32, 128);
  int64_t bk = 8;
  for (int64_t candidate : {32, 16})
    if (2 * (bm + bn) * candidate * 4 <= t.sharedMemPerBlock / 2) {
      bk = candidate;
      break;
    }
  bk = std::min(bk, powerOf2Ceil(p.depth));
  int64_t threadRows = bm / kGemmThreadsPerSide;
  return ScheduleAttr::get(ctx, p.kernel, {bm, bn, bk}, lanesFor(p.cols, t),
                           threadRows, ArrayRef<int64_t>{0, 1},
                           {kGemmThreadsPerSide, kGemmThreadsPerSide, 1},
                           t.name);
}

/// One block per (batch, head, Bq queries). The Q tile and the K and V
/// tiles (Bk keys each) live in shared memory: (Bq + 2 Bk) * d floats must
/// fit the block's budget, which gives Bk = 64 for BERT's d = 64 with
/// Bq = 64 (4 warps), and 128 for small heads.
ScheduleAttr mlir::bert::gpuAttentionStrategy(MLIRContext *ctx,
                                              const KernelProblem &p,
                                              const TargetInfo &t) {
  int64_t d = p.depth;
  int64_t queryTile =
      std::clamp<int64_t>(powerOf2Ceil(p.rows), kQueriesPerWarp, 64);
  int64_t keyTile = 16;
  for (int64_t bk : {128, 64, 32})
    if ((queryTile + 2 * bk) * d * 4 <= t.sharedMemPerBlock) {
      keyTile = bk;
      break;
    }
  int64_t warps = queryTile / kQueriesPerWarp;
  // Each lane scores Bk / 32 keys of a query per step.
  int64_t keysPerLane = std::max<int64_t>(1, keyTile / t.warpSize);
  return ScheduleAttr::get(ctx, p.kernel, {queryTile, keyTile}, lanesFor(d, t),
                           keysPerLane, ArrayRef<int64_t>{0},
                           {warps * t.warpSize, 1, 1}, t.name);
}

/// One warp per row: a BERT row (<= 1024 floats) is 32 lanes x a few
/// float4s held in registers, and the mean/variance reductions are warp
/// shuffles with no shared memory or block barrier. Eight rows per block
/// (256 threads).
ScheduleAttr mlir::bert::gpuRowWiseStrategy(MLIRContext *ctx,
                                            const KernelProblem &p,
                                            const TargetInfo &t) {
  constexpr int64_t rowsPerBlock = 8;
  int64_t vec = lanesFor(p.cols, t);
  int64_t vectorsPerLane =
      std::max<int64_t>(1, ceilDiv(p.cols, t.warpSize * vec));
  return ScheduleAttr::get(ctx, p.kernel, {rowsPerBlock}, vec, vectorsPerLane,
                           ArrayRef<int64_t>{0}, {t.warpSize, rowsPerBlock, 1},
                           t.name);
}

/// Grid-stride elementwise: 256 threads x 4 float4s each = 4096 elements per
/// block, enough bytes in flight per SM to saturate HBM.
ScheduleAttr mlir::bert::gpuElementwiseStrategy(MLIRContext *ctx,
                                                const KernelProblem &p,
                                                const TargetInfo &t) {
  constexpr int64_t threads = 256, vectorsPerThread = 4;
  int64_t vec = lanesFor(p.cols, t);
  return ScheduleAttr::get(ctx, p.kernel, {threads * vectorsPerThread * vec},
                           vec, vectorsPerThread, ArrayRef<int64_t>{0},
                           {threads, 1, 1}, t.name);
}
