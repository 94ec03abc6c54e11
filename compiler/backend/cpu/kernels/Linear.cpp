//===- Linear.cpp - fused GEMM + bias + activation + residual emitter -----===//
//
// Y[m, n] = act(sum_k X[m, k] * W[n, k] + b[n]) (+ R[m, n]), fp32.
//
// W arrives in the HF layout [N, K]; the kernel reads it pre-packed into
// panels of nb output columns ([N/nb][K][nb], see Kernels.h PackedLayout) so
// the register tile streams one contiguous nb-float row of the panel per k.
// X rows are broadcast one float at a time. The register tile is
// GemmSchedule::rows rows x nb = cols columns (nb / vec vectors), fully
// unrolled and held in registers.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "runtime/src/weight_pack.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

using namespace Halide;

namespace bert::cpu {
namespace {

/// The schedule's tiles as the loop nest uses them.
struct LinearTiles {
  int vec, rows, nb, unrollK, rowsPerTask;
  TailStrategy nTail;
};

LinearTiles linearTiles(const LinearSpec &spec, const GemmSchedule &sched) {
  LinearTiles t;
  t.vec = int(sched.vectorWidth);
  t.rows = int(sched.rows);
  t.nb = int(sched.cols);
  // A ragged last panel recomputes columns of the one before it, so a
  // panel may not be wider than N.
  if (spec.N % t.nb != 0 && t.nb > spec.N)
    throw std::invalid_argument(
        "linear schedule: cols (" + std::to_string(t.nb) +
        ") must divide the layer's " + std::to_string(spec.N) +
        " output features or be at most that many");
  t.nTail =
      spec.N % t.nb == 0 ? TailStrategy::RoundUp : TailStrategy::ShiftInwards;
  t.unrollK = int(sched.kUnroll);
  t.rowsPerTask = int(sched.rowsPerTask);
  return t;
}

struct LinearFuncs {
  ImageParam x, wp, bias, residual;
  Func prod{"linear_prod"}, y{"linear_y"};
  Var n{"n"}, m{"m"};
  RDom k;
};

/// The algorithm: no schedule decisions here.
void linearAlgorithm(LinearFuncs &f, const LinearSpec &spec, int nb) {
  f.k = RDom(0, int(spec.K), "k");
  Expr panel = f.n / nb, lane = f.n % nb;
  f.prod(f.n, f.m) = spec.hasBias ? f.bias(f.n) : Expr(0.f);
  f.prod(f.n, f.m) += f.x(f.k, f.m) * f.wp(lane, f.k, panel);
  Expr out = detail::activate(spec.act, f.prod(f.n, f.m));
  if (spec.hasResidual)
    out = out + f.residual(f.n, f.m);
  f.y(f.n, f.m) = out;
}

/// The CPU schedule: tile Y into (rows x nb) register tiles, run the full K
/// loop inside, parallelize over (panel, row block) tasks, panel-major:
/// consecutive tasks share one W panel (K x nb, 144 KiB at K = 768, 576 KiB
/// at K = 3072), which stays in L2 while the X rows stream past it (8 rows
/// x 4 B per k step, little next to the 192 B of panel a step reads). Row-
/// major order re-read each panel from L3 once per row block, at the panel's
/// full streaming rate (16 B/cycle) in the block's first tile.
///
/// Measured (Halide 21, Intel Xeon Sapphire Rapids-class KVM guest, AVX-512,
/// FMA limit 201 GFLOP/s/core, shared host; bench/kernels bert-gemm-variants,
/// interleaved samples, min process CPU time per call; 8x48, unroll 4, 1
/// thread), row-major -> panel-major:
///   M=1024 3072x768  173 -> 192 GFLOP/s (86% -> 96% of the FMA limit);
///          768x3072  173 -> 204 (the full limit);   768x768 ~195 both;
///   M=128  768x3072  178 -> 192;  768x768 and 3072x768 within noise.
/// Tried and dropped, same protocol: K blocking (partial sums per kc-long
/// block accumulated in a per-task buffer, so a kc x nb panel slice stays in
/// L1; row-major tasks) at kc = 128..256: 0-8% slower than full K, never
/// faster (the panel streams from L2 at a rate L2 sustains), so the schedule
/// has no K block field; Halide prefetch() of the panel or of X rows 4-16 k
/// steps ahead: 20-40% slower (per-line prefetches and their address arithmetic
/// in the inner loop); 6x64 and 4x96 tiles: within +-3% of 8x48 at M=1024, 6x64
/// 8% slower at M=128 768x3072; 12x32: 5-12% slower. Unpinned X row stride: 77
/// GFLOP/s (row addresses computed in the loop); unpacked W at N=3072: ~70
/// GFLOP/s (TLB misses on 12 KiB row strides).
void linearSchedule(LinearFuncs &f, const LinearSpec &spec,
                    const LinearTiles &t, const Target &target,
                    bool autoschedule) {
  Expr M = f.y.output_buffer().dim(1).extent();
  if (autoschedule) {
    f.x.set_estimates({{0, int(spec.K)}, {0, 1024}});
    f.y.set_estimates({{0, int(spec.N)}, {0, 1024}});
    return;
  }
  if (target.has_gpu_feature()) // GPU kernels come from backend/gpu.
    throw std::invalid_argument("bertc: no Halide GPU schedule for linear");
  Var no("no"), ni("ni"), mo("mo"), mi("mi"), mb("mb"), task("task");
  auto tileStage = [&](Stage s, int rows) {
    s.split(f.n, no, ni, t.nb, t.nTail)
        .split(f.m, mo, mi, rows, TailStrategy::ShiftInwards)
        .reorder(ni, mi, mo, no)
        .vectorize(ni, t.vec)
        .unroll(mi)
        .split(mo, mb, mo, t.rowsPerTask / rows, TailStrategy::GuardWithIf)
        .reorder(mo, mb, no)
        .fuse(mb, no, task)
        .parallel(task);
  };
  // Full register tiles when M >= rows (ShiftInwards overlaps the last
  // tile); single-row tiles for tiny inputs (batch 1, seq < rows).
  tileStage(f.y.specialize(M >= t.rows), t.rows);
  tileStage(f.y, 1);

  f.prod.compute_at(f.y, mo)
      .store_in(MemoryType::Register)
      .vectorize(f.n, t.vec)
      .unroll(f.n)
      .unroll(f.m);
  RVar ko("ko"), ki("ki");
  Stage upd = f.prod.update();
  if (t.unrollK > 1)
    upd.split(f.k.x, ko, ki, t.unrollK, TailStrategy::GuardWithIf)
        .reorder(f.n, f.m, ki, ko)
        .unroll(ki);
  else
    upd.reorder(f.n, f.m, f.k.x);
  upd.vectorize(f.n, t.vec).unroll(f.n).unroll(f.m);
}

} // namespace

PackedLayout linearPackedLayout(const LinearSpec &spec,
                                const GemmSchedule &sched) {
  LinearTiles t = linearTiles(spec, sched);
  PackedLayout l;
  l.N = spec.N;
  l.K = spec.K;
  l.nb = t.nb;
  l.numPanels = (spec.N + t.nb - 1) / t.nb;
  return l;
}

// The runtime's packer (runtime/src/weight_pack.h), the one the loader
// uses, panel by panel.
void packLinearWeights(const float *w, const PackedLayout &l, float *out) {
  for (int64_t p = 0; p < l.numPanels; ++p)
    bert_pack_panel(w + p * l.nb * l.K, std::min(l.nb, l.N - p * l.nb), l.K,
                    l.nb, out + p * l.K * l.nb);
}

Kernel buildLinear(const LinearSpec &spec, const GemmSchedule &sched,
                   const Target &target, bool autoschedule) {
  if (spec.bf16 || spec.int8)
    throw std::invalid_argument("buildLinear: a bf16 or int8 linear is built "
                                "by buildLinearBF16 or buildLinearInt8");
  LinearTiles t = linearTiles(spec, sched);
  PackedLayout layout = linearPackedLayout(spec, sched);
  LinearFuncs f;
  f.x = ImageParam(Float(32), 2, "x");
  f.wp = ImageParam(Float(32), 3, "w_packed");
  f.bias = ImageParam(Float(32), 1, "bias");
  f.residual = ImageParam(Float(32), 2, "residual");
  linearAlgorithm(f, spec, t.nb);
  linearSchedule(f, spec, t, target, autoschedule);

  // Static shapes: K, N and the packed layout are compile-time constants.
  detail::constrainMinsAndDense(f.x);
  f.x.dim(0).set_extent(int(spec.K));
  if (!spec.stridedX)
    f.x.dim(1).set_stride(int(spec.K));
  detail::constrainMinsAndDense(f.wp);
  f.wp.dim(0).set_extent(int(t.nb));
  f.wp.dim(1).set_extent(int(spec.K)).set_stride(int(t.nb));
  f.wp.dim(2).set_extent(int(layout.numPanels)).set_stride(int(spec.K * t.nb));
  Kernel k;
  k.name = "linear";
  k.inputs = {f.x, f.wp};
  if (spec.hasBias) {
    detail::constrainMinsAndDense(f.bias);
    f.bias.dim(0).set_extent(int(spec.N));
    k.inputs.push_back(f.bias);
  }
  OutputImageParam out = f.y.output_buffer();
  detail::constrainMinsAndDense(out);
  out.dim(0).set_extent(int(spec.N));
  out.dim(1).set_stride(int(spec.N));
  if (spec.hasResidual) {
    detail::constrainMinsAndDense(f.residual);
    f.residual.dim(0).set_extent(int(spec.N));
    f.residual.dim(1).set_stride(int(spec.N));
    k.inputs.push_back(f.residual);
  }
  k.pipeline = Pipeline(f.y);
  for (auto &p : k.inputs)
    k.args.push_back(Argument(p));
  return k;
}

LinearSpec poolerAsLinear(const PoolerSpec &spec) {
  LinearSpec l;
  l.N = spec.N ? spec.N : spec.H;
  l.K = spec.H;
  l.act = spec.act;
  l.hasBias = true;
  l.hasResidual = false;
  l.stridedX = true;
  return l;
}

Kernel buildPooler(const PoolerSpec &spec, const GemmSchedule &sched,
                   const Target &target) {
  // The CLS rows are a strided 2-D view (row pitch S*H) of the hidden state;
  // linear only requires dim 0 of X to be dense.
  Kernel k = buildLinear(poolerAsLinear(spec), sched, target);
  k.name = "pooler";
  return k;
}

//===----------------------------------------------------------------------===//
// The families: linear (f32 here, bf16 in LinearBF16.cpp, int8 in
// LinearInt8.cpp) and pooler
//===----------------------------------------------------------------------===//

namespace {
std::string describeLinear(const KernelRequest &req) {
  const auto &spec = std::get<LinearSpec>(req.spec);
  std::ostringstream os;
  os << "linear n=" << spec.N << " k=" << spec.K << " act=" << int(spec.act)
     << " bias=" << spec.hasBias
     << (spec.bf16   ? " bf16"
         : spec.f16  ? " f16"
         : spec.int8 ? " int8"
                     : "");
  // A kernel for dense X folds the row pitch into constants: it cannot run
  // a strided view (absent for dense X: the shipped caches' keys).
  if (spec.stridedX)
    os << " strided_x=1";
  if (spec.hadamard)
    os << " hadamard=" << spec.hadamard;
  return os.str();
}

Kernel buildLinearRequest(const KernelRequest &req, const Target &target) {
  const auto &spec = std::get<LinearSpec>(req.spec);
  if (spec.bf16)
    return buildLinearBF16(spec, req.schedule, target);
  if (spec.int8)
    return buildLinearInt8(spec, scheduleAs<GemmSchedule>(req), target);
  return buildLinear(spec, scheduleAs<GemmSchedule>(req), target);
}

/// Register tile (columns first: it moves the others' best), unroll and
/// rows per task. bf16 register tiles take at most 3 vectors
/// (TileStrategiesBF16.cpp); AMX schedules are LinearAMX.cpp's family.
std::vector<TuneKnob> linearTuningSpace(const KernelRequest &req,
                                        const Target &) {
  const auto &spec = std::get<LinearSpec>(req.spec);
  const int64_t vec = scheduleAs<GemmSchedule>(req).vectorWidth;
  std::vector<int64_t> cols = {vec, 2 * vec, 3 * vec};
  if (!spec.bf16 && !spec.int8)
    cols.push_back(4 * vec);
  return {{"cols", cols},
          {"rows", {2, 4, 6, 8, 10, 12, 14}},
          {"k_unroll", {1, 2, 4, 8}},
          {"rows_per_task", {16, 32, 64, 128, 256}}};
}

/// The register tile must fit the register file: accumulators + one panel
/// row + one broadcast; panels no wider than N; whole tiles per task.
bool gemmPlausible(const KernelRequest &req, int64_t n, const Target &target) {
  const auto *s = std::get_if<GemmSchedule>(&req.schedule);
  if (!s)
    return true;
  const int64_t regs = target.has_feature(Target::AVX512) ? 32 : 16;
  if (!::bert::verifySchedule(*s).empty() || s->cols > n)
    return false;
  const int64_t vectors = s->cols / s->vectorWidth;
  return s->rows * vectors + vectors + 1 <= regs;
}

bool linearPlausible(const KernelRequest &req, const Target &target) {
  return gemmPlausible(req, std::get<LinearSpec>(req.spec).N, target);
}

std::string describePooler(const KernelRequest &req) {
  const auto &spec = std::get<PoolerSpec>(req.spec);
  // BertPooler's tanh is implied (the keys of the shipped caches).
  return "pooler h=" + std::to_string(spec.H) +
         (spec.act == Activation::Tanh
              ? std::string()
              : " act=" + std::to_string(int(spec.act))) +
         (spec.N ? " n=" + std::to_string(spec.N) : std::string());
}

Kernel buildPoolerRequest(const KernelRequest &req, const Target &target) {
  return buildPooler(std::get<PoolerSpec>(req.spec),
                     scheduleAs<GemmSchedule>(req), target);
}

/// One row per sequence: only the register tile matters.
std::vector<TuneKnob> poolerTuningSpace(const KernelRequest &req,
                                        const Target &) {
  const int64_t vec = scheduleAs<GemmSchedule>(req).vectorWidth;
  return {{"cols", {vec, 2 * vec, 3 * vec, 4 * vec}},
          {"rows", {1, 2, 4, 8}},
          {"k_unroll", {1, 2, 4, 8}}};
}

bool poolerPlausible(const KernelRequest &req, const Target &target) {
  return gemmPlausible(req, poolerAsLinear(std::get<PoolerSpec>(req.spec)).N,
                       target);
}

/// X (rows of K: all tokens, or the pooler's CLS rows with pitch S*K), the
/// weights, the bias, Y.
std::vector<TuneArg> gemmTuneArgs(const LinearSpec &l, int xRows, int xPitch,
                                  int yRows) {
  const int n = int(l.N), k = int(l.K);
  using K = TuneArg::Kind;
  std::vector<TuneArg> args = {{K::Floats, {{k, 1}, {xRows, xPitch}}},
                               {K::Weights, {}}};
  if (l.hasBias)
    args.push_back({K::Floats, {{n, 1}}});
  args.push_back({K::Floats, {{n, 1}, {yRows, n}}});
  return args;
}

std::vector<TuneArg> linearTuneArgs(const KernelRequest &req, int batch,
                                    int seq) {
  const auto &l = std::get<LinearSpec>(req.spec);
  // An int8 linear's Weights argument stands for its three buffers
  // (panels, channel scales, column sums; KernelTuner packs them).
  return gemmTuneArgs(l, batch * seq, int(l.K), batch * seq);
}

std::vector<TuneArg> poolerTuneArgs(const KernelRequest &req, int batch,
                                    int seq) {
  LinearSpec l = poolerAsLinear(std::get<PoolerSpec>(req.spec));
  return gemmTuneArgs(l, batch, seq * int(l.K), batch);
}
} // namespace

const KernelFamily kLinearFamily = {"linear",           describeLinear,
                                    buildLinearRequest, linearTuningSpace,
                                    linearPlausible,    detail::exactTolerance,
                                    linearTuneArgs};

const KernelFamily kPoolerFamily = {"pooler",           describePooler,
                                    buildPoolerRequest, poolerTuningSpace,
                                    poolerPlausible,    detail::exactTolerance,
                                    poolerTuneArgs};

} // namespace bert::cpu
