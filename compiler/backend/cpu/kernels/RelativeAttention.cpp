//===- RelativeAttention.cpp - XLNet's relative attention emitter ---------===//
//
// bert.relative_attention in one kernel, between the projections: q, k, v
// come packed from one linear ([B, S, 3H]), the position keys kr from
// another (over bert.relative_positions, [2S, H], row p for the relative
// distance S - p), and the output projection is a linear after it. Per
// head, query i and key j
//   score = (q_i + r_w_bias) . k_j + (q_i + r_r_bias) . kr(i - j)
//         + (q_i + r_s_bias) . seg_embed[t_i != t_j],
// scaled by 1/sqrt(d), XLNet's non_tgt mask (a padded key stays visible to
// itself), softmax and P . v. transformers' rel_shift is only an index: the
// position score of pair (i, j) reads kr row S - i + j, so no [B, H, S, 2S]
// tensor exists.
//
// Layout: k and kr are stored key-first (kt(j, c), krt(p, c)), so the
// score tile vectorizes over keys with contiguous loads (the shifted kr row
// of query i is the window starting at S - i). Two register tiles: the
// scores (a vector of keys x 4 queries, over the head dims, content and
// position terms together) and P . V (a vector of head dims x 4 queries,
// over keys).
// A task is `queries_per_task` queries of one (sequence, head).
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

#include <cmath>

using namespace Halide;

namespace bert::cpu {

Kernel buildRelativeAttention(const RelativeAttentionSpec &spec,
                              const AttentionSchedule &sched, const Target &) {
  const int H = int(spec.hidden), n = int(spec.numHeads), d = H / n;
  if (n <= 0 || H % n != 0 || H % 2 != 0)
    throw std::invalid_argument(
        "relative_attention kernel: hidden " + std::to_string(H) +
        " must be even and a multiple of the " + std::to_string(n) + " heads");
  ImageParam qkv(Float(32), 3, "qkv"), kr(Float(32), 2, "kr"),
      mask(Int(32), 2, "mask"), types(Int(32), 2, "token_type_ids"),
      rw(Float(32), 1, "r_w_bias"), rr(Float(32), 1, "r_r_bias"),
      rs(Float(32), 1, "r_s_bias"), seg(Float(32), 2, "seg_embed");
  Var c("c"), b("b"), p("p"), j("j"), i("i"), hn("hn"), e("e"), t("t");
  Expr S = qkv.dim(1).extent();
  const int vec = int(sched.vectorWidth);
  const int rows = int(std::max<int64_t>(1, sched.queriesPerTask));
  constexpr int kRegRows = 4; // queries (or kr columns) per register tile
  const TailStrategy guard = TailStrategy::GuardWithIf;

  // Key-first keys; queries plus each bias, per head.
  Func kt("k"), krt("kr_t"), qw("q_content"), qr("q_position"),
      segScore("seg_score");
  kt(j, c, b) = qkv(H + c, j, b);
  krt(p, c) = kr(c, p);
  Expr qe = qkv(hn * d + e, i, b);
  qw(e, i, hn, b) = qe + rw(hn * d + e);
  qr(e, i, hn, b) = qe + rr(hn * d + e);
  RDom re(0, d, "re");
  Expr cq = hn * d + re;
  segScore(t, i, hn, b) = sum((qkv(cq, i, b) + rs(cq)) * seg(cq, t));

  Func dot("score_dot"), score("score"), mx("row_max"), ex("row_exp"),
      den("row_sum"), pv("pv"), out("rel_attn_out");
  dot(j, i, hn, b) = 0.0f;
  dot(j, i, hn, b) += qw(re, i, hn, b) * kt(j, hn * d + re, b) +
                      qr(re, i, hn, b) * krt(S - i + j, hn * d + re);
  Expr other = select(types(i, b) != types(j, b), 1, 0);
  Expr raw = (dot(j, i, hn, b) + segScore(other, i, hn, b)) *
             (1.0f / std::sqrt(float(d)));
  score(j, i, hn, b) =
      select(mask(j, b) == 0 && j != i, detail::lowestFloat(), raw);
  RDom rj(0, S, "rj");
  mx(i, hn, b) = maximum(score(rj, i, hn, b));
  ex(j, i, hn, b) = exp(score(j, i, hn, b) - mx(i, hn, b));
  den(i, hn, b) = sum(ex(rj, i, hn, b));
  pv(e, i, hn, b) = 0.0f;
  pv(e, i, hn, b) += ex(rj, i, hn, b) * qkv(2 * H + hn * d + e, rj, b);
  // Heads side by side: column c = hn * d + e (the split below makes the
  // division and remainder exact loop variables).
  out(c, i, b) = pv(c % d, i, c / d, b) / den(i, c / d, b);

  // Schedule. The key-first copies: vectors along the keys (distances).
  kt.compute_root().parallel(b).vectorize(j, vec, guard);
  krt.compute_root().parallel(c).vectorize(p, vec, guard);

  // A register tile of `f` (or its stage): a vector along x, kRegRows rows
  // of y unrolled; the accumulating Func `acc` computed at the tile, its
  // reduction `r` outside the tile's loops so the sums stay in registers.
  auto registerTile = [&](Stage f, Var x, Var y, Var xo, Var yo, Func acc,
                          Var ax, Var ay, RVar r) {
    Var xi(xo.name() + "i"), yi(yo.name() + "i");
    f.split(x, xo, xi, vec, guard)
        .split(y, yo, yi, kRegRows, guard)
        .reorder(xi, yi, xo, yo)
        .vectorize(xi)
        .unroll(yi);
    acc.vectorize(ax).unroll(ay);
    acc.update().reorder(ax, ay, r).vectorize(ax).unroll(ay);
  };

  // The output: per task (queries of one sequence and head) the scores, the
  // softmax rows, then P . V tiles.
  Var hd("hd"), io("io"), ii("ii"), task("task"), eo("eo"), iio("iio");
  out.split(c, hd, e, d)
      .split(i, io, ii, rows, guard)
      .reorder(e, ii, hd, io, b)
      .fuse(hd, io, task)
      .fuse(task, b, task)
      .parallel(task);
  registerTile(out, e, ii, eo, iio, pv, e, i, rj);
  pv.compute_at(out, eo);
  for (Func *f : {&qw, &qr})
    f->compute_at(out, task).vectorize(e, vec, guard);
  segScore.compute_at(out, task);
  mx.compute_at(out, task);
  den.compute_at(out, task);
  ex.compute_at(out, task).vectorize(j, vec, guard);
  Var jo("jo"), so("so");
  score.compute_at(out, task);
  registerTile(score, j, i, jo, so, dot, j, i, re);
  dot.compute_at(score, jo);

  Kernel kern;
  kern.name = "relative_attention";
  kern.inputs = {qkv, kr, mask, types, rw, rr, rs, seg};
  for (auto &in : kern.inputs)
    detail::constrainMinsAndDense(in);
  // qkv: (3H, S, B) dense; kr (H, 2S) dense; mask and types: (S, B) dense; the
  // output (H, S, B) dense.
  qkv.dim(0).set_extent(3 * H);
  qkv.dim(1).set_stride(3 * H);
  qkv.dim(2).set_stride(3 * H * S);
  for (ImageParam *ids : {&mask, &types}) {
    ids->dim(0).set_extent(S);
    ids->dim(1).set_extent(qkv.dim(2).extent()).set_stride(S);
  }
  kr.dim(0).set_extent(H);
  kr.dim(1).set_extent(2 * S).set_stride(H);
  for (ImageParam *bias : {&rw, &rr, &rs})
    bias->dim(0).set_extent(H);
  seg.dim(0).set_extent(H);
  seg.dim(1).set_extent(2).set_stride(H);
  OutputImageParam o = out.output_buffer();
  detail::constrainMinsAndDense(o);
  o.dim(0).set_extent(H);
  o.dim(1).set_extent(S).set_stride(H);
  o.dim(2).set_extent(qkv.dim(2).extent()).set_stride(H * S);
  detail::finishKernel(kern, out);
  return kern;
}

//===----------------------------------------------------------------------===//
// The family
//===----------------------------------------------------------------------===//

namespace {
void writeRelativeAttention(const RelativeAttentionSpec &spec,
                            std::ostream &os) {
  os << "relative_attention h=" << spec.hidden << " heads=" << spec.numHeads;
}

/// Queries per task (the tasks' grain); the key tile is unused.
std::vector<TuneKnob> relativeAttentionTuningSpace(const KernelRequest &,
                                                   const Target &) {
  return {{"queries_per_task", {4, 8, 16, 32, 64}}};
}

/// The packed q, k, v, kr, a mask with no padding, token types, three
/// biases, seg_embed, out.
std::vector<TuneArg> relativeAttentionTuneArgs(const KernelRequest &req,
                                               int batch, int seq) {
  const int H = int(std::get<RelativeAttentionSpec>(req.spec).hidden);
  const int B = batch, S = seq;
  using K = TuneArg::Kind;
  std::vector<TuneArg> args = {
      {K::Floats, {{3 * H, 1}, {S, 3 * H}, {B, 3 * H * S}}},
      {K::Floats, {{H, 1}, {2 * S, H}}},
      {K::Ones, {{S, 1}, {B, S}}},
      {K::Ids, {{S, 1}, {B, S}}, 2}};
  for (int bias = 0; bias < 3; ++bias)
    args.push_back({K::Floats, {{H, 1}}});
  args.push_back({K::Floats, {{H, 1}, {2, H}}});
  args.push_back({K::Floats, {{H, 1}, {S, H}, {B, H * S}}});
  return args;
}
} // namespace

const KernelFamily kRelativeAttentionFamily = {
    "relative_attention",
    detail::describeSpec<RelativeAttentionSpec, writeRelativeAttention>,
    detail::buildFromRequest<RelativeAttentionSpec, AttentionSchedule,
                             buildRelativeAttention>,
    relativeAttentionTuningSpace,
    nullptr,
    detail::exactTolerance,
    relativeAttentionTuneArgs};

} // namespace bert::cpu
