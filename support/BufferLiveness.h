//===- BufferLiveness.h - activation buffers, live ranges -------*- C++ -*-===//
//
// What bert-plan-buffers places and bert-verify-buffers checks, computed by
// one piece of code so that the planner and the checker cannot disagree
// about which values need memory or how long they live.
//
// Rules (documented once, here):
// - A value needs arena memory when a runtime kernel produces it. It needs
//   none when it is a function argument (the caller's buffer), a
//   `bert.weight` or an op computed only from weights (`bert.concat` of
//   weights: evaluated at load time, lives in the weights' buffers), or a
//   view.
// - Views alias their operand: `bert.slice` (a strided window of the packed
//   QKV activation), `bert.split_heads` and `bert.merge_heads` (layout
//   changes the neighbouring kernel addresses with permuted strides). A view
//   and its operand form one buffer, owned by the op that produced the
//   storage, live from that op until the last use of any member.
// - Live ranges are inclusive positions in the function body: a buffer is
//   live from its producer to its last reader, so a kernel's output never
//   shares memory with its own inputs (the Halide kernels are not in-place).
// - A buffer whose storage is returned whole (the function returns the owner,
//   or a split/merge view of it) gets no arena slot: the generated code hands
//   the kernel the caller's output buffer, which saves the arena space and a
//   copy. A returned `bert.slice` covers only part of its storage, so that
//   storage keeps an arena slot live to the end of the function and the
//   generated code copies the window out.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_PASSES_BUFFERLIVENESS_H
#define BERT_PASSES_BUFFERLIVENESS_H

#include "passes/MaxShapes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::bert {

/// One piece of activation storage and the interval it is live.
struct LiveBuffer {
  /// The op producing the storage; `bert.buffer` is attached to it.
  Operation *owner = nullptr;
  /// Bytes at the function's maxima (MaxShapes.h).
  int64_t bytes = 0;
  /// First and last position (inclusive) in the function body.
  int64_t start = 0, end = 0;
  /// Returned whole: written straight into the caller's output buffer.
  bool isOutput = false;

  bool overlapsInTime(const LiveBuffer &other) const {
    return start <= other.end && other.start <= end;
  }
};

/// True for ops whose result aliases their operand (no storage of their own).
bool isViewOp(Operation *op);

/// Reads the maxima the function is planned for from `bert.max_batch` and
/// `bert.max_seq`, each overridden by a positive `batch` / `seq` (the pass
/// options `max-batch` / `max-seq` when `hasOptions`); emits an error naming
/// `passName` when one is missing.
FailureOr<MaxSizes> resolveMaxSizes(func::FuncOp func, StringRef passName,
                                    bool hasOptions = false, int64_t batch = 0,
                                    int64_t seq = 0);

/// The buffers of `func` in body order, or failure (with a diagnostic) when
/// the function cannot be planned (several blocks, a multi-result kernel).
FailureOr<SmallVector<LiveBuffer>> computeLiveBuffers(func::FuncOp func,
                                                      MaxSizes max);

/// Checks the `bert.buffer` slots and `bert.arena_bytes` of `func` against
/// freshly computed live ranges: every non-output buffer has a slot large
/// enough for it, inside the arena, overlapping no slot of a buffer live at
/// the same time, and no op that owns no storage carries a slot. Emits one
/// error per violation.
LogicalResult verifyBufferPlan(func::FuncOp func, MaxSizes max);

} // namespace mlir::bert

#endif // BERT_PASSES_BUFFERLIVENESS_H
