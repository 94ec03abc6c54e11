//===- LinearAMX.cpp - the AMX linears: extern blocks and family ----------===//
//
// The bf16 linear under an `amx` schedule (TileStrategiesBF16.cpp gives one
// on AMX targets when N % 16 == 0 and K % 32 == 0). Its product is not
// Halide's: Halide 21 keeps one AMX accumulator tile live per loop nest, so
// each TDPBF16PS waited for the previous one. Each task instead calls the
// hand-written C block (amx/AmxGemm.c, 2 x 2 live accumulator tiles) as a
// Halide extern stage; the rest of the kernel (bf16 rounding of X once per
// call, the epilogue, the dot-product path for M < 16, the tasks) is the
// bf16 linear's Halide code (LinearBF16.cpp), which calls amxBlock() below.
//
// Why an extern stage rather than C the emitter generates per kernel: the
// block has no per-kernel constants worth specializing on (K and N arrive
// as arguments; the task block comes from the buffer), so one object,
// compiled with bertc, serves every kernel and the JIT alike, and the
// host code, kernel cache and profiles see an ordinary Halide kernel.
//
// Measured (bench/kernels, ONLY=bf16, 1 thread, a loaded 2-core Sapphire
// Rapids, so medians swing 2x): 380-1010 GFLOP/s at M = 128 against
// 245-490 for the one-tile Halide schedule in the same runs; a
// TDPBF16PS-only loop peaks at 1040-1180 GFLOP/s per core.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/amx/AmxGemm.h"
#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "compiler/backend/cpu/quant/QuantizeRows.h"

#include <stdexcept>

using namespace Halide;

namespace bert::cpu {

Func detail::amxBlock(const Func &xb, const ImageParam &w, int K, int N, int nb,
                      const Var &n, const Var &m) {
  Func block("linear_amx_block");
  block.define_extern(BERT_AMX_BF16_GEMM_NAME,
                      {Expr(K), Expr(N), Expr(nb), xb, w}, Float(32), {n, m});
  return block;
}

void detail::bindCExterns(Pipeline &p) {
  // The JIT (tests, bertc tune) finds the blocks in this process; a library
  // links their objects instead (LibraryEmitter).
  p.set_jit_externs(
      {{BERT_AMX_BF16_GEMM_NAME, JITExtern(&bert_amx_bf16_gemm)},
       {BERT_AMX_I8_GEMM_NAME, JITExtern(&bert_amx_i8_gemm)},
       {BERT_QUANTIZE_ROWS_NAME, JITExtern(&bert_quantize_rows)}});
}

void detail::scheduleAmxTasks(Func y, const Expr &M, Func block,
                              const AmxSchedule &sched, const Var &n,
                              const Var &m, const Var &task) {
  // One task per block; the C block computes it, the epilogue follows in
  // vectors. Guarded tails: a block never reaches past M or N, so the
  // extern's region (what it reads of X) stays inside the buffers.
  Var nc("nc"), mc("mc"), ni("ni"), mi("mi");
  y.specialize(M >= 16)
      .split(m, mc, mi, int(sched.rowsPerTask), TailStrategy::GuardWithIf)
      .split(n, nc, ni, int(sched.colsPerTask), TailStrategy::GuardWithIf)
      .reorder(ni, mi, nc, mc)
      .fuse(nc, mc, task)
      .parallel(task)
      .vectorize(ni, int(sched.vectorWidth));
  block.compute_at(y, task);
}

namespace {

Kernel buildAmxLinear(const KernelRequest &req, const Target &target) {
  const auto &spec = std::get<LinearSpec>(req.spec);
  if (spec.int8) {
    if (!target.has_feature(Target::AVX512_SapphireRapids))
      throw std::invalid_argument(
          "int8 linear: an amx schedule needs an AMX target");
    return buildLinearInt8Amx(spec, scheduleAs<AmxSchedule>(req), target);
  }
  return buildLinearBF16(spec, scheduleAs<AmxSchedule>(req), target);
}

/// The block is fixed by the hardware; only the tasks vary.
std::vector<TuneKnob> amxTuningSpace(const KernelRequest &, const Target &) {
  return {{"rows_per_task", {16, 32, 64, 128, 256}},
          {"cols_per_task", {16, 32, 64, 128, 256}}};
}

/// A task block no wider than N.
bool amxPlausible(const KernelRequest &req, const Target &) {
  return scheduleAs<AmxSchedule>(req).colsPerTask <=
         std::get<LinearSpec>(req.spec).N;
}

// The key and the tuner's inputs are the linear's (same spec, same
// arguments).
std::string describeAmxLinear(const KernelRequest &req) {
  return kLinearFamily.describe(req);
}
std::vector<TuneArg> amxTuneArgs(const KernelRequest &req, int batch, int seq) {
  return kLinearFamily.tuneArgs(req, batch, seq);
}

} // namespace

// Task blocks do not reorder any sum (every tile runs all of K), so
// results are exact across candidates. The int8 linear under an amx
// schedule is this family too (LinearAMXInt8.cpp): same knobs, same key
// (the spec says int8).
const KernelFamily kLinearAmxFamily = {
    "linear_amx", describeAmxLinear,      buildAmxLinear, amxTuningSpace,
    amxPlausible, detail::exactTolerance, amxTuneArgs};

} // namespace bert::cpu
