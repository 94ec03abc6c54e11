//===- MaxShapes.h - activation shapes at the maxima ------------*- C++ -*-===//
//
// Activations have dynamic batch and sequence dimensions; passes that size
// or tile them need concrete extents. One rule, shared by bert-tile (which
// uses it to estimate rows) and bert-plan-buffers / bert-verify-buffers
// (which size arena slots with it), so that they can never disagree:
//
//   a dynamic dimension 0 is the batch (max_batch); every other dynamic
//   dimension is a sequence length (max_seq).
//
// That covers [B, S, H] hidden states, [B, S] masks, [B, h, S, d] heads and
// [B, h, S, S] attention scores, whose two trailing dynamic dims are both S
// (queries and keys of one sequence).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_PASSES_MAXSHAPES_H
#define BERT_PASSES_MAXSHAPES_H

#include "mlir/IR/BuiltinTypes.h"

#include <cstdint>

namespace mlir::bert {

/// The compile-time maxima a function is planned for.
struct MaxSizes {
  int64_t batch = 0;
  int64_t seq = 0;
};

/// Extent of dimension `dim` of `type` at the maxima.
inline int64_t dimAtMax(ShapedType type, unsigned dim, MaxSizes max) {
  if (!type.isDynamicDim(dim))
    return type.getDimSize(dim);
  return dim == 0 ? max.batch : max.seq;
}

/// Number of elements of `type` at the maxima.
inline int64_t numElementsAtMax(ShapedType type, MaxSizes max) {
  int64_t n = 1;
  for (unsigned d = 0, e = type.getRank(); d < e; ++d)
    n *= dimAtMax(type, d, max);
  return n;
}

/// Bytes of `type` at the maxima (sub-byte element types round up).
inline int64_t bytesAtMax(ShapedType type, MaxSizes max) {
  int64_t bits = type.getElementTypeBitWidth();
  return numElementsAtMax(type, max) * ((bits + 7) / 8);
}

} // namespace mlir::bert

#endif // BERT_PASSES_MAXSHAPES_H
