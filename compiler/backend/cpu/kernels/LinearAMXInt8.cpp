//===- LinearAMXInt8.cpp - the int8 linear on AMX-INT8 (TDPBUSD) ----------===//
//
// The int8 linear under an `amx` schedule (TileStrategiesBF16.cpp gives one
// on AMX targets when N % 16 == 0 and K % 64 == 0). Everything but the sum
// is LinearInt8.cpp's kernel, unchanged: the per-row u8 quantization of X
// (computed once per call across the threads), the s8 weight panels the
// runtime packs at load (Int8Layout: panels of dot_cols columns, k-quads
// of each column, the layout VPDPBUSD reads), the zero-point correction
// with the column sums, and the fp32 epilogue (scales, bias, activation).
// The int32 sum sum_k ux[m, k] * qw[n, k] of a task's block comes from the
// hand-written C block (amx/AmxGemm.c, bert_amx_i8_gemm): 2 x 2 int32
// accumulator tiles, TDPBUSD back to back, A tiles of 16 rows x 64 bytes
// read from the quantized X in place, B tiles of 16 k-quad rows x 16
// columns read from the VNNI panels in place (one panel row is 4 bytes per
// column, exactly a TDPBUSD B-tile row, so no repacking). Calls of fewer
// than 16 rows use the VPDPBUSD register tile of the dot_* fields.
//
// Why the same panels rather than a layout of AMX's own: the runtime packs
// one layout per linear (bert_model_abi.h int8_row_stride), the tuner and
// the dot path for small M read it, and a B tile is 16 contiguous 64-byte
// rows of it whenever the panel is 16 columns wide, or 64 of every
// 4 * dot_cols bytes otherwise.
//
// Not measured: no AMX CPU was available when this was written (the
// machines vary). bert-int8-bench times it against the VNNI kernel on the
// same panels, interleaved: a variant RxCxUxT+amxMCxNC (Int8Bench.cpp).
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/amx/AmxGemm.h"
#include "compiler/backend/cpu/kernels/HalideCommon.h"

#include <stdexcept>

using namespace Halide;

namespace bert::cpu {

Func detail::amxInt8Block(const Func &xu, const ImageParam &w, int K, int N,
                          int nb, const Var &n, const Var &m) {
  Func block("linear_amx_i8_block");
  block.define_extern(BERT_AMX_I8_GEMM_NAME,
                      {Expr(K), Expr(N), Expr(nb), xu, w}, Int(32), {n, m});
  return block;
}

GemmSchedule int8DotSchedule(const KernelSchedule &sched) {
  if (const auto *g = std::get_if<GemmSchedule>(&sched))
    return *g;
  if (const auto *a = std::get_if<AmxSchedule>(&sched))
    return GemmSchedule{a->dotRows, a->dotCols, a->dotKUnroll,
                        a->dotRowsPerTask, a->vectorWidth};
  throw std::invalid_argument(
      std::string("int8 linear: expected a gemm or amx schedule, got ") +
      ::bert::scheduleKind(sched));
}

Kernel buildLinearInt8Amx(const LinearSpec &spec, const AmxSchedule &sched,
                          const Target &target) {
  // The target check is the family's (an AMX kernel for a CPU without AMX
  // would fault at the first tile instruction); the tests build this for
  // the host with the block bound to the emulated tiles instead.
  if (spec.N % 16 != 0 || spec.K % 64 != 0 || sched.dotCols % 16 != 0)
    throw std::invalid_argument(
        "int8 linear: an amx schedule needs N % 16 == 0, K % 64 == 0 and "
        "dot_cols % 16 == 0 (N = " +
        std::to_string(spec.N) + ", K = " + std::to_string(spec.K) +
        ", dot_cols = " + std::to_string(sched.dotCols) + ")");
  Kernel k =
      detail::buildLinearInt8With(spec, int8DotSchedule(sched), &sched, target);
  detail::bindCExterns(k.pipeline);
  return k;
}

} // namespace bert::cpu
