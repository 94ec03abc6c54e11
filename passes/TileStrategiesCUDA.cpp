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

/// bf16 or f16 operands: the tensor-core GEMM (CudaTensorCore.cpp kGemmMMA,
/// the same tiles for both 2-byte types). Warp
/// tiles of 32 x 32 (2 x 4 mma tiles, 32 accumulators a thread: a 32 x 64
/// warp tile spills under ptxas's register choice for 256 threads);
/// 128 x 64 blocks of 8 warps once M fills the SMs with them (BERT-base b32
/// s128: M = 4096, 32 x 12 blocks for N = 768), 64 x 64 of 4 below, 16-row
/// blocks for the pooler and tiny batches. K goes 32 deep through 3 stages
/// (the 128 x 64 tile's 75 KiB opts in above 48 KiB).
static ::bert::KernelSchedule cudaGemmMMAStrategy(const KernelProblem &p) {
  int64_t tileM = 64, tileN = 64, warps = 4;
  if (p.rowsAreBatch || p.rows < 64)
    tileM = 16;
  else if (p.rows >= 1024)
    tileM = 128, warps = 8;
  int64_t tileK = 32, stages = 3;
  // fp32 X and 16-bit W rows, each padded by 8 elements (bank spread).
  int64_t smem = stages * (tileM * 4 + tileN * 2) * (tileK + 8);
  return cudaSchedule(tileM, tileN, tileK, stages, warps, smem);
}

::bert::KernelSchedule mlir::bert::cudaGemmStrategy(const KernelProblem &p,
                                                    const TargetInfo &t) {
  if (p.cublasLt) {
    // cuBLASLt picks its own tiles at load (its heuristics); our part is
    // row-wise (X rounded to the operand type, the activation).
    ::bert::KernelSchedule rows = cudaRowWiseStrategy(p, t);
    std::get<::bert::CudaSchedule>(rows).cublasLt = 1;
    return rows;
  }
  if (p.bf16 || p.f16)
    return cudaGemmMMAStrategy(p);
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
  if ((p.bf16 || p.f16) && p.depth % 16 == 0 && p.depth <= 128) {
    // The tensor-core attention (CudaTensorCore.cpp kAttentionMMA): a warp
    // per 16 queries, 4 warps; key tiles of 64 (32 at d = 128, where the
    // output accumulators alone take 64 registers a thread). bf16 or f16
    // Q, K and V tiles, rows padded by 8 elements.
    int64_t warps = 4, tileM = 16 * warps, tileN = p.depth > 64 ? 32 : 64;
    int64_t smem = (tileM + 2 * tileN) * (p.depth + 8) * 2;
    return cudaSchedule(tileM, tileN, p.depth, 1, warps, smem);
  }
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
