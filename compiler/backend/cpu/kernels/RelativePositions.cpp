//===- RelativePositions.cpp - XLNet's sinusoid rows emitter
//---------------===//
//
// bert.relative_positions: the 2S rows of sinusoidal encodings of relative
// distances S down to -(S - 1) (row p: distance S - p), each layer's kr
// linear reads. Formed as the evaluator and transformers form them: float
// frequency and angle, the sine and cosine in double, then rounded. The
// mask is read for its shape only (S), as the op reads it. Elementwise:
// rows split across tasks, columns vectorized (a few microseconds per call).
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

using namespace Halide;

namespace bert::cpu {

Kernel buildRelativePositions(const RelativePositionsSpec &spec,
                              const RowSchedule &sched, const Target &) {
  const int H = int(spec.H);
  if (H < 2 || H % 2 != 0)
    throw std::invalid_argument("relative_positions kernel: hidden " +
                                std::to_string(H) + " must be even");
  Kernel k;
  k.name = "relative_positions";
  ImageParam mask(Int(32), 2, "mask");
  detail::constrainMinsAndDense(mask);
  mask.dim(1).set_stride(mask.dim(0).extent());
  k.inputs = {mask};
  Var c("c"), p("p");
  Func out(k.name);
  Expr S = mask.dim(0).extent();
  Expr rel = S - p;
  if (spec.clampLen > 0)
    rel = clamp(rel, -int(spec.clampLen), int(spec.clampLen));
  const int half = H / 2;
  Expr kf = select(c < half, c, c - half);
  Expr invFreq = 1.0f / pow(10000.0f, cast<float>(2 * kf) / float(H));
  Expr angle = cast<double>(cast<float>(rel) * invFreq);
  out(c, p) = cast<float>(select(c < half, sin(angle), cos(angle)));
  detail::scheduleElementwiseRows(out, c, p, sched);
  out.output_buffer().dim(1).set_extent(2 * S);
  detail::finishRowKernel(k, out, H);
  return k;
}

namespace {
void writeRelativePositions(const RelativePositionsSpec &spec,
                            std::ostream &os) {
  os << "relative_positions h=" << spec.H << " clamp=" << spec.clampLen;
}

/// The mask (its shape only), the output: 2S rows of H.
std::vector<TuneArg> relativePositionsTuneArgs(const KernelRequest &req,
                                               int batch, int seq) {
  const int H = int(std::get<RelativePositionsSpec>(req.spec).H);
  return {{TuneArg::Kind::Ones, {{seq, 1}, {batch, seq}}},
          {TuneArg::Kind::Floats, {{H, 1}, {2 * seq, H}}}};
}
} // namespace

const KernelFamily kRelativePositionsFamily =
    detail::rowFamily<RelativePositionsSpec, writeRelativePositions,
                      buildRelativePositions>("relative_positions",
                                              relativePositionsTuneArgs);

} // namespace bert::cpu
