//===- Safetensors.h - safetensors for the compiler tools -------*- C++ -*-===//
//
// The weights format of Hugging Face checkpoints
// (https://github.com/huggingface/safetensors). The compiler tools read and
// write it through the runtime's C implementation (runtime/src/safetensors.h:
// one validating reader, one header writer, one half/bfloat16 conversion),
// so a file bertc writes or accepts is exactly one a compiled model loads.
// This is the C++ face of it: llvm::Error messages naming the file and the
// tensor, float vectors, and a writer that replaces its output atomically.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_WEIGHTS_SAFETENSORS_H
#define BERT_WEIGHTS_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::bert {

/// An open, validated safetensors file (mapped read-only while open).
class SafetensorsFile {
public:
  /// Maps and validates `path` (see bert_st_open for what is checked).
  static llvm::Expected<SafetensorsFile> open(llvm::StringRef path);

  SafetensorsFile(SafetensorsFile &&) noexcept;
  SafetensorsFile &operator=(SafetensorsFile &&) noexcept;
  ~SafetensorsFile();

  /// Tensor names, sorted bytewise.
  std::vector<std::string> names() const;
  llvm::StringRef path() const;

  /// The shape of tensor `name`, or std::nullopt when the file lacks it.
  std::optional<std::vector<int64_t>> shapeOf(llvm::StringRef name) const;

  /// The values of tensor `name` converted to float. Fails when the tensor
  /// is missing, its dtype is not F32/F16/BF16, or (when `expectedShape` is
  /// given) its shape differs.
  llvm::Expected<std::vector<float>>
  readFloat(llvm::StringRef name,
            std::optional<llvm::ArrayRef<int64_t>> expectedShape =
                std::nullopt) const;

private:
  struct Impl;
  explicit SafetensorsFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// A float tensor to write: either its values in `data`, or `produce`,
/// which is called with successive chunks of the tensor (in order) to fill,
/// so a tensor never has to be in memory whole.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  llvm::ArrayRef<float> data; ///< product(shape) values, row-major
  std::function<void(llvm::MutableArrayRef<float>)> produce = nullptr;
};

/// Writes `tensors` as F32 to `path`: header (metadata first, then the
/// tensors in sorted name order, padded with spaces to a multiple of 8
/// bytes, as the reference implementation does), then the data in the same
/// order. The file is written under a temporary name in the same directory
/// and renamed over `path`, so a reader (a loaded model maps its file)
/// never sees it change or shrink. Fails on duplicate names, a data size
/// that does not match the shape, or an I/O error; the message does not
/// repeat `path` (callers name the file, as bertc's "<file>: <what>").
llvm::Error
writeSafetensors(llvm::StringRef path, llvm::ArrayRef<NamedTensor> tensors,
                 const std::map<std::string, std::string> &metadata = {});

} // namespace mlir::bert

#endif // BERT_WEIGHTS_SAFETENSORS_H
