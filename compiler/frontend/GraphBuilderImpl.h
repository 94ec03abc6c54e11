//===- GraphBuilderImpl.h - the builder shared by encoder and heads -*- C++
//-*-//
//
// GraphBuilder.cpp builds the encoder of every family and HeadBuilder.cpp
// the task heads on top; both use this class's helpers, so that every op
// gets the same kind of location and every weight its Hugging Face name.
// Internal to the frontend.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_FRONTEND_GRAPHBUILDERIMPL_H
#define BERT_COMPILER_FRONTEND_GRAPHBUILDERIMPL_H

#include "compiler/frontend/GraphBuilder.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace mlir::bert::frontend {

/// A named result of the model function.
struct ModelOutput {
  std::string name; ///< as transformers names it: "logits", ...
  Value value;
};

/// The Hugging Face names of one encoder layer's parameters (prefixes of
/// `.weight` / `.bias`), and the module path its ops are located at.
struct LayerNames {
  std::string module; ///< "encoder.layer.3": GraphDump clusters by it
  std::string query, key, value, output, attentionNorm;
  std::string ffnIn, ffnOut, outputNorm;
};

class GraphBuilder {
public:
  GraphBuilder(MLIRContext &ctx, const BertConfig &cfg)
      : ctx(ctx), cfg(cfg), b(&ctx), f32(b.getF32Type()) {}

  OwningOpRef<ModuleOp> build(const GraphOptions &opts);

  // Helpers (GraphBuilder.cpp).
  /// `tensor<?x?x<n>xf32>`.
  RankedTensorType act(int64_t n);
  /// `tensor<?x<n>xf32>`: one row per sequence.
  RankedTensorType rows(int64_t n);
  /// config.json:line:col of `field`.
  Location fieldLoc(StringRef field);
  /// NameLoc("<module>", config.json:line:col of `field`).
  Location loc(const Twine &module, StringRef field);
  /// A `bert.weight` named `name` of static `shape`.
  Value weight(const Twine &name, ArrayRef<int64_t> shape, StringRef field);
  /// `bert.layer_norm` of width `width` with `<prefix>.weight/.bias`.
  Value layerNorm(Value x, const Twine &prefix, int64_t width, double eps,
                  const Twine &module);
  /// `bert.linear` with the `<prefix>.weight/.bias` of nn.Linear(in, out);
  /// `decoder` names the weight instead of `<prefix>.weight` (a tied one).
  Value linear(Value x, const Twine &prefix, int64_t in, int64_t out,
               StringRef field, Precision p, const Twine &module,
               StringRef weightName = "", StringRef biasName = "");
  /// The activation `name` (a config's hidden_act) on `x`: `bert.gelu` for
  /// the GELU forms, `bert.activation` for the others.
  Value activation(Value x, StringRef name, const Twine &module,
                   StringRef field);
  /// `bert.pooler`: dense + `act` on each sequence's first token, to `out`
  /// features (0: the hidden size).
  /// `lastToken`: of the last token instead (XLNet's summary).
  Value pooler(Value hidden, const Twine &prefix, Activation act,
               const Twine &module, int64_t out = 0, bool lastToken = false);
  /// `bert.mask_rows`: XLM's `tensor *= mask.unsqueeze(-1)`.
  Value maskRows(Value x, Value mask, const Twine &module);

  // The encoder (GraphBuilder.cpp).
  /// The prefix of the encoder's tensors: "" for *Model checkpoints, else
  /// "bert.", "roberta.", ...
  std::string base;
  Value embeddings(Value ids, Value tokenTypes, Value langs = Value());
  /// One layer: post-norm (BERT's order), or FlauBERT's pre_norm order.
  Value layer(Value x, Value mask, const LayerNames &names);
  /// `bert.attention` with the layer's four projections, on `x`.
  Value selfAttention(Value x, Value mask, const LayerNames &names);
  /// The feed-forward block: dense, activation, dense.
  Value feedForward(Value x, const LayerNames &names);
  LayerNames layerNames(int64_t i) const;
  /// XLNet (XlnetBuilder.cpp): the word embeddings alone, and layer `i`.
  Value xlnetEmbeddings(Value ids);
  /// `positions`: bert.relative_positions, shared by every layer.
  Value xlnetLayer(Value x, Value mask, Value tokenTypes, Value positions,
                   int64_t i);
  /// The base model's pooler, if this architecture has one.
  bool hasPooler() const;
  Value basePooler(Value hidden);

  // The heads (HeadBuilder.cpp): the outputs of the model function.
  std::vector<ModelOutput> head(Value hidden);

  MLIRContext &ctx;
  const BertConfig &cfg;
  OpBuilder b;
  Type f32;
  /// Of the encoder's linears and attention projections (GraphOptions).
  Precision precision = Precision::f32;
  /// The bert.weight of each tensor name built so far.
  llvm::StringMap<Value> weights;
};

} // namespace mlir::bert::frontend

#endif // BERT_COMPILER_FRONTEND_GRAPHBUILDERIMPL_H
