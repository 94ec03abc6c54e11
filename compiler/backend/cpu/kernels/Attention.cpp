//===- Attention.cpp - fused multi-head self-attention emitter ------------===//
//
// Per (batch b, head h), over a packed QKV activation:
//   logits[i, j] = (q_i . k_j) * scale + (mask[b, j] == 0 ? lowest : 0)
//   p[i, :]      = softmax(logits[i, :])
//   out[i, :]    = sum_j p[i, j] v_j                (heads merged in place)
// The additive lowest-float mask matches HF (scores + (1 - mask) * finfo.min)
// for 0/1 masks, including a fully masked row (uniform weights).
//
// Flash-attention form: keys are walked in tiles of Bk. For tile t the
// kernel computes the tile's scores, their row maximum mt, pt = exp(s - mt),
// lt = sum pt and the partial product ot = pt . V_t; a running state
// (m, l, o) per query then absorbs the tile with the online-softmax rescale
//   m' = max(m, mt),  l' = l e^(m-m') + lt e^(mt-m'),
//   o' = o e^(m-m') + ot e^(mt-m')
// and out = o / l after the last tile. Nothing larger than a
// (queries per task) x Bk score tile is ever materialized, whatever S is.
// Keys past S in the last tile read key S-1 (in bounds) and get p = 0.
// With bf16 operands (precision <bf16>), Q, K and V are rounded to bf16 and
// so is pt, per tile, before pt . V_t; the sums stay fp32.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <sstream>

using namespace Halide;

namespace bert::cpu {
namespace {

/// Tile sizes shared by the algorithm (the key tile is part of the online
/// recurrence) and the schedule.
struct AttentionTiles {
  int vec = 16;     ///< fp32 lanes
  int qReg = 32;    ///< queries of the register tile (vectorized, vec | qReg)
  int keyReg = 8;   ///< keys of the Q.K^T register tile (unrolled)
  int colReg = 8;   ///< output columns of the P.V register tile (unrolled)
  int queries = 64; ///< queries per task (KernelSchedule::tileM, qReg | it)
  int keys = 64;    ///< key tile Bk (KernelSchedule::tileN, keyReg | it)
};

/// The schedule's tiles and the register tile they are made of; a tile
/// that is not whole register tiles is an error (the strategy,
/// passes/TileStrategiesCPU.cpp, makes them so).
AttentionTiles attentionTiles(int d, const AttentionSchedule &sched) {
  AttentionTiles t;
  t.vec = int(sched.vectorWidth);
  const bool wide = t.vec >= 16; // 32 vector registers (AVX-512)
  const int want = int(sched.queriesPerTask);
  t.qReg = want >= 2 * t.vec ? 2 * t.vec : t.vec;
  t.queries = want;
  // Accumulators: (qReg / vec) x keyReg, resp. x colReg: 16 of 32 zmm on
  // AVX-512, 8 of 16 ymm on AVX2, leaving room for the operand vectors.
  t.keyReg = wide ? 8 : 4;
  t.colReg = std::min(wide ? 8 : 4, d);
  while (d % t.colReg)
    --t.colReg;
  t.keys = int(sched.keyTile);
  if (t.queries % t.qReg || t.keys % t.keyReg)
    throw std::invalid_argument(
        "attention schedule: queries_per_task " + std::to_string(t.queries) +
        " must be a multiple of " + std::to_string(t.qReg) + " and key_tile " +
        std::to_string(t.keys) + " of " + std::to_string(t.keyReg) +
        " (the register tile for vector_width " + std::to_string(t.vec) + ")");
  return t;
}

struct AttentionFuncs {
  ImageParam qkv, mask;
  Func queryRows{"att_query_rows"}, queryT{"att_query_t"}, dot{"att_dot"},
      score{"att_score"}, tileMax{"att_tile_max"}, prob{"att_prob"},
      tileSum{"att_tile_sum"}, tilePV{"att_tile_pv"},
      valueTile{"att_value_tile"}, state{"att_state"}, outT{"att_out_t"},
      out{"att_out"};
  // bf16 operands: Q as (pair, query, d/2), the K tile as rows, P as (pair,
  // query, key/2), the V tile as (pair, column, key/2).
  Func queryP{"att_query_bf16"}, keyB{"att_key_bf16"}, probB{"att_prob_bf16"},
      valueB{"att_value_bf16"};
  // i: query within a block of tiles.queries; qb: query block; j: key
  // within a key tile; t: key tile; c, dd: head column.
  Var dd{"dd"}, h{"h"}, i{"i"}, qb{"qb"}, j{"j"}, t{"t"}, c{"c"}, b{"b"},
      kk{"kk"}, p{"p"};
  RDom rd, rj, rt;
};

void attentionAlgorithm(AttentionFuncs &f, const AttentionSpec &spec,
                        const AttentionTiles &tiles) {
  const int d = int(spec.hidden / spec.numHeads);
  const float scale = spec.scale > 0.f ? spec.scale : 1.f / std::sqrt(float(d));
  const int Bk = tiles.keys;
  Expr S = f.mask.dim(0).extent();
  f.rd = RDom(0, d, "rd");
  f.rj = RDom(0, Bk, "rj");
  f.rt = RDom(0, (S + Bk - 1) / Bk, "rt");
  const int Q = 0, K = 1, V = 2;
  // likely(): Halide peels the last, partial key tile so that full tiles
  // address K and V without the clamp.
  auto key = [&](Expr j, Expr t) { return min(likely(t * Bk + j), S - 1); };
  const int Bq = tiles.queries;
  auto &i = f.i, &qb = f.qb, &j = f.j, &t = f.t, &h = f.h, &b = f.b, &c = f.c;

  // The block's query rows, then transposed (query index innermost); rows
  // past S read row S-1.
  f.queryRows(f.dd, i, qb, h, b) =
      f.qkv(f.dd, h, Q, min(qb * Bq + i, S - 1), b);
  f.queryT(i, f.dd, qb, h, b) = f.queryRows(f.dd, i, qb, h, b);
  f.dot(i, j, t, qb, h, b) = 0.f;
  auto &kk = f.kk, &p = f.p;
  if (spec.bf16) {
    // Each 32-bit lane of a Q vector holds one query's pair (q_2p, q_2p+1);
    // a K pair is broadcast: one VDPBF16PS per pair and 16 queries.
    f.queryP(kk, i, p, qb, h, b) =
        detail::roundToBF16(f.queryT(i, 2 * p + kk, qb, h, b));
    f.keyB(f.dd, j, t, qb, h, b) =
        detail::roundToBF16(f.qkv(f.dd, h, K, key(j, t), b));
    f.dot(i, j, t, qb, h, b) +=
        cast<float>(f.keyB(f.rd, j, t, qb, h, b)) *
        cast<float>(f.queryP(f.rd % 2, i, f.rd / 2, qb, h, b));
  } else {
    f.dot(i, j, t, qb, h, b) +=
        f.queryT(i, f.rd, qb, h, b) * f.qkv(f.rd, h, K, key(j, t), b);
  }
  f.score(i, j, t, qb, h, b) =
      f.dot(i, j, t, qb, h, b) * scale +
      select(f.mask(key(j, t), b) == 0, detail::lowestFloat(), 0.f);
  // Keys past S duplicate key S-1 of the same tile: the max is unchanged.
  f.tileMax(i, t, qb, h, b) = detail::lowestFloat();
  f.tileMax(i, t, qb, h, b) =
      max(f.tileMax(i, t, qb, h, b), f.score(i, f.rj, t, qb, h, b));
  f.prob(i, j, t, qb, h, b) =
      select(t * Bk + j < S,
             detail::softmaxExp(f.score(i, j, t, qb, h, b) -
                                f.tileMax(i, t, qb, h, b)),
             0.f);
  f.tileSum(i, t, qb, h, b) = 0.f;
  f.tileSum(i, t, qb, h, b) += f.prob(i, f.rj, t, qb, h, b);
  f.tilePV(i, c, t, qb, h, b) = 0.f;
  if (spec.bf16) {
    // Pairs of keys: P's pair per query lane, V's pair (v_2p[c],
    // v_2p+1[c]) broadcast. Keys past S have p = 0 (a rounded 0 is 0).
    f.probB(kk, i, p, t, qb, h, b) =
        detail::roundToBF16(f.prob(i, 2 * p + kk, t, qb, h, b));
    f.valueB(kk, c, p, t, qb, h, b) =
        detail::roundToBF16(f.qkv(c, h, V, key(2 * p + kk, t), b));
    f.tilePV(i, c, t, qb, h, b) +=
        cast<float>(f.valueB(f.rj % 2, c, f.rj / 2, t, qb, h, b)) *
        cast<float>(f.probB(f.rj % 2, i, f.rj / 2, t, qb, h, b));
  } else {
    // The tile's V rows, gathered into a dense Bk x d block once per tile.
    f.valueTile(c, j, t, qb, h, b) = f.qkv(c, h, V, key(j, t), b);
    f.tilePV(i, c, t, qb, h, b) +=
        f.prob(i, f.rj, t, qb, h, b) * f.valueTile(c, f.rj, t, qb, h, b);
  }

  // Running (m, l, o_0 .. o_{d-1}) per query, one Tuple so that the two
  // rescale exponentials are computed once per (query, tile).
  std::vector<Expr> init = {detail::lowestFloat(), 0.f};
  for (int k = 0; k < d; ++k)
    init.push_back(0.f);
  f.state(i, qb, h, b) = Tuple(init);
  Tuple st = f.state(i, qb, h, b);
  Expr mt = f.tileMax(i, f.rt, qb, h, b);
  Expr mNew = max(st[0], mt);
  Expr keep = detail::softmaxExp(st[0] - mNew),
       add = detail::softmaxExp(mt - mNew);
  std::vector<Expr> next = {mNew,
                            st[1] * keep + f.tileSum(i, f.rt, qb, h, b) * add};
  for (int k = 0; k < d; ++k)
    next.push_back(st[2 + k] * keep + f.tilePV(i, k, f.rt, qb, h, b) * add);
  f.state(i, qb, h, b) = Tuple(next);

  std::vector<Expr> acc;
  for (int k = 0; k < d; ++k)
    acc.push_back(f.state(i, qb, h, b)[2 + k]);
  f.outT(i, f.dd, qb, h, b) = mux(f.dd, acc) / f.state(i, qb, h, b)[1];
  f.out(f.dd, h, i, b) = f.outT(i % Bq, f.dd, i / Bq, h, b);
}

/// CPU: one parallel task per (b, h, block of `queries` queries): the block's
/// Q transposed once (query index innermost), then per key tile:
///  * Q.K^T as a register tile of qReg queries (2 vectors) x keyReg keys (16
///    zmm accumulators), K rows broadcast straight from the packed
///    activation, d-long loop of 2 vector loads + 8 broadcast-FMA pairs;
///  * tile max / exp / sum vectorized over queries (rfactor: 4 chains);
///  * V rows copied into a dense Bk x d block: packed rows are 3H * 4 =
///    9 KiB apart, so one 64-byte column of the tile's rows falls into 4 of
///    the 64 L1 sets and P.V re-read it from L2 (copied: 5-7% faster);
///  * P.V as a register tile of qReg queries x colReg columns, V broadcast;
///  * the online update of the (m, l, o) Tuple, 2 exps per 16 queries.
/// Everything per task is fixed-size (bound / bound_extent), so it lives on
/// the stack: with a data-dependent extent the 66 Tuple buffers were
/// malloc'ed per task (8% of the time at S=128).
/// Measured (Xeon SPR-class KVM, AVX-512, 2 shared vCPUs, H=768 = 12 x 64,
/// B=1, fp32 FMA peak 179 GFLOP/s per core from fma_peak.cpp; min of 11,
/// load 1-2; flops = 4 B S^2 H):
///   tile      threads  S=128                     S=512
///   [64, 64]  1        491 us 102 GFLOP/s (57%)  7.17 ms 112 GFLOP/s (63%)
///   [32, 64]  1        493 us 102 GFLOP/s (57%)  8.32 ms  97 GFLOP/s (54%)
///   [64, 64]  2        252 us 200 GFLOP/s (56%)  3.60 ms 224 GFLOP/s (62%)
///   previous kernel 1  1455 us 35 GFLOP/s (19%)  25.9 ms  31 GFLOP/s (17%)
/// (bert-tile now picks [64, 64] where the tasks allow; see
/// passes/TileStrategiesCPU.cpp.) AVX2 target, same
/// machine at load 4, [64, 64], 1 thread: 821 us / 16.0 ms (61 / 50
/// GFLOP/s; previous kernel 2.15 ms / 48.7 ms; AVX-512 in that run 444 us /
/// 7.14 ms). perf at S=512: Q.K^T loop 33%, P.V
/// loop 38%, exp 9%, V copy 7%, the rest (max, sum, state update, Q/out
/// transposes) 13%; the GEMM loops run at ~80% of peak.
/// bf16 (AttentionSpec::bf16): Q rounded once per task into (pair, query)
/// lanes, the K and V tiles once per key tile, the tile's probabilities
/// after the exp; both products are VDPBF16PS over k-pairs (Q.K^T over head
/// columns, P.V over keys). Zen 4 KVM, 2 threads, [64, 64], same protocol:
/// B=1 S=128 248 us (203 GFLOP/s), B=8 S=128 2.17 ms (185), B=1 S=512
/// 3.60 ms (224), against fp32 338 us, 3.12 ms, 4.80 ms: 1.36-1.44x. The
/// GEMM halves got twice as fast; the exp, max, sum and the roundings did
/// not, and are now most of the time.
/// A bf16 register-tile update: `r` reduced a pair at a time by a 2-lane
/// atomic vector reduction beside the query vector `i` (what Halide lowers
/// to VDPBF16PS), `other` unrolled across the tile.
void schedulePairReduction(Stage s, const RDom &r, const Var &i,
                           const Var &other, int vec) {
  RVar ro(r.x.name() + "_pairs"), ri(r.x.name() + "_pair");
  s.split(r.x, ro, ri, 2)
      .reorder(ri, i, other, ro)
      .atomic()
      .vectorize(ri)
      .vectorize(i, vec)
      .unroll(i)
      .unroll(other);
}

void attentionSchedule(AttentionFuncs &f, const AttentionSpec &spec,
                       const AttentionTiles &tiles, const Target &target,
                       bool autoschedule) {
  const int d = int(spec.hidden / spec.numHeads);
  if (autoschedule) {
    f.qkv.set_estimates(
        {{0, d}, {0, int(spec.numHeads)}, {0, 3}, {0, 128}, {0, 8}});
    f.mask.set_estimates({{0, 128}, {0, 8}});
    f.out.set_estimates({{0, d}, {0, int(spec.numHeads)}, {0, 128}, {0, 8}});
    return;
  }
  const int vec = tiles.vec;
  auto &i = f.i, &j = f.j, &c = f.c, &dd = f.dd;
  Var io("io"), ii("ii"), task("task"), jo("jo"), ji("ji"), iro("iro"),
      iri("iri"), co("co"), ci("ci"), u("u");
  RVar rjo("rjo"), rji("rji");

  f.out.reorder(dd, i, f.h, f.b)
      .split(i, io, ii, tiles.queries, TailStrategy::GuardWithIf)
      .reorder(dd, ii, f.h, io, f.b)
      .fuse(f.h, io, task)
      .fuse(task, f.b, task)
      .parallel(task)
      .vectorize(dd, std::min(vec, d), TailStrategy::GuardWithIf);
  // Transposes in 16x16 blocks: dense row loads into registers, then
  // shuffles (a strided gather per vector otherwise).
  Var ti("ti"), tdd("tdd"), tio("tio"), tddo("tddo");
  const int tb = std::min(vec, d);
  f.queryT.compute_at(f.out, task)
      .bound(i, 0, tiles.queries)
      .bound_extent(f.qb, 1)
      .tile(i, dd, tio, tddo, ti, tdd, vec, tb)
      .vectorize(ti)
      .unroll(tdd);
  f.queryRows.compute_at(f.queryT, tio).vectorize(dd).unroll(i);
  f.state.compute_at(f.out, task)
      .bound(i, 0, tiles.queries)
      .bound_extent(f.qb, 1)
      .vectorize(i, vec);
  f.state.update().reorder(i, f.rt).vectorize(i, vec);
  f.outT.compute_at(f.out, task)
      .bound(i, 0, tiles.queries)
      .bound_extent(f.qb, 1)
      .vectorize(i, vec)
      .unroll(dd);
  LoopLevel perTile(f.state, f.rt);

  // Q.K^T: scores per key tile, register-tiled.
  f.score.compute_at(perTile)
      .tile(i, j, iro, jo, iri, ji, tiles.qReg, tiles.keyReg,
            TailStrategy::RoundUp)
      .vectorize(iri, vec)
      .unroll(iri)
      .unroll(ji);
  f.dot.compute_at(f.score, iro).vectorize(i, vec).unroll(i).unroll(j);
  if (spec.bf16) {
    // Q rounded once per task, each K tile once per tile (1 / queries of
    // the dot's work); the dot reduces k-pairs: 2-lane atomic vector
    // reductions, which Halide lowers to VDPBF16PS (as in LinearBF16.cpp).
    f.queryP.compute_at(f.out, task)
        .bound(f.kk, 0, 2)
        .bound(i, 0, tiles.queries)
        .bound_extent(f.qb, 1)
        .vectorize(f.kk)
        .vectorize(i, vec);
    f.keyB.compute_at(perTile).vectorize(dd, std::min(2 * vec, d));
    schedulePairReduction(f.dot.update(), f.rd, i, j, vec);
  } else {
    f.dot.update().reorder(i, j, f.rd).vectorize(i, vec).unroll(i).unroll(j);
  }

  // Row max and sum of the tile: 4 independent chains per query vector.
  f.tileMax.compute_at(perTile).vectorize(i, vec);
  Func maxPart = f.tileMax.update().split(f.rj, rjo, rji, 4).rfactor(rji, u);
  maxPart.compute_at(perTile).vectorize(i, vec).unroll(i).unroll(u);
  maxPart.update().reorder(i, u, rjo).vectorize(i, vec).unroll(i).unroll(u);
  f.tileMax.update().vectorize(i, vec);
  f.prob.compute_at(perTile).vectorize(i, vec).unroll(i);
  f.tileSum.compute_at(perTile).vectorize(i, vec);
  Func sumPart = f.tileSum.update().split(f.rj, rjo, rji, 4).rfactor(rji, u);
  sumPart.compute_at(perTile).vectorize(i, vec).unroll(i).unroll(u);
  sumPart.update().reorder(i, u, rjo).vectorize(i, vec).unroll(i).unroll(u);
  f.tileSum.update().vectorize(i, vec);

  // P.V: register tile qReg x colReg accumulated over the key tile.
  if (spec.bf16) {
    f.probB.compute_at(perTile)
        .bound(f.kk, 0, 2)
        .vectorize(f.kk)
        .vectorize(i, vec)
        .unroll(i);
    f.valueB.compute_at(perTile)
        .bound(f.kk, 0, 2)
        .vectorize(f.kk)
        .vectorize(c, std::min(vec, d));
  } else {
    f.valueTile.compute_at(perTile).vectorize(c, std::min(vec, d));
  }
  Func pvTile = f.tilePV.in(f.state);
  pvTile.compute_at(perTile)
      .tile(i, c, iro, co, iri, ci, tiles.qReg, tiles.colReg,
            TailStrategy::RoundUp)
      .vectorize(iri, vec)
      .unroll(iri)
      .unroll(ci);
  f.tilePV.compute_at(pvTile, iro).vectorize(i, vec).unroll(i).unroll(c);
  if (spec.bf16) {
    schedulePairReduction(f.tilePV.update(), f.rj, i, c, vec);
  } else {
    f.tilePV.update().reorder(i, c, f.rj).vectorize(i, vec).unroll(i).unroll(c);
  }
}

} // namespace

Kernel buildAttention(const AttentionSpec &spec, const AttentionSchedule &sched,
                      const Target &target, bool autoschedule) {
  if (spec.numHeads <= 0 || spec.hidden % spec.numHeads != 0)
    throw std::invalid_argument("bertc: attention heads must divide hidden");
  const int H = int(spec.hidden), nh = int(spec.numHeads), d = H / nh;
  if (spec.bf16 && d % 2 != 0)
    throw std::invalid_argument(
        "bertc: bf16 attention pairs the head dimension: head size " +
        std::to_string(d) + " is odd (the planner runs such heads in f32)");
  AttentionFuncs f;
  f.qkv = ImageParam(Float(32), 5, "qkv");
  f.mask = ImageParam(Int(32), 2, "attention_mask");
  AttentionTiles tiles = attentionTiles(d, sched);
  attentionAlgorithm(f, spec, tiles);
  attentionSchedule(f, spec, tiles, target, autoschedule);

  detail::constrainPackedQKV(f.qkv, d, nh);
  detail::constrainMinsAndDense(f.mask);
  OutputImageParam out = f.out.output_buffer();
  detail::constrainMinsAndDense(out);
  out.dim(0).set_extent(d);
  out.dim(1).set_extent(nh).set_stride(d);
  out.dim(2).set_stride(H);

  Kernel k;
  k.name = "attention";
  k.inputs = {f.qkv, f.mask};
  detail::finishKernel(k, f.out);
  return k;
}

//===----------------------------------------------------------------------===//
// The family
//===----------------------------------------------------------------------===//

namespace {
void writeAttention(const AttentionSpec &spec, std::ostream &os) {
  os << "attention h=" << spec.hidden << " heads=" << spec.numHeads
     << " scale=" << spec.scale
     << (spec.bf16  ? " bf16"
         : spec.f16 ? " f16"
                    : "");
}

/// Query and key tiles; candidates that are not whole register tiles fail
/// to build and are skipped.
std::vector<TuneKnob> attentionTuningSpace(const KernelRequest &,
                                           const Target &) {
  return {{"queries_per_task", {16, 32, 64, 128}},
          {"key_tile", {16, 32, 64, 128, 256}}};
}

/// The tiles reorder the online softmax's sums; with bf16 operands the
/// probabilities are rounded per key tile (~2^-9 relative).
float attentionTolerance(const KernelRequest &req) {
  return std::get<AttentionSpec>(req.spec).bf16 ? 1e-2f : 1e-4f;
}
/// The packed QKV view, a mask with no padding, the output view.
std::vector<TuneArg> attentionTuneArgs(const KernelRequest &req, int batch,
                                       int seq) {
  const auto &spec = std::get<AttentionSpec>(req.spec);
  const int H = int(spec.hidden), h = int(spec.numHeads), d = H / h;
  const int B = batch, S = seq;
  using K = TuneArg::Kind;
  return {{K::Floats, {{d, 1}, {h, d}, {3, H}, {S, 3 * H}, {B, 3 * H * S}}},
          {K::Ones, {{S, 1}, {B, S}}},
          {K::Floats, {{d, 1}, {h, d}, {S, H}, {B, H * S}}}};
}
} // namespace

const KernelFamily kAttentionFamily = {
    "attention",
    detail::describeSpec<AttentionSpec, writeAttention>,
    detail::buildFromRequest<AttentionSpec, AttentionSchedule, buildAttention>,
    attentionTuningSpace,
    nullptr,
    attentionTolerance,
    attentionTuneArgs};

} // namespace bert::cpu
