//===- BufferLiveness.cpp - activation buffers and their live ranges ------===//
//
// Computes which values own activation storage and when that storage is
// live (rules in BufferLiveness.h), and checks a buffer plan against it.
// bert-plan-buffers runs the check on its own result; bert-verify-buffers
// runs it on any IR, including slots pinned by hand.
//
//===----------------------------------------------------------------------===//

#include "support/BufferLiveness.h"

#include "dialect/BertOps.h"

#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::bert;

bool mlir::bert::isViewOp(Operation *op) {
  return isa<SliceOp, SplitHeadsOp, MergeHeadsOp>(op);
}

FailureOr<MaxSizes> mlir::bert::resolveMaxSizes(func::FuncOp func,
                                                StringRef passName,
                                                bool hasOptions, int64_t batch,
                                                int64_t seq) {
  auto fromAttr = [&](int64_t given, StringRef attr) -> int64_t {
    if (given > 0)
      return given;
    if (auto value = func->getAttrOfType<IntegerAttr>(attr))
      return value.getInt();
    return 0;
  };
  MaxSizes max{fromAttr(batch, "bert.max_batch"),
               fromAttr(seq, "bert.max_seq")};
  auto missing = [&](StringRef what, StringRef attr,
                     StringRef option) -> FailureOr<MaxSizes> {
    InFlightDiagnostic diag = func.emitError();
    diag << passName << ": no maximum " << what
         << " to size activations with: set '" << attr << "' on the function";
    if (hasOptions)
      diag << " or the pass option '" << option << "'";
    return diag;
  };
  if (max.batch <= 0)
    return missing("batch size", "bert.max_batch", "max-batch");
  if (max.seq <= 0)
    return missing("sequence length", "bert.max_seq", "max-seq");
  return max;
}

/// Weights, constants, and concatenations or views of nothing but those:
/// their values exist before the first request and never live in the arena.
static bool isLoadTime(Operation &op, const DenseSet<Value> &loadTime) {
  if (isa<WeightOp>(op) || op.hasTrait<OpTrait::ConstantLike>())
    return true;
  if (!isa<ConcatOp>(op) && !isViewOp(&op))
    return false;
  return op.getNumOperands() > 0 &&
         llvm::all_of(op.getOperands(),
                      [&](Value v) { return loadTime.contains(v); });
}

FailureOr<SmallVector<LiveBuffer>>
mlir::bert::computeLiveBuffers(func::FuncOp func, MaxSizes max) {
  if (!func.getBody().hasOneBlock())
    return func.emitError()
           << "buffer planning expects a function body of one block";
  Block &block = func.getBody().front();
  DenseMap<Operation *, int64_t> position;
  for (Operation &op : block)
    position[&op] = position.size();

  SmallVector<LiveBuffer> buffers;
  DenseMap<Value, unsigned> bufferOf; // owners and views -> buffers index
  DenseSet<Value> loadTime;
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>())
      continue;
    if (isLoadTime(op, loadTime)) {
      loadTime.insert(op.result_begin(), op.result_end());
      continue;
    }
    if (isViewOp(&op)) {
      // A view of a function argument aliases the caller's memory.
      auto it = bufferOf.find(op.getOperand(0));
      if (it != bufferOf.end())
        bufferOf[op.getResult(0)] = it->second;
      continue;
    }
    if (llvm::none_of(op.getResultTypes(), llvm::IsaPred<ShapedType>))
      continue;
    // A multi-result kernel (bert.unstack) writes the caller's outputs
    // only: nothing of it lives in the arena.
    if (op.getNumResults() > 1 && llvm::all_of(op.getResults(), [](Value r) {
          return llvm::all_of(r.getUsers(), llvm::IsaPred<func::ReturnOp>);
        }))
      continue;
    auto type = dyn_cast<ShapedType>(op.getResult(0).getType());
    if (op.getNumResults() != 1 || !type || !type.hasRank())
      return op.emitError() << "buffer planning supports kernels with one "
                               "ranked tensor result (or several that are "
                               "all function results)";
    LiveBuffer buffer;
    buffer.owner = &op;
    buffer.bytes = bytesAtMax(type, max);
    if (buffer.bytes <= 0)
      continue; // an empty tensor: nothing to store
    buffer.start = buffer.end = position[&op];
    bufferOf[op.getResult(0)] = buffers.size();
    buffers.push_back(buffer);
  }

  int64_t lastPosition = static_cast<int64_t>(block.getOperations().size()) - 1;
  for (auto [value, index] : bufferOf) {
    LiveBuffer &buffer = buffers[index];
    for (Operation *user : value.getUsers()) {
      Operation *inBlock = block.findAncestorOpInBlock(*user);
      if (!inBlock)
        continue;
      buffer.end = std::max(buffer.end, position[inBlock]);
      if (!isa<func::ReturnOp>(inBlock))
        continue;
      // Returned: whole storage goes to the caller's output buffer; a
      // narrower view keeps its storage in the arena to the very end.
      if (bytesAtMax(cast<ShapedType>(value.getType()), max) == buffer.bytes)
        buffer.isOutput = true;
      buffer.end = lastPosition;
    }
  }
  return buffers;
}

LogicalResult mlir::bert::verifyBufferPlan(func::FuncOp func, MaxSizes max) {
  FailureOr<SmallVector<LiveBuffer>> buffers = computeLiveBuffers(func, max);
  if (failed(buffers))
    return failure();
  StringRef slotName = BertDialect::getBufferAttrName();
  auto arena = func->getAttrOfType<IntegerAttr>("bert.arena_bytes");
  bool ok = true;

  struct Slotted {
    const LiveBuffer *buffer;
    BufferAttr slot;
  };
  SmallVector<Slotted> slotted;
  DenseSet<Operation *> owners;
  for (const LiveBuffer &buffer : *buffers) {
    owners.insert(buffer.owner);
    auto slot = buffer.owner->getAttrOfType<BufferAttr>(slotName);
    if (!slot) {
      if (!buffer.isOutput) {
        buffer.owner->emitError()
            << "needs an arena slot for its " << buffer.bytes
            << " bytes but has no 'bert.buffer'";
        ok = false;
      }
      continue;
    }
    int64_t slotEnd = slot.getOffset() + slot.getBytes();
    // A slot of 16-bit elements (bert-plan-buffers' activation-type) needs
    // half its f32 tensor's bytes.
    int64_t need = buffer.bytes;
    if (Type element = slot.getElement()) {
      auto type = cast<ShapedType>(buffer.owner->getResult(0).getType());
      if (!type.getElementType().isF32()) {
        buffer.owner->emitError() << "arena slot stores " << element
                                  << " elements, but the value is not f32";
        ok = false;
      }
      need = buffer.bytes / 4 * 2;
    }
    if (slot.getBytes() < need) {
      buffer.owner->emitError()
          << "arena slot of " << slot.getBytes()
          << " bytes is smaller than the " << need
          << " bytes its result needs at max_batch = " << max.batch
          << ", max_seq = " << max.seq;
      ok = false;
    }
    if (!arena) {
      buffer.owner->emitError() << "has an arena slot but the function has "
                                   "no 'bert.arena_bytes'";
      ok = false;
    } else if (slotEnd > arena.getInt()) {
      buffer.owner->emitError()
          << "arena slot [" << slot.getOffset() << ", " << slotEnd
          << ") ends past the arena of " << arena.getInt() << " bytes";
      ok = false;
    }
    slotted.push_back({&buffer, slot});
  }

  func.walk([&](Operation *op) {
    if (op->hasAttr(slotName) && !owners.contains(op)) {
      op->emitError() << "has an arena slot but owns no activation memory "
                         "(a view, a load-time value or not a kernel)";
      ok = false;
    }
  });

  // Slots are few (a handful per layer), so all pairs is cheap and obviously
  // complete.
  for (unsigned i = 0; i < slotted.size(); ++i) {
    for (unsigned j = i + 1; j < slotted.size(); ++j) {
      const Slotted &a = slotted[i], &b = slotted[j];
      if (!a.buffer->overlapsInTime(*b.buffer))
        continue;
      int64_t aEnd = a.slot.getOffset() + a.slot.getBytes();
      int64_t bEnd = b.slot.getOffset() + b.slot.getBytes();
      if (a.slot.getOffset() >= bEnd || b.slot.getOffset() >= aEnd)
        continue;
      InFlightDiagnostic diag = b.buffer->owner->emitError();
      diag << "arena slot [" << b.slot.getOffset() << ", " << bEnd
           << ") overlaps slot [" << a.slot.getOffset() << ", " << aEnd
           << ") of a value live at the same time";
      diag.attachNote(a.buffer->owner->getLoc())
          << "the other value is defined here";
      ok = false;
    }
  }
  return success(ok);
}
