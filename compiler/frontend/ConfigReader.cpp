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

/// Upper bound of every size field: far above any real BERT (vocabularies
/// are < 300k) and small enough that products of sizes never overflow int64.
static constexpr int64_t kMaxSize = int64_t(1) << 24;

/// Every field checkConfig reads (IR locations point at these).
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
                                              "position_embedding_type"};

/// Largest config file read (a real config.json is about 1 KB).
static constexpr uint64_t kMaxConfigBytes = uint64_t(16) << 20;

//===----------------------------------------------------------------------===//
// Describing JSON values in messages
//===----------------------------------------------------------------------===//

/// True for a JSON number written without fraction or exponent ("768", not
/// "768.0"): llvm::json keeps those as integers, and getAsUINT64 only
/// succeeds for integers.
static bool isJSONInteger(const json::Value &v) {
  return v.getAsUINT64().has_value() ||
         (v.getAsInteger().has_value() && *v.getAsInteger() < 0);
}

/// "the string \"x\"", "the floating-point number 768.5", "null", ...
static std::string describe(const json::Value &v) {
  switch (v.kind()) {
  case json::Value::Null:
    return "null";
  case json::Value::Boolean:
    return *v.getAsBoolean() ? "the boolean true" : "the boolean false";
  case json::Value::Number: {
    if (isJSONInteger(v))
      return llvm::formatv("{0}", v).str();
    double d = *v.getAsNumber();
    // llvm::json reads 1e400 as infinity; printing it would say "inf".
    if (!std::isfinite(d))
      return "a number too large for a double (beyond 1.8e308)";
    std::string text = llvm::formatv("{0}", v).str();
    // llvm::json prints 768.0 as "768"; show that it was a float.
    if (std::trunc(d) == d &&
        StringRef(text).find_first_of(".eE") == StringRef::npos)
      text += ".0";
    return "the floating-point number " + text;
  }
  case json::Value::String:
    return "the string \"" + v.getAsString()->str() + "\"";
  case json::Value::Array:
    return "an array";
  case json::Value::Object:
    return "an object";
  }
  llvm_unreachable("unknown JSON kind");
}

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
// Field readers
//===----------------------------------------------------------------------===//

namespace {
/// Reads typed fields out of the top-level object, reporting errors with the
/// file and field name.
class FieldReader {
public:
  FieldReader(const json::Object &obj, StringRef path) : obj(obj), path(path) {}

  /// A positive integer in [1, kMaxSize]. `out` keeps its default when the
  /// field is absent and not `required`.
  Error readSize(StringRef key, int64_t &out, bool required) {
    const json::Value *v = obj.get(key);
    if (!v)
      return required ? makeError(ErrorCode::MissingField, path, key,
                                  "required field is missing (expected a "
                                  "positive integer)")
                      : Error::success();
    if (!isJSONInteger(*v))
      return makeError(ErrorCode::WrongFieldType, path, key,
                       "expected a positive integer, got " + describe(*v));
    std::optional<int64_t> i = v->getAsInteger();
    if (!i || *i < 1)
      return makeError(ErrorCode::BadFieldValue, path, key,
                       "expected a positive integer, got " + describe(*v));
    if (*i > kMaxSize)
      return makeError(ErrorCode::BadFieldValue, path, key,
                       llvm::formatv("expected a positive integer of at most "
                                     "{0}, got {1}",
                                     kMaxSize, *i));
    out = *i;
    return Error::success();
  }

  /// A positive number (integer or floating point), e.g. layer_norm_eps.
  Error readPositiveNumber(StringRef key, double &out) {
    const json::Value *v = obj.get(key);
    if (!v)
      return Error::success();
    std::optional<double> d = v->getAsNumber();
    if (!d)
      return makeError(ErrorCode::WrongFieldType, path, key,
                       "expected a positive number, got " + describe(*v));
    if (!(*d > 0.0) || !std::isfinite(*d))
      return makeError(ErrorCode::BadFieldValue, path, key,
                       "expected a positive number, got " + describe(*v));
    out = *d;
    return Error::success();
  }

  /// A string; `present` tells whether the key was there.
  Error readString(StringRef key, std::string &out, bool *present = nullptr) {
    const json::Value *v = obj.get(key);
    if (present)
      *present = v != nullptr;
    if (!v)
      return Error::success();
    std::optional<StringRef> s = v->getAsString();
    if (!s)
      return makeError(ErrorCode::WrongFieldType, path, key,
                       "expected a string, got " + describe(*v));
    out = s->str();
    return Error::success();
  }

private:
  const json::Object &obj;
  StringRef path;
};
} // namespace

//===----------------------------------------------------------------------===//
// Semantic checks
//===----------------------------------------------------------------------===//

/// Maps hidden_act to a GELU form; anything else is unsupported.
static Error checkActivation(BertConfig &cfg) {
  if (cfg.hiddenAct == "gelu") {
    cfg.gelu = GeluForm::Exact;
    return Error::success();
  }
  if (cfg.hiddenAct == "gelu_new" || cfg.hiddenAct == "gelu_pytorch_tanh") {
    cfg.gelu = GeluForm::Tanh;
    return Error::success();
  }
  return makeError(ErrorCode::UnsupportedActivation, cfg.path, "hidden_act",
                   "expected one of \"gelu\", \"gelu_new\", "
                   "\"gelu_pytorch_tanh\", got \"" +
                       cfg.hiddenAct + "\" (unsupported activation)");
}

/// The model's weight count (BertModel with pooler), as a double: the sizes
/// are at most 2^24, so the exact count can pass 2^63.
static double parameterCount(const BertConfig &c) {
  double h = double(c.hiddenSize), ffn = double(c.intermediateSize);
  double embeddings = (double(c.vocabSize) + double(c.maxPositionEmbeddings) +
                       double(c.typeVocabSize)) *
                          h +
                      2 * h;
  double layer = 4 * (h * h + h) + 2 * h + 2 * h * ffn + ffn + h + 2 * h;
  return embeddings + double(c.numHiddenLayers) * layer + h * h + h;
}

/// The runtime's stated limits (bert_runtime.h), checked before any IR is
/// built: 2^24 layers used to end in "LLVM ERROR: out of memory".
static Error checkLimits(const BertConfig &cfg, StringRef path) {
  if (cfg.numHiddenLayers > BERT_MAX_LAYERS)
    return makeError(ErrorCode::BadFieldValue, path, "num_hidden_layers",
                     llvm::formatv("expected at most {0} layers "
                                   "(BERT_MAX_LAYERS), got {1}",
                                   BERT_MAX_LAYERS, cfg.numHiddenLayers));
  double params = parameterCount(cfg);
  if (params > double(BERT_MAX_PARAMETERS))
    return makeError(ErrorCode::BadFieldValue, path, "",
                     llvm::formatv("the model would have {0:e2} weights, more "
                                   "than BERT_MAX_PARAMETERS ({1})",
                                   params, int64_t(BERT_MAX_PARAMETERS)));
  return Error::success();
}

static Error checkConfig(BertConfig &cfg, const json::Object &obj,
                         StringRef path) {
  FieldReader r(obj, path);
  // model_type first: a RoBERTa config should hear that RoBERTa is not
  // supported, not that some field is missing.
  bool hasModelType = false;
  if (Error e = r.readString("model_type", cfg.modelType, &hasModelType))
    return e;
  if (hasModelType && cfg.modelType != "bert")
    return makeError(ErrorCode::UnsupportedModel, path, "model_type",
                     "expected \"bert\", got \"" + cfg.modelType +
                         "\" (other model families are not supported yet)");

  // Required structural sizes, then the defaulted ones.
  struct SizeField {
    const char *key;
    int64_t *out;
    bool required;
  } sizes[] = {{"vocab_size", &cfg.vocabSize, true},
               {"hidden_size", &cfg.hiddenSize, true},
               {"num_hidden_layers", &cfg.numHiddenLayers, true},
               {"num_attention_heads", &cfg.numAttentionHeads, true},
               {"intermediate_size", &cfg.intermediateSize, true},
               {"max_position_embeddings", &cfg.maxPositionEmbeddings, false},
               {"type_vocab_size", &cfg.typeVocabSize, false}};
  for (const SizeField &f : sizes)
    if (Error e = r.readSize(f.key, *f.out, f.required))
      return e;
  if (Error e = r.readPositiveNumber("layer_norm_eps", cfg.layerNormEps))
    return e;
  if (Error e = r.readString("hidden_act", cfg.hiddenAct))
    return e;

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
    return makeError(ErrorCode::HeadsDoNotDivide, path, "num_attention_heads",
                     llvm::formatv("expected a divisor of hidden_size ({0}), "
                                   "got {1}",
                                   cfg.hiddenSize, cfg.numAttentionHeads));
  if (Error e = checkLimits(cfg, path))
    return e;
  return checkActivation(cfg);
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
