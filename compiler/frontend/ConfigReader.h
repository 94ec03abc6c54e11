//===- ConfigReader.h - Hugging Face BERT config.json reader ----*- C++ -*-===//
//
// Reads a Hugging Face `config.json` into a `BertConfig`. The fields and their
// defaults are those of transformers' `BertConfig`; the structural sizes
// (vocab_size, hidden_size, num_hidden_layers, num_attention_heads,
// intermediate_size) are required, because a JSON object without them is
// almost certainly not a BERT config, and silently compiling BERT-base for it
// would be worse than an error. Every problem is reported as a
// `mlir::bert::BertcError` naming the file and the field.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_FRONTEND_CONFIGREADER_H
#define BERT_COMPILER_FRONTEND_CONFIGREADER_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::bert {

/// Which GELU a config's `hidden_act` asks for.
enum class GeluForm {
  Exact, ///< "gelu": x * Phi(x) with erf
  Tanh,  ///< "gelu_new", "gelu_pytorch_tanh": the tanh approximation
};

/// A line/column in the config file (1-based), for IR locations.
struct SourcePos {
  unsigned line = 1, column = 1;
};

/// The fields of a BERT config that shape the compiled graph. Defaults are
/// transformers' BertConfig defaults (BERT-base).
struct BertConfig {
  /// The file the config came from, as given on the command line.
  std::string path;

  int64_t vocabSize = 30522;
  int64_t hiddenSize = 768;
  int64_t numHiddenLayers = 12;
  int64_t numAttentionHeads = 12;
  int64_t intermediateSize = 3072;
  std::string hiddenAct = "gelu";
  GeluForm gelu = GeluForm::Exact;
  int64_t maxPositionEmbeddings = 512;
  int64_t typeVocabSize = 2;
  double layerNormEps = 1e-12;
  std::string modelType = "bert";

  /// Where each key present in the file starts, so that ops can point at the
  /// field they come from.
  llvm::StringMap<SourcePos> fieldPos;

  /// The position of `field`'s key, or 1:1 when it was defaulted.
  SourcePos posOf(llvm::StringRef field) const {
    auto it = fieldPos.find(field);
    return it == fieldPos.end() ? SourcePos{} : it->second;
  }

  int64_t headSize() const { return hiddenSize / numAttentionHeads; }
};

/// Reads and validates the config file at `path`.
llvm::Expected<BertConfig> readBertConfig(llvm::StringRef path);

/// Parses and validates config `text`; `path` is only used in messages and
/// locations.
llvm::Expected<BertConfig> parseBertConfig(llvm::StringRef text,
                                           llvm::StringRef path);

} // namespace mlir::bert

#endif // BERT_COMPILER_FRONTEND_CONFIGREADER_H
