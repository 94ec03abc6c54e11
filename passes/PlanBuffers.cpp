//===- PlanBuffers.cpp - bert-plan-buffers: arena offsets by liveness -----===//
//
// Every activation a kernel writes gets a slot in one arena that the runtime
// allocates once per model: values whose live ranges (BufferLiveness.h) do
// not intersect may share bytes. Placement is the "greedy by size, best fit"
// heuristic of TFLite's arena planner: the largest buffers are placed first
// (they constrain the layout most), each at the tightest gap between the
// slots of buffers that are live at the same time, else past the last one.
// For a BERT encoder this gets the arena close to the largest set of
// simultaneously live activations, which is a lower bound.
//
// The plan is then re-checked by the same code as bert-verify-buffers, so a
// placement bug fails the compilation instead of corrupting activations.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "support/BufferLiveness.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

namespace mlir::bert {
#define GEN_PASS_DEF_PLANBUFFERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

/// A placed slot, with the live range of its buffer.
struct Placement {
  const LiveBuffer *buffer;
  int64_t offset;
};

/// Offset for `buffer` given the slots already placed: the smallest gap
/// (between slots of buffers live at the same time) that holds it, the
/// lowest such gap on ties, else the first aligned byte after all of them.
int64_t bestFitOffset(const LiveBuffer &buffer, ArrayRef<Placement> placed,
                      int64_t alignment) {
  SmallVector<std::pair<int64_t, int64_t>> busy; // [begin, end) in bytes
  for (const Placement &p : placed)
    if (p.buffer->overlapsInTime(buffer))
      busy.push_back({p.offset, p.offset + p.buffer->bytes});
  llvm::sort(busy);

  int64_t cursor = 0, best = -1, bestGap = 0;
  for (auto [begin, end] : busy) {
    int64_t gap = begin - cursor;
    if (gap >= buffer.bytes && (best < 0 || gap < bestGap)) {
      best = cursor;
      bestGap = gap;
    }
    cursor = std::max<int64_t>(cursor, llvm::alignTo(end, alignment));
  }
  return best >= 0 ? best : cursor;
}

/// Whether `buffer` holds f32 values, which 16-bit storage narrows (int32
/// and other types keep theirs).
bool isStoredAs16(const LiveBuffer &buffer) {
  auto type = cast<ShapedType>(buffer.owner->getResult(0).getType());
  return type.getElementType().isF32();
}

struct PlanBuffersPass
    : mlir::bert::impl::PlanBuffersPassBase<PlanBuffersPass> {
  using PlanBuffersPassBase::PlanBuffersPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // bert.buffer offsets must be multiples of 64 (a cache line, and the
    // widest vector load); other alignments must keep that.
    if (alignment <= 0 || alignment % 64 != 0) {
      func.emitError() << "bert-plan-buffers: alignment must be a positive "
                          "multiple of 64 bytes, got "
                       << alignment;
      return signalPassFailure();
    }
    // The arena's element type for f32 activations (null: f32 itself).
    Type element;
    if (activationType == "bf16")
      element = Builder(&getContext()).getBF16Type();
    else if (activationType == "f16")
      element = Builder(&getContext()).getF16Type();
    else if (activationType != "f32") {
      func.emitError() << "bert-plan-buffers: activation-type must be f32, "
                          "bf16 or f16, got '"
                       << activationType << "'";
      return signalPassFailure();
    }
    FailureOr<MaxSizes> max =
        resolveMaxSizes(func, "bert-plan-buffers",
                        /*hasOptions=*/true, maxBatch, maxSeq);
    if (failed(max))
      return signalPassFailure();
    FailureOr<SmallVector<LiveBuffer>> buffers = computeLiveBuffers(func, *max);
    if (failed(buffers))
      return signalPassFailure();
    // 16-bit storage halves every f32 buffer (outputs keep the caller's f32).
    DenseMap<const LiveBuffer *, Type> stored;
    if (element)
      for (LiveBuffer &buffer : *buffers)
        if (!buffer.isOutput && isStoredAs16(buffer)) {
          buffer.bytes /= 2;
          stored[&buffer] = element;
        }

    // Largest first; among equal sizes, program order, for a stable layout.
    SmallVector<const LiveBuffer *> order;
    for (const LiveBuffer &buffer : *buffers)
      if (!buffer.isOutput)
        order.push_back(&buffer);
    llvm::stable_sort(order, [](const LiveBuffer *a, const LiveBuffer *b) {
      return a->bytes > b->bytes;
    });

    SmallVector<Placement> placed;
    int64_t arena = 0, unshared = 0;
    for (const LiveBuffer *buffer : order) {
      int64_t offset = bestFitOffset(*buffer, placed, alignment);
      placed.push_back({buffer, offset});
      arena = std::max(arena, offset + buffer->bytes);
      unshared += buffer->bytes;
    }
    arena = llvm::alignTo(arena, alignment);

    // The plan replaces any earlier one, including slots on ops that no
    // longer own memory (outputs, views).
    MLIRContext *ctx = &getContext();
    StringRef slotName = BertDialect::getBufferAttrName();
    func.walk([&](Operation *op) { op->removeAttr(slotName); });
    for (const Placement &p : placed)
      p.buffer->owner->setAttr(slotName,
                               BufferAttr::get(ctx, p.offset, p.buffer->bytes,
                                               stored.lookup(p.buffer)));

    // Record what the arena was sized for: it is only valid up to these
    // maxima, and the runtime must reject larger requests.
    Builder b(ctx);
    func->setAttr("bert.max_batch", b.getI64IntegerAttr(max->batch));
    func->setAttr("bert.max_seq", b.getI64IntegerAttr(max->seq));
    if (arena > 0)
      func->setAttr("bert.arena_bytes", b.getI64IntegerAttr(arena));
    else
      func->removeAttr("bert.arena_bytes");

    numBuffers += placed.size();
    arenaBytes += arena;
    unsharedBytes += unshared;
    if (report)
      func.emitRemark() << "bert-plan-buffers: " << placed.size()
                        << " buffers, arena " << arena << " bytes, unshared "
                        << unshared << " bytes";

    if (failed(verifyBufferPlan(func, *max))) {
      func.emitError() << "bert-plan-buffers: internal error: the plan fails "
                          "its own verification";
      return signalPassFailure();
    }
  }
};

} // namespace
