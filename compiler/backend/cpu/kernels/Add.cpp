//===- Add.cpp - the residual add no LayerNorm follows --------------------===//
//
// out[m, c] = (a[m, c] + b[m, c]) * float(mask[m]) over M rows of H, the mask
// only when the spec says so: bert.add (FlauBERT's pre-norm residual after
// the attention, which a LayerNorm reads but does not consume) and
// bert.add_mask_rows (the residual that ends each pre-norm layer, padded
// rows zeroed). Post-norm layers fuse their adds into the LayerNorm kernel
// instead. Elementwise: rows split across tasks, columns vectorized.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

using namespace Halide;

namespace bert::cpu {

Kernel buildAdd(const AddSpec &spec, const RowSchedule &sched, const Target &) {
  if (spec.H < 1)
    throw std::invalid_argument("add kernel: needs a positive width");
  const int H = int(spec.H);
  ImageParam a(Float(32), 2, "input"), b(Float(32), 2, "residual");
  ImageParam mask(Int(32), 1, "mask");
  Kernel k;
  k.name = spec.masked ? "add_mask_rows" : "add";
  k.inputs = {a, b};
  for (ImageParam &p : k.inputs) {
    detail::constrainMinsAndDense(p);
    p.dim(0).set_extent(H);
    p.dim(1).set_stride(H);
  }
  b.dim(1).set_extent(a.dim(1).extent());
  Var c("c"), m("m");
  Func out(k.name);
  Expr sum = a(c, m) + b(c, m);
  if (spec.masked) {
    detail::constrainMinsAndDense(mask);
    mask.dim(0).set_extent(a.dim(1).extent());
    k.inputs.push_back(mask);
    sum = sum * cast<float>(mask(m));
  }
  out(c, m) = sum;
  detail::scheduleElementwiseRows(out, c, m, sched);
  detail::finishRowKernel(k, out, H);
  return k;
}

namespace {
std::string describeAdd(const KernelRequest &req) {
  const AddSpec &spec = std::get<AddSpec>(req.spec);
  return "add h=" + std::to_string(spec.H) +
         " mask=" + std::to_string(int(spec.masked));
}

Kernel buildAddRequest(const KernelRequest &req, const Target &target) {
  return buildAdd(std::get<AddSpec>(req.spec), scheduleAs<RowSchedule>(req),
                  target);
}

/// Both addends [M, H], the mask (all ones) if any, the output [M, H].
std::vector<TuneArg> addTuneArgs(const KernelRequest &req, int batch, int seq) {
  const AddSpec &spec = std::get<AddSpec>(req.spec);
  const int H = int(spec.H), M = batch * seq;
  using K = TuneArg::Kind;
  TuneArg rows{K::Floats, {{H, 1}, {M, H}}};
  std::vector<TuneArg> args = {rows, rows};
  if (spec.masked)
    args.push_back({K::Ones, {{M, 1}}});
  args.push_back(rows);
  return args;
}
} // namespace

const KernelFamily kAddFamily = {"add",           describeAdd,
                                 buildAddRequest, detail::rowTuningSpace,
                                 nullptr,         detail::exactTolerance,
                                 addTuneArgs};

} // namespace bert::cpu
