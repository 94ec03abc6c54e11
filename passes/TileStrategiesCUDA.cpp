//===- TileStrategiesCUDA.cpp - schedule strategies for CUDA targets ------===//
//
// How bert-tile sizes the CUDA backend's kernels (one CudaSchedule per
// kernel, dialect/Schedules.h). The fp32 reference kernels the backend
// generates today fix the per-thread work (a 4 x 4 register tile of a GEMM,
// one query per thread in attention, a warp per row), so the strategy picks
// the block tile from the problem and derives warps and shared memory from
// it. Facts come from the target registry (warp size, threads per block,
// shared memory per block), so a new SM preset needs no code here.
//
//===----------------------------------------------------------------------===//

#include "passes/TileStrategies.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::bert;

/// Outputs per thread of the GEMM kernel: a 4 x 4 register tile, the
/// smallest that reuses each shared-memory load four times.
static constexpr int64_t kGemmThreadTile = 4 * 4;
/// fp32 elements per 128-bit access.
static constexpr int64_t kF32PerVector = 4;

static ::bert::CudaSchedule cudaSchedule(int64_t m, int64_t n, int64_t k,
                                         int64_t stages, int64_t warps,
                                         int64_t smem) {
  return {m, n, k, stages, warps, smem, kF32PerVector};
}

::bert::KernelSchedule mlir::bert::cudaGemmStrategy(const KernelProblem &p,
                                                    const TargetInfo &t) {
  // 64 x 64 blocks fill 132 SMs from M = 2048 at BERT-base widths; fewer
  // rows (pooler, b1 latency) take 16-row blocks so a block is not mostly
  // padding. K goes 16 deep per stage through a double buffer (cp.async).
  int64_t tileM = p.rowsAreBatch || p.rows < 64 ? 16 : 64;
  int64_t tileN = 64, tileK = 16, stages = 2;
  int64_t warps = tileM * tileN / kGemmThreadTile / t.warpSize;
  int64_t smem = stages * (tileM + tileN) * tileK * 4;
  return cudaSchedule(tileM, tileN, tileK, stages, warps, smem);
}

::bert::KernelSchedule mlir::bert::cudaAttentionStrategy(const KernelProblem &p,
                                                         const TargetInfo &t) {
  // One query per thread, two warps per block (64 queries: a BERT sequence
  // of 128 is two blocks per head); keys staged 32 at a time, K and V, so
  // the tile stays in the 48 KiB every launch gets without opting in.
  int64_t warps = 2, tileM = warps * t.warpSize, tileN = 32;
  int64_t smem = 2 * tileN * p.depth * 4;
  return cudaSchedule(tileM, tileN, p.depth, 1, warps, smem);
}

::bert::KernelSchedule mlir::bert::cudaRowWiseStrategy(const KernelProblem &p,
                                                       const TargetInfo &t) {
  // A warp per row, 8 rows (256 threads) per block: enough blocks to fill
  // the SMs from a few hundred rows, no shared memory (warp shuffles).
  (void)p;
  int64_t warps = std::min<int64_t>(8, t.maxThreadsPerBlock / t.warpSize);
  return cudaSchedule(warps, 1, 1, 1, warps, 0);
}
