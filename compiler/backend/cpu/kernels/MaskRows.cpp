//===- MaskRows.cpp - zero the rows of padding tokens ---------------------===//
//
// out[m, c] = in[m, c] * float(mask[m]) over M rows of H: bert.mask_rows,
// XLM's and FlauBERT's `tensor *= mask.unsqueeze(-1)`. The mask is one int32
// per row: the caller's [B, S] attention_mask seen as M = B * S values, or
// the packed path's mask of its T rows. Elementwise: rows split across
// tasks, columns vectorized.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

#include <sstream>

using namespace Halide;

namespace bert::cpu {

Kernel buildMaskRows(const MaskRowsSpec &spec, const RowSchedule &sched,
                     const Target &) {
  if (spec.H < 1)
    throw std::invalid_argument("mask_rows kernel: needs a positive width");
  const int H = int(spec.H);
  ImageParam in(Float(32), 2, "input");
  ImageParam mask(Int(32), 1, "mask");
  detail::constrainMinsAndDense(in);
  detail::constrainMinsAndDense(mask);
  in.dim(0).set_extent(H);
  in.dim(1).set_stride(H);
  mask.dim(0).set_extent(in.dim(1).extent());
  Var c("c"), m("m");
  Func out("mask_rows");
  out(c, m) = in(c, m) * cast<float>(mask(m));
  detail::scheduleElementwiseRows(out, c, m, sched);
  Kernel k;
  k.name = "mask_rows";
  k.inputs = {in, mask};
  detail::finishRowKernel(k, out, H);
  return k;
}

namespace {
void writeMaskRows(const MaskRowsSpec &spec, std::ostream &os) {
  os << "mask_rows h=" << spec.H;
}

/// The input [M, H], the mask (all ones: no padding), the output [M, H].
std::vector<TuneArg> maskRowsTuneArgs(const KernelRequest &req, int batch,
                                      int seq) {
  const int H = int(std::get<MaskRowsSpec>(req.spec).H), M = batch * seq;
  using K = TuneArg::Kind;
  return {{K::Floats, {{H, 1}, {M, H}}},
          {K::Ones, {{M, 1}}},
          {K::Floats, {{H, 1}, {M, H}}}};
}
} // namespace

const KernelFamily kMaskRowsFamily =
    detail::rowFamily<MaskRowsSpec, writeMaskRows, buildMaskRows>(
        "mask_rows", maskRowsTuneArgs);

} // namespace bert::cpu
