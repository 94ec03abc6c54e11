//===- HalideCommon.h - shared pieces of the Halide emitters ----*- C++ -*-===//
//
// Helpers used by more than one emitter: activation functions, the
// row-wise LayerNorm algorithm + schedule (layer_norm and embeddings), and
// buffer-constraint shorthands. Not part of the backend's public interface.
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CPU_HALIDECOMMON_H
#define BERT_COMPILER_BACKEND_CPU_HALIDECOMMON_H

#include "compiler/backend/cpu/kernels/Kernels.h"

#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace bert::cpu::detail {

/// Calls a compiled kernel with the elements of `a` (Buffers, or
/// halide_buffer_t pointers) as its arguments: 3 to 13, the kernel families'
/// counts. `who` names the caller in the error for any other count.
template <typename Args>
int callKernel(const Halide::Callable &fn, Args &a, const char *who) {
  switch (a.size()) {
  case 2:
    return fn(a[0], a[1]);
  case 3:
    return fn(a[0], a[1], a[2]);
  case 4:
    return fn(a[0], a[1], a[2], a[3]);
  case 5:
    return fn(a[0], a[1], a[2], a[3], a[4]);
  case 6:
    return fn(a[0], a[1], a[2], a[3], a[4], a[5]);
  case 8:
    return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  case 9:
    return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
  }
  throw std::runtime_error(std::string(who) + ": unexpected argument count " +
                           std::to_string(a.size()));
}

/// The tuning space of row-wise families (a RowSchedule): rows per task,
/// the one knob (the rows are independent).
std::vector<TuneKnob> rowTuningSpace(const KernelRequest &,
                                     const Halide::Target &);

/// The tolerance of families whose schedule does not reorder sums beyond
/// fp32 rounding.
float exactTolerance(const KernelRequest &);

/// KernelFamily::describe of a family whose spec type is Spec: what Write
/// writes for the request's spec.
template <typename Spec, void (*Write)(const Spec &, std::ostream &)>
std::string describeSpec(const KernelRequest &req) {
  std::ostringstream os;
  Write(std::get<Spec>(req.spec), os);
  return os.str();
}

/// KernelFamily::build of a family from its builder Build(spec, schedule,
/// target[, autoschedule]): the request's spec and schedule (scheduleAs
/// throws for another schedule kind), never autoscheduled.
template <typename Spec, typename Schedule, auto Build>
Kernel buildFromRequest(const KernelRequest &req,
                        const Halide::Target &target) {
  const Spec &spec = std::get<Spec>(req.spec);
  const Schedule &sched = scheduleAs<Schedule>(req);
  if constexpr (std::is_invocable_v<decltype(Build), const Spec &,
                                    const Schedule &, const Halide::Target &>)
    return Build(spec, sched, target);
  else
    return Build(spec, sched, target, /*autoschedule=*/false);
}

/// The descriptor of a row-wise family: a RowSchedule whose rows are
/// independent (rowTuningSpace), every candidate plausible, results exact.
template <typename Spec, void (*Write)(const Spec &, std::ostream &),
          auto Build>
constexpr KernelFamily
rowFamily(const char *name,
          std::vector<TuneArg> (*tuneArgs)(const KernelRequest &, int, int)) {
  return {name,
          describeSpec<Spec, Write>,
          buildFromRequest<Spec, RowSchedule, Build>,
          rowTuningSpace,
          nullptr,
          exactTolerance,
          tuneArgs};
}

/// Apply `act` to `x` (erf GELU, tanh-approximated GELU, tanh, identity).
Halide::Expr activate(Activation act, const Halide::Expr &x);

/// The lowest finite fp32 value, -3.4028235e38 (torch.finfo(float32).min).
Halide::Expr lowestFloat();

/// e^x for x <= 0, as the softmax needs it (every argument is a logit minus
/// a maximum): 2^n * P(r) with n = round(x log2 e) by the 1.5 * 2^23
/// rounding trick, r = x - n ln 2 and P the degree-6 Taylor polynomial.
/// Measured against double exp() on 4M points of [-90, 0]: relative error
/// <= 4.7e-7 (worst near -87), absolute <= 1.6e-7 (about 1 ulp of 1.0).
/// x < -87 (including masked logits, ~ -3.4e38) gives exactly 0: e^-87 is
/// below the normal range, where HF's result is a denormal that no fp32 sum
/// can see. About 15 vector ops against ~26 for Halide's exp() (whose zmm
/// floor is split into two ymm vroundps); 5% of the kernel time at S=512.
Halide::Expr softmaxExp(const Halide::Expr &x);

/// fp32 -> bf16 with round to nearest even, as integer arithmetic: Halide's
/// cast to BFloat(16) is emulated one lane at a time on targets without a
/// native conversion, this vectorizes everywhere. (NaNs are not preserved
/// bit for bit; activations are finite.) floatToBF16 (Kernels.h) is the
/// same rounding in C++.
Halide::Expr roundToBF16(const Halide::Expr &f);

/// Constrain every dim of `p` to min 0; dim 0 dense (stride 1).
void constrainMinsAndDense(const Halide::OutputImageParam &p);

/// The schedule of an elementwise kernel over rows (dim 1) of columns
/// (dim 0): rows split into tasks of sched.rowsPerTask, columns vectorized.
void scheduleElementwiseRows(Halide::Func &out, const Halide::Var &c,
                             const Halide::Var &m, const RowSchedule &sched);

/// Completes `k` once its inputs are set and constrained: the pipeline that
/// computes `out`, and the inputs, in order, as its arguments.
void finishKernel(Kernel &k, const Halide::Func &out);

/// finishKernel for a row kernel, whose output is rows of H floats: also
/// constrains the output (every min 0, dense rows H apart).
void finishRowKernel(Kernel &k, const Halide::Func &out, int H);

/// Fixes every dim of `p` to `dims` ((min, extent, stride), innermost
/// first): a packed weight's layout.
void setDims(const Halide::ImageParam &p,
             const std::vector<halide_dimension_t> &dims);

/// Completes a quantized linear (bf16, int8) once its X and weight inputs
/// are set: the bias (N) appended to the inputs when `hasBias`, the output
/// `y` (N, M) dense, then finishKernel.
void finishQuantizedLinear(Kernel &k, const Halide::Func &y,
                           const Halide::ImageParam &bias, bool hasBias, int N);

/// The AMX bf16 linear's product (LinearAMX.cpp): a Func (n, m) whose
/// every realization is one call of the C block on bf16 X `xb` (k, m) and
/// the weights `w` (panels of nb columns); bindCExterns lets the JIT call it.
Halide::Func amxBlock(const Halide::Func &xb, const Halide::ImageParam &w,
                      int K, int N, int nb, const Halide::Var &n,
                      const Halide::Var &m);
/// The same for the int8 linear (LinearAMXInt8.cpp): int32 sums of the u8
/// X `xu` (k, m) and the s8 weight panels `w`.
Halide::Func amxInt8Block(const Halide::Func &xu, const Halide::ImageParam &w,
                          int K, int N, int nb, const Halide::Var &n,
                          const Halide::Var &m);
/// Lets the JIT call the C extern stages: the AMX blocks (both precisions)
/// and the int8 linear's activation pass (quant/QuantizeRows.h).
void bindCExterns(Halide::Pipeline &p);
/// The AMX linears' tasks (M >= 16, a specialization of `y`): blocks of
/// rowsPerTask x colsPerTask outputs in parallel, `block` (the AMX block's
/// Func) computed per task, the epilogue vectorized over `vec` columns.
void scheduleAmxTasks(Halide::Func y, const Halide::Expr &M, Halide::Func block,
                      const AmxSchedule &sched, const Halide::Var &n,
                      const Halide::Var &m, const Halide::Var &task);
/// The int8 linear's build (LinearInt8.cpp), its product from the AMX block
/// when `amx` is given (M >= 16) and from the register tile `dot` always
/// below that.
Kernel buildLinearInt8With(const LinearSpec &spec, const GemmSchedule &dot,
                           const AmxSchedule *amx,
                           const Halide::Target &target);
/// Constrain `qkv` to the 5-D view (d, heads, 3, S, B) of a packed [B*S, 3H]
/// activation: strides (1, d, H, 3H, 3H*S), every min 0 (see buildAttention).
void constrainPackedQKV(const Halide::OutputImageParam &qkv, int d, int heads);

/// Row-wise LayerNorm over dim 0 of `v` (extent H): two-pass mean/variance
/// in fp32, out = (v - mean) * rsqrt(var + eps) * gamma + beta.
struct LayerNormFuncs {
  Halide::Func sum{"ln_sum"}, sumSq{"ln_sum_sq"}, mean{"ln_mean"},
      invStd{"ln_inv_std"}, out{"ln_out"};
  Halide::RDom r;
};
LayerNormFuncs layerNormAlgorithm(const Halide::Func &v, int64_t H, float eps,
                                  const Halide::Func &gamma,
                                  const Halide::Func &beta,
                                  const std::vector<Halide::Var> &args);
/// CPU schedule of the reductions, computed per row at `ln.out`'s `rowVar`
/// loop; vectorized with rfactor over `vec` lanes. `vCompute` (if defined)
/// is materialized per row too so the input sum is computed once.
void scheduleLayerNormReductions(LayerNormFuncs &ln, Halide::Func vRow,
                                 const Halide::Var &rowVar, int vec);
/// CPU schedule of a row-wise LayerNorm kernel (layer_norm, embeddings):
/// `rowVar` split into tasks of sched.rowsPerTask rows (the task index fused
/// with `batchVar` when given, so a task stays in one sequence), the tasks
/// in parallel, each output row vectorized along `c` over
/// sched.vectorWidth lanes, and the reductions per row as above.
void scheduleLayerNormRows(LayerNormFuncs &ln, Halide::Func vRow,
                           const Halide::Var &c, const Halide::Var &rowVar,
                           const RowSchedule &sched,
                           const Halide::Var *batchVar = nullptr);

} // namespace bert::cpu::detail

#endif // BERT_COMPILER_BACKEND_CPU_HALIDECOMMON_H
