//===- RelativePositions.cpp - XLNet's sinusoid rows emitter -------------===//
//
// bert.relative_positions: the 2S rows of sinusoidal encodings of relative
// distances S down to -(S - 1) (row p: distance S - p), each layer's kr
// linear reads. Formed as the evaluator and transformers form them: float
// frequency and angle, the sine and cosine in double, then rounded. The
// mask is read for its shape only (S), as the op reads it. Elementwise:
// rows split across tasks, columns vectorized, the sine and cosine as
// vector polynomials (below).
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
  Var c("c"), p("p"), f("f");
  Func out(k.name), invFreq("inv_freq");
  Expr S = mask.dim(0).extent();
  Expr rel = S - p;
  if (spec.clampLen > 0)
    rel = clamp(rel, -int(spec.clampLen), int(spec.clampLen));
  const int half = H / 2;
  // One frequency per column pair, computed once per call (not per row).
  // 10000^x in double, rounded once to float (powf's result but for
  // midpoints; Halide's float pow is 1 ulp off, 7.6e-6 at S = 128).
  Expr exponent = cast<double>(cast<float>(2 * f) / float(H));
  invFreq(f) = 1.0f / cast<float>(exp(exponent * Expr(std::log(10000.0))));
  Expr angle =
      cast<double>(cast<float>(rel) * invFreq(select(c < half, c, c - half)));
  // sin and cos in double as vector arithmetic (Halide's double sin and cos
  // are scalar calls, 2 ms at S = 128, H = 768): angle = k pi/2 + r with
  // |r| <= pi/4 (Cody-Waite: pi/2 as a 33-bit head, exact times k < 2^20,
  // and a tail), then the Taylor polynomials of sin r and cos r to r^13 and
  // r^14, whose remainders are below 3e-14 there; cos x = sin(x + pi/2)
  // moves the cosine columns one quadrant on.
  const double pio2Head = 1.57079632673412561417e+00,
               pio2Tail = 6.07710050650619224932e-11;
  Expr quarters = round(angle * Expr(2.0 / M_PI));
  Expr r = (angle - quarters * Expr(pio2Head)) - quarters * Expr(pio2Tail);
  Expr r2 = r * r;
  // Horner from the highest term: sin r = r + r^3 (-1/3! + ... + r^10/13!),
  // cos r = 1 + r^2 (-1/2! + ... - r^12/14!).
  Expr sinR = Expr(1.0 / 6227020800.0), cosR = Expr(-1.0 / 87178291200.0);
  for (double coef : {-1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0,
                      1.0 / 120.0, -1.0 / 6.0})
    sinR = sinR * r2 + Expr(coef);
  sinR = r + r * r2 * sinR;
  for (double coef : {1.0 / 479001600.0, -1.0 / 3628800.0, 1.0 / 40320.0,
                      -1.0 / 720.0, 1.0 / 24.0, -0.5})
    cosR = cosR * r2 + Expr(coef);
  cosR = Expr(1.0) + r2 * cosR;
  Expr quadrant = (cast<int>(quarters) + select(c < half, 0, 1)) & 3;
  Expr value = select((quadrant & 1) == 0, sinR, cosR);
  out(c, p) = cast<float>(select(quadrant >= 2, -value, value));
  invFreq.compute_root();
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
