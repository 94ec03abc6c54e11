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
// Layout: k and kr are stored key-first (kt(j, c), krt(p, c)), so every
// product vectorizes over keys, distances or head columns with contiguous
// loads. A task is `queries_per_task` queries of one (sequence, head),
// walked in blocks of R queries (the register tile's rows); per block three
// register-tiled GEMMs: the position term over the band of S + R - 1
// distances the block's queries need, the content term over the keys (the
// band read at the shifted offset in its epilogue), and P . V over the keys.
// Measured on Zen 4 (1 thread, CPU time, H = 768 x 12 heads, flops 6 B S^2
// H): B=1 S=128 1.45-1.56 ms (49-52 GFLOP/s), B=8 S=128 11.7 ms (51),
// B=1 S=512 19-22 ms (55-63); BERT's attention kernel, 4 B S^2 H flops,
// 83-85 GFLOP/s in the same run. Before (one shifted kr window per query,
// 4 accumulators, scalar row max/sum): 1.9x slower in a model profile.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

#include <cmath>

using namespace Halide;

namespace bert::cpu {

namespace {
/// The register tiles: `rows` queries (unrolled, broadcast) by one vector
/// of keys, distances or head columns (`scoreCols`, `valueCols`) for the
/// three products: 16 accumulators of 32 on AVX-512, 8 of 16 on AVX2. One
/// vector wide rather than 2 x 8 queries: the band of a block of R queries
/// is S + R - 1 distances, which rounds to whole vectors with little waste
/// (143 -> 144 at S = 128, where two-vector tiles computed 135 -> 160), and
/// 17 loads per 16 FMAs still leave the FMA pipes the limit. Measured (Zen
/// 4, 1 thread, CPU time, xlnet-base heads): 8 x 2 vectors 1.64-1.75 ms at
/// B=1 S=128, 16 x 1 vector 1.45-1.56 ms.
struct RelativeAttentionTiles {
  int vec, rows, scoreCols, valueCols, queries;
};

RelativeAttentionTiles relativeAttentionTiles(const AttentionSchedule &sched) {
  RelativeAttentionTiles t;
  t.vec = int(sched.vectorWidth);
  t.rows = t.vec >= 16 ? 16 : 8;
  t.scoreCols = t.vec;
  t.valueCols = t.vec;
  t.queries = int(std::max<int64_t>(1, sched.queriesPerTask));
  return t;
}
} // namespace

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
  const RelativeAttentionTiles tile = relativeAttentionTiles(sched);
  const int vec = tile.vec, rows = tile.queries;
  // Register tiles round up (fixed-size tiles, no tails in the inner
  // loops): every index into an input is clamped, so the rounded-up rows
  // and columns read real data and are never used.
  auto token = [&](Expr x) { return clamp(x, 0, S - 1); };

  // Key-first keys and distances; queries plus each bias, per head.
  Func kt("k_t"), krt("kr_t"), qw("q_content"), qr("q_position"),
      segScore("seg_score");
  Func kRows("k_rows"), krRows("kr_rows");
  kRows(c, j, b) = qkv(H + c, token(j), b);
  krRows(c, p) = kr(c, clamp(p, 0, 2 * S - 1));
  kt(j, c, b) = kRows(c, j, b);
  krt(p, c) = krRows(c, p);
  Expr qe = qkv(hn * d + e, token(i), b);
  qw(e, i, hn, b) = qe + rw(hn * d + e);
  qr(e, i, hn, b) = qe + rr(hn * d + e);
  RDom re(0, d, "re");
  Expr cq = hn * d + re;
  segScore(t, i, hn, b) = 0.0f;
  segScore(t, i, hn, b) += (qkv(cq, token(i), b) + rs(cq)) * seg(cq, t);
  // Per key, once per call: the additive mask (keys past S, from the
  // rounded-up tiles, are masked too) and the segment, so that the score
  // tile reads them as vectors rather than gathering clamped indices.
  Func keyBias("key_bias"), keyType("key_type");
  keyBias(j, b) =
      select(j < S && mask(token(j), b) != 0, 0.0f, detail::lowestFloat());
  keyType(j, b) = types(token(j), b);

  // The position term over the band of distances: query i needs rows
  // S - i .. 2S - 1 - i of kr, so a block of R queries needs S + R - 1 rows,
  // a GEMM of R queries x (S + R - 1) distances instead of R separately
  // shifted windows (which cost a load per query and per FMA).
  Func posDot("pos_dot"), posScore("pos_score");
  posDot(p, i, hn, b) = 0.0f;
  posDot(p, i, hn, b) += qr(re, i, hn, b) * krt(p, hn * d + re);
  posScore(p, i, hn, b) = posDot(p, i, hn, b);

  Func dot("content_dot"), score("score"), mxLanes("row_max_lanes"),
      mx("row_max"), ex("row_exp"), denLanes("row_sum_lanes"), den("row_sum"),
      pv("pv"), out("rel_attn_out");
  dot(j, i, hn, b) = 0.0f;
  dot(j, i, hn, b) += qw(re, i, hn, b) * kt(j, hn * d + re, b);
  Expr sameSegment = keyType(j, b) == types(token(i), b);
  // rel_shift: the pair (i, j) reads distance row S - i + j.
  Expr raw =
      (dot(j, i, hn, b) + posScore(S - i + j, i, hn, b) +
       select(sameSegment, segScore(0, i, hn, b), segScore(1, i, hn, b))) *
      (1.0f / std::sqrt(float(d)));
  // XLNet's non_tgt mask: a padded key stays visible to itself. A masked
  // score is raw + lowest, which rounds to lowest: its exp is 0.
  score(j, i, hn, b) = select(j == i, raw, raw + keyBias(j, b));
  // Row max and sum as vec-lane partials over whole vectors of keys (the
  // keys past S carry lowest, and exp 0), then across the lanes.
  Var u("u");
  RDom rv(0, (S + vec - 1) / vec, "rv"), ru(0, vec, "ru");
  mxLanes(u, i, hn, b) = detail::lowestFloat();
  mxLanes(u, i, hn, b) =
      max(mxLanes(u, i, hn, b), score(rv * vec + u, i, hn, b));
  mx(i, hn, b) = maximum(mxLanes(ru, i, hn, b));
  ex(j, i, hn, b) = detail::softmaxExp(score(j, i, hn, b) - mx(i, hn, b));
  denLanes(u, i, hn, b) = 0.0f;
  denLanes(u, i, hn, b) += ex(rv * vec + u, i, hn, b);
  den(i, hn, b) = sum(denLanes(ru, i, hn, b));
  // The head's value rows, copied dense once per task: in the packed
  // projection they lie 3H floats apart, so one 64-byte column of them
  // falls into a few L1 sets and P . V would re-read it from L2.
  Func values("values");
  values(e, j, hn, b) = qkv(2 * H + hn * d + min(e, d - 1), j, b);
  RDom rj(0, S, "rj");
  pv(e, i, hn, b) = 0.0f;
  pv(e, i, hn, b) += ex(rj, i, hn, b) * values(e, rj, hn, b);
  out(e, hn, i, b) = pv(e, i, hn, b) / den(i, hn, b);

  // Schedule. The per-call copies: vectors along the keys (distances).
  const TailStrategy up = TailStrategy::RoundUp,
                     guard = TailStrategy::GuardWithIf;
  if (H % vec == 0) {
    // Transposed in vec x vec blocks: dense row loads, then shuffles in
    // registers (a strided gather per vector otherwise, 18% of the time).
    Var jo("jo"), ji("ji"), co("co"), ci("ci");
    kt.compute_root()
        .tile(j, c, jo, co, ji, ci, vec, vec, up)
        .vectorize(ji)
        .unroll(ci)
        .fuse(co, b, co)
        .parallel(co);
    kRows.compute_at(kt, jo).vectorize(c).unroll(j);
    krt.compute_root()
        .tile(p, c, jo, co, ji, ci, vec, vec, up)
        .vectorize(ji)
        .unroll(ci)
        .parallel(co);
    krRows.compute_at(krt, jo).vectorize(c).unroll(p);
  } else {
    kt.compute_root().parallel(b).vectorize(j, vec, up);
    krt.compute_root().parallel(c).vectorize(p, vec, up);
  }
  keyBias.compute_root().vectorize(j, vec, up);
  keyType.compute_root().vectorize(j, vec, up);

  // A register tile of `f`: `cols` lanes of x (vectors, unrolled) x
  // tile.rows rows of y (unrolled), the accumulating Func `acc` computed at
  // the tile with its reduction `r` outside the tile's loops, so that the
  // sums stay in registers.
  auto registerTile = [&](Func f, Var x, Var y, int cols, Func acc, RVar r) {
    Var xo(x.name() + "o"), xi(x.name() + "i"), yo(y.name() + "o"),
        yi(y.name() + "i");
    f.tile(x, y, xo, yo, xi, yi, cols, tile.rows, up)
        .vectorize(xi, vec)
        .unroll(xi)
        .unroll(yi);
    acc.compute_at(f, xo).vectorize(x, vec).unroll(x).unroll(y);
    acc.update().reorder(x, y, r).vectorize(x, vec).unroll(x).unroll(y);
  };

  // The output: a task is `rows` queries of one sequence and head, walked
  // in blocks of tile.rows queries; per block the band's position scores,
  // the scores (content term in registers, the shifted position term read
  // from the band), the softmax rows, then P . V tiles.
  Var io("io"), ii("ii"), task("task"), blk("blk"), iq("iq"), eo("eo"),
      ei("ei");
  out.split(i, io, ii, rows, guard)
      .split(ii, blk, iq, tile.rows, guard)
      .split(e, eo, ei, tile.valueCols, guard)
      .reorder(ei, iq, eo, blk, hn, io, b)
      .fuse(hn, io, task)
      .fuse(task, b, task)
      .parallel(task)
      .vectorize(ei, vec)
      .unroll(ei)
      .unroll(iq);
  // Whole register tiles of P . V (queries past S read clamped rows).
  pv.compute_at(out, eo)
      .bound_extent(i, tile.rows)
      .vectorize(e, vec, up)
      .unroll(e)
      .unroll(i);
  pv.update().reorder(e, i, rj).vectorize(e, vec, up).unroll(e).unroll(i);
  values.compute_at(out, task).vectorize(e, vec, up);
  LoopLevel block(out, blk), perTask(out, task);
  for (Func *f : {&qw, &qr})
    f->compute_at(block).vectorize(e, vec, guard);
  segScore.compute_at(block);
  if (d % vec == 0) {
    // Two dot products per query: vec-lane partials over the head dims.
    RVar reo("reo"), rei("rei");
    Func lanes = segScore.update().split(re, reo, rei, vec).rfactor(rei, u);
    lanes.compute_at(block).vectorize(u);
    lanes.update().vectorize(u);
  }
  for (Func *f : {&mxLanes, &denLanes}) {
    f->compute_at(block).vectorize(u);
    f->update().vectorize(u);
  }
  mx.compute_at(block);
  den.compute_at(block);
  ex.compute_at(block).vectorize(j, vec, up);
  posScore.compute_at(block);
  registerTile(posScore, p, i, tile.scoreCols, posDot, re);
  score.compute_at(block);
  registerTile(score, j, i, tile.scoreCols, dot, re);

  Kernel kern;
  kern.name = "relative_attention";
  kern.inputs = {qkv, kr, mask, types, rw, rr, rs, seg};
  for (auto &in : kern.inputs)
    detail::constrainMinsAndDense(in);
  // qkv: (3H, S, B) dense; kr (H, 2S) dense; mask and types: (S, B) dense; the
  // output (d, heads, S, B) dense: [B, S, H] with the heads side by side.
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
  o.dim(0).set_extent(d);
  o.dim(1).set_extent(n).set_stride(d);
  o.dim(2).set_extent(S).set_stride(H);
  o.dim(3).set_extent(qkv.dim(2).extent()).set_stride(H * S);
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

/// Queries per task (the tasks' grain): whole blocks of the register
/// tile's rows (a smaller task still computes a whole block); the key tile
/// is unused.
std::vector<TuneKnob> relativeAttentionTuningSpace(const KernelRequest &,
                                                   const Target &target) {
  AttentionSchedule lanes;
  lanes.vectorWidth = target.natural_vector_size<float>();
  const int64_t rows = relativeAttentionTiles(lanes).rows;
  return {{"queries_per_task", {rows, 2 * rows, 4 * rows, 8 * rows}}};
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
  const int d = H / int(std::get<RelativeAttentionSpec>(req.spec).numHeads);
  args.push_back({K::Floats, {{d, 1}, {H / d, d}, {S, H}, {B, H * S}}});
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
