//===- TileStrategiesCPU.cpp - schedule strategies for CPU targets --------===//
//
// How bert-tile sizes CPU kernels, one function per kernel family. The rules
// are the textbook ones (BLIS-style register blocking; a flash-
// attention key tile; one task per chunk of rows for row-wise kernels),
// parameterized only by the TargetInfo facts, so a new CPU preset needs no
// code here. Field meanings are listed in TileStrategies.h.
//
//===----------------------------------------------------------------------===//

#include "passes/TileStrategies.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <tuple>

using namespace mlir;
using namespace mlir::bert;

/// Work a task must carry so the ~1 us cost of handing it to a thread is
/// noise: 32 KiB of row data is ~10 us of a memory-bound kernel.
static constexpr int64_t kMinTaskBytes = 32 * 1024;

/// Tasks per thread a parallel loop should offer, so that uneven tasks (the
/// last, partial row block) still balance.
static constexpr int64_t kTasksPerThread = 4;

/// Rows addressed by one register tile: each row of X needs its own pointer
/// in a general-purpose register, and x86-64's 16 GPRs also hold the panel
/// pointer, loop counters and Halide's strides; past 8 rows they spill.
static constexpr int64_t kMaxTileRows = 8;

//===----------------------------------------------------------------------===//
// gemm: linear, pooler, batch_matmul
//===----------------------------------------------------------------------===//

namespace {
struct RegisterTile {
  int64_t rows = 1;
  int64_t vectors = 1;
};
} // namespace

/// The register tile is mr rows x nv vectors of f32 accumulators. Each k step
/// loads nv vectors of the packed W panel and broadcasts one X element per
/// row, so the register file must hold mr*nv accumulators + nv panel vectors
/// + 1 broadcast. Among the tiles that fit we prefer, in order:
///  1. at least the core's fmaChains() accumulators (FMA latency x pipes,
///     TargetInfo): fewer leave pipes idle while a chain waits on its last
///     FMA, whatever else the tile does well;
///  2. fewer columns computed twice: the kernel shifts a ragged last panel
///     inwards onto columns the panel before it already computed, so a
///     panel of nb columns does N / (ceil(N / nb) * nb) useful work (in
///     whole percent; 100 where nb divides N). N = 100 on AVX-512: 8 x 1
///     vectors wastes 12 of 112 columns where 5 x 5 (the most accumulators)
///     would waste 60 of 160;
///  3. more accumulators (slack beyond the minimum absorbs the panel's L2
///     latency at the start of each k step);
///  4. more rows (each panel load is reused by every row, whereas broadcasts
///     fold into the FMA as a memory operand).
/// AVX-512 (32 zmm) gives 8 x 3 vectors (24 accumulators; Sapphire Rapids
/// and Zen 5 need 4 x 2 = 8, Zen 4 4 x 1) for BERT's N (all multiples of
/// 48), 8 x 2 for N = 32; AVX2 (16 ymm, 5 x 2 = 10 needed) gives the
/// classic 6 x 2 vectors (12 accumulators), where 8 x 1 would not fill.
static RegisterTile chooseRegisterTile(const KernelProblem &p,
                                       const TargetInfo &t, int64_t vec) {
  int64_t rowLimit = kMaxTileRows;
  if (p.rowsAreBatch)
    rowLimit = std::min(rowLimit, p.rows);
  RegisterTile best;
  std::tuple<bool, int64_t, int64_t, int64_t> bestKey{false, 0, 0, 0};
  // A panel no wider than N: shifting the ragged last panel inwards needs
  // N >= the panel.
  int64_t maxVectors = std::clamp<int64_t>(p.cols / vec, 1, 8);
  for (int64_t nv = 1; nv <= maxVectors; ++nv) {
    int64_t rows = std::min(rowLimit, (t.numVectorRegs - nv - 1) / nv);
    if (rows < 1)
      break;
    int64_t nb = nv * vec;
    int64_t usefulPercent = 100 * p.cols / (ceilDiv(p.cols, nb) * nb);
    std::tuple<bool, int64_t, int64_t, int64_t> key{
        rows * nv >= t.fmaChains(), usefulPercent, rows * nv, rows};
    if (key > bestKey) {
      bestKey = key;
      best = {rows, nv};
    }
  }
  return best;
}

/// A k step of the tile issues mr*nv FMAs, mr*nv / fmaUnits cycles at full
/// rate; the loop's own uops (pointer bumps, compare, branch) compete with
/// them for issue slots, so the loop is unrolled until one iteration is
/// kMinKLoopCycles of FMA issue: 8 x 3 on two pipes (12 cycles a step) gets
/// 4, the unroll measured best on Sapphire Rapids (Linear.cpp); on Zen 4's
/// one pipe 2, on AVX2's 6 x 2 tile 8. Powers of two dividing K, so no
/// tail iterations, at most 8 (the body stays well inside the uop cache).
/// Measured (Sapphire Rapids-class guest, 1 thread, 8 x 48 tile, 128 rows
/// per task, bench/kernels bert-gemm-variants, min process CPU time per
/// call, interleaved; 2 cores at load 11, so within ~3%), unroll 4 against
/// 1 / 2 / 8, GFLOP/s: M=128 768x768 209 vs 199 / 199 / 205; M=1024
/// 768x768 206 vs 200 / 203 / 209; M=1024 3072x768 193 vs 180 / 185 / 191.
static constexpr int64_t kMinKLoopCycles = 48;

static int64_t chooseKUnroll(const KernelProblem &p, const TargetInfo &t,
                             const RegisterTile &reg) {
  int64_t stepCycles =
      std::max<int64_t>(1, ceilDiv(reg.rows * reg.vectors, t.fmaUnits));
  int64_t unroll =
      std::min<int64_t>(8, powerOf2Ceil(ceilDiv(kMinKLoopCycles, stepCycles)));
  while (unroll > 1 && p.depth % unroll != 0)
    unroll /= 2;
  return unroll;
}

/// Rows per task. The kernels (backend/cpu/kernels Linear.cpp, and the bf16
/// dot-product and i8 linears) run the full K loop in every register tile
/// and walk their tasks panel-major, so a tile's cache footprint is its
/// K x nr panel and its rows of X whatever the task holds; what rows per
/// task decide is how many tasks re-fetch a panel (once per task, possibly
/// on another core, from L3 or DRAM) and how evenly the tasks share out.
/// So a task takes as many row tiles as balance allows (kTasksPerThread
/// tasks per core), and M's tiles are split into blocks of equal size: a
/// cap of 85 rows had cut BERT-base's 128 rows into 80 + 48 (10 and 6
/// tiles, two fetches of every panel) where one block of 128 has neither
/// cost; tuned on a Xeon with AMX, the FFN-down linear ran 1.63 -> 1.50 ms
/// with 128 rows instead of 80 (README, Autotuning). With warm weights at 1
/// thread, 32 to 336 rows per task measured within noise (bench/kernels
/// bert-gemm-variants): the costs are those of cold panels and of the
/// split between threads. A K block beside the panel in L2 measured 0-8 %
/// slower on AVX-512 (Linear.cpp), so there is none.
static int64_t chooseRowsPerTask(const KernelProblem &p, const TargetInfo &t,
                                 const RegisterTile &reg, int64_t nr) {
  int64_t tiles = ceilDiv(p.rows, reg.rows);
  // The pooler has one row per sequence: every row in one task.
  if (p.rowsAreBatch)
    return tiles * reg.rows;
  int64_t panels = ceilDiv(p.cols, nr) * p.batch;
  int64_t balanced = p.rows * panels / (kTasksPerThread * t.cores);
  // A task never spans two matrices of a batched product.
  int64_t maxTiles =
      std::max<int64_t>(1, std::min(balanced, p.rows) / reg.rows);
  int64_t blocks = ceilDiv(tiles, maxTiles);
  return ceilDiv(tiles, blocks) * reg.rows;
}

::bert::KernelSchedule mlir::bert::cpuGemmStrategy(const KernelProblem &p,
                                                   const TargetInfo &t) {
  if (p.bf16 || p.int8)
    return cpuGemmBF16Strategy(p, t);
  int64_t vec = lanesFor(p.cols, t);
  RegisterTile reg = chooseRegisterTile(p, t, vec);
  int64_t nr = reg.vectors * vec;
  // rows, cols, k_unroll, rows_per_task, vector_width.
  return ::bert::GemmSchedule{reg.rows, nr, chooseKUnroll(p, t, reg),
                              chooseRowsPerTask(p, t, reg, nr), vec};
}

//===----------------------------------------------------------------------===//
// attention: fused_attention
//===----------------------------------------------------------------------===//

/// Flash-attention blocking for one (batch, head): for each tile of Bq
/// queries, walk the keys in tiles of Bk. The K tile (and after it the V
/// tile, Bk x d each) is re-read by every query of the tile, so it must sit
/// in half of L1: d = 64 gives Bk = 64 on 32-48 KiB L1s, small heads 128.
/// Every key tile also costs per-tile work that does not grow with Bq (the
/// V tile's copy, with bf16 the K and V tiles' rounding), so Bq is as large
/// as the register tile allows (64 queries), halved only while some core
/// would get fewer than kTasksPerThread tasks at the compile-time maxima.
/// Measured (Zen 4, 2 threads, d = 64, bench/kernels attention), 64 against
/// 32 queries: fp32 +2% at B=1 S=128, +10% at B=8 S=128 and B=1 S=512;
/// bf16 +14%, +32%, +20%. (An earlier rule sized Bq so that the score slab
/// and the query rows fit the other half of L1, which gave 32.)
/// Each query's d-wide output accumulates in d/vec registers, unrolled.
/// Both tiles are whole register tiles of the kernel (Attention.cpp): the
/// query tile a multiple of 2 vectors of queries (1 when smaller), the key
/// tile of 8 keys with 16 lanes (4 with fewer: half the registers).
::bert::KernelSchedule mlir::bert::cpuAttentionStrategy(const KernelProblem &p,
                                                        const TargetInfo &t) {
  int64_t d = p.depth;
  int64_t vec = lanesFor(d, t);
  int64_t halfL1 = t.l1Bytes / 2;
  int64_t keyTile = 16;
  for (int64_t bk : {128, 64, 32})
    if (bk * d * 4 <= halfL1) {
      keyTile = bk;
      break;
    }
  int64_t queryTile = 64;
  while (queryTile > 2 * t.vectorWidth && queryTile > 8 &&
         p.batch * ceilDiv(p.rows, queryTile) < kTasksPerThread * t.cores)
    queryTile /= 2;
  int64_t queryReg = queryTile >= 2 * vec ? 2 * vec : vec;
  int64_t keyReg = vec >= 16 ? 8 : 4;
  ::bert::AttentionSchedule s;
  s.queriesPerTask = llvm::alignTo(queryTile, queryReg);
  s.keyTile = llvm::alignTo(keyTile, keyReg);
  s.vectorWidth = vec;
  return s;
}

//===----------------------------------------------------------------------===//
// rowwise and elementwise
//===----------------------------------------------------------------------===//

/// Rows per parallel task: enough rows to carry kMinTaskBytes, but no more
/// than rows / cores so that every core has work on short inputs.
static int64_t rowsPerTask(const KernelProblem &p, const TargetInfo &t) {
  int64_t forOverhead = powerOf2Ceil(ceilDiv(kMinTaskBytes, p.cols * 4));
  forOverhead = std::min<int64_t>(forOverhead, 64);
  int64_t forBalance = powerOf2Floor(std::max<int64_t>(1, p.rows / t.cores));
  return std::max<int64_t>(1, std::min(forOverhead, forBalance));
}

/// Row reductions vectorize along the row; the rows of a task are
/// independent.
::bert::KernelSchedule mlir::bert::cpuRowWiseStrategy(const KernelProblem &p,
                                                      const TargetInfo &t) {
  ::bert::RowSchedule s;
  s.rowsPerTask = rowsPerTask(p, t);
  s.vectorWidth = lanesFor(p.cols, t);
  return s;
}

/// Elementwise kernels: the same shape of schedule as a row-wise one.
::bert::KernelSchedule
mlir::bert::cpuElementwiseStrategy(const KernelProblem &p,
                                   const TargetInfo &t) {
  return cpuRowWiseStrategy(p, t);
}
