//===- Embeddings.cpp - gather + sum + LayerNorm emitter ------------------===//
//
// out[b, s, :] = LN(word[ids[b, s]] + pos[p(b, s)] + type[tt[b, s]])
//               * gamma + beta,
// p(b, s) = s, or RoBERTa's positions from the ids (bert.embeddings'
// padding_idx); the token types are absent for DistilBERT; XLM adds
// + lang[langs[b, s]] (numLangs > 0).
// Every index is clamped into its table, so the kernel never reads out of
// bounds even if the runtime's id check were bypassed.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"

#include <sstream>

using namespace Halide;

namespace bert::cpu {
namespace {

struct EmbeddingsFuncs {
  ImageParam ids{Int(32), 2, "input_ids"};
  ImageParam tokenTypes{Int(32), 2, "token_type_ids"};
  ImageParam word{Float(32), 2, "word_embeddings"};
  ImageParam pos{Float(32), 2, "position_embeddings"};
  ImageParam type{Float(32), 2, "token_type_embeddings"};
  ImageParam gamma{Float(32), 1, "gamma"}, beta{Float(32), 1, "beta"};
  ImageParam langs{Int(32), 2, "langs"};
  ImageParam lang{Float(32), 2, "lang_embeddings"};
  Func sum{"emb_sum"};
  /// RoBERTa: non-padding ids so far in the row (a scan over s).
  Func count{"emb_position_count"};
  Var c{"c"}, s{"s"}, b{"b"};
  detail::LayerNormFuncs ln;
};

void embeddingsAlgorithm(EmbeddingsFuncs &f, const EmbeddingsSpec &spec) {
  Expr id = clamp(f.ids(f.s, f.b), 0, int(spec.vocab) - 1);
  Expr position = f.s;
  if (spec.paddingIdx >= 0) {
    // transformers' create_position_ids_from_input_ids: a cumulative count
    // of non-padding ids, offset by padding_idx; padding keeps padding_idx.
    const int pad = int(spec.paddingIdx);
    RDom r(0, f.ids.dim(0).extent(), "r");
    f.count(f.s, f.b) = 0; // s = -1 is the scan's start
    f.count(r, f.b) = f.count(r - 1, f.b) + select(f.ids(r, f.b) != pad, 1, 0);
    position = select(f.ids(f.s, f.b) != pad, pad + f.count(f.s, f.b), pad);
  }
  Expr p = clamp(position, 0, int(spec.maxPositions) - 1);
  Expr sum = f.word(f.c, id) + f.pos(f.c, p);
  if (spec.typeVocab > 0) {
    Expr tt = clamp(f.tokenTypes(f.s, f.b), 0, int(spec.typeVocab) - 1);
    sum = sum + f.type(f.c, tt);
  }
  if (spec.numLangs > 0) {
    Expr l = clamp(f.langs(f.s, f.b), 0, int(spec.numLangs) - 1);
    sum = sum + f.lang(f.c, l);
  }
  f.sum(f.c, f.s, f.b) = sum;
  f.ln = detail::layerNormAlgorithm(f.sum, spec.H, spec.eps, f.gamma, f.beta,
                                    {f.c, f.s, f.b});
}

/// CPU: one token row per iteration (gathered once into a row buffer, then
/// two reduction passes in L1), tokens split across threads.
/// Measured (Halide 14, Xeon SPR-class KVM, 1 thread): B=8 S=128 H=768,
/// vocab 30522: 390 us.
void embeddingsSchedule(EmbeddingsFuncs &f, const EmbeddingsSpec &spec,
                        const RowSchedule &sched, bool autoschedule) {
  if (autoschedule) {
    f.ln.out.set_estimates({{0, int(spec.H)}, {0, 128}, {0, 8}});
    return;
  }
  // The position scan is one int per token, serial per row: once, up front.
  if (spec.paddingIdx >= 0)
    f.count.compute_root();
  detail::scheduleLayerNormRows(f.ln, f.sum, f.c, f.s, sched, &f.b);
}

} // namespace

/// XLNet's embeddings: a row gather, out(c, s, b) = word(c, ids(s, b)).
static Kernel buildWordEmbeddings(const EmbeddingsSpec &spec,
                                  const RowSchedule &sched) {
  ImageParam ids(Int(32), 2, "input_ids"), word(Float(32), 2, "word");
  Var c("c"), s("s"), b("b");
  Func out("word_embeddings_out");
  out(c, s, b) = word(c, clamp(ids(s, b), 0, int(spec.vocab) - 1));
  detail::scheduleElementwiseRows(out, c, s, sched);
  Kernel k;
  k.name = "embeddings";
  k.inputs = {ids, word};
  for (auto &p : k.inputs)
    detail::constrainMinsAndDense(p);
  const int H = int(spec.H);
  word.dim(0).set_extent(H);
  word.dim(1).set_extent(int(spec.vocab)).set_stride(H);
  OutputImageParam o = out.output_buffer();
  o.dim(1).set_extent(ids.dim(0).extent());
  o.dim(2).set_stride(H * ids.dim(0).extent());
  detail::finishRowKernel(k, out, H);
  return k;
}

Kernel buildEmbeddings(const EmbeddingsSpec &spec, const RowSchedule &sched,
                       const Target &, bool autoschedule) {
  if (spec.wordOnly)
    return buildWordEmbeddings(spec, sched);
  EmbeddingsFuncs f;
  embeddingsAlgorithm(f, spec);
  embeddingsSchedule(f, spec, sched, autoschedule);

  const int H = int(spec.H);
  Kernel k;
  k.name = "embeddings";
  // The argument order of bert.embeddings_layer_norm: the token types and
  // languages only when the model has them.
  const bool types = spec.typeVocab > 0, langs = spec.numLangs > 0;
  k.inputs = {f.ids};
  if (types)
    k.inputs.push_back(f.tokenTypes);
  k.inputs.insert(k.inputs.end(), {f.word, f.pos});
  if (types)
    k.inputs.push_back(f.type);
  k.inputs.insert(k.inputs.end(), {f.gamma, f.beta});
  if (langs)
    k.inputs.insert(k.inputs.end(), {f.langs, f.lang});
  for (auto &p : k.inputs)
    detail::constrainMinsAndDense(p);
  auto table = [&](ImageParam &p, int64_t rows) {
    p.dim(0).set_extent(H);
    p.dim(1).set_extent(int(rows)).set_stride(H);
  };
  if (types) {
    // ids and token types have the same (S, B) shape.
    f.tokenTypes.dim(0).set_extent(f.ids.dim(0).extent());
    f.tokenTypes.dim(1).set_extent(f.ids.dim(1).extent());
    f.tokenTypes.dim(1).set_stride(f.ids.dim(1).stride());
    table(f.type, spec.typeVocab);
  }
  if (langs) {
    f.langs.dim(0).set_extent(f.ids.dim(0).extent());
    f.langs.dim(1).set_extent(f.ids.dim(1).extent());
    f.langs.dim(1).set_stride(f.ids.dim(1).stride());
    table(f.lang, spec.numLangs);
  }
  table(f.word, spec.vocab);
  table(f.pos, spec.maxPositions);
  f.gamma.dim(0).set_extent(H);
  f.beta.dim(0).set_extent(H);
  detail::finishRowKernel(k, f.ln.out, H);
  return k;
}

//===----------------------------------------------------------------------===//
// The family
//===----------------------------------------------------------------------===//

namespace {
void writeEmbeddings(const EmbeddingsSpec &spec, std::ostream &os) {
  if (spec.wordOnly) {
    os << "embeddings h=" << spec.H << " vocab=" << spec.vocab << " word_only";
    return;
  }
  os << "embeddings h=" << spec.H << " vocab=" << spec.vocab
     << " positions=" << spec.maxPositions << " types=" << spec.typeVocab
     << " eps=" << spec.eps;
  if (spec.paddingIdx >= 0)
    os << " padding_idx=" << spec.paddingIdx;
  if (spec.numLangs > 0)
    os << " langs=" << spec.numLangs;
}

/// ids (in the vocabulary), token types (0), the three tables, gamma, beta,
/// out.
std::vector<TuneArg> embeddingsTuneArgs(const KernelRequest &req, int batch,
                                        int seq) {
  const auto &spec = std::get<EmbeddingsSpec>(req.spec);
  const int H = int(spec.H), B = batch, S = seq;
  using K = TuneArg::Kind;
  std::vector<TuneArg> args = {{K::Ids, {{S, 1}, {B, S}}, spec.vocab}};
  if (spec.wordOnly)
    return {args[0],
            {K::Floats, {{H, 1}, {int(spec.vocab), H}}},
            {K::Floats, {{H, 1}, {S, H}, {B, H * S}}}};
  if (spec.typeVocab > 0)
    args.push_back({K::Ids, {{S, 1}, {B, S}}, 1});
  args.push_back({K::Floats, {{H, 1}, {int(spec.vocab), H}}});
  args.push_back({K::Floats, {{H, 1}, {int(spec.maxPositions), H}}});
  if (spec.typeVocab > 0)
    args.push_back({K::Floats, {{H, 1}, {int(spec.typeVocab), H}}});
  args.push_back({K::Floats, {{H, 1}}});
  args.push_back({K::Floats, {{H, 1}}});
  if (spec.numLangs > 0) {
    args.push_back({K::Ids, {{S, 1}, {B, S}}, spec.numLangs});
    args.push_back({K::Floats, {{H, 1}, {int(spec.numLangs), H}}});
  }
  args.push_back({K::Floats, {{H, 1}, {S, H}, {B, H * S}}});
  return args;
}
} // namespace

const KernelFamily kEmbeddingsFamily =
    detail::rowFamily<EmbeddingsSpec, writeEmbeddings, buildEmbeddings>(
        "embeddings", embeddingsTuneArgs);

} // namespace bert::cpu
