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
// `precision = i8` linears take the dot-product tiles too: VPDPBUSD reduces
// four k's per 32-bit lane where VDPBF16PS reduces two, and the register
// tile (int32 accumulators, one broadcast of X per row and k-quad, one load
// of W per vector) is the same; the k unroll counts k-quads. With AMX they
// take TDPBUSD tiles (kernels/LinearAMXInt8.cpp) when N % 16 == 0 and
// K % 64 == 0 (an A tile row is 64 k of bytes), blocked like bf16 at one
// byte per element; their dot_* fields are the VPDPBUSD tile this strategy
// gives without AMX, so the weight panels (dot_cols wide) and the small-M
// path are the VNNI kernel's.
//
// Measured (bench/kernels, Xeon with AMX, 1 thread, M = 128, K = 768) with
// the earlier one-tile Halide product: 128 x 128 tasks ran the 768- to
// 3072-column layers at 330-460 GFLOP/s on a loaded machine; whole-M tasks
// (no column split) left the second core idle at batch 1. The C block
// (kernels/LinearAMX.cpp) keeps the same blocks; not retuned yet.
//===----------------------------------------------------------------------===//

#include "passes/TileStrategies.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::bert;

/// Tasks per thread the blocking aims for (load balance vs. per-task setup).
static constexpr int64_t kTasksPerThread = 3;

::bert::KernelSchedule mlir::bert::cpuGemmBF16Strategy(const KernelProblem &p,
                                                       const TargetInfo &t) {
  // The depth one A tile row covers: 64 bytes of bf16 or of int8.
  const int64_t kPerTile = p.int8 ? 64 : 32;
  bool amx = t.hasAMX && p.cols % 16 == 0 && p.depth % kPerTile == 0;
  int64_t vec = lanesFor(p.cols, t);
  // The register tile of the dot products (no AMX, or an int8 amx
  // schedule's small-M path).
  auto dotSchedule = [&] {
    KernelProblem asF32 = p;
    asF32.bf16 = false;
    asF32.int8 = false;
    auto s = std::get<::bert::GemmSchedule>(cpuGemmStrategy(asF32, t));
    // The k unroll applies over k-pairs (k-quads for i8), steps 2-4 times
    // the f32 FMA rule's (TileStrategiesCPU.cpp): 4 measured 0-4% faster
    // than 1 at the BERT shapes (Zen 4, 1 thread).
    s.kUnroll = p.depth % 4 == 0 ? 4 : (p.depth % 2 == 0 ? 2 : 1);
    // At most 3 vectors of columns: with a fourth, Halide 21 no longer
    // proves that the last vector's panel index (n % nb) is a ramp and
    // gathers its bf16 pairs lane by lane (6 x 64 ran bert-large's 1024-
    // and 4096-column layers at 42-50 GFLOP/s per Zen 4 core, 8 x 32 at
    // 204-224; bench/kernels bf16-large). Fewer vectors leave registers
    // for 8 rows.
    if (s.cols > 3 * s.vectorWidth) {
      int64_t nv = 1;
      for (int64_t v : {3, 2})
        if (p.cols % (v * s.vectorWidth) == 0) {
          nv = v;
          break;
        }
      s.cols = nv * s.vectorWidth;
      s.rows = std::min<int64_t>(8, (t.numVectorRegs - nv - 1) / nv);
      if (p.rowsAreBatch)
        s.rows = std::min(s.rows, p.rows);
      s.rowsPerTask = std::max(s.rowsPerTask / s.rows * s.rows, s.rows);
    }
    return s;
  };
  if (!amx)
    return dotSchedule();
  // Start from 128 x 128 blocks (2 x 192 KiB at K = 768) and halve the
  // larger side while the pair overflows half of L2 or there are too few
  // tasks to go around.
  int64_t mc = std::min<int64_t>(128, llvm::alignTo(p.rows, 16));
  int64_t nc = std::min<int64_t>(128, p.cols);
  auto tasks = [&] { return ceilDiv(p.rows, mc) * ceilDiv(p.cols, nc); };
  const int64_t elementBytes = p.int8 ? 1 : 2;
  while ((mc + nc) * p.depth * elementBytes > t.l2Bytes / 2 ||
         tasks() < kTasksPerThread * t.cores) {
    if (mc <= 16 && nc <= 16)
      break;
    if (nc >= mc && nc > 16)
      nc /= 2;
    else
      mc /= 2;
  }
  ::bert::AmxSchedule s;
  // Whole AMX tiles per task.
  s.rowsPerTask = std::max<int64_t>(16, mc / 16 * 16);
  s.colsPerTask = std::max<int64_t>(16, nc / 16 * 16);
  // Calls of fewer than 16 rows use dot products over the same one-panel
  // weights: 8 rows x 2 vectors (the widest tile whose panel index Halide
  // keeps a ramp in that layout), no k unroll, 64 rows per task.
  s.vectorWidth = vec;
  s.dotRows = 8;
  s.dotCols = p.cols % (2 * vec) == 0 ? 2 * vec : vec;
  s.dotKUnroll = 1;
  s.dotRowsPerTask = 64;
  if (p.int8) {
    ::bert::GemmSchedule dot = dotSchedule();
    s.dotRows = dot.rows;
    s.dotCols = dot.cols;
    s.dotKUnroll = dot.kUnroll;
    s.dotRowsPerTask = dot.rowsPerTask;
  }
  return s;
}
