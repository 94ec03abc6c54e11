//===- LinearBF16.cpp - bf16 GEMM (AMX / AVX512-BF16) + epilogue emitter --===//
//
// Y[m, n] = act(sum_k bf16(X[m, k]) * Wb[n, k] + b[n]), products of bf16
// values accumulated in fp32 (`--precision bf16`). X arrives in fp32 from the
// previous kernel and is rounded to bf16 (round to nearest even) once per
// call inside the kernel; W is stored in bf16 by the runtime at load time.
//
// Weight layout ("VNNI", what AMX's TDPBF16PS and AVX512-BF16's VDPBF16PS
// read): W is cut into panels of nb output columns; in panel p, k-pair row
// j holds (W[n, 2j], W[n, 2j+1]) for the panel's nb columns, so element
// [n, k] sits at p * (K/2) * rowStride + (k/2) * rowStride
// + 2 * (n - p * nb) + k % 2 (see BF16Layout in Kernels.h), rowStride = 2 nb:
// nb is the dot-product register tile's width (48 columns for BERT on
// AVX-512; an amx schedule's dot_cols, 32 or 16), so a register tile
// streams one contiguous panel (72 KiB at K = 768), and on AMX the two B
// tiles of a 32-column pair are 2 KiB of contiguous memory per 32 k.
// One panel of all N columns (rowStride 2N + 32) made each k-pair step
// read 192 bytes 4.6-18 KiB after the previous ones: 130-183 GFLOP/s at 1
// thread on a Zen 4 core, against 208-223 with panels (bert-backend-bench,
// ONLY=bf16); the AMX block ran 5-20% slower on it than on 32-column panels
// (interleaved, Sapphire Rapids, M = 128, K = 768 and 3072).
//
// Three schedules, chosen by the target:
//  * AMX (avx512_sapphirerapids, N % 16 == 0, K % 32 == 0, M >= 16): tasks
//    are blocks of rowsPerTask rows x colsPerTask columns; each task calls
//    the hand-written C block (amx/AmxGemm.c, a Halide extern stage), which
//    rounds the block's rows of X to bf16 once and keeps 2 x 2 accumulator
//    tiles live (LinearAMX.cpp), then this kernel's epilogue (bias, activation)
//    reads the block, vectorized, with the same expressions as the dot path.
//    Halide's own AMX lowering keeps one accumulator tile live at a time (two
//    tiles sharing a K loop, two AMXTile Funcs fused with compute_with, is
//    rejected by Halide 21: "Already in AMX allocation"), so each TDPBF16PS
//    waited for the previous one; that is why the block is C.
//  * dot products (every other target, and M < 16): register tiles of
//    rows x nb columns; each step reduces one k-pair with a 2-lane vector
//    reduction, which Halide lowers to VDPBF16PS where the target has
//    AVX512-BF16 and to converts + FMAs elsewhere. Without AMX the tasks
//    run panel-major, as in the fp32 linear (Linear.cpp), and X is rounded
//    to bf16 once per call (not once per task: a task is one panel, and
//    every panel reads all of X).
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "runtime/src/weight_pack.h"

#include <cstring>
#include <stdexcept>

using namespace Halide;

namespace bert::cpu {
namespace {

/// The epilogue and tile geometry for one build.
struct BF16Tiles {
  bool amx = false;
  int vec = 16, rows = 8, nb = 48; // dot products: the register tile
  int unrollK = 4;                 // dot products: k-pairs per iteration
  int rowsPerDotTask = 64;         // dot products without AMX
};

/// AMX tiles where the schedule says so (the strategy gives an AMX schedule
/// only on AMX targets, for N % 16 == 0 and K % 32 == 0).
bool usesAMX(const LinearSpec &spec, const KernelSchedule &sched,
             const Target &target) {
  if (!std::holds_alternative<AmxSchedule>(sched))
    return false;
  if (!target.has_feature(Target::AVX512_SapphireRapids) || spec.N % 16 != 0 ||
      spec.K % 32 != 0)
    throw std::invalid_argument(
        "bf16 linear: an amx schedule needs an AMX target, N % 16 == 0 and "
        "K % 32 == 0 (N = " +
        std::to_string(spec.N) + ", K = " + std::to_string(spec.K) + ")");
  return true;
}

/// The schedule's tiles: an AMX schedule's small-M dot-product tile (its
/// task blocks are scheduleAmxTasks'), or a gemm schedule's register tile
/// and tasks.
BF16Tiles bf16Tiles(const LinearSpec &spec, const KernelSchedule &sched,
                    const Target &target) {
  BF16Tiles t;
  t.amx = usesAMX(spec, sched, target);
  if (t.amx) {
    const auto &a = std::get<AmxSchedule>(sched);
    t.vec = int(a.vectorWidth);
    t.rows = int(a.dotRows);
    t.nb = int(a.dotCols);
    t.unrollK = int(a.dotKUnroll);
    t.rowsPerDotTask = int(a.dotRowsPerTask);
    return t;
  }
  const auto *g = std::get_if<GemmSchedule>(&sched);
  if (!g)
    throw std::invalid_argument(
        std::string("bf16 linear: expected a gemm or amx schedule, got ") +
        ::bert::scheduleKind(sched));
  // The fp32 linear's register tile (Linear.cpp), at most 3 vectors wide
  // (passes/TileStrategiesBF16.cpp: a fourth makes Halide gather the
  // weights).
  t.vec = int(g->vectorWidth);
  t.rows = int(g->rows);
  t.nb = int(g->cols);
  if (t.nb > 3 * t.vec)
    throw std::invalid_argument("bf16 linear: at most 3 vectors of columns (" +
                                std::to_string(3 * t.vec) + "), got cols " +
                                std::to_string(t.nb));
  t.unrollK = int(g->kUnroll);
  t.rowsPerDotTask = int(g->rowsPerTask);
  return t;
}

} // namespace

BF16Layout linearBF16Layout(const LinearSpec &spec, const KernelSchedule &sched,
                            const Target &target) {
  BF16Layout l;
  l.N = spec.N;
  l.K = spec.K;
  l.nb = bf16Tiles(spec, sched, target).nb;
  l.rowStride = 2 * l.nb;
  l.numPanels = (spec.N + l.nb - 1) / l.nb;
  return l;
}

int64_t BF16Layout::index(int64_t n, int64_t k) const {
  return (n / nb) * (K / 2) * rowStride + (k / 2) * rowStride + 2 * (n % nb) +
         k % 2;
}

std::vector<halide_dimension_t> BF16Layout::dims() const {
  return {{0, 2, 1},
          {0, int32_t(nb), 2},
          {0, int32_t(K / 2), int32_t(rowStride)},
          {0, int32_t(numPanels), int32_t(K / 2 * rowStride)}};
}

uint16_t floatToBF16(float f) { return bert_float_to_bf16(f); }

// The runtime's packer (runtime/src/weight_pack.h), the one the loader
// uses, on the whole matrix.
void packLinearWeightsBF16(const float *w, const BF16Layout &l, uint16_t *out) {
  std::fill(out, out + l.numElements(), uint16_t(0));
  bert_pack_bf16_rows(w, 0, l.N, l.K, l.nb, l.rowStride, out);
}

Kernel buildLinearBF16(const LinearSpec &spec, const KernelSchedule &sched,
                       const Target &target) {
  if (spec.K % 2 != 0)
    throw std::invalid_argument("bertc: bf16 linear needs an even K, got " +
                                std::to_string(spec.K));
  if (spec.hasResidual)
    throw std::invalid_argument("bertc: bf16 linear has no residual input");
  if (target.has_gpu_feature())
    throw std::invalid_argument("bertc: no Halide GPU schedule for linear");
  BF16Tiles t = bf16Tiles(spec, sched, target);
  BF16Layout layout = linearBF16Layout(spec, sched, target);
  const int N = int(spec.N), K = int(spec.K), nb = int(layout.nb);

  ImageParam x(Float(32), 2, "x"), bias(Float(32), 1, "bias");
  ImageParam wv(BFloat(16), int(layout.dims().size()), "w_bf16");
  Var n("n"), m("m"), k("k");
  RDom r(0, K, "r");
  // W[n, k] as bf16: (k % 2, n % nb, k / 2) of panel n / nb.
  auto weight = [&](Expr kk, Expr nn) {
    return wv(kk % 2, nn % nb, kk / 2, nn / nb);
  };

  // Algorithm. Two copies of the reduction, one per schedule: a Func has one
  // storage (AMX tile or registers), so the AMX path and the small-M path
  // cannot share one. `y` selects between them on M; specializing y on the
  // same condition simplifies the select away in each branch, so each branch
  // computes only its own copy.
  Func xb("x_bf16"), amxBlock, prodDot("linear_prod_dot"), y("linear_y");
  xb(k, m) = detail::roundToBF16(x(k, m));
  prodDot(n, m) = 0.f;
  prodDot(n, m) += cast<float>(xb(r, m)) * cast<float>(weight(r, n));
  if (t.amx)
    amxBlock = detail::amxBlock(xb, wv, K, N, nb, n, m);
  auto epilogue = [&](Expr acc) {
    if (spec.hasBias)
      acc = acc + bias(n);
    return detail::activate(spec.act, acc);
  };
  // Rows of X = rows of Y (the output's extent is not nameable before y
  // is defined).
  Expr M = x.dim(1).extent();
  if (t.amx)
    y(n, m) =
        select(M >= 16, epilogue(amxBlock(n, m)), epilogue(prodDot(n, m)));
  else
    y(n, m) = epilogue(prodDot(n, m));

  // Schedules.
  Var no("no"), ni("ni"), mo("mo"), mi("mi"), mb("mb"), task("task");
  RVar ko("ko"), ki("ki"), kpo("kpo"), kpi("kpi");
  if (t.amx)
    detail::scheduleAmxTasks(y, M, amxBlock, std::get<AmxSchedule>(sched), n, m,
                             task);
  // Dot-product tiles of `rows` rows; full tiles when M >= rows (the last
  // one shifted inwards), single rows below that (batch 1, seq < rows).
  // With AMX this path only serves M < 16, one tile per task; without it,
  // tasks are rowsPerDotTask rows of one panel, panel-major, so that
  // consecutive tasks share the panel while it is in L2 (Linear.cpp).
  const TailStrategy nTail =
      N % t.nb == 0 ? TailStrategy::RoundUp : TailStrategy::ShiftInwards;
  auto dotTiles = [&](Stage s, int rows) {
    s.split(n, no, ni, t.nb, nTail)
        .split(m, mo, mi, rows, TailStrategy::ShiftInwards)
        .reorder(ni, mi, mo, no)
        .vectorize(ni, t.vec)
        .unroll(mi);
    if (t.amx) {
      s.fuse(mo, no, task).parallel(task);
      return;
    }
    s.split(mo, mb, mo, std::max(1, t.rowsPerDotTask / rows),
            TailStrategy::GuardWithIf)
        .reorder(mo, mb, no)
        .fuse(mb, no, task)
        .parallel(task);
  };
  if (t.rows > 1)
    dotTiles(y.specialize(M >= t.rows), t.rows);
  dotTiles(y, 1);
  // X rounded once per call, in row blocks across the threads (not per
  // task: a task is one panel, or with AMX one block, and every panel or
  // block of a row reads all of X's row; per-task rounding took a third of
  // an AMX block's time).
  Var xo("xo"), xi("xi");
  xb.compute_root()
      .split(m, xo, xi, 16, TailStrategy::GuardWithIf)
      .parallel(xo)
      .vectorize(k, t.vec);
  // AMX reads 16 rows of 64 bytes per A tile: rows 64 bytes longer than K
  // keep them off one L1 set when 2K bytes is a multiple of 4 KiB.
  if (t.amx)
    xb.bound_storage(k, K + 32);
  prodDot.compute_at(y, t.amx ? task : mo)
      .store_in(MemoryType::Register)
      .vectorize(n, t.vec)
      .unroll(n)
      .unroll(m);
  Stage dotUpdate = prodDot.update();
  dotUpdate.split(r, ko, ki, 2);
  if (t.unrollK > 1 && (K / 2) % t.unrollK == 0)
    dotUpdate.split(ko, kpo, kpi, t.unrollK)
        .reorder(ki, n, m, kpi, kpo)
        .unroll(kpi);
  else
    dotUpdate.reorder(ki, n, m, ko);
  dotUpdate.atomic().vectorize(ki).vectorize(n, t.vec).unroll(n).unroll(m);

  detail::constrainMinsAndDense(x);
  x.dim(0).set_extent(K);
  if (!spec.stridedX)
    x.dim(1).set_stride(K);
  detail::setDims(wv, layout.dims());
  Kernel kern;
  kern.name = "linear_bf16";
  kern.inputs = {x, wv};
  detail::finishQuantizedLinear(kern, y, bias, spec.hasBias, N);
  if (t.amx)
    detail::bindCExterns(kern.pipeline);
  return kern;
}

} // namespace bert::cpu
