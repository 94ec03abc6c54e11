//===- LayerNorm.cpp - LayerNorm (+ fused residual add) emitter -----------===//
//
// out[m, :] = LN(x[m, :] (+ r[m, :])) * gamma + beta, eps from the spec.
// Two passes in fp32 (mean, then the sum of squared deviations), each
// vectorized with rfactor; one row per inner iteration, rows split across
// threads.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

#include <sstream>

using namespace Halide;

namespace bert::cpu {
namespace {

struct LayerNormKernelFuncs {
  ImageParam x{Float(32), 2, "x"}, r{Float(32), 2, "residual"};
  ImageParam gamma{Float(32), 1, "gamma"}, beta{Float(32), 1, "beta"};
  Func v{"ln_input"};
  Var c{"c"}, m{"m"};
  detail::LayerNormFuncs ln;
};

void layerNormKernelAlgorithm(LayerNormKernelFuncs &f,
                              const LayerNormSpec &spec) {
  f.v(f.c, f.m) =
      spec.hasResidual ? f.x(f.c, f.m) + f.r(f.c, f.m) : f.x(f.c, f.m);
  f.ln = detail::layerNormAlgorithm(f.v, spec.H, spec.eps, f.gamma, f.beta,
                                    {f.c, f.m});
}

/// CPU: rows in parallel chunks of sched.rowsPerTask, output row
/// vectorized over sched.vectorWidth lanes. Memory bound: one read of x (+ r)
/// into a row buffer, two passes over it in L1, one write. Measured (Halide 14,
/// Xeon SPR-class KVM, AVX-512), with the residual: M=128, H=768: 29 us on 1
/// thread, 17 us on 2 (41 / 68 GB/s moved); M=1024: 394 us / 217 us (24 / 44
/// GB/s, data leaves L2).
void layerNormKernelSchedule(LayerNormKernelFuncs &f, const LayerNormSpec &spec,
                             const RowSchedule &sched, bool autoschedule) {
  if (autoschedule) {
    f.x.set_estimates({{0, int(spec.H)}, {0, 1024}});
    f.ln.out.set_estimates({{0, int(spec.H)}, {0, 1024}});
    return;
  }
  detail::scheduleLayerNormRows(f.ln, f.v, f.c, f.m, sched);
}

} // namespace

Kernel buildLayerNorm(const LayerNormSpec &spec, const RowSchedule &sched,
                      const Target &, bool autoschedule) {
  LayerNormKernelFuncs f;
  layerNormKernelAlgorithm(f, spec);
  layerNormKernelSchedule(f, spec, sched, autoschedule);

  const int H = int(spec.H);
  Kernel k;
  k.name = "layer_norm";
  k.inputs = {f.x};
  if (spec.hasResidual)
    k.inputs.push_back(f.r);
  k.inputs.push_back(f.gamma);
  k.inputs.push_back(f.beta);
  for (auto &p : k.inputs) {
    detail::constrainMinsAndDense(p);
    p.dim(0).set_extent(H);
    if (p.dimensions() == 2 && !spec.stridedRows)
      p.dim(1).set_stride(H);
  }
  detail::finishRowKernel(k, f.ln.out, H);
  return k;
}

//===----------------------------------------------------------------------===//
// The family
//===----------------------------------------------------------------------===//

namespace {
void writeLayerNorm(const LayerNormSpec &spec, std::ostream &os) {
  os << "layer_norm h=" << spec.H << " residual=" << spec.hasResidual
     << " eps=" << spec.eps;
  if (spec.stridedRows) // (absent for dense rows: the shipped caches' keys)
    os << " strided_rows=1";
}

/// x (+ r), gamma, beta, out: rows of H.
std::vector<TuneArg> layerNormTuneArgs(const KernelRequest &req, int batch,
                                       int seq) {
  const auto &spec = std::get<LayerNormSpec>(req.spec);
  const int H = int(spec.H), M = batch * seq;
  std::vector<TuneArg> args = {{TuneArg::Kind::Floats, {{H, 1}, {M, H}}}};
  if (spec.hasResidual)
    args.push_back({TuneArg::Kind::Floats, {{H, 1}, {M, H}}});
  args.push_back({TuneArg::Kind::Floats, {{H, 1}}});
  args.push_back({TuneArg::Kind::Floats, {{H, 1}}});
  args.push_back({TuneArg::Kind::Floats, {{H, 1}, {M, H}}});
  return args;
}
} // namespace

const KernelFamily kLayerNormFamily =
    detail::rowFamily<LayerNormSpec, writeLayerNorm, buildLayerNorm>(
        "layer_norm", layerNormTuneArgs);

} // namespace bert::cpu
