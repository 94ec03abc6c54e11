//===- XlnetBuilder.cpp - XLNet's encoder as bert IR ----------------------===//
//
// XLNetModel's content stream without memories, module by module:
//
//   word_embedding            bert.embeddings %ids, %word (no position table:
//                             XLNet's positions are relative)
//   (once)                    bert.relative_positions: the 2S sinusoids
//   layer.i.rel_attn          q, k, v as one bert.linear (no bias) over the
//                             three einsum weights, each a bert.weight_matrix
//                             transposed ([d_model, n, d] is [in, out]),
//                             joined by bert.concat and split by bert.slice;
//                             kr = a bert.linear of the sinusoids (r, also
//                             transposed); bert.relative_attention (q, k,
//                             v, kr, r_w/r_r/r_s biases, seg_embed); o as a
//                             bert.linear (its [d_model, n, d] is [out, in]
//                             already: flattened only); bert.add (residual)
//                             + bert.layer_norm
//   layer.i.ff                bert.linear layer_1 + activation, bert.linear
//                             layer_2, bert.add + bert.layer_norm
//
// transformers runs all of this time-major ([S, B, H]) and transposes at the
// ends; bertc keeps [B, S, H] throughout, which changes no value. Token types
// feed only the segment term ("same segment?"), the mask only the attention.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/GraphBuilderImpl.h"

#include "dialect/BertOps.h"

using namespace mlir;
using namespace mlir::bert;
using namespace mlir::bert::frontend;

Value GraphBuilder::xlnetEmbeddings(Value ids) {
  Value word = weight(base + "word_embedding.weight",
                      {cfg.vocabSize, cfg.hiddenSize}, "vocab_size");
  return EmbeddingsOp::create(b, loc("embeddings", "vocab_size"),
                              act(cfg.hiddenSize), ids, Value(), word, Value(),
                              Value(), Value(), Value(), IntegerAttr());
}

Value GraphBuilder::xlnetLayer(Value x, Value mask, Value tokenTypes,
                               Value positions, int64_t i) {
  int64_t h = cfg.hiddenSize, n = cfg.numAttentionHeads, d = cfg.headSize();
  std::string p = base + "layer." + std::to_string(i) + ".";
  std::string m = "encoder.layer." + std::to_string(i);
  StringRef heads = "num_attention_heads";
  std::string a = p + "rel_attn.";
  // The projections as linears, so they run on the GEMM kernels (and take
  // the precision passes like every linear); the runtime transposes and
  // packs the einsum weights once, at load.
  auto matrix = [&](StringRef name, bool transposed) {
    Value w = weight(a + name, {h, n, d}, heads);
    return WeightMatrixOp::create(b, loc(m + ".rel_attn." + name, heads),
                                  RankedTensorType::get({h, h}, b.getF32Type()),
                                  w, transposed);
  };
  Value qkvW = ConcatOp::create(
      b, loc(m + ".rel_attn.qkv", heads),
      RankedTensorType::get({3 * h, h}, b.getF32Type()),
      ValueRange{matrix("q", true), matrix("k", true), matrix("v", true)},
      /*dim=*/0);
  Value qkv = LinearOp::create(b, loc(m + ".rel_attn.qkv", heads), act(3 * h),
                               x, qkvW, Value(), Activation::none, precision);
  Value proj[3];
  for (int64_t part = 0; part < 3; ++part)
    proj[part] = SliceOp::create(b, loc(m + ".rel_attn.qkv", heads), act(h),
                                 qkv, /*dim=*/2, /*offset=*/part * h,
                                 /*size=*/h);
  // kr = r . Wr over the 2S relative distances, shared by the batch.
  Value kr =
      LinearOp::create(b, loc(m + ".rel_attn.r", heads),
                       cast<RankedTensorType>(positions.getType()), positions,
                       matrix("r", true), Value(), Activation::none, precision);
  Value ctx = RelativeAttentionOp::create(
      b, loc(m + ".rel_attn", heads), act(h), proj[0], proj[1], proj[2], kr,
      mask, tokenTypes, weight(a + "r_w_bias", {n, d}, heads),
      weight(a + "r_r_bias", {n, d}, heads),
      weight(a + "r_s_bias", {n, d}, heads),
      weight(a + "seg_embed", {2, n, d}, heads), static_cast<uint64_t>(n));
  Value attn = LinearOp::create(b, loc(m + ".rel_attn.o", heads), act(h), ctx,
                                matrix("o", false), Value(), Activation::none,
                                precision);
  Value res1 = AddOp::create(
      b, loc(m + ".rel_attn.residual", "num_hidden_layers"), act(h), attn, x);
  Value h1 = layerNorm(res1, a + "layer_norm", h, cfg.layerNormEps,
                       m + ".rel_attn.layer_norm");

  Value inter = linear(h1, p + "ff.layer_1", h, cfg.intermediateSize,
                       "intermediate_size", precision, m + ".ff.layer_1");
  Value activated = activation(inter, cfg.hiddenAct,
                               m + ".ff.activation_function", "hidden_act");
  Value out = linear(activated, p + "ff.layer_2", cfg.intermediateSize, h,
                     "intermediate_size", precision, m + ".ff.layer_2");
  Value res2 = AddOp::create(b, loc(m + ".ff.residual", "num_hidden_layers"),
                             act(h), out, h1);
  return layerNorm(res2, p + "ff.layer_norm", h, cfg.layerNormEps,
                   m + ".ff.layer_norm");
}
