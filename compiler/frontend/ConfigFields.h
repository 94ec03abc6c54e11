//===- ConfigFields.h - typed fields of a config.json -----------*- C++ -*-===//
//
// The field reader every family's config checks share (ConfigReader.cpp for
// the common fields, ConfigFamilies.cpp for XLM's and XLNet's own keys):
// each reader checks a key's JSON type and range and reports a problem as a
// BertcError naming the file and the key. Internal to the frontend.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_FRONTEND_CONFIGFIELDS_H
#define BERT_COMPILER_FRONTEND_CONFIGFIELDS_H

#include "compiler/frontend/ConfigReader.h"
#include "support/ErrorCodes.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <cmath>
#include <optional>
#include <string>

namespace mlir::bert::config {

using llvm::Error;
using llvm::StringRef;
namespace json = llvm::json;

/// Upper bound of every size field: far above any real BERT (vocabularies
/// are < 300k) and small enough that products of sizes never overflow int64.
inline constexpr int64_t kMaxSize = int64_t(1) << 24;

//===----------------------------------------------------------------------===//
// Describing JSON values in messages
//===----------------------------------------------------------------------===//

/// True for a JSON number written without fraction or exponent ("768", not
/// "768.0"): llvm::json keeps those as integers, and getAsUINT64 only
/// succeeds for integers.
inline bool isJSONInteger(const json::Value &v) {
  return v.getAsUINT64().has_value() ||
         (v.getAsInteger().has_value() && *v.getAsInteger() < 0);
}

/// "the string \"x\"", "the floating-point number 768.5", "null", ...
inline std::string describe(const json::Value &v) {
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

//===----------------------------------------------------------------------===//
// Field readers
//===----------------------------------------------------------------------===//

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
    return readField(
        key, out, "a positive number",
        [](const json::Value &v) { return v.getAsNumber(); },
        [](double d) { return d > 0.0 && std::isfinite(d); });
  }

  /// A boolean; `out` keeps its default when the field is absent.
  Error readBool(StringRef key, bool &out) {
    return readField(key, out, "true or false",
                     [](const json::Value &v) { return v.getAsBoolean(); });
  }

  /// Any integer of magnitude at most kMaxSize (XLNet's clamp_len, <= 0
  /// for none).
  Error readInteger(StringRef key, int64_t &out) {
    return readField(key, out, "an integer", [](const json::Value &v) {
      return integerIn(v, -kMaxSize, kMaxSize);
    });
  }

  /// A non-negative integer (token ids such as pad_token_id); null is
  /// absent.
  Error readIndex(StringRef key, int64_t &out) {
    return readField(
        key, out, "a non-negative integer",
        [](const json::Value &v) { return integerIn(v, 0, kMaxSize); },
        [](int64_t) { return true; }, /*nullIsAbsent=*/true);
  }

  /// The number of labels: the size of `id2label` when present, else
  /// `num_labels`, as transformers' PretrainedConfig decides.
  Error readNumLabels(int64_t &out) {
    if (const json::Value *v = obj.get("id2label")) {
      const json::Object *labels = v->getAsObject();
      if (!labels)
        return makeError(ErrorCode::WrongFieldType, path, "id2label",
                         "expected an object of labels, got " + describe(*v));
      if (labels->empty())
        return makeError(ErrorCode::BadFieldValue, path, "id2label",
                         "expected at least one label, got an empty object");
      out = int64_t(labels->size());
      int64_t stated = out;
      if (Error e = readSize("num_labels", stated, false))
        return e;
      if (stated != out)
        return makeError(ErrorCode::BadFieldValue, path, "num_labels",
                         llvm::formatv("expected {0} (the labels of "
                                       "id2label), got {1}",
                                       out, stated));
      return Error::success();
    }
    return readSize("num_labels", out, false);
  }

  /// `architectures[0]`; `present` tells whether there was one.
  Error readArchitecture(std::string &out, bool &present) {
    const json::Value *v = obj.get("architectures");
    present = false;
    if (!v || v->kind() == json::Value::Null)
      return Error::success();
    const json::Array *a = v->getAsArray();
    if (!a || a->empty() || !(*a)[0].getAsString())
      return makeError(ErrorCode::WrongFieldType, path, "architectures",
                       "expected an array of class names such as "
                       "[\"BertModel\"], got " +
                           (!a           ? describe(*v)
                            : a->empty() ? std::string("an empty array")
                                         : "an array whose first element is " +
                                               describe((*a)[0])));
    out = (*a)[0].getAsString()->str();
    present = true;
    return Error::success();
  }

  /// True when the key is present (null included).
  bool has(StringRef key) const { return obj.get(key) != nullptr; }

  /// True when the key is absent or null.
  bool isNull(StringRef key) const {
    const json::Value *v = obj.get(key);
    return !v || v->kind() == json::Value::Null;
  }

  /// A string; `present` tells whether the key was there.
  Error readString(StringRef key, std::string &out, bool *present = nullptr) {
    if (present)
      *present = has(key);
    return readField(key, out, "a string", [](const json::Value &v) {
      std::optional<StringRef> s = v.getAsString();
      return s ? std::optional<std::string>(s->str()) : std::nullopt;
    });
  }

private:
  /// The one shape of an optional typed field: absent (or null, with
  /// `nullIsAbsent`) leaves `out` at its default; `parse` gives the value,
  /// or std::nullopt for a JSON value of another type (wrong-field-type);
  /// a value `valid` refuses is a bad-field-value. Both messages say
  /// "expected <what>, got <the value>".
  template <typename T, typename Parse, typename Valid>
  Error readField(StringRef key, T &out, const char *what, Parse parse,
                  Valid valid, bool nullIsAbsent = false) {
    const json::Value *v = obj.get(key);
    if (!v || (nullIsAbsent && v->kind() == json::Value::Null))
      return Error::success();
    std::optional<T> value = parse(*v);
    if (!value || !valid(*value))
      return makeError(
          value ? ErrorCode::BadFieldValue : ErrorCode::WrongFieldType, path,
          key, std::string("expected ") + what + ", got " + describe(*v));
    out = *value;
    return Error::success();
  }
  template <typename T, typename Parse>
  Error readField(StringRef key, T &out, const char *what, Parse parse) {
    return readField(key, out, what, parse, [](const T &) { return true; });
  }

  /// The integer `v` holds when it is one in [least, most], written
  /// without fraction or exponent.
  static std::optional<int64_t> integerIn(const json::Value &v, int64_t least,
                                          int64_t most) {
    std::optional<int64_t> i = v.getAsInteger();
    if (!isJSONInteger(v) || !i || *i < least || *i > most)
      return std::nullopt;
    return i;
  }

  const json::Object &obj;
  StringRef path;
};

/// XLM's and FlauBERT's own keys (ConfigFamilies.cpp).
Error checkXlm(BertConfig &cfg, FieldReader &r, StringRef path);
/// XLNet's own keys (ConfigFamilies.cpp).
Error checkXlnet(BertConfig &cfg, FieldReader &r, StringRef path);

} // namespace mlir::bert::config

#endif // BERT_COMPILER_FRONTEND_CONFIGFIELDS_H
