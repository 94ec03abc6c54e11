//===- ModelDir.h - Hugging Face model directories for bertc ----*- C++ -*-===//
//
// `bertc compile MODEL_DIR` takes a Hugging Face model directory as well as
// a config.json path. The directory's config.json is what is compiled; what
// the library needs to take text is copied beside it:
//
//   <name>.tokenizer.json  the directory's tokenizer.json, byte for byte;
//   <name>.pooling.json    sentence-transformers' pooling, from modules.json
//                          (the Pooling module's folder, a Normalize module),
//                          that folder's config.json (1_Pooling/config.json)
//                          and sentence_bert_config.json (max_seq_length):
//
//     {"format": "bertc-pooling", "version": 1, "mode": "mean",
//      "normalize": true, "max_seq_length": 256}
//
//   mode is "mean" (over the attention mask), "cls" (the first token) or
//   "max" (over the attention mask); normalize: L2-normalize the pooled
//   vector; max_seq_length (absent: none): texts are truncated to that many
//   tokens, as sentence-transformers truncates them (the library's maximum
//   sequence length still caps it).
//
//   <name>.labels.json     for a sequence or token classification head
//                          whose config.json has id2label: its labels in id
//                          order (the keys must be 0 .. n-1),
//
//     {"format": "bertc-labels", "version": 1,
//      "id2label": ["O", "B-PER", "I-PER"]}
//
// bert-run finds the files beside the library (runtime/tools/bert_run.c;
// the labels name its classes, runtime/tools/bert_run_heads.h).
// Everything is read and checked before anything is compiled, so a bad
// 1_Pooling/config.json is one error line, not a library without its
// pooling.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_MODELDIR_H
#define BERT_COMPILER_BERTC_MODELDIR_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::bert {

/// sentence-transformers' pooling, as `<name>.pooling.json` records it.
struct SentencePooling {
  std::string mode; ///< "mean", "cls" or "max"
  bool normalize = false;
  int64_t maxSeqLength = 0; ///< 0: none
};

/// What bertc takes from a model directory.
struct ModelInput {
  std::string configPath;    ///< the config.json to compile
  std::string tokenizerPath; ///< empty: none (or the input was a file)
  std::optional<SentencePooling> pooling;
  std::vector<std::string> labels; ///< id2label in id order; empty: none
  std::string note; ///< a remark for the user (a module bertc leaves out)
};

/// `path` is a config.json (returned as is) or a model directory, read and
/// checked whole: its config.json must exist, and its sentence-transformers
/// files, when present, must describe a pooling bertc computes for a model
/// of `config.json`'s hidden size.
llvm::Expected<ModelInput> readModelInput(llvm::StringRef path);

/// Writes `<name>.tokenizer.json`, `<name>.pooling.json` and
/// `<name>.labels.json` into `outDir` for what `input` has (nothing for a
/// plain config.json).
llvm::Error writeTextFiles(const ModelInput &input, llvm::StringRef outDir,
                           llvm::StringRef name);

} // namespace mlir::bert

#endif // BERT_COMPILER_BERTC_MODELDIR_H
