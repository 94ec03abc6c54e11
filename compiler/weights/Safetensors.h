//===- Safetensors.h - safetensors reader and writer ------------*- C++ -*-===//
//
// The weights format of Hugging Face checkpoints
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, ...,
// "__metadata__": {string: string}}, then the raw little-endian tensor data.
// The reader validates the whole header up front (offsets in bounds, sizes
// consistent with shape and dtype, tensors covering the data without gaps or
// overlap, as the reference implementation demands) and converts F32, F16
// and BF16 tensors to float on request. Every error names the file and, where
// there is one, the tensor.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_WEIGHTS_SAFETENSORS_H
#define BERT_WEIGHTS_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::bert {

/// One tensor of a safetensors header.
struct SafetensorsEntry {
  std::string dtype;          ///< "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape; ///< row-major extents
  uint64_t begin = 0, end = 0; ///< byte range within the data section
};

/// An open, validated safetensors file.
class SafetensorsFile {
public:
  /// Reads and validates `path`.
  static llvm::Expected<SafetensorsFile> open(llvm::StringRef path);

  /// Tensor names, sorted.
  std::vector<std::string> names() const;
  /// The entry of `name`, or null.
  const SafetensorsEntry *find(llvm::StringRef name) const;
  /// The `__metadata__` map (empty when the file has none).
  const std::map<std::string, std::string> &metadata() const {
    return meta;
  }
  llvm::StringRef path() const { return filePath; }

  /// The values of tensor `name` converted to float. Fails when the tensor
  /// is missing, its dtype is not F32/F16/BF16, or (when `expectedShape` is
  /// given) its shape differs.
  llvm::Expected<std::vector<float>>
  readFloat(llvm::StringRef name,
            std::optional<llvm::ArrayRef<int64_t>> expectedShape =
                std::nullopt) const;

private:
  std::string filePath;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  size_t dataStart = 0;
  llvm::StringMap<SafetensorsEntry> entries;
  std::map<std::string, std::string> meta;
};

/// A float tensor to write.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  llvm::ArrayRef<float> data; ///< product(shape) values, row-major
};

/// Writes `tensors` as F32 to `path`: header JSON (metadata first, then the
/// tensors in sorted name order) padded with spaces to a multiple of 8
/// bytes, as the reference implementation does, then the data in the same
/// order. Fails on duplicate names or a data size that does not match the
/// shape.
llvm::Error
writeSafetensors(llvm::StringRef path, llvm::ArrayRef<NamedTensor> tensors,
                 const std::map<std::string, std::string> &metadata = {});

/// IEEE half / bfloat16 bit patterns to float (exposed for tests).
float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);

} // namespace mlir::bert

#endif // BERT_WEIGHTS_SAFETENSORS_H
