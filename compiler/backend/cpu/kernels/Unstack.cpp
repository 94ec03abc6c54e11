//===- Unstack.cpp - split the innermost dimension into outputs -----------===//
//
// out_j[m] = in[j, m] (Halide's dim 0 innermost) for j < N: bert.unstack,
// which turns question answering's [B, S, 2] logits into start_logits and
// end_logits. One pipeline with N outputs, so one call reads the input
// once. Pure data movement: the schedule only splits rows across tasks.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

using namespace Halide;

namespace bert::cpu {

Kernel buildUnstack(const UnstackSpec &spec, const RowSchedule &sched,
                    const Target &) {
  if (spec.N < 1)
    throw std::invalid_argument("unstack kernel: needs at least one column");
  ImageParam in(Float(32), 2, "input");
  detail::constrainMinsAndDense(in);
  in.dim(0).set_extent(int(spec.N));
  in.dim(1).set_stride(int(spec.N));
  Var m("m"), task("task"), mi("mi");
  std::vector<Func> outs;
  for (int64_t j = 0; j < spec.N; ++j) {
    Func out("column_" + std::to_string(j));
    out(m) = in(int(j), m);
    out.split(m, task, mi, int(sched.rowsPerTask), TailStrategy::GuardWithIf)
        .parallel(task);
    outs.push_back(out);
  }
  Kernel k;
  k.name = "unstack";
  k.inputs = {in};
  k.pipeline = Pipeline(outs);
  for (Func &out : outs)
    detail::constrainMinsAndDense(out.output_buffer());
  k.args.push_back(Argument(in));
  return k;
}

namespace {
void writeUnstack(const UnstackSpec &spec, std::ostream &os) {
  os << "unstack n=" << spec.N;
}

/// The input [M, N], then N outputs of M.
std::vector<TuneArg> unstackTuneArgs(const KernelRequest &req, int batch,
                                     int seq) {
  const int N = int(std::get<UnstackSpec>(req.spec).N), M = batch * seq;
  std::vector<TuneArg> args = {{TuneArg::Kind::Floats, {{N, 1}, {M, N}}}};
  for (int j = 0; j < N; ++j)
    args.push_back({TuneArg::Kind::Floats, {{M, 1}}});
  return args;
}
} // namespace

const KernelFamily kUnstackFamily =
    detail::rowFamily<UnstackSpec, writeUnstack, buildUnstack>("unstack",
                                                               unstackTuneArgs);

} // namespace bert::cpu
