//===- GraphBuilder.cpp - BertConfig to bert dialect IR -------------------===//
//
// Mirrors transformers' BertModel module by module, so that every op and
// weight name reads like the PyTorch code it stands for:
//
//   BertEmbeddings  bert.embeddings + bert.layer_norm
//   BertLayer i     bert.attention (self-attention + output dense),
//                   bert.add (residual) + bert.layer_norm,
//                   bert.linear (intermediate.dense) + bert.gelu,
//                   bert.linear (output.dense), bert.add + bert.layer_norm
//   BertPooler      bert.pooler
//
// Each op's location is NameLoc("<module path>", config.json:line:col) where
// the line is that of the config field the op's shape comes from; IR dumps
// thus say which module an op implements and why it has its shape, and
// --dump-ir groups ops into layers by the module path.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/GraphBuilder.h"
#include "support/ErrorCodes.h"

#include "dialect/BertOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::bert;
using mlir::bert::BertConfig;
using mlir::bert::GraphOptions;

//===----------------------------------------------------------------------===//
// Model names
//===----------------------------------------------------------------------===//

bool mlir::bert::isValidModelName(StringRef name) {
  if (name.empty() || llvm::isDigit(name.front()))
    return false;
  return llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

std::string mlir::bert::modelNameFromPath(StringRef configPath) {
  // Resolve "." and ".." so `bertc compile ./config.json` is named after the
  // real directory.
  SmallString<256> real;
  if (llvm::sys::fs::real_path(configPath, real))
    real = configPath;
  StringRef dir = llvm::sys::path::filename(llvm::sys::path::parent_path(real));
  std::string name;
  for (char c : dir)
    name += llvm::isAlnum(c) ? c : '_';
  if (name.empty())
    return "bert";
  if (llvm::isDigit(name.front()))
    name = "m_" + name;
  return name;
}

//===----------------------------------------------------------------------===//
// The builder
//===----------------------------------------------------------------------===//

namespace {
class GraphBuilder {
public:
  GraphBuilder(MLIRContext &ctx, const BertConfig &cfg)
      : ctx(ctx), cfg(cfg), b(&ctx), f32(b.getF32Type()),
        hiddenType(act(cfg.hiddenSize)) {}

  OwningOpRef<ModuleOp> build(const GraphOptions &opts);

private:
  /// Of the encoder's linears and attention projections (GraphOptions).
  Precision precision = Precision::f32;
  /// `tensor<?x?x<n>xf32>`.
  RankedTensorType act(int64_t n) {
    return RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, n}, f32);
  }

  /// config.json:line:col of `field`.
  Location fieldLoc(StringRef field) {
    mlir::bert::SourcePos pos = cfg.posOf(field);
    return FileLineColLoc::get(&ctx, cfg.path, pos.line, pos.column);
  }

  /// NameLoc("<module>", config.json:line:col of `field`).
  Location loc(const Twine &module, StringRef field) {
    return NameLoc::get(StringAttr::get(&ctx, module), fieldLoc(field));
  }

  /// A `bert.weight` named `name` of static `shape`.
  Value weight(const Twine &name, ArrayRef<int64_t> shape, StringRef field) {
    return WeightOp::create(b, fieldLoc(field),
                            RankedTensorType::get(shape, f32), name.str());
  }

  /// `bert.layer_norm` with the `<prefix>.weight/.bias` parameters.
  Value layerNorm(Value x, const Twine &prefix) {
    int64_t h = cfg.hiddenSize;
    Value gamma = weight(prefix + ".weight", {h}, "hidden_size");
    Value beta = weight(prefix + ".bias", {h}, "hidden_size");
    return LayerNormOp::create(b, loc(prefix, "layer_norm_eps"), x.getType(), x,
                               gamma, beta,
                               b.getF64FloatAttr(cfg.layerNormEps));
  }

  /// `bert.linear` with the `<prefix>.weight/.bias` parameters of an
  /// nn.Linear(in, out).
  Value linear(Value x, const Twine &prefix, int64_t in, int64_t out,
               StringRef field) {
    Value w = weight(prefix + ".weight", {out, in}, field);
    Value bias = weight(prefix + ".bias", {out}, field);
    return LinearOp::create(b, loc(prefix, field), act(out), x, w, bias,
                            Activation::none, precision);
  }

  Value embeddings(Value ids, Value tokenTypes);
  Value layer(Value x, Value mask, int64_t i);

  MLIRContext &ctx;
  const BertConfig &cfg;
  OpBuilder b;
  Type f32;
  RankedTensorType hiddenType;
};
} // namespace

Value GraphBuilder::embeddings(Value ids, Value tokenTypes) {
  int64_t h = cfg.hiddenSize;
  Value word = weight("embeddings.word_embeddings.weight", {cfg.vocabSize, h},
                      "vocab_size");
  Value position =
      weight("embeddings.position_embeddings.weight",
             {cfg.maxPositionEmbeddings, h}, "max_position_embeddings");
  Value tokenType = weight("embeddings.token_type_embeddings.weight",
                           {cfg.typeVocabSize, h}, "type_vocab_size");
  Value sum =
      EmbeddingsOp::create(b, loc("embeddings", "vocab_size"), hiddenType, ids,
                           tokenTypes, word, position, tokenType);
  return layerNorm(sum, "embeddings.LayerNorm");
}

Value GraphBuilder::layer(Value x, Value mask, int64_t i) {
  std::string p = "encoder.layer." + std::to_string(i);
  int64_t h = cfg.hiddenSize, ffn = cfg.intermediateSize;
  StringRef heads = "num_attention_heads";

  // BertAttention: self-attention with its projections and BertSelfOutput's
  // dense layer, then the residual and LayerNorm.
  std::string self = p + ".attention.self";
  Value q = weight(self + ".query.weight", {h, h}, heads);
  Value qb = weight(self + ".query.bias", {h}, heads);
  Value k = weight(self + ".key.weight", {h, h}, heads);
  Value kb = weight(self + ".key.bias", {h}, heads);
  Value v = weight(self + ".value.weight", {h, h}, heads);
  Value vb = weight(self + ".value.bias", {h}, heads);
  Value o = weight(p + ".attention.output.dense.weight", {h, h}, heads);
  Value ob = weight(p + ".attention.output.dense.bias", {h}, heads);
  Value attn = AttentionOp::create(
      b, loc(p + ".attention", heads), hiddenType, x, mask, q, qb, k, kb, v, vb,
      o, ob, static_cast<uint64_t>(cfg.numAttentionHeads), precision);
  Value res1 = AddOp::create(
      b, loc(p + ".attention.output.residual", "num_hidden_layers"), hiddenType,
      attn, x);
  Value h1 = layerNorm(res1, p + ".attention.output.LayerNorm");

  // BertIntermediate (dense + GELU) and BertOutput (dense, residual, LN).
  Value inter =
      linear(h1, p + ".intermediate.dense", h, ffn, "intermediate_size");
  GeluApproximation form = cfg.gelu == mlir::bert::GeluForm::Tanh
                               ? GeluApproximation::tanh
                               : GeluApproximation::exact;
  Value gelu = GeluOp::create(
      b, loc(p + ".intermediate.intermediate_act_fn", "hidden_act"),
      inter.getType(), inter, form);
  Value out = linear(gelu, p + ".output.dense", ffn, h, "intermediate_size");
  Value res2 = AddOp::create(
      b, loc(p + ".output.residual", "num_hidden_layers"), hiddenType, out, h1);
  return layerNorm(res2, p + ".output.LayerNorm");
}

OwningOpRef<ModuleOp> GraphBuilder::build(const GraphOptions &opts) {
  precision = opts.precision;
  Location fileLoc = FileLineColLoc::get(&ctx, cfg.path, 1, 1);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  // What the config says the model is; backends publish these sizes (the
  // passes rewrite the ops they could otherwise be read from).
  (*module)->setAttr(BertDialect::getModelFactsAttrName(),
                     ModelFactsAttr::get(&ctx, cfg.modelType,
                                         cfg.numHiddenLayers, cfg.hiddenSize,
                                         cfg.numAttentionHeads,
                                         cfg.intermediateSize, cfg.vocabSize,
                                         cfg.typeVocabSize));
  b.setInsertionPointToEnd(module->getBody());

  auto idsType = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, b.getI32Type());
  auto pooledType =
      RankedTensorType::get({ShapedType::kDynamic, cfg.hiddenSize}, f32);
  auto fnType =
      b.getFunctionType({idsType, idsType, idsType}, {hiddenType, pooledType});
  auto fn =
      func::FuncOp::create(b, loc(opts.name, "model_type"), opts.name, fnType);
  fn->setAttr("bert.max_batch", b.getI64IntegerAttr(opts.maxBatch));
  fn->setAttr("bert.max_seq", b.getI64IntegerAttr(opts.maxSeq));
  fn->setAttr("bert.model", b.getStringAttr(cfg.modelType));

  // Argument names are NameLocs, so the printer (with name-loc prefixes)
  // shows %input_ids rather than %arg0.
  Block *entry = fn.addEntryBlock();
  const char *argNames[] = {"input_ids", "token_type_ids", "attention_mask"};
  for (auto [arg, name] : llvm::zip(entry->getArguments(), argNames))
    arg.setLoc(NameLoc::get(b.getStringAttr(name), fileLoc));
  b.setInsertionPointToStart(entry);

  Value ids = entry->getArgument(0), tokenTypes = entry->getArgument(1),
        mask = entry->getArgument(2);
  Value hidden = embeddings(ids, tokenTypes);
  for (int64_t i = 0; i < cfg.numHiddenLayers; ++i)
    hidden = layer(hidden, mask, i);
  Value poolW = weight("pooler.dense.weight", {cfg.hiddenSize, cfg.hiddenSize},
                       "hidden_size");
  Value poolB = weight("pooler.dense.bias", {cfg.hiddenSize}, "hidden_size");
  Value pooled = PoolerOp::create(b, loc("pooler", "hidden_size"), pooledType,
                                  hidden, poolW, poolB);
  func::ReturnOp::create(b, fileLoc, ValueRange{hidden, pooled});
  return module;
}

llvm::Expected<OwningOpRef<ModuleOp>>
mlir::bert::buildBertModule(MLIRContext &ctx, const BertConfig &cfg,
                            const GraphOptions &opts) {
  ctx.loadDialect<BertDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = GraphBuilder(ctx, cfg).build(opts);

  // Collect the verifier's messages instead of printing them: a failure here
  // is a builder bug, reported as one internal error.
  std::string diags;
  {
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      llvm::raw_string_ostream os(diags);
      os << "\n  " << d.getLocation() << ": " << d;
      return success();
    });
    if (succeeded(verify(*module)))
      return std::move(module);
  }
  return makeError(ErrorCode::InvalidIR, cfg.path, "",
                   "internal error: the module built from this config does "
                   "not verify (please report this bertc bug):" +
                       diags);
}
