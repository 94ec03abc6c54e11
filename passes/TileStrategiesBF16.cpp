//===- TileStrategiesBF16.cpp - schedules of bf16 linear layers -----------===//
//
// `precision = bf16` linears (bertc --precision bf16) run on bf16 matrix
// units. With AMX the unit of work is fixed by the hardware: a 16 x 16 fp32
// accumulator tile, fed 32 k at a time by a 16 x 32 bf16 A tile and a
// 16-row VNNI B tile (TDPBF16PS). What is left to choose is the task: a
// block of mc rows x nc columns, whose bf16 X block (mc x K x 2 bytes) and
// W block (nc x K x 2 bytes) should share half of L2, and which should be
// numerous enough for every core to get a few. Without AMX the kernel uses
// VDPBF16PS (or its emulation) on the f32 register tile, one k-pair per
// step, so the f32 strategy's tile applies with kc = 2.
//
// Measured (bench/kernels, Xeon with AMX, 1 thread, M = 128, K = 768):
// 128 x 128 tasks ran the 768- to 3072-column layers at 330-460 GFLOP/s on a
// loaded machine; whole-M tasks (no column split) left the second core idle
// at batch 1.
//===----------------------------------------------------------------------===//

#include "passes/TileStrategies.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::bert;

/// Tasks per thread the blocking aims for (load balance vs. per-task setup).
static constexpr int64_t kTasksPerThread = 3;

ScheduleAttr mlir::bert::cpuGemmBF16Strategy(MLIRContext *ctx,
                                             const KernelProblem &p,
                                             const TargetInfo &t) {
  bool amx = t.hasAMX && p.cols % 16 == 0 && p.depth % 32 == 0;
  if (!amx) {
    KernelProblem asF32 = p;
    asF32.bf16 = false;
    ScheduleAttr f32 = cpuGemmStrategy(ctx, asF32, t);
    SmallVector<int64_t> tile(f32.getTile());
    tile[2] = 2;
    // At most 3 vectors of columns: with a fourth, Halide 21 no longer
    // proves that the last vector's panel index (n % nb) is a ramp and
    // gathers its bf16 pairs lane by lane (6 x 64 ran bert-large's 1024-
    // and 4096-column layers at 42-50 GFLOP/s per Zen 4 core, 8 x 32 at
    // 204-224; bench/kernels bf16-large). Fewer vectors leave registers
    // for 8 rows.
    int64_t vec = f32.getVectorWidth();
    if (tile[1] > 3 * vec) {
      int64_t nv = 1;
      for (int64_t v : {3, 2})
        if (p.cols % (v * vec) == 0) {
          nv = v;
          break;
        }
      tile[1] = nv * vec;
      tile[0] = std::min<int64_t>(8, (t.numVectorRegs - nv - 1) / nv);
      if (p.rowsAreBatch)
        tile[0] = std::min(tile[0], p.rows);
      tile[3] = std::max(tile[3] / tile[0] * tile[0], tile[0]);
    }
    // The f32 k unroll, over k-pairs: 4 measured 0-4% faster than 1 at the
    // BERT shapes (Zen 4, 1 thread).
    return ScheduleAttr::get(ctx, p.kernel, tile, vec, f32.getUnroll(),
                             f32.getParallel(), f32.getThreads(), t.name);
  }
  // Start from 128 x 128 blocks (2 x 192 KiB at K = 768) and halve the
  // larger side while the pair overflows half of L2 or there are too few
  // tasks to go around.
  int64_t mc = std::min<int64_t>(128, llvm::alignTo(p.rows, 16));
  int64_t nc = std::min<int64_t>(128, p.cols);
  auto tasks = [&] { return ceilDiv(p.rows, mc) * ceilDiv(p.cols, nc); };
  while ((mc + nc) * p.depth * 2 > t.l2Bytes / 2 ||
         tasks() < kTasksPerThread * t.cores) {
    if (mc <= 16 && nc <= 16)
      break;
    if (nc >= mc && nc > 16)
      nc /= 2;
    else
      mc /= 2;
  }
  return ScheduleAttr::get(ctx, p.kernel, {16, 16, 32, mc, nc}, 16, 1, {0, 1},
                           {t.cores}, t.name);
}
