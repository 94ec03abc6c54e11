//===- GraphBuilder.cpp - config to bert dialect IR: the encoder ----------===//
//
// Mirrors transformers' encoders module by module, so that every op and
// weight name reads like the PyTorch code it stands for. For BERT:
//
//   BertEmbeddings  bert.embeddings + bert.layer_norm
//   BertLayer i     bert.attention (self-attention + output dense),
//                   bert.add (residual) + bert.layer_norm,
//                   bert.linear (intermediate.dense) + bert.gelu,
//                   bert.linear (output.dense), bert.add + bert.layer_norm
//   BertPooler      bert.pooler
//
// The other families are the same ops with their own names and these
// differences, each visible in the IR:
//   RoBERTa, XLM-R, CamemBERT  bert.embeddings ... padding_idx <pad>
//   DistilBERT                 no token types (no `token_types` operands),
//                              `transformer.layer.i` names, no pooler
//   ALBERT                     embeddings of width embedding_size, then
//                              bert.linear embedding_hidden_mapping_in; one
//                              weight set per group that every layer of the
//                              group names again (loaded once)
//   XLM, FlauBERT              token types read the word table (the same
//                              bert.weight twice), `langs` and its table
//                              when n_langs > 1 and use_lang_emb, and
//                              bert.mask_rows after the embeddings and after
//                              every layer; `transformer.` names, no pooler;
//                              FlauBERT's pre_norm: bert.layer_norm before
//                              attention and FFN, bert.add after them
// HeadBuilder.cpp adds the task head of `architectures[0]`.
//
// Each op's location is NameLoc("<module path>", config.json:line:col) where
// the line is that of the config field the op's shape comes from; IR dumps
// thus say which module an op implements and why it has its shape, and
// --dump-ir groups ops into layers by the module path (encoder.layer.N for
// every family).
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/GraphBuilder.h"
#include "compiler/frontend/GraphBuilderImpl.h"
#include "support/ErrorCodes.h"

#include "dialect/BertOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
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
// Helpers
//===----------------------------------------------------------------------===//

using namespace mlir::bert::frontend;

RankedTensorType GraphBuilder::act(int64_t n) {
  return RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic, n},
                               f32);
}

RankedTensorType GraphBuilder::rows(int64_t n) {
  return RankedTensorType::get({ShapedType::kDynamic, n}, f32);
}

Location GraphBuilder::fieldLoc(StringRef field) {
  mlir::bert::SourcePos pos = cfg.posOf(field);
  return FileLineColLoc::get(&ctx, cfg.path, pos.line, pos.column);
}

Location GraphBuilder::loc(const Twine &module, StringRef field) {
  return NameLoc::get(StringAttr::get(&ctx, module), fieldLoc(field));
}

Value GraphBuilder::weight(const Twine &name, ArrayRef<int64_t> shape,
                           StringRef field) {
  // One value per tensor: ALBERT's shared layers and a decoder tied to the
  // word embeddings read the same bert.weight, so the IR shows the sharing.
  std::string key = name.str();
  auto type = RankedTensorType::get(shape, f32);
  if (Value known = weights.lookup(key)) {
    assert(known.getType() == type && "one tensor name, two shapes");
    return known;
  }
  Value w = WeightOp::create(b, fieldLoc(field), type, key);
  weights[key] = w;
  return w;
}

Value GraphBuilder::layerNorm(Value x, const Twine &prefix, int64_t width,
                              double eps, const Twine &module) {
  Value gamma = weight(prefix + ".weight", {width}, "hidden_size");
  Value beta = weight(prefix + ".bias", {width}, "hidden_size");
  return LayerNormOp::create(b, loc(module, "layer_norm_eps"), x.getType(), x,
                             gamma, beta, b.getF64FloatAttr(eps));
}

Value GraphBuilder::linear(Value x, const Twine &prefix, int64_t in,
                           int64_t out, StringRef field, Precision p,
                           const Twine &module, StringRef weightName,
                           StringRef biasName) {
  Value w = weightName.empty() ? weight(prefix + ".weight", {out, in}, field)
                               : weight(weightName, {out, in}, field);
  Value bias = biasName.empty() ? weight(prefix + ".bias", {out}, field)
                                : weight(biasName, {out}, field);
  auto x3 = cast<RankedTensorType>(x.getType());
  RankedTensorType type = x3.getRank() == 2 ? rows(out) : act(out);
  return LinearOp::create(b, loc(module, field), type, x, w, bias,
                          Activation::none, p);
}

Value GraphBuilder::activation(Value x, StringRef name, const Twine &module,
                               StringRef field) {
  Location l = loc(module, field);
  if (name == "gelu")
    return GeluOp::create(b, l, x.getType(), x, GeluApproximation::exact);
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
    return GeluOp::create(b, l, x.getType(), x, GeluApproximation::tanh);
  Activation kind = llvm::StringSwitch<Activation>(name)
                        .Case("relu", Activation::relu)
                        .Cases({"silu", "swish"}, Activation::silu)
                        .Case("quick_gelu", Activation::quick_gelu)
                        .Default(Activation::none);
  // ConfigReader accepts only the names above.
  assert(kind != Activation::none && "activation not checked by the reader");
  return ActivationOp::create(b, l, x.getType(), x, kind);
}

Value GraphBuilder::pooler(Value hidden, const Twine &prefix, Activation act,
                           const Twine &module, int64_t out, bool lastToken) {
  int64_t h = cfg.hiddenSize, n = out ? out : h;
  Value w = weight(prefix + ".weight", {n, h}, "hidden_size");
  Value bias = weight(prefix + ".bias", {n}, "hidden_size");
  auto op = PoolerOp::create(b, loc(module, "hidden_size"), rows(n), hidden, w,
                             bias, act);
  if (lastToken)
    op.setLastToken(true);
  return op;
}

Value GraphBuilder::maskRows(Value x, Value mask, const Twine &module) {
  return MaskRowsOp::create(b, loc(module, "model_type"), x.getType(), x, mask);
}

//===----------------------------------------------------------------------===//
// The encoder
//===----------------------------------------------------------------------===//

/// XLM's embeddings: `embeddings` (words, and the token types), the
/// positions, the languages, then layer_norm_emb.
static Value xlmEmbeddings(GraphBuilder &g, Value ids, Value tokenTypes,
                           Value langs) {
  const BertConfig &cfg = g.cfg;
  int64_t e = cfg.hiddenSize;
  Value word =
      g.weight(g.base + "embeddings.weight", {cfg.vocabSize, e}, "vocab_size");
  Value position =
      g.weight(g.base + "position_embeddings.weight",
               {cfg.maxPositionEmbeddings, e}, "max_position_embeddings");
  Value langTable;
  if (langs)
    langTable = g.weight(g.base + "lang_embeddings.weight", {cfg.numLangs, e},
                         "n_langs");
  Value sum = EmbeddingsOp::create(
      g.b, g.loc("embeddings", "vocab_size"), g.act(e), ids, tokenTypes, word,
      position, tokenTypes ? word : Value(), langs, langTable, IntegerAttr());
  return g.layerNorm(sum, g.base + "layer_norm_emb", e, cfg.layerNormEps,
                     "embeddings.LayerNorm");
}

Value GraphBuilder::embeddings(Value ids, Value tokenTypes, Value langs) {
  if (cfg.family == Family::Xlm)
    return xlmEmbeddings(*this, ids, tokenTypes, langs);
  if (cfg.family == Family::Xlnet)
    return xlnetEmbeddings(ids);
  int64_t e = cfg.embeddingWidth();
  std::string p = base + "embeddings.";
  Value word =
      weight(p + "word_embeddings.weight", {cfg.vocabSize, e}, "vocab_size");
  Value position =
      weight(p + "position_embeddings.weight", {cfg.maxPositionEmbeddings, e},
             "max_position_embeddings");
  Value tokenType;
  if (tokenTypes)
    tokenType = weight(p + "token_type_embeddings.weight",
                       {cfg.typeVocabSize, e}, "type_vocab_size");
  // RoBERTa's positions count the non-padding ids from pad_token_id + 1.
  IntegerAttr paddingIdx;
  if (cfg.family == Family::Roberta)
    paddingIdx = b.getI64IntegerAttr(cfg.padTokenId);
  Value sum = EmbeddingsOp::create(b, loc("embeddings", "vocab_size"), act(e),
                                   ids, tokenTypes, word, position, tokenType,
                                   Value(), Value(), paddingIdx);
  double eps = cfg.family == Family::DistilBert ? 1e-12 : cfg.layerNormEps;
  Value normed =
      layerNorm(sum, p + "LayerNorm", e, eps, "embeddings.LayerNorm");
  if (cfg.family != Family::Albert)
    return normed;
  // ALBERT's factorized embeddings: E-wide tables, then one projection.
  return linear(normed, base + "encoder.embedding_hidden_mapping_in", e,
                cfg.hiddenSize, "embedding_size", Precision::f32,
                "embeddings.embedding_hidden_mapping_in");
}

namespace {
/// A family's names for the parameters of one layer, after its prefix.
struct LayerSuffixes {
  const char *query, *key, *value, *output, *attentionNorm, *ffnIn, *ffnOut,
      *outputNorm;
};
constexpr LayerSuffixes kBertLayer = {".attention.self.query",
                                      ".attention.self.key",
                                      ".attention.self.value",
                                      ".attention.output.dense",
                                      ".attention.output.LayerNorm",
                                      ".intermediate.dense",
                                      ".output.dense",
                                      ".output.LayerNorm"};
constexpr LayerSuffixes kDistilBertLayer = {
    ".attention.q_lin",   ".attention.k_lin",  ".attention.v_lin",
    ".attention.out_lin", ".sa_layer_norm",    ".ffn.lin1",
    ".ffn.lin2",          ".output_layer_norm"};
constexpr LayerSuffixes kAlbertLayer = {
    ".attention.query", ".attention.key",        ".attention.value",
    ".attention.dense", ".attention.LayerNorm",  ".ffn",
    ".ffn_output",      ".full_layer_layer_norm"};
} // namespace

LayerNames GraphBuilder::layerNames(int64_t i) const {
  std::string index = std::to_string(i), prefix;
  const LayerSuffixes *suffixes = &kBertLayer;
  switch (cfg.family) {
  case Family::Bert:
  case Family::Roberta:
    prefix = base + "encoder.layer." + index;
    break;
  case Family::DistilBert:
    prefix = base + "transformer.layer." + index;
    suffixes = &kDistilBertLayer;
    break;
  case Family::Xlnet: // XlnetBuilder.cpp names its own
  case Family::Xlm: {
    // Per-kind module lists: attentions.i, layer_norm1.i, ffns.i, ...
    LayerNames n;
    n.module = "encoder.layer." + index;
    n.query = base + "attentions." + index + ".q_lin";
    n.key = base + "attentions." + index + ".k_lin";
    n.value = base + "attentions." + index + ".v_lin";
    n.output = base + "attentions." + index + ".out_lin";
    n.attentionNorm = base + "layer_norm1." + index;
    n.ffnIn = base + "ffns." + index + ".lin1";
    n.ffnOut = base + "ffns." + index + ".lin2";
    n.outputNorm = base + "layer_norm2." + index;
    return n;
  }
  case Family::Albert: {
    // Layer application i = (layer l, inner j): layer l reads group
    // int(l / (layers / groups)), as AlbertTransformer.forward computes it
    // (a float division there: floor(l * groups / layers) here).
    int64_t l = i / cfg.innerGroupNum, j = i % cfg.innerGroupNum;
    int64_t group = l * cfg.numHiddenGroups / cfg.numHiddenLayers;
    prefix = base + "encoder.albert_layer_groups." + std::to_string(group) +
             ".albert_layers." + std::to_string(j);
    suffixes = &kAlbertLayer;
    break;
  }
  }
  LayerNames n;
  n.module = "encoder.layer." + index;
  n.query = prefix + suffixes->query;
  n.key = prefix + suffixes->key;
  n.value = prefix + suffixes->value;
  n.output = prefix + suffixes->output;
  n.attentionNorm = prefix + suffixes->attentionNorm;
  n.ffnIn = prefix + suffixes->ffnIn;
  n.ffnOut = prefix + suffixes->ffnOut;
  n.outputNorm = prefix + suffixes->outputNorm;
  return n;
}

Value GraphBuilder::selfAttention(Value x, Value mask, const LayerNames &n) {
  int64_t h = cfg.hiddenSize;
  StringRef heads = "num_attention_heads";
  Value q = weight(n.query + ".weight", {h, h}, heads);
  Value qb = weight(n.query + ".bias", {h}, heads);
  Value k = weight(n.key + ".weight", {h, h}, heads);
  Value kb = weight(n.key + ".bias", {h}, heads);
  Value v = weight(n.value + ".weight", {h, h}, heads);
  Value vb = weight(n.value + ".bias", {h}, heads);
  Value o = weight(n.output + ".weight", {h, h}, heads);
  Value ob = weight(n.output + ".bias", {h}, heads);
  return AttentionOp::create(
      b, loc(n.module + ".attention", heads), act(h), x, mask, q, qb, k, kb, v,
      vb, o, ob, static_cast<uint64_t>(cfg.numAttentionHeads), precision);
}

Value GraphBuilder::feedForward(Value x, const LayerNames &n) {
  int64_t h = cfg.hiddenSize, ffn = cfg.intermediateSize;
  const std::string &m = n.module;
  Value inter = linear(x, n.ffnIn, h, ffn, "intermediate_size", precision,
                       m + ".intermediate.dense");
  Value activated =
      activation(inter, cfg.hiddenAct, m + ".intermediate.intermediate_act_fn",
                 "hidden_act");
  return linear(activated, n.ffnOut, ffn, h, "intermediate_size", precision,
                m + ".output.dense");
}

/// FlauBERT's `pre_norm` layer (modeling_flaubert.py): each block reads a
/// LayerNorm of the residual stream and adds its output to the stream,
/// which no LayerNorm follows (the next layer's layer_norm1 reads it; after
/// the last layer nothing does: there is no final LayerNorm).
///   x = x + attentions[i](layer_norm1[i](x))
///   x = x + ffns[i](layer_norm2[i](x))
static Value preNormLayer(GraphBuilder &g, Value x, Value mask,
                          const LayerNames &n) {
  int64_t h = g.cfg.hiddenSize;
  double eps = g.cfg.layerNormEps;
  const std::string &m = n.module;
  Value n1 = g.layerNorm(x, n.attentionNorm, h, eps, m + ".layer_norm1");
  Value attn = g.selfAttention(n1, mask, n);
  Value res1 = AddOp::create(
      g.b, g.loc(m + ".attention.output.residual", "num_hidden_layers"),
      g.act(h), attn, x);
  Value n2 = g.layerNorm(res1, n.outputNorm, h, eps, m + ".layer_norm2");
  Value out = g.feedForward(n2, n);
  return AddOp::create(g.b, g.loc(m + ".output.residual", "num_hidden_layers"),
                       g.act(h), out, res1);
}

Value GraphBuilder::layer(Value x, Value mask, const LayerNames &n) {
  if (cfg.preNorm)
    return preNormLayer(*this, x, mask, n);
  int64_t h = cfg.hiddenSize;
  double eps = cfg.family == Family::DistilBert ? 1e-12 : cfg.layerNormEps;
  const std::string &m = n.module;

  // Self-attention with its projections and the output dense layer, then
  // the residual and LayerNorm.
  Value attn = selfAttention(x, mask, n);
  Value res1 = AddOp::create(
      b, loc(m + ".attention.output.residual", "num_hidden_layers"), act(h),
      attn, x);
  Value h1 = layerNorm(res1, n.attentionNorm, h, eps,
                       m + ".attention.output.LayerNorm");

  // The feed-forward block (dense + activation, dense), residual, LN.
  Value out = feedForward(h1, n);
  Value res2 = AddOp::create(
      b, loc(m + ".output.residual", "num_hidden_layers"), act(h), out, h1);
  return layerNorm(res2, n.outputNorm, h, eps, m + ".output.LayerNorm");
}

bool GraphBuilder::hasPooler() const {
  switch (cfg.head) {
  case Head::None:
    return cfg.family != Family::DistilBert && cfg.family != Family::Xlm &&
           cfg.family != Family::Xlnet;
  case Head::PreTraining:
  case Head::NextSentence:
    return true;
  case Head::SequenceClassification:
    // RoBERTa's and DistilBERT's classifiers have their own first-token
    // dense layers (HeadBuilder.cpp); BERT's and ALBERT's read the pooler.
    return cfg.family == Family::Bert || cfg.family == Family::Albert;
  case Head::MultipleChoice:
    // RobertaForMultipleChoice reads the pooler too.
    return cfg.family != Family::DistilBert;
  case Head::MaskedLM:
  case Head::TokenClassification:
  case Head::QuestionAnswering:
    return false;
  }
  return false;
}

Value GraphBuilder::basePooler(Value hidden) {
  std::string prefix =
      base + (cfg.family == Family::Albert ? "pooler" : "pooler.dense");
  return pooler(hidden, prefix, Activation::tanh, "pooler");
}

/// The prefix head models give the encoder's tensors (their attribute
/// name for the base model in transformers).
static std::string basePrefix(const BertConfig &cfg) {
  if (cfg.head == Head::None)
    return "";
  switch (cfg.family) {
  case Family::Bert:
    return "bert.";
  case Family::Roberta:
    return "roberta.";
  case Family::DistilBert:
    return "distilbert.";
  case Family::Albert:
    return "albert.";
  case Family::Xlm:
  case Family::Xlnet:
    return "transformer.";
  }
  return "";
}

OwningOpRef<ModuleOp> GraphBuilder::build(const GraphOptions &opts) {
  precision = opts.precision;
  base = basePrefix(cfg);
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

  // Inputs as transformers names them; no token types where the family has
  // none.
  auto idsType = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, b.getI32Type());
  std::vector<std::string> argNames = {"input_ids"};
  if (cfg.typeVocabSize > 0)
    argNames.push_back("token_type_ids");
  argNames.push_back("attention_mask");
  if (cfg.langEmbeddings)
    argNames.push_back("langs");
  SmallVector<Type> argTypes(argNames.size(), idsType);
  auto fn = func::FuncOp::create(b, loc(opts.name, "model_type"), opts.name,
                                 b.getFunctionType(argTypes, {}));
  fn->setAttr("bert.max_batch", b.getI64IntegerAttr(opts.maxBatch));
  fn->setAttr("bert.max_seq", b.getI64IntegerAttr(opts.maxSeq));
  fn->setAttr("bert.model", b.getStringAttr(cfg.modelType));
  fn->setAttr("bert.architecture", b.getStringAttr(cfg.architecture));
  // The runtime bounds the langs input by it (ModelPlan.cpp).
  if (cfg.langEmbeddings)
    fn->setAttr("bert.n_langs", b.getI64IntegerAttr(cfg.numLangs));

  // Argument names are NameLocs, so the printer (with name-loc prefixes)
  // shows %input_ids rather than %arg0.
  Block *entry = fn.addEntryBlock();
  for (auto [arg, name] : llvm::zip(entry->getArguments(), argNames))
    arg.setLoc(NameLoc::get(b.getStringAttr(name), fileLoc));
  b.setInsertionPointToStart(entry);

  Value ids = entry->getArgument(0);
  Value tokenTypes = cfg.typeVocabSize > 0 ? entry->getArgument(1) : Value();
  Value mask = entry->getArgument(cfg.typeVocabSize > 0 ? 2 : 1);
  Value langs = cfg.langEmbeddings ? entry->getArguments().back() : Value();
  Value hidden = embeddings(ids, tokenTypes, langs);
  // XLM zeroes the padded rows after the embeddings and every layer.
  bool zeroPadding = cfg.family == Family::Xlm;
  if (zeroPadding)
    hidden = maskRows(hidden, mask, "embeddings.mask");
  int64_t applications = cfg.numHiddenLayers * cfg.innerGroupNum;
  // XLNet's sinusoids depend on the sequence length only: one for all layers.
  Value positions =
      cfg.family == Family::Xlnet
          ? RelativePositionsOp::create(
                b, loc("relative_positional_encoding", "clamp_len"),
                RankedTensorType::get({2, ShapedType::kDynamic, cfg.hiddenSize},
                                      b.getF32Type()),
                mask, cfg.clampLen)
                .getResult()
          : Value();
  for (int64_t i = 0; i < applications; ++i) {
    if (cfg.family == Family::Xlnet) {
      hidden = xlnetLayer(hidden, mask, tokenTypes, positions, i);
      continue;
    }
    hidden = layer(hidden, mask, layerNames(i));
    if (zeroPadding)
      hidden = maskRows(hidden, mask, "encoder.layer." + Twine(i) + ".mask");
  }

  std::vector<ModelOutput> outputs = head(hidden);
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  SmallVector<Attribute> names;
  for (const ModelOutput &o : outputs) {
    results.push_back(o.value);
    resultTypes.push_back(o.value.getType());
    names.push_back(b.getStringAttr(o.name));
  }
  fn.setFunctionType(b.getFunctionType(argTypes, resultTypes));
  fn->setAttr("bert.output_names", b.getArrayAttr(names));
  func::ReturnOp::create(b, fileLoc, results);
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
