//===- Tensor.h - host tensors of the reference evaluator -------*- C++ -*-===//
//
// The evaluator's value type: a row-major shape plus either float or int32
// data. Deliberately plain (no views, no strides, no sharing) so that every
// kernel reads like its formula. f16 and bf16 tensor types are evaluated in
// float, as the reference for what a lower-precision kernel approximates.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_EVAL_TENSOR_H
#define BERT_EVAL_TENSOR_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::bert {

struct Tensor {
  std::vector<int64_t> shape;
  bool isInt = false;     ///< int32 (ids, masks) or float
  std::vector<float> f;   ///< float data when !isInt
  std::vector<int32_t> i; ///< int32 data when isInt

  static Tensor floats(std::vector<int64_t> shape) {
    Tensor t;
    t.shape = std::move(shape);
    t.f.assign(t.numel(), 0.0f);
    return t;
  }
  static Tensor floats(std::vector<int64_t> shape, std::vector<float> data) {
    Tensor t;
    t.shape = std::move(shape);
    t.f = std::move(data);
    return t;
  }
  static Tensor ints(std::vector<int64_t> shape, std::vector<int32_t> data) {
    Tensor t;
    t.shape = std::move(shape);
    t.isInt = true;
    t.i = std::move(data);
    return t;
  }

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  int64_t rank() const { return int64_t(shape.size()); }
  int64_t dim(int64_t d) const { return shape[d < 0 ? shape.size() + d : d]; }
};

/// "[2, 3, 8]".
std::string shapeToString(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::bert

#endif // BERT_EVAL_TENSOR_H
