//===- ModelDir.cpp - Hugging Face model directories for bertc ------------===//
//
// Reads a model directory (ModelDir.h): config.json, tokenizer.json and
// sentence-transformers' modules.json, <Pooling folder>/config.json and
// sentence_bert_config.json, config.json's id2label; writes the text files
// beside the library.
//
//===----------------------------------------------------------------------===//

#include "compiler/bertc/ModelDir.h"
#include "compiler/frontend/ConfigReader.h"
#include "support/ErrorCodes.h"
#include "support/JsonDepth.h"
#include "support/ReadFile.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir::bert;
using llvm::Error;
using llvm::StringRef;
namespace json = llvm::json;

namespace {
/// sentence-transformers' small JSON files are a few hundred bytes.
constexpr uint64_t kMaxSmallJsonBytes = 1 << 20;

/// Pooling's flags (sentence_transformers/models/Pooling.py) and the mode
/// bertc computes for each; null: a mode bertc does not compute.
struct PoolingFlag {
  const char *key;
  const char *mode;
};
constexpr PoolingFlag kPoolingFlags[] = {
    {"pooling_mode_cls_token", "cls"},
    {"pooling_mode_mean_tokens", "mean"},
    {"pooling_mode_max_tokens", "max"},
    {"pooling_mode_mean_sqrt_len_tokens", nullptr},
    {"pooling_mode_weightedmean_tokens", nullptr},
    {"pooling_mode_lasttoken", nullptr},
};

std::string joinPath(StringRef a, StringRef b) {
  llvm::SmallString<256> p(a);
  llvm::sys::path::append(p, b);
  return std::string(p);
}

/// One of the directory's JSON files, read with the tools' caps and depth
/// limit: an object, or an array when `array`.
llvm::Expected<json::Value> readJsonFile(StringRef path, bool array = false) {
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buf =
      ::bert::readInputFile(path, kMaxSmallJsonBytes);
  if (!buf)
    return makeError(ErrorCode::FileUnreadable, path, "",
                     llvm::toString(buf.takeError()));
  StringRef text = (*buf)->getBuffer();
  if (::bert::findJsonTooDeep(text))
    return makeError(ErrorCode::InvalidJSON, path, "",
                     llvm::formatv("invalid JSON: nested deeper than {0} "
                                   "levels",
                                   ::bert::kMaxJsonDepth));
  llvm::Expected<json::Value> v = json::parse(text);
  if (!v)
    return makeError(ErrorCode::InvalidJSON, path, "",
                     "invalid JSON: " + llvm::toString(v.takeError()));
  if (array ? !v->getAsArray() : !v->getAsObject())
    return makeError(ErrorCode::NotAnObject, path, "",
                     array ? "expected a JSON array at the top level"
                           : "expected a JSON object at the top level");
  return v;
}

/// <folder>/config.json of the Pooling module: exactly one of the modes
/// bertc computes, for vectors of the model's hidden size.
Error readPoolingConfig(StringRef path, int64_t hiddenSize,
                        SentencePooling &pooling) {
  llvm::Expected<json::Value> v = readJsonFile(path);
  if (!v)
    return v.takeError();
  const json::Object *obj = v->getAsObject();
  for (const PoolingFlag &flag : kPoolingFlags) {
    const json::Value *f = obj->get(flag.key);
    if (!f)
      continue;
    std::optional<bool> on = f->getAsBoolean();
    if (!on)
      return makeError(ErrorCode::WrongFieldType, path, flag.key,
                       "expected true or false");
    if (!*on)
      continue;
    if (!flag.mode)
      return makeError(ErrorCode::UnsupportedModel, path, flag.key,
                       "this pooling is not supported (bertc pools with one "
                       "of pooling_mode_cls_token, pooling_mode_mean_tokens, "
                       "pooling_mode_max_tokens)");
    if (!pooling.mode.empty())
      return makeError(ErrorCode::BadFieldValue, path, flag.key,
                       "a second pooling mode is true (with the '" +
                           pooling.mode +
                           "' one); bertc computes one mode, not their "
                           "concatenation");
    pooling.mode = flag.mode;
  }
  if (pooling.mode.empty())
    return makeError(ErrorCode::BadFieldValue, path, "",
                     "no pooling mode is true (expected one of "
                     "pooling_mode_cls_token, pooling_mode_mean_tokens, "
                     "pooling_mode_max_tokens)");
  const json::Value *dim = obj->get("word_embedding_dimension");
  if (!dim)
    return makeError(ErrorCode::MissingField, path, "word_embedding_dimension",
                     "expected the size of the vectors pooled");
  std::optional<int64_t> d = dim->getAsInteger();
  if (!d)
    return makeError(ErrorCode::WrongFieldType, path,
                     "word_embedding_dimension", "expected an integer");
  if (*d != hiddenSize)
    return makeError(ErrorCode::BadFieldValue, path, "word_embedding_dimension",
                     llvm::formatv("{0} is not the model's hidden_size {1}", *d,
                                   hiddenSize));
  return Error::success();
}

/// sentence_bert_config.json's max_seq_length, when the file has one.
Error readMaxSeqLength(StringRef dir, SentencePooling &pooling) {
  std::string path = joinPath(dir, "sentence_bert_config.json");
  if (!llvm::sys::fs::exists(path))
    return Error::success();
  llvm::Expected<json::Value> v = readJsonFile(path);
  if (!v)
    return v.takeError();
  const json::Object *obj = v->getAsObject();
  const json::Value *len = obj->get("max_seq_length");
  if (!len || len->kind() == json::Value::Null)
    return Error::success();
  std::optional<int64_t> n = len->getAsInteger();
  if (!n || *n < 1)
    return makeError(ErrorCode::BadFieldValue, path, "max_seq_length",
                     "expected a positive integer");
  pooling.maxSeqLength = *n;
  return Error::success();
}

/// modules.json: the Transformer, then a Pooling module and optionally a
/// Normalize one. Another module (Dense, LayerNorm, ...) would change the
/// embedding: then no pooling is recorded and `input.note` says why.
Error readModules(StringRef dir, int64_t hiddenSize, ModelInput &input) {
  std::string path = joinPath(dir, "modules.json");
  if (!llvm::sys::fs::exists(path))
    return Error::success();
  llvm::Expected<json::Value> v = readJsonFile(path, /*array=*/true);
  if (!v)
    return v.takeError();
  const json::Array *modules = v->getAsArray();
  std::optional<std::string> poolingDir;
  bool normalize = false;
  for (size_t i = 0; i < modules->size(); ++i) {
    std::string field = llvm::formatv("[{0}]", i);
    const json::Object *m = (*modules)[i].getAsObject();
    std::optional<StringRef> type = m ? m->getString("type") : std::nullopt;
    std::optional<StringRef> folder = m ? m->getString("path") : std::nullopt;
    if (!type || !folder)
      return makeError(ErrorCode::WrongFieldType, path, field,
                       "expected an object with string fields \"type\" and "
                       "\"path\"");
    StringRef kind = type->rsplit('.').second;
    if (kind.empty())
      kind = *type;
    if (kind == "Transformer")
      continue;
    if (kind == "Normalize") {
      normalize = true;
    } else if (kind == "Pooling" && !poolingDir) {
      if (llvm::sys::path::is_absolute(*folder) || folder->contains(".."))
        return makeError(ErrorCode::BadFieldValue, path, field + ".path",
                         "expected a folder inside the model directory, got "
                         "\"" +
                             *folder + "\"");
      poolingDir = folder->str();
    } else {
      input.note = (path + ": module '" + *type + "' (" + *folder +
                    ") is not computed by bertc: no sentence embedding is "
                    "recorded, texts give last_hidden_state only")
                       .str();
      return Error::success();
    }
  }
  if (!poolingDir)
    return Error::success();
  SentencePooling pooling;
  pooling.normalize = normalize;
  std::string config = joinPath(joinPath(dir, *poolingDir), "config.json");
  if (!llvm::sys::fs::exists(config))
    return makeError(ErrorCode::FileNotFound, config, "",
                     "not found (modules.json names the Pooling module's "
                     "folder \"" +
                         *poolingDir + "\")");
  if (Error e = readPoolingConfig(config, hiddenSize, pooling))
    return e;
  if (Error e = readMaxSeqLength(dir, pooling))
    return e;
  input.pooling = pooling;
  return Error::success();
}
/// config.json's id2label in id order: its keys must be 0 .. n-1, its
/// values strings. (The config reader has checked it is a non-empty object.)
Error readLabels(StringRef path, ModelInput &input) {
  llvm::Expected<json::Value> v = readJsonFile(path);
  if (!v)
    return v.takeError();
  const json::Object *map = v->getAsObject()->getObject("id2label");
  if (!map)
    return Error::success();
  std::vector<std::optional<std::string>> byId(map->size());
  for (const auto &[key, value] : *map) {
    uint64_t id = 0;
    std::string field = ("id2label." + key.str());
    if (StringRef(key).getAsInteger(10, id) || id >= byId.size() || byId[id])
      return makeError(
          ErrorCode::BadFieldValue, path, field,
          llvm::formatv("expected the label ids 0 .. {0}", byId.size() - 1));
    std::optional<StringRef> name = value.getAsString();
    if (!name)
      return makeError(ErrorCode::WrongFieldType, path, field,
                       "expected a string label");
    byId[id] = name->str();
  }
  for (std::optional<std::string> &name : byId)
    input.labels.push_back(std::move(*name));
  return Error::success();
}
} // namespace

llvm::Expected<ModelInput> mlir::bert::readModelInput(StringRef path) {
  ModelInput input;
  if (!llvm::sys::fs::is_directory(path)) {
    input.configPath = path.str();
    return input;
  }
  input.configPath = joinPath(path, "config.json");
  if (!llvm::sys::fs::exists(input.configPath))
    return makeError(ErrorCode::FileNotFound, path, "",
                     "a directory without config.json (expected a Hugging "
                     "Face model directory: config.json, model.safetensors, "
                     "tokenizer.json; or the path of a config.json)");
  // The hidden size the pooling must match: the config's own checks run
  // here too, so a bad config is reported first, as for a config path.
  llvm::Expected<BertConfig> cfg = readBertConfig(input.configPath);
  if (!cfg)
    return cfg.takeError();
  std::string tokenizer = joinPath(path, "tokenizer.json");
  if (llvm::sys::fs::exists(tokenizer))
    input.tokenizerPath = tokenizer;
  if (Error e = readModules(path, cfg->hiddenSize, input))
    return std::move(e);
  if (cfg->head == Head::SequenceClassification ||
      cfg->head == Head::TokenClassification)
    if (Error e = readLabels(input.configPath, input))
      return std::move(e);
  return input;
}

/// `<outDir>/<name>.<kind>.json`, indented.
static Error writeJson(StringRef outDir, StringRef name, StringRef kind,
                       json::Object desc) {
  std::string to = joinPath(outDir, (name + "." + kind + ".json").str());
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> file =
      mlir::openOutputFile(to, &message);
  if (!file)
    return makeError(ErrorCode::OutputFailed, to, "", message);
  file->os() << llvm::formatv("{0:2}", json::Value(std::move(desc))) << "\n";
  file->keep();
  return Error::success();
}

Error mlir::bert::writeTextFiles(const ModelInput &input, StringRef outDir,
                                 StringRef name) {
  if (!input.tokenizerPath.empty()) {
    std::string to = joinPath(outDir, (name + ".tokenizer.json").str());
    if (std::error_code ec = llvm::sys::fs::copy_file(input.tokenizerPath, to))
      return makeError(ErrorCode::OutputFailed, to, "",
                       "cannot copy " + input.tokenizerPath + ": " +
                           ec.message());
  }
  if (input.pooling) {
    json::Object desc{{"format", "bertc-pooling"},
                      {"version", 1},
                      {"mode", input.pooling->mode},
                      {"normalize", input.pooling->normalize}};
    if (input.pooling->maxSeqLength)
      desc["max_seq_length"] = input.pooling->maxSeqLength;
    if (Error e = writeJson(outDir, name, "pooling", std::move(desc)))
      return e;
  }
  if (input.labels.empty())
    return Error::success();
  json::Array labels;
  for (const std::string &label : input.labels)
    labels.push_back(label);
  return writeJson(outDir, name, "labels",
                   json::Object{{"format", "bertc-labels"},
                                {"version", 1},
                                {"id2label", std::move(labels)}});
}
