//===- ConfigReader.cpp - Hugging Face BERT config.json reader ------------===//
//
// Parses config.json with llvm::json and checks every field bertc reads:
// required structural sizes, JSON types (an integer field rejects strings,
// booleans and floating-point numbers, even integral ones like 768.0, because
// transformers would carry them as Python floats and fail later), positive
// sizes, heads dividing the hidden size, and a GELU activation. Fields bertc
// does not use (dropout, initializer_range, pad_token_id, ...) are ignored.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/ConfigReader.h"
#include "compiler/frontend/ConfigFields.h"
#include "runtime/include/bert_runtime.h"
#include "support/ErrorCodes.h"
#include "support/JsonDepth.h"
#include "support/ReadFile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace mlir::bert;
using llvm::Error;
using llvm::StringRef;
namespace json = llvm::json;

using namespace mlir::bert::config;

/// Every field checkConfig reads, under any family's name (IR locations
/// point at these).
static constexpr const char *kFieldsRead[] = {"vocab_size",
                                              "hidden_size",
                                              "num_hidden_layers",
                                              "num_attention_heads",
                                              "intermediate_size",
                                              "max_position_embeddings",
                                              "type_vocab_size",
                                              "layer_norm_eps",
                                              "hidden_act",
                                              "model_type",
                                              "position_embedding_type",
                                              "architectures",
                                              "id2label",
                                              "num_labels",
                                              "pad_token_id",
                                              "embedding_size",
                                              "num_hidden_groups",
                                              "inner_group_num",
                                              "dim",
                                              "hidden_dim",
                                              "n_layers",
                                              "n_heads",
                                              "activation",
                                              "tie_word_embeddings",
                                              "emb_dim",
                                              "n_langs",
                                              "use_lang_emb",
                                              "gelu_activation",
                                              "pre_norm",
                                              "summary_activation",
                                              "d_model",
                                              "n_layer",
                                              "n_head",
                                              "d_inner",
                                              "d_head",
                                              "ff_activation",
                                              "clamp_len"};

/// Largest config file read (a real config.json is about 1 KB).
static constexpr uint64_t kMaxConfigBytes = uint64_t(16) << 20;

/// Finds where `"key":` first appears, so IR locations can point at it.
static std::optional<SourcePos> findKey(StringRef text, StringRef key) {
  std::string quoted = ("\"" + key + "\"").str();
  for (size_t at = text.find(quoted); at != StringRef::npos;
       at = text.find(quoted, at + 1)) {
    StringRef rest = text.drop_front(at + quoted.size()).ltrim();
    if (!rest.starts_with(":"))
      continue;
    StringRef before = text.take_front(at);
    SourcePos pos;
    pos.line = 1 + before.count('\n');
    size_t nl = before.rfind('\n');
    pos.column = 1 + (nl == StringRef::npos ? at : at - nl - 1);
    return pos;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Semantic checks
//===----------------------------------------------------------------------===//

/// The activations of transformers' ACT2FN that bertc computes exactly.
static constexpr const char *kActivations[] = {
    "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu",
    "silu", "swish"};

static Error checkActivation(const BertConfig &cfg, StringRef key) {
  if (llvm::is_contained(kActivations, StringRef(cfg.hiddenAct)))
    return Error::success();
  std::string names;
  for (const char *a : kActivations)
    names += std::string(names.empty() ? "" : ", ") + "\"" + a + "\"";
  return makeError(ErrorCode::UnsupportedActivation, cfg.path, key,
                   "expected one of " + names + ", got \"" + cfg.hiddenAct +
                       "\" (unsupported activation)");
}

/// The encoder's weight count, as a double: the sizes are at most 2^24, so
/// the exact count can pass 2^63. ALBERT stores one layer per group.
static double parameterCount(const BertConfig &c) {
  double h = double(c.hiddenSize), ffn = double(c.intermediateSize),
         e = double(c.embeddingWidth());
  // XLM's token types read the word table.
  double types =
      c.family == Family::Xlm ? double(c.numLangs) : double(c.typeVocabSize);
  double embeddings =
      (double(c.vocabSize) + double(c.maxPositionEmbeddings) + types) * e +
      2 * e + (e != h ? e * h + h : 0);
  double layer = 4 * (h * h + h) + 2 * h + 2 * h * ffn + ffn + h + 2 * h;
  // XLNet: five bias-free [H, n, d] projections, three [n, d] biases and
  // the [2, n, d] segment embeddings; no position or type tables.
  if (c.family == Family::Xlnet)
    return double(c.vocabSize) * h +
           double(c.numHiddenLayers) *
               (5 * h * h + 5 * h + 2 * h + 2 * h * ffn + ffn + h + 2 * h);
  double stored = c.family == Family::Albert
                      ? double(c.numHiddenGroups) * double(c.innerGroupNum)
                      : double(c.numHiddenLayers);
  return embeddings + stored * layer + h * h + h;
}

/// The runtime's stated limits (bert_runtime.h), checked before any IR is
/// built: 2^24 layers used to end in "LLVM ERROR: out of memory".
static Error checkLimits(const BertConfig &cfg, StringRef path,
                         StringRef layersKey) {
  double applied = double(cfg.numHiddenLayers) * double(cfg.innerGroupNum);
  if (applied > BERT_MAX_LAYERS)
    return makeError(ErrorCode::BadFieldValue, path, layersKey,
                     llvm::formatv("expected at most {0} layers "
                                   "(BERT_MAX_LAYERS), got {1}",
                                   BERT_MAX_LAYERS, applied));
  double params = parameterCount(cfg);
  if (params > double(BERT_MAX_PARAMETERS))
    return makeError(ErrorCode::BadFieldValue, path, "",
                     llvm::formatv("the model would have {0:e2} weights, more "
                                   "than BERT_MAX_PARAMETERS ({1})",
                                   params, int64_t(BERT_MAX_PARAMETERS)));
  return Error::success();
}

namespace {
/// A model_type bertc compiles, and the prefix of its architecture names.
struct FamilyInfo {
  const char *modelType;
  Family family;
  const char *classPrefix;
};
constexpr FamilyInfo kFamilies[] = {
    {"bert", Family::Bert, "Bert"},
    {"roberta", Family::Roberta, "Roberta"},
    {"xlm-roberta", Family::Roberta, "XLMRoberta"},
    {"camembert", Family::Roberta, "Camembert"},
    {"distilbert", Family::DistilBert, "DistilBert"},
    {"albert", Family::Albert, "Albert"},
    {"xlm", Family::Xlm, "XLM"},
    {"flaubert", Family::Xlm, "Flaubert"},
    {"xlnet", Family::Xlnet, "XLNet"},
};

/// An architecture suffix, its head, and the families that have it.
struct HeadInfo {
  const char *suffix;
  Head head;
  bool (*has)(Family);
};
constexpr HeadInfo kHeads[] = {
    {"Model", Head::None, [](Family) { return true; }},
    {"ForMaskedLM", Head::MaskedLM,
     [](Family f) { return f != Family::Xlm && f != Family::Xlnet; }},
    {"ForPreTraining", Head::PreTraining,
     [](Family f) { return f == Family::Bert || f == Family::Albert; }},
    {"ForNextSentencePrediction", Head::NextSentence,
     [](Family f) { return f == Family::Bert; }},
    {"ForSequenceClassification", Head::SequenceClassification,
     [](Family) { return true; }},
    {"ForTokenClassification", Head::TokenClassification,
     [](Family) { return true; }},
    {"ForQuestionAnswering", Head::QuestionAnswering,
     [](Family f) { return f != Family::Xlm && f != Family::Xlnet; }},
    // XLM's and FlauBERT's names for the masked-LM and span heads.
    {"WithLMHeadModel", Head::MaskedLM,
     [](Family f) { return f == Family::Xlm; }},
    {"ForQuestionAnsweringSimple", Head::QuestionAnswering,
     [](Family f) { return f == Family::Xlm || f == Family::Xlnet; }},
    // XLNet's masked LM: lm_loss, tied to the word embeddings.
    {"LMHeadModel", Head::MaskedLM,
     [](Family f) { return f == Family::Xlnet; }},
    {"ForMultipleChoice", Head::MultipleChoice,
     [](Family f) { return f != Family::Xlm && f != Family::Xlnet; }},
};
} // namespace

static Error checkFamily(BertConfig &cfg, FieldReader &r, StringRef path) {
  bool hasModelType = false;
  if (Error e = r.readString("model_type", cfg.modelType, &hasModelType))
    return e;
  const FamilyInfo *family = nullptr;
  for (const FamilyInfo &f : kFamilies)
    if (cfg.modelType == f.modelType)
      family = &f;
  if (!family) {
    std::string names;
    for (const FamilyInfo &f : kFamilies)
      names +=
          std::string(names.empty() ? "" : ", ") + "\"" + f.modelType + "\"";
    return makeError(ErrorCode::UnsupportedModel, path, "model_type",
                     "expected one of " + names + ", got \"" + cfg.modelType +
                         "\" (that model family is not supported)");
  }
  cfg.family = family->family;

  bool hasArchitecture = false;
  if (Error e = r.readArchitecture(cfg.architecture, hasArchitecture))
    return e;
  if (!hasArchitecture)
    cfg.architecture = std::string(family->classPrefix) + "Model";
  StringRef arch = cfg.architecture;
  if ((cfg.family == Family::Xlm || cfg.family == Family::Xlnet) &&
      arch == std::string(family->classPrefix) + "ForQuestionAnswering")
    return makeError(ErrorCode::UnsupportedModel, path, "architectures",
                     "\"" + arch.str() +
                         "\" (the beam-search SQuAD head) is not supported; "
                         "its span head " +
                         family->classPrefix + "ForQuestionAnsweringSimple is");
  std::string supported;
  for (const HeadInfo &h : kHeads) {
    if (!h.has(cfg.family))
      continue;
    std::string name = std::string(family->classPrefix) + h.suffix;
    supported += (supported.empty() ? "" : ", ") + name;
    if (arch == name) {
      cfg.head = h.head;
      return Error::success();
    }
  }
  return makeError(ErrorCode::UnsupportedModel, path, "architectures",
                   "expected one of " + supported + " for model_type \"" +
                       cfg.modelType + "\", got \"" + arch.str() +
                       "\" (that head is not supported)");
}

/// The keys of the sizes in this family's config, in BERT's terms.
struct SizeKeys {
  const char *vocab = "vocab_size", *hidden = "hidden_size",
             *layers = "num_hidden_layers", *heads = "num_attention_heads",
             *intermediate = "intermediate_size", *act = "hidden_act";
};

static SizeKeys sizeKeysOf(Family f) {
  switch (f) {
  case Family::DistilBert:
    return {"vocab_size", "dim",        "n_layers",
            "n_heads",    "hidden_dim", "activation"};
  case Family::Xlm: // the FFN is 4 * emb_dim: no key
    return {"vocab_size", "emb_dim", "n_layers",
            "n_heads",    nullptr,   "gelu_activation"};
  case Family::Xlnet:
    return {"vocab_size", "d_model", "n_layer",
            "n_head",     "d_inner", "ff_activation"};
  default:
    return {};
  }
}

/// The sizes a family's config class defaults to (its largest published
/// model's), for the fields the file leaves out.
static void defaultSizes(BertConfig &cfg, int64_t vocab, int64_t hidden,
                         int64_t layers, int64_t heads) {
  cfg.vocabSize = vocab;
  cfg.hiddenSize = hidden;
  cfg.numHiddenLayers = layers;
  cfg.numAttentionHeads = heads;
}

/// Family defaults transformers applies to a field the file leaves out.
static void applyFamilyDefaults(BertConfig &cfg) {
  switch (cfg.family) {
  case Family::Bert:
    break;
  case Family::Roberta:
    cfg.padTokenId = 1;
    break;
  case Family::DistilBert:
    cfg.typeVocabSize = 0; // no token types
    cfg.hiddenAct = "gelu";
    break;
  case Family::Albert:
    cfg.hiddenAct = "gelu_new";
    cfg.embeddingSize = 128;
    break;
  case Family::Xlm:
    defaultSizes(cfg, /*vocab=*/30145, /*hidden=*/2048, /*layers=*/12,
                 /*heads=*/16);
    break;
  case Family::Xlnet:
    // XLNetConfig's defaults (xlnet-large's sizes).
    defaultSizes(cfg, /*vocab=*/32000, /*hidden=*/1024, /*layers=*/24,
                 /*heads=*/16);
    cfg.intermediateSize = 4096;
    // token_type_ids are only compared ("same segment?"); XLNet's tokenizer
    // writes 0, 1 and 2 (the <cls> segment), the runtime bounds them by 3.
    cfg.typeVocabSize = 3;
    cfg.maxPositionEmbeddings = kXlnetMaxSequence;
    break;
  }
}

static Error checkConfig(BertConfig &cfg, const json::Object &obj,
                         StringRef path) {
  FieldReader r(obj, path);
  // The family first: an unsupported one should hear so, not that some
  // field is missing.
  if (Error e = checkFamily(cfg, r, path))
    return e;
  applyFamilyDefaults(cfg);
  SizeKeys keys = sizeKeysOf(cfg.family);

  // Required structural sizes, then the defaulted ones. XLMConfig's
  // save_pretrained leaves out the sizes equal to its defaults.
  // XLNetConfig writes all its sizes, but reads none as required either.
  const bool required =
      cfg.family != Family::Xlm && cfg.family != Family::Xlnet;
  struct SizeField {
    const char *key;
    int64_t *out;
    bool required;
  } sizes[] = {{keys.vocab, &cfg.vocabSize, required},
               {keys.hidden, &cfg.hiddenSize, required},
               {keys.layers, &cfg.numHiddenLayers, required},
               {keys.heads, &cfg.numAttentionHeads, required},
               {keys.intermediate, &cfg.intermediateSize, required},
               {"max_position_embeddings", &cfg.maxPositionEmbeddings, false}};
  for (const SizeField &f : sizes)
    if (f.key)
      if (Error e = r.readSize(f.key, *f.out, f.required))
        return e;
  if (cfg.family == Family::Xlm)
    if (Error e = checkXlm(cfg, r, path))
      return e;
  if (cfg.family == Family::Xlnet)
    if (Error e = checkXlnet(cfg, r, path))
      return e;
  if (cfg.family != Family::DistilBert && cfg.family != Family::Xlm &&
      cfg.family != Family::Xlnet) {
    if (Error e = r.readSize("type_vocab_size", cfg.typeVocabSize, false))
      return e;
    // DistilBERT's LayerNorms have a fixed eps of 1e-12.
    if (Error e = r.readPositiveNumber("layer_norm_eps", cfg.layerNormEps))
      return e;
  }
  if (cfg.family == Family::Roberta)
    if (Error e = r.readIndex("pad_token_id", cfg.padTokenId))
      return e;
  if (cfg.family == Family::Albert) {
    SizeField albert[] = {{"embedding_size", &cfg.embeddingSize, false},
                          {"num_hidden_groups", &cfg.numHiddenGroups, false},
                          {"inner_group_num", &cfg.innerGroupNum, false}};
    for (const SizeField &f : albert)
      if (Error e = r.readSize(f.key, *f.out, f.required))
        return e;
    if (cfg.numHiddenGroups > cfg.numHiddenLayers)
      return makeError(ErrorCode::BadFieldValue, path, "num_hidden_groups",
                       llvm::formatv("expected at most num_hidden_layers "
                                     "({0}) groups, got {1}",
                                     cfg.numHiddenLayers, cfg.numHiddenGroups));
  }
  if (cfg.family != Family::Xlm) // XLM: gelu_activation (checkXlm)
    if (Error e = r.readString(keys.act, cfg.hiddenAct))
      return e;
  if (Error e = r.readNumLabels(cfg.numLabels))
    return e;
  if (Error e = r.readBool("tie_word_embeddings", cfg.tieWordEmbeddings))
    return e;
  // transformers splits qa_outputs' num_labels columns into exactly two.
  if (cfg.head == Head::QuestionAnswering && cfg.numLabels != 2)
    return makeError(ErrorCode::BadFieldValue, path, "num_labels",
                     llvm::formatv("expected 2 for {0} (start and end "
                                   "logits), got {1}",
                                   cfg.architecture, cfg.numLabels));

  // Relative position embeddings add terms to the attention scores that the
  // bert ops do not model; compiling them as absolute would be silently
  // wrong.
  std::string positionType = "absolute";
  if (Error e = r.readString("position_embedding_type", positionType))
    return e;
  if (positionType != "absolute")
    return makeError(ErrorCode::UnsupportedModel, path,
                     "position_embedding_type",
                     "expected \"absolute\", got \"" + positionType +
                         "\" (relative position embeddings are not "
                         "supported yet)");

  if (cfg.hiddenSize % cfg.numAttentionHeads != 0)
    return makeError(ErrorCode::HeadsDoNotDivide, path, keys.heads,
                     llvm::formatv("expected a divisor of {0} ({1}), got {2}",
                                   keys.hidden, cfg.hiddenSize,
                                   cfg.numAttentionHeads));
  if (cfg.family == Family::Roberta &&
      cfg.padTokenId + 1 >= cfg.maxPositionEmbeddings)
    return makeError(ErrorCode::BadFieldValue, path, "max_position_embeddings",
                     llvm::formatv("expected more than pad_token_id + 1 ({0}) "
                                   "positions (RoBERTa's positions start "
                                   "after the padding index), got {1}",
                                   cfg.padTokenId + 1,
                                   cfg.maxPositionEmbeddings));
  if (Error e = checkLimits(cfg, path, keys.layers))
    return e;
  return checkActivation(cfg, keys.act);
}

/// The first position a sequence of this config uses, and so how many
/// tokens its position table holds: RoBERTa's start after padding_idx.
int64_t mlir::bert::maxSequenceOf(const BertConfig &cfg) {
  return cfg.family == Family::Roberta
             ? cfg.maxPositionEmbeddings - cfg.padTokenId - 1
             : cfg.maxPositionEmbeddings; // XLNet: kXlnetMaxSequence
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

llvm::Expected<BertConfig> mlir::bert::parseBertConfig(StringRef text,
                                                       StringRef path) {
  // llvm::json recurses per level: refuse deep nesting before it can
  // exhaust the stack.
  if (std::optional<size_t> at = ::bert::findJsonTooDeep(text)) {
    StringRef before = text.take_front(*at);
    size_t nl = before.rfind('\n');
    std::string where =
        llvm::formatv("{0}:{1}:{2}", path, 1 + before.count('\n'),
                      1 + (nl == StringRef::npos ? *at : *at - nl - 1));
    return makeError(ErrorCode::InvalidJSON, where, "",
                     llvm::formatv("invalid JSON: nested deeper than {0} "
                                   "levels",
                                   ::bert::kMaxJsonDepth));
  }
  llvm::Expected<json::Value> root = json::parse(text);
  if (!root) {
    // ParseError logs "[line:col, byte=N]: message"; turn that into the
    // compiler-style "file:line:col: invalid JSON: message".
    std::string detail = llvm::toString(root.takeError());
    StringRef rest = detail;
    std::string where = path.str();
    if (rest.consume_front("[")) {
      auto [pos, msg] = rest.split("]: ");
      auto [lineCol, byte] = pos.split(", byte=");
      where += ":" + lineCol.str();
      detail = msg.str();
    }
    return makeError(ErrorCode::InvalidJSON, where, "",
                     "invalid JSON: " + detail);
  }
  const json::Object *obj = root->getAsObject();
  if (!obj)
    return makeError(ErrorCode::NotAnObject, path, "",
                     "expected a JSON object at the top level, got " +
                         describe(*root));

  BertConfig cfg;
  cfg.path = path.str();
  if (Error e = checkConfig(cfg, *obj, path))
    return std::move(e);
  // Positions of the fields bertc reads only: a scan of the text per key
  // of a config with 100k unknown keys took hours.
  for (StringRef key : kFieldsRead)
    if (obj->get(key))
      if (std::optional<SourcePos> pos = findKey(text, key))
        cfg.fieldPos[key] = *pos;
  // Ops name BERT's fields; point them at this family's keys.
  SizeKeys keys = sizeKeysOf(cfg.family);
  std::pair<StringRef, StringRef> aliases[] = {
      {"hidden_size", keys.hidden},
      {"num_hidden_layers", keys.layers},
      {"num_attention_heads", keys.heads},
      {"intermediate_size",
       keys.intermediate ? keys.intermediate : keys.hidden},
      {"hidden_act", keys.act}};
  for (auto [bertName, key] : aliases)
    if (bertName != key && cfg.fieldPos.count(key))
      cfg.fieldPos[bertName] = cfg.fieldPos[key];
  // save_pretrained writes id2label, not num_labels: heads point there.
  if (!cfg.fieldPos.count("num_labels") && cfg.fieldPos.count("id2label"))
    cfg.fieldPos["num_labels"] = cfg.fieldPos["id2label"];
  return cfg;
}

llvm::Expected<BertConfig> mlir::bert::readBertConfig(StringRef path) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status)) {
    if (ec == std::errc::no_such_file_or_directory)
      return makeError(ErrorCode::FileNotFound, path, "",
                       "no such file (expected a Hugging Face config.json)");
    return makeError(ErrorCode::FileUnreadable, path, "",
                     "cannot read file: " + ec.message());
  }
  if (llvm::sys::fs::is_directory(status))
    return makeError(ErrorCode::FileUnreadable, path, "",
                     "is a directory (expected a config.json file)");
  // Not MemoryBuffer::getFile: it blocks on a FIFO and reads /dev/zero
  // without end.
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      ::bert::readInputFile(path, kMaxConfigBytes);
  if (!buffer)
    return makeError(ErrorCode::FileUnreadable, path, "",
                     llvm::toString(buffer.takeError()) +
                         " (expected a config.json file)");
  return parseBertConfig((*buffer)->getBuffer(), path);
}
