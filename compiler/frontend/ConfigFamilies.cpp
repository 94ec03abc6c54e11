//===- ConfigFamilies.cpp - config keys of XLM and XLNet ------------------===//
//
// The families whose config.json has keys of its own beyond BERT's renamed
// sizes: XLM and FlauBERT (languages, TransformerFFN, SequenceSummary) and
// XLNet (relative attention; memories, bi_data and uni-directional
// attention refused by key). ConfigReader.cpp reads the shared fields and
// calls these after the sizes.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/ConfigFields.h"

using namespace mlir::bert;
using namespace mlir::bert::config;

/// A SequenceSummary's keys: summary_type must be `type`, the projection
/// on, and summary_activation (`defaultAct` when absent, none when null)
/// one bertc computes.
static Error readSummary(BertConfig &cfg, FieldReader &r, StringRef path,
                         StringRef type, StringRef defaultAct) {
  std::string given = type.str(), act = defaultAct.str();
  bool useProj = true;
  if (Error e = r.readString("summary_type", given))
    return e;
  if (given != type)
    return makeError(ErrorCode::UnsupportedModel, path, "summary_type",
                     "expected \"" + type.str() + "\", got \"" + given +
                         "\" (that sequence summary is not supported)");
  if (Error e = r.readBool("summary_use_proj", useProj))
    return e;
  if (!useProj)
    return makeError(ErrorCode::UnsupportedModel, path, "summary_use_proj",
                     "expected true, got false (a summary without its "
                     "projection is not supported)");
  if (r.isNull("summary_activation") && r.has("summary_activation"))
    act.clear();
  else if (Error e = r.readString("summary_activation", act))
    return e;
  if (!act.empty() && act != "tanh" && act != "relu")
    return makeError(ErrorCode::UnsupportedModel, path, "summary_activation",
                     "expected null, \"tanh\" or \"relu\", got \"" + act +
                         "\" (that summary activation is not supported)");
  cfg.summaryActivation = act;
  return Error::success();
}

/// XLNetConfig's own keys; refuses what transformers computes other than
/// as a bidirectional encoder over the whole input, each by its key.
Error mlir::bert::config::checkXlnet(BertConfig &cfg, FieldReader &r,
                                     StringRef path) {
  if (Error e = r.readPositiveNumber("layer_norm_eps", cfg.layerNormEps))
    return e;
  // The sinusoid's sin and cos halves must fill d_model.
  if (cfg.hiddenSize % 2 != 0)
    return makeError(ErrorCode::BadFieldValue, path, "d_model",
                     llvm::formatv("expected an even size (the relative "
                                   "position encoding is sin and cos halves), "
                                   "got {0}",
                                   cfg.hiddenSize));
  if (cfg.hiddenSize % cfg.numAttentionHeads == 0 && !r.isNull("d_head")) {
    int64_t dHead = 0, expected = cfg.hiddenSize / cfg.numAttentionHeads;
    if (Error e = r.readSize("d_head", dHead, false))
      return e;
    if (dHead != expected)
      return makeError(ErrorCode::BadFieldValue, path, "d_head",
                       llvm::formatv("expected d_model / n_head = {0}, got {1}",
                                     expected, dHead));
  }
  // Any integer: <= 0 means no clamping.
  if (!r.isNull("clamp_len"))
    if (Error e = r.readInteger("clamp_len", cfg.clampLen))
      return e;
  std::string attnType = "bi";
  if (Error e = r.readString("attn_type", attnType))
    return e;
  if (attnType != "bi")
    return makeError(ErrorCode::UnsupportedModel, path, "attn_type",
                     "expected \"bi\", got \"" + attnType +
                         "\" (only bidirectional attention is supported)");
  bool biData = false;
  if (Error e = r.readBool("bi_data", biData))
    return e;
  if (biData)
    return makeError(ErrorCode::UnsupportedModel, path, "bi_data",
                     "expected false, got true (the bidirectional data "
                     "pipeline of pretraining is not supported)");
  // mem_len only sizes the `mems` transformers returns for the next call;
  // a compiled encoder neither takes nor returns memories.
  if (!r.isNull("mem_len")) {
    int64_t memLen = 0;
    if (Error e = r.readInteger("mem_len", memLen))
      return e;
    if (memLen > 0)
      return makeError(ErrorCode::UnsupportedModel, path, "mem_len",
                       llvm::formatv("expected null or 0, got {0} (memories "
                                     "are not supported: the compiled model "
                                     "neither takes nor returns mems)",
                                     memLen));
  }
  if (cfg.head != Head::SequenceClassification)
    return Error::success();
  // XLNetSequenceSummary: the last token, projected to d_model, then
  // summary_activation (XLNetConfig's default tanh); logits_proj maps that
  // to the labels.
  if (Error e = readSummary(cfg, r, path, "last", "tanh"))
    return e;
  // XLNetConfig has no such field; set, it makes the summary num_labels
  // wide and transformers' logits_proj (d_model inputs) fails on it.
  bool toLabels = false;
  if (Error e = r.readBool("summary_proj_to_labels", toLabels))
    return e;
  if (toLabels)
    return makeError(ErrorCode::UnsupportedModel, path,
                     "summary_proj_to_labels",
                     "expected false, got true (XLNet's logits_proj reads a "
                     "d_model-wide summary)");
  cfg.summaryToLabels = false;
  return Error::success();
}

/// XLM's and FlauBERT's own keys (XLMConfig, FlaubertConfig); refuses what
/// transformers computes differently from an encoder over the whole input.
Error mlir::bert::config::checkXlm(BertConfig &cfg, FieldReader &r,
                                   StringRef path) {
  cfg.intermediateSize = 4 * cfg.hiddenSize; // TransformerFFN's width
  cfg.typeVocabSize = cfg.vocabSize;         // token types: the word table
  bool gelu = true, useLangEmb = true;
  if (Error e = r.readBool("gelu_activation", gelu))
    return e;
  cfg.hiddenAct = gelu ? "gelu" : "relu";
  if (Error e = r.readPositiveNumber("layer_norm_eps", cfg.layerNormEps))
    return e;
  for (const char *key : {"causal", "asm"}) {
    bool on = false;
    if (Error e = r.readBool(key, on))
      return e;
    if (on)
      return makeError(ErrorCode::UnsupportedModel, path, key,
                       std::string("expected false, got true (") +
                           (StringRef(key) == "causal"
                                ? "causal attention"
                                : "the adaptive softmax output") +
                           " is not supported)");
  }
  // Sinusoidal tables are an initialization only: position_embeddings is
  // an nn.Embedding parameter, saved and loaded like a learned one.
  bool sinusoidal = false;
  if (Error e = r.readBool("sinusoidal_embeddings", sinusoidal))
    return e;
  if (Error e = r.readSize("n_langs", cfg.numLangs, false))
    return e;
  if (Error e = r.readBool("use_lang_emb", useLangEmb))
    return e;
  cfg.langEmbeddings = cfg.numLangs > 1 && useLangEmb;
  // FlaubertModel reads pre_norm; XLMModel has no such mode.
  if (cfg.modelType == "flaubert")
    if (Error e = r.readBool("pre_norm", cfg.preNorm))
      return e;
  if (cfg.head != Head::SequenceClassification)
    return Error::success();
  // SequenceSummary: the first token, projected, then the activation
  // (none when absent or null).
  if (Error e = readSummary(cfg, r, path, "first", ""))
    return e;
  return r.readBool("summary_proj_to_labels", cfg.summaryToLabels);
}
