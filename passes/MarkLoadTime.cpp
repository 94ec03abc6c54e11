//===- MarkLoadTime.cpp - kernels to run once, at load --------------------===//
//
// Marks bert.load_time on the kernels whose results depend only on the
// weights and the sequence length, as a window of their result at the
// compiled max_seq (see Passes.td). XLNet's per-layer kr projection is 13 %
// of an xlnet-base run at S = 128 and never depends on the input: computed
// once at load, a run reads rows max_seq - S .. max_seq + S - 1 of it.
//
// Two steps: the candidates in program order (a relative_positions, or a
// linear of a candidate with weights only), then, to a fixed point, drop a
// candidate that a run-time op reads other than as a relative attention's
// position keys (the one reader that offsets into the window).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/BertOps.h"
#include "dialect/LoadTime.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::bert {
#define GEN_PASS_DEF_MARKLOADTIMEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

/// A model weight as the runtime builds it at load: a bert.weight, or a
/// bert.weight_matrix or bert.concat of weights.
bool isWeight(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (isa<WeightOp>(def))
    return true;
  if (auto m = dyn_cast<WeightMatrixOp>(def))
    return isWeight(m.getInput());
  if (auto c = dyn_cast<ConcatOp>(def))
    return llvm::all_of(c.getInputs(), isWeight);
  return false;
}

/// Whether `use` may read a load-time value at run time: only as the
/// position keys of a relative attention, which reads the window its
/// length needs.
bool readsWindow(OpOperand &use) {
  auto attention = dyn_cast<RelativeAttentionOp>(use.getOwner());
  return attention && use.getOperandNumber() ==
                          attention.getPositionKeysMutable().getOperandNumber();
}

struct MarkLoadTimePass
    : mlir::bert::impl::MarkLoadTimePassBase<MarkLoadTimePass> {
  void runOnOperation() override {
    llvm::SetVector<Operation *> loadTime;
    getOperation().walk([&](Operation *op) {
      if (isa<RelativePositionsOp>(op))
        loadTime.insert(op);
      else if (auto linear = dyn_cast<LinearOp>(op))
        if (Operation *in = linear.getInput().getDefiningOp();
            in && loadTime.contains(in) && isWeight(linear.getWeight()) &&
            (!linear.getBias() || isWeight(linear.getBias())))
          loadTime.insert(op);
    });
    for (bool changed = true; changed;) {
      changed = false;
      for (Operation *op : llvm::to_vector(loadTime))
        for (OpOperand &use : op->getResult(0).getUses())
          if (!loadTime.contains(use.getOwner()) && !readsWindow(use)) {
            loadTime.remove(op);
            changed = true;
            break;
          }
    }
    UnitAttr unit = UnitAttr::get(&getContext());
    for (Operation *op : loadTime)
      op->setAttr(kLoadTimeAttrName, unit);
  }
};

} // namespace
