//===- ErrorCodes.h - bertc error codes and messages ------------*- C++ -*-===//
//
// The one table of errors the bertc driver (and the frontend it drives) can
// report. Every user-facing failure is an `ErrorCode` from this table, carried
// as a `BertcError` (an llvm::Error payload) up to the driver, which prints
//
//   bertc: error: <file>: <field>: <what was expected>
//
// and exits with the code's exit status. Parts that do not apply (a usage
// error has no file, a missing file has no field) are left out. Exit codes are
// grouped so scripts can tell a bad command line from a bad config from a
// compiler bug:
//
//   0 success
//   1 usage      (bad command line: unknown verb, option value out of range)
//   2 input      (config file missing, unreadable or not JSON)
//   3 config     (valid JSON that is not a BERT config bertc can compile)
//   4 output     (cannot write an output file or directory)
//   5 internal   (the compiler built or produced invalid IR: a bertc bug)
//
// Header-only, so the frontend library can report the same codes without
// depending on the driver.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_ERRORCODES_H
#define BERT_COMPILER_BERTC_ERRORCODES_H

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::bert {

/// Every error bertc can report. Keep in sync with `kErrorTable` below (a
/// static_assert checks the count).
enum class ErrorCode {
  // usage
  UnknownCommand,
  MissingArgument,
  BadOptionValue,
  // input
  FileNotFound,
  FileUnreadable,
  InvalidJSON,
  BadScheduleCache,
  // config
  NotAnObject,
  MissingField,
  WrongFieldType,
  BadFieldValue,
  HeadsDoNotDivide,
  UnsupportedActivation,
  UnsupportedModel,
  MaxSeqTooLong,
  WeightsMismatch,
  // output
  OutputFailed,
  // internal
  InvalidIR,
  PipelineFailed,
  BackendFailed,
};

/// Exit statuses, one per group of error codes (see the file comment).
enum ExitCode : int {
  ExitSuccess = 0,
  ExitUsage = 1,
  ExitInput = 2,
  ExitConfig = 3,
  ExitOutput = 4,
  ExitInternal = 5,
};

/// One row of the error table.
struct ErrorTableRow {
  ErrorCode code;
  const char *name;        ///< stable identifier, e.g. "missing-field"
  ExitCode exitCode;       ///< process exit status for this error
  const char *description; ///< what the error means, for docs and --help
};

inline constexpr ErrorTableRow kErrorTable[] = {
    {ErrorCode::UnknownCommand, "unknown-command", ExitUsage,
     "the first argument is not a bertc command (compile, init-weights)"},
    {ErrorCode::MissingArgument, "missing-argument", ExitUsage,
     "a required argument (the config file, -o) is missing"},
    {ErrorCode::BadOptionValue, "bad-option-value", ExitUsage,
     "an option value is out of range or not one of the allowed values"},
    {ErrorCode::FileNotFound, "file-not-found", ExitInput,
     "the config file does not exist"},
    {ErrorCode::FileUnreadable, "file-unreadable", ExitInput,
     "the config file exists but cannot be read (a directory, no access)"},
    {ErrorCode::InvalidJSON, "invalid-json", ExitInput,
     "the config file is not valid JSON (line and column are given)"},
    {ErrorCode::BadScheduleCache, "bad-schedule-cache", ExitInput,
     "the --schedules file is unreadable, not JSON, or not a bertc schedule "
     "cache (the entry and field are named)"},
    {ErrorCode::NotAnObject, "not-an-object", ExitConfig,
     "the top-level JSON value is not an object"},
    {ErrorCode::MissingField, "missing-field", ExitConfig,
     "a required config field is missing"},
    {ErrorCode::WrongFieldType, "wrong-field-type", ExitConfig,
     "a config field has the wrong JSON type (string for int, float for int)"},
    {ErrorCode::BadFieldValue, "bad-field-value", ExitConfig,
     "a config field has an invalid value (zero or negative size)"},
    {ErrorCode::HeadsDoNotDivide, "heads-do-not-divide", ExitConfig,
     "hidden_size is not divisible by num_attention_heads"},
    {ErrorCode::UnsupportedActivation, "unsupported-activation", ExitConfig,
     "hidden_act is not a GELU form bertc compiles"},
    {ErrorCode::UnsupportedModel, "unsupported-model", ExitConfig,
     "model_type or position_embedding_type names a variant not supported "
     "yet"},
    {ErrorCode::MaxSeqTooLong, "max-seq-too-long", ExitConfig,
     "--max-seq is above the config's max_position_embeddings"},
    {ErrorCode::WeightsMismatch, "weights-mismatch", ExitConfig,
     "a model directory's model.safetensors lacks a tensor the config's "
     "architecture needs, or has another shape (num_labels, ...)"},
    {ErrorCode::OutputFailed, "output-failed", ExitOutput,
     "an output file or directory cannot be written"},
    {ErrorCode::InvalidIR, "invalid-ir", ExitInternal,
     "the IR the frontend built does not verify (a bertc bug)"},
    {ErrorCode::PipelineFailed, "pipeline-failed", ExitInternal,
     "a compiler pass failed (a bertc bug unless the message says otherwise)"},
    {ErrorCode::BackendFailed, "backend-failed", ExitInternal,
     "compiling or linking the native library failed"},
};
static_assert(std::size(kErrorTable) ==
                  static_cast<size_t>(ErrorCode::BackendFailed) + 1,
              "kErrorTable must have one row per ErrorCode, in order");

/// The table row of `code`.
inline const ErrorTableRow &getErrorInfo(ErrorCode code) {
  return kErrorTable[static_cast<size_t>(code)];
}

/// An error bertc reports to the user: a code from the table plus the file,
/// the field (config key or command-line option) and the specific message.
class BertcError : public llvm::ErrorInfo<BertcError> {
public:
  static inline char ID = 0;

  BertcError(ErrorCode code, std::string file, std::string field,
             std::string message)
      : code(code), file(std::move(file)), field(std::move(field)),
        message(std::move(message)) {}

  ErrorCode getCode() const { return code; }
  ExitCode getExitCode() const { return getErrorInfo(code).exitCode; }

  /// `<file>: <field>: <message>`, leaving out the empty parts.
  void log(llvm::raw_ostream &os) const override {
    if (!file.empty())
      os << file << ": ";
    if (!field.empty())
      os << field << ": ";
    os << message;
  }

  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

private:
  ErrorCode code;
  std::string file, field, message;
};

/// Shorthand to return a BertcError as an llvm::Error.
inline llvm::Error makeError(ErrorCode code, llvm::StringRef file,
                             llvm::StringRef field, const llvm::Twine &msg) {
  return llvm::make_error<BertcError>(code, file.str(), field.str(), msg.str());
}

} // namespace mlir::bert

#endif // BERT_COMPILER_BERTC_ERRORCODES_H
