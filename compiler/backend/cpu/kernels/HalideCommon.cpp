//===- HalideCommon.cpp - targets, compilation, shared algorithms ---------===//
//
// Target parsing, AOT/debug emission (one no_runtime object per kernel plus
// one standalone runtime), and the algorithm pieces shared by emitters.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "support/TargetRegistry.h"

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <cmath>
#include <limits>
#include <stdexcept>

using namespace Halide;

namespace bert::cpu {

Target parseTarget(const std::string &name) {
  // The registry (support/TargetRegistry.h) says which Halide target a
  // bertc target compiles for; a full Halide target string is accepted too
  // (benchmarks and tests of other feature sets).
  std::optional<mlir::bert::TargetInfo> info = mlir::bert::lookupTarget(name);
  if (info && info->backend != "cpu")
    throw std::invalid_argument("target '" + name +
                                "' is not a CPU target; the Halide kernels "
                                "need one of " +
                                mlir::bert::knownTargetNames("cpu"));
  Target t;
  if (info)
    t = info->halideTarget == "host" ? get_host_target()
                                     : Target(info->halideTarget);
  else if (Target::validate_target_string(name))
    t = Target(name);
  else
    throw std::invalid_argument("unknown target '" + name + "'; known: " +
                                mlir::bert::knownTargetNames("cpu"));
  // Sapphire Rapids has every AVX-512 extension of Zen 4; Halide keys its
  // VDPBF16PS and bf16 conversion patterns on the Zen 4 feature alone, and
  // its host detection does not set it on Intel parts.
  if (t.has_feature(Target::AVX512_SapphireRapids))
    t = t.with_feature(Target::AVX512_Zen4);
  return t;
}

bool requestAMXState() {
#if defined(__linux__) && defined(__x86_64__)
  return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */,
                 18 /* XFEATURE_XTILEDATA */) == 0;
#else
  return false;
#endif
}

void compileToObject(const Kernel &k, const std::string &fnName,
                     const Target &target, const std::string &objPath) {
  Target t = target.with_feature(Target::NoRuntime);
  Pipeline p = k.pipeline; // a handle; compile_* are non-const
  p.compile_to_object(objPath, k.args, fnName, t);
}

void compileRuntime(const Target &target, const std::string &objPath) {
  compile_standalone_runtime(objPath,
                             target.without_feature(Target::NoRuntime));
}

void emitStmtAndAssembly(const Kernel &k, const std::string &fnName,
                         const Target &target, const std::string &basePath) {
  Target t = target.with_feature(Target::NoRuntime);
  Pipeline p = k.pipeline;
  p.compile_to({{OutputFileType::stmt, basePath + ".stmt"},
                {OutputFileType::assembly, basePath + ".s"}},
               k.args, fnName, t);
}

namespace detail {

std::vector<TuneKnob> rowTuningSpace(const KernelRequest &, const Target &) {
  return {{"rows_per_task", {2, 4, 8, 16, 32, 64, 128}}};
}

float exactTolerance(const KernelRequest &) { return 1e-4f; }

// Not Float(32).min(): Halide defines a float type's min() as -infinity.
Expr lowestFloat() { return Expr(std::numeric_limits<float>::lowest()); }

Expr softmaxExp(const Expr &x) {
  Expr xc = max(x, -87.f);
  const float magic = 12582912.f; // 1.5 * 2^23
  // n from the integer bits: Halide's simplifier would fold (t - magic).
  Expr ni = reinterpret(Int(32), xc * float(M_LOG2E) + magic) -
            reinterpret(Int(32), Expr(magic));
  Expr n = cast<float>(ni);
  Expr r = xc - n * float(M_LN2);
  Expr p = 1.f / 720.f;
  for (float c : {1.f / 120.f, 1.f / 24.f, 1.f / 6.f, 0.5f, 1.f, 1.f})
    p = p * r + c;
  Expr bits = (ni + 127) << 23;
  return select(x < -87.f, 0.f, p * reinterpret(Float(32), bits));
}

Expr roundToBF16(const Expr &f) {
  Expr u = reinterpret(UInt(32), f);
  Expr r = (u + ((u >> 16) & 1) + 0x7fff) >> 16;
  return reinterpret(BFloat(16), cast(UInt(16), r));
}

namespace {

// HF's exact GELU, 0.5 x (1 + erf(x / sqrt 2)) = x Phi(x). With t = |x| and
// q(t) = Phi(-t) = erfc(t / sqrt 2) / 2, GELU(x) = max(x, 0) - t q(t) (x < 0:
// x q; x >= 0: x (1 - q)). q is a degree-9 polynomial in s = t - mid on each
// of [0, 2.4] and [2.4, 5.3], its coefficients picked lane by lane (blends
// into one Horner chain: 10 FMAs, no division, no exp). Past 5.3, q < 5.8e-8
// and the result is max(x, 0): +inf gives +inf, -inf and large negative x
// give 0, NaN stays NaN. Coefficients: scripts/fit-gelu.py (weighted minimax,
// Lawson's algorithm). Against double erfc on all 2.2e9 floats of [-10, 10]
// (test/Backend/ActivationTest.cpp, BERT_GELU_SWEEP_STRIDE=1): max |err| /
// max(1, |x|) = 1.25e-7, about 2 half-ulps of the result. Halide's erf(), the
// A&S-like 1 - P(x)^-16 (a division) and an odd polynomial, both evaluated:
// 2.27e-7 (x = 1.41), NaN for -inf and |x| >= 1e30. Cost on Zen 4 (1 thread):
// a JIT loop over an L1-resident buffer, 0.339 ns/element against erf()'s
// 0.494 (relu: 0.100); the int8 FFN1 linear (M=128 N=3072 K=768,
// bert-int8-bench --gelu --cpu-time, median of 6 interleaved runs) 1.59 ms
// against 1.65 (no activation: 1.43). Three pieces of degree 7 (two blends
// a coefficient) were slower: 0.402 ns.
constexpr float kGeluTail = 5.3f;
constexpr float kGeluSplit = 2.4f;
constexpr float kGeluMid[2] = {1.2f, 3.85f};
constexpr float kGeluQ[2][10] = {
    // highest order first
    {5.22120354e-05f, 5.98390488e-06f, -0.000793309999f, 0.000887803093f,
     0.00574199809f, -0.0151542295f, -0.0142325526f, 0.116512544f,
     -0.194186583f, 0.115069643f},
    {2.58819682e-06f, -2.27410465e-06f, -3.05716603e-05f, 0.000119329503f,
     -0.000267661089f, 0.000451583095f, -0.000555950683f, 0.00046564138f,
     -0.000241072587f, 5.89982155e-05f},
};

Expr geluErf(const Expr &x) {
  // The tail and sign tests are on the bits: Halide gives LLVM its no-NaNs
  // flag, and with float compares and max() the AVX2 code turned NaN into 0.
  Expr xi = reinterpret(Int(32), x);
  Expr ti = xi & 0x7fffffff;
  Expr t = reinterpret(Float(32), ti);
  Expr lo = t < kGeluSplit;
  Expr s = t - select(lo, kGeluMid[0], kGeluMid[1]);
  Expr q = select(lo, kGeluQ[0][0], kGeluQ[1][0]);
  for (int i = 1; i < 10; ++i)
    q = q * s + select(lo, kGeluQ[0][i], kGeluQ[1][i]);
  // max(x, 0), with -NaN kept: x <= -0 and not NaN is bits <= -inf's as int.
  Expr relu = select(xi <= reinterpret(Int(32), Expr(-INFINITY)), 0.f, x);
  Expr tail = ti > reinterpret(Int(32), Expr(kGeluTail)); // NaN and inf too
  return select(tail, relu, relu - t * q);
}

} // namespace

Expr activate(Activation act, const Expr &x) {
  switch (act) {
  case Activation::None:
    return x;
  case Activation::Gelu: // 0.5 x (1 + erf(x / sqrt 2)), HF "gelu"
    return geluErf(x);
  case Activation::GeluTanh: { // HF "gelu_new" / "gelu_pytorch_tanh"
    // 0.5 x (1 + tanh(t)) = x * sigmoid(2t): Halide's tanh is a call per
    // lane (ALBERT's FFN ran at 58 GFLOP/s against 152), its exp vectorizes.
    const float c = std::sqrt(2.f / float(M_PI));
    Expr t = c * (x + 0.044715f * x * x * x);
    return x / (1.f + exp(-2.f * t));
  }
  case Activation::Tanh: // 2 sigmoid(2x) - 1, vectorized as above
    return 2.f / (1.f + exp(-2.f * x)) - 1.f;
  case Activation::Relu:
    return max(x, 0.f);
  case Activation::Silu: // x * sigmoid(x), HF "silu" / "swish"
    return x / (1.f + exp(-x));
  case Activation::QuickGelu: // x * sigmoid(1.702 x)
    return x / (1.f + exp(-1.702f * x));
  }
  return x;
}

void constrainMinsAndDense(const OutputImageParam &p) {
  for (int d = 0; d < p.dimensions(); ++d)
    p.dim(d).set_min(0);
  p.dim(0).set_stride(1);
}

void scheduleElementwiseRows(Func &out, const Var &c, const Var &m,
                             const RowSchedule &sched) {
  Var task("task"), mi("mi");
  out.split(m, task, mi, int(sched.rowsPerTask), TailStrategy::GuardWithIf)
      .parallel(task)
      .vectorize(c, int(sched.vectorWidth), TailStrategy::GuardWithIf);
}

void finishKernel(Kernel &k, const Func &out) {
  k.pipeline = Pipeline(out);
  for (auto &p : k.inputs)
    k.args.push_back(Argument(p));
}

void finishRowKernel(Kernel &k, const Func &out, int H) {
  OutputImageParam rows = out.output_buffer();
  constrainMinsAndDense(rows);
  rows.dim(0).set_extent(H);
  rows.dim(1).set_stride(H);
  finishKernel(k, out);
}

void setDims(const ImageParam &p, const std::vector<halide_dimension_t> &dims) {
  for (size_t d = 0; d < dims.size(); ++d)
    p.dim(int(d))
        .set_min(dims[d].min)
        .set_extent(dims[d].extent)
        .set_stride(dims[d].stride);
}

void finishQuantizedLinear(Kernel &k, const Func &y, const ImageParam &bias,
                           bool hasBias, int N) {
  if (hasBias) {
    constrainMinsAndDense(bias);
    bias.dim(0).set_extent(N);
    k.inputs.push_back(bias);
  }
  finishRowKernel(k, y, N);
}

void constrainPackedQKV(const OutputImageParam &qkv, int d, int heads) {
  const int H = d * heads;
  constrainMinsAndDense(qkv);
  qkv.dim(0).set_extent(d);
  qkv.dim(1).set_extent(heads).set_stride(d);
  qkv.dim(2).set_extent(3).set_stride(H);
  qkv.dim(3).set_stride(3 * H);
}

LayerNormFuncs layerNormAlgorithm(const Func &v, int64_t H, float eps,
                                  const Func &gamma, const Func &beta,
                                  const std::vector<Var> &args) {
  LayerNormFuncs ln;
  ln.r = RDom(0, int(H), "ln_r");
  std::vector<Expr> rowArgs(args.begin() + 1, args.end());
  std::vector<Expr> at = {ln.r.x};
  at.insert(at.end(), rowArgs.begin(), rowArgs.end());
  std::vector<Var> rowVars(args.begin() + 1, args.end());
  const float invH = 1.f / float(H);

  ln.sum(rowVars) = 0.f;
  ln.sum(rowVars) += v(at);
  ln.mean(rowVars) = ln.sum(rowVars) * invH;
  // Second pass over the centred values: no cancellation of E[x^2]-E[x]^2.
  Expr centred = v(at) - ln.mean(rowArgs);
  ln.sumSq(rowVars) = 0.f;
  ln.sumSq(rowVars) += centred * centred;
  ln.invStd(rowVars) = 1.f / sqrt(ln.sumSq(rowVars) * invH + eps);
  std::vector<Expr> all(args.begin(), args.end());
  ln.out(args) =
      (v(all) - ln.mean(rowArgs)) * ln.invStd(rowArgs) * gamma(args[0]) +
      beta(args[0]);
  return ln;
}

void scheduleLayerNormReductions(LayerNormFuncs &ln, Func vRow,
                                 const Var &rowVar, int vec) {
  // Each row is reduced in `vec` partial sums (rfactor) so both passes run
  // at full vector width; the lanes are added once per row.
  for (Func *f : {&ln.sum, &ln.sumSq}) {
    RVar ro("ln_ro"), ri("ln_ri");
    Var lane("ln_lane");
    Func partial = f->update().split(ln.r.x, ro, ri, vec).rfactor(ri, lane);
    f->compute_at(ln.out, rowVar);
    partial.compute_at(ln.out, rowVar).vectorize(lane);
    partial.update().vectorize(lane);
  }
  ln.mean.compute_at(ln.out, rowVar);
  ln.invStd.compute_at(ln.out, rowVar);
  if (vRow.defined())
    vRow.compute_at(ln.out, rowVar).vectorize(vRow.args()[0], vec);
}

void scheduleLayerNormRows(LayerNormFuncs &ln, Func vRow, const Var &c,
                           const Var &rowVar, const RowSchedule &sched,
                           const Var *batchVar) {
  const int vec = int(sched.vectorWidth);
  // "mo"/"mi" for rows m, "so"/"si" for positions s.
  Var outer(rowVar.name() + "o"), inner(rowVar.name() + "i");
  ln.out.split(rowVar, outer, inner, int(sched.rowsPerTask),
               TailStrategy::GuardWithIf);
  if (batchVar) {
    Var task("task");
    ln.out.fuse(outer, *batchVar, task).parallel(task);
  } else {
    ln.out.parallel(outer);
  }
  ln.out.vectorize(c, vec);
  scheduleLayerNormReductions(ln, vRow, inner, vec);
}

} // namespace detail
} // namespace bert::cpu
