//===- XlnetBuilder.cpp - XLNet's encoder as bert IR ----------------------===//
//
// XLNetModel's content stream without memories, module by module:
//
//   word_embedding            bert.embeddings %ids, %word (no position table:
//                             XLNet's positions are relative)
//   layer.i.rel_attn          bert.relative_attention (q, k, v, o, r einsum
//                             weights, r_w/r_r/r_s biases, seg_embed), then
//                             bert.add (residual) + bert.layer_norm
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
                               int64_t i) {
  int64_t h = cfg.hiddenSize, n = cfg.numAttentionHeads, d = cfg.headSize();
  std::string p = base + "layer." + std::to_string(i) + ".";
  std::string m = "encoder.layer." + std::to_string(i);
  StringRef heads = "num_attention_heads";
  std::string a = p + "rel_attn.";
  Value attn = RelativeAttentionOp::create(
      b, loc(m + ".rel_attn", heads), act(h), x, mask, tokenTypes,
      weight(a + "q", {h, n, d}, heads), weight(a + "k", {h, n, d}, heads),
      weight(a + "v", {h, n, d}, heads), weight(a + "o", {h, n, d}, heads),
      weight(a + "r", {h, n, d}, heads), weight(a + "r_w_bias", {n, d}, heads),
      weight(a + "r_r_bias", {n, d}, heads),
      weight(a + "r_s_bias", {n, d}, heads),
      weight(a + "seg_embed", {2, n, d}, heads), static_cast<uint64_t>(n),
      cfg.clampLen);
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
