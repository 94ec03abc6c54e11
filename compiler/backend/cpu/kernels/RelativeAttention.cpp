//===- RelativeAttention.cpp - XLNet's relative attention emitter ---------===//
//
// bert.relative_attention in one kernel, projections included: q, k, v from
// the einsum weights, kr(p) = r(p) . Wr for the 2S - 1 relative distances,
// then per head, query i and key j
//   score = (q_i + r_w_bias) . k_j + (q_i + r_r_bias) . kr(i - j)
//         + (q_i + r_s_bias) . seg_embed[t_i != t_j],
// scaled by 1/sqrt(d), XLNet's non_tgt mask (a padded key stays visible to
// itself), softmax, P . v and the output projection o.
// The einsum weights are read as the checkpoint stores them, no repacking:
// q, k, v, r are [in, out] ([H, n, d]) and o is [out, in], which is why the
// projections are computed here rather than by the panel-packed linear
// kernel (that one needs [out, in] and a load-time transpose for q, k, v;
// docs/design.md). transformers' rel_shift is only an index: the position
// score of pair (i, j) reads kr row (S - 1) - (i - j), so no [B, H, S, 2S]
// tensor exists.
// Simplest correct form first: every intermediate is a root buffer, one
// softmax row per (query, head); tiling the scores is future work.
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
  ImageParam x(Float(32), 3, "x"), mask(Int(32), 2, "mask"),
      types(Int(32), 2, "token_type_ids"), wq(Float(32), 2, "wq"),
      wk(Float(32), 2, "wk"), wv(Float(32), 2, "wv"), wo(Float(32), 2, "wo"),
      wr(Float(32), 2, "wr"), rw(Float(32), 1, "r_w_bias"),
      rr(Float(32), 1, "r_r_bias"), rs(Float(32), 1, "r_s_bias"),
      seg(Float(32), 2, "seg_embed");
  Var c("c"), s("s"), b("b"), p("p"), j("j"), i("i"), hn("hn"), e("e"), t("t");
  Expr S = x.dim(1).extent();
  RDom rh(0, H, "rh");

  // Projections: f(c, s, b) = sum_h x(h, s, b) * W[h, c].
  auto project = [&](const char *name, ImageParam &w) {
    Func f(name);
    f(c, s, b) = sum(x(rh, s, b) * w(c, rh));
    return f;
  };
  Func q = project("q", wq), k = project("k", wk), v = project("v", wv);

  // r(h, p): the sinusoid of relative distance (S - 1) - p, formed as the
  // evaluator and transformers form it (float frequency and angle; the sine
  // in double, then rounded).
  const int half = H / 2;
  Expr rel = S - 1 - p;
  if (spec.clampLen > 0)
    rel = clamp(rel, -int(spec.clampLen), int(spec.clampLen));
  Expr kf = select(c < half, c, c - half);
  Expr invFreq = 1.0f / pow(10000.0f, cast<float>(2 * kf) / float(H));
  Expr angle = cast<double>(cast<float>(rel) * invFreq);
  Func r("r"), kr("kr");
  r(c, p) = cast<float>(select(c < half, sin(angle), cos(angle)));
  kr(c, p) = sum(r(rh, p) * wr(c, rh));

  // The segment term of query i for "different segment?" t in {0, 1}.
  RDom re(0, d, "re");
  Func segScore("seg_score");
  Expr cq = hn * d + re;
  segScore(t, i, hn, b) = sum((q(cq, i, b) + rs(cq)) * seg(cq, t));

  Func score("score"), mx("row_max"), ex("row_exp"), den("row_sum");
  Expr content = sum((q(cq, i, b) + rw(cq)) * k(cq, j, b));
  Expr position = sum((q(cq, i, b) + rr(cq)) * kr(cq, S - 1 - i + j));
  Expr other = select(types(i, b) != types(j, b), 1, 0);
  Expr raw = (content + position + segScore(other, i, hn, b)) *
             (1.0f / std::sqrt(float(d)));
  score(j, i, hn, b) =
      select(mask(j, b) == 0 && j != i, detail::lowestFloat(), raw);
  RDom rj(0, S, "rj");
  mx(i, hn, b) = maximum(score(rj, i, hn, b));
  ex(j, i, hn, b) = exp(score(j, i, hn, b) - mx(i, hn, b));
  den(i, hn, b) = sum(ex(rj, i, hn, b));

  Func ctx("ctx"), out("rel_attn_out");
  ctx(e, hn, i, b) =
      sum(ex(rj, i, hn, b) * v(hn * d + e, rj, b)) / den(i, hn, b);
  RDom rc(0, d, 0, n, "rc");
  out(c, i, b) = sum(ctx(rc.x, rc.y, i, b) * wo(rc.y * d + rc.x, c));

  // Schedule: projections per token row, the softmax row of each (query,
  // head) at the context's head loop, queries split into tasks.
  const int vec = int(sched.vectorWidth);
  const int rows = int(std::max<int64_t>(1, sched.queriesPerTask));
  auto rowsParallel = [&](Func &f, Var row) {
    Var ro("ro"), ri("ri"), task("task");
    f.compute_root()
        .split(row, ro, ri, rows, TailStrategy::GuardWithIf)
        .fuse(ro, b, task)
        .parallel(task)
        .vectorize(c, vec, TailStrategy::GuardWithIf);
  };
  rowsParallel(q, s);
  rowsParallel(k, s);
  rowsParallel(v, s);
  r.compute_root();
  kr.compute_root().parallel(p).vectorize(c, vec, TailStrategy::GuardWithIf);
  segScore.compute_root();
  Var io("io"), ii("ii"), task("task");
  ctx.compute_root()
      .split(i, io, ii, rows, TailStrategy::GuardWithIf)
      .fuse(io, b, task)
      .parallel(task);
  ex.compute_at(ctx, hn).vectorize(j, vec, TailStrategy::GuardWithIf);
  mx.compute_at(ctx, hn);
  den.compute_at(ctx, hn);
  rowsParallel(out, i);

  Kernel kern;
  kern.name = "relative_attention";
  kern.inputs = {x, mask, types, wq, wk, wv, wo, wr, rw, rr, rs, seg};
  for (auto &in : kern.inputs)
    detail::constrainMinsAndDense(in);
  // x and the output: (H, S, B) dense; mask and types: (S, B) dense.
  x.dim(0).set_extent(H);
  x.dim(1).set_stride(H);
  x.dim(2).set_stride(H * S);
  for (ImageParam *ids : {&mask, &types}) {
    ids->dim(0).set_extent(S);
    ids->dim(1).set_extent(x.dim(2).extent()).set_stride(S);
  }
  for (ImageParam *w : {&wq, &wk, &wv, &wo, &wr}) {
    w->dim(0).set_extent(H);
    w->dim(1).set_extent(H).set_stride(H);
  }
  for (ImageParam *bias : {&rw, &rr, &rs})
    bias->dim(0).set_extent(H);
  seg.dim(0).set_extent(H);
  seg.dim(1).set_extent(2).set_stride(H);
  OutputImageParam o = out.output_buffer();
  detail::constrainMinsAndDense(o);
  o.dim(0).set_extent(H);
  o.dim(1).set_extent(S).set_stride(H);
  o.dim(2).set_extent(x.dim(2).extent()).set_stride(H * S);
  detail::finishKernel(kern, out);
  return kern;
}

//===----------------------------------------------------------------------===//
// The family
//===----------------------------------------------------------------------===//

namespace {
void writeRelativeAttention(const RelativeAttentionSpec &spec,
                            std::ostream &os) {
  os << "relative_attention h=" << spec.hidden << " heads=" << spec.numHeads
     << " clamp=" << spec.clampLen;
}

/// Queries per task (the tasks' grain); the key tile is unused.
std::vector<TuneKnob> relativeAttentionTuningSpace(const KernelRequest &,
                                                   const Target &) {
  return {{"queries_per_task", {4, 8, 16, 32, 64}}};
}

/// x, a mask with no padding, token types, the five weights, three biases,
/// seg_embed, out.
std::vector<TuneArg> relativeAttentionTuneArgs(const KernelRequest &req,
                                               int batch, int seq) {
  const int H = int(std::get<RelativeAttentionSpec>(req.spec).hidden);
  const int B = batch, S = seq;
  using K = TuneArg::Kind;
  std::vector<TuneArg> args = {{K::Floats, {{H, 1}, {S, H}, {B, H * S}}},
                               {K::Ones, {{S, 1}, {B, S}}},
                               {K::Ids, {{S, 1}, {B, S}}, 2}};
  for (int w = 0; w < 5; ++w)
    args.push_back({K::Floats, {{H, 1}, {H, H}}});
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
