//===- PruneFirstToken.cpp - end the encoder on the first token -----------===//
//
// For heads that read only the first token (bert.pooler: sequence
// classification, next-sentence prediction), the row-wise kernels after the
// last attention compute [B, 1, H] instead of [B, S, H]. See Passes.td.
//
// Which ops: walking the block backwards, a row-wise kernel (linear, layer
// norm, add + layer norm) joins the pruned region when every user of its
// result is a pooler or already in the region, so no op outside sees a
// pruned value. That includes the attention output projection, whose input
// (the attention's result) is made outside: it reads token 0 of each
// sequence as a strided row view, like the LayerNorms' residuals. Keeping
// it on every row cost 127/128 of a hidden x hidden GEMM (0.7 % of
// bert-base's FLOPs) for rows nothing reads.
// Region inputs of [B, S, C] activations are sliced to row 0 along the
// sequence; the region is cloned with [B, 1, C] types and the poolers read
// the clone.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/BertOps.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::bert {
#define GEN_PASS_DEF_PRUNEFIRSTTOKENPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

/// Kernels whose output row r depends on input row r only.
bool isRowWise(Operation *op) {
  if (auto linear = dyn_cast<LinearOp>(op))
    return cast<RankedTensorType>(linear.getType()).getRank() == 3;
  return isa<LayerNormOp, AddLayerNormOp>(op);
}

/// A [B, S, C] activation: batch and sequence dynamic.
bool isTokenActivation(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() == 3 && t.isDynamicDim(0) && t.isDynamicDim(1) &&
         !t.isDynamicDim(2);
}

/// `t` with a sequence of 1.
RankedTensorType firstTokenType(Type t) {
  auto r = cast<RankedTensorType>(t);
  return RankedTensorType::get({r.getDimSize(0), 1, r.getDimSize(2)},
                               r.getElementType());
}

struct PruneFirstTokenPass
    : mlir::bert::impl::PruneFirstTokenPassBase<PruneFirstTokenPass> {
  using PruneFirstTokenPassBase::PruneFirstTokenPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func.getBody().hasOneBlock())
      return;
    Block &body = func.getBody().front();

    // The region, found backwards: users are decided before producers.
    llvm::SetVector<Operation *> region;
    auto readsFirstTokenOnly = [&](Operation *user) {
      // XLNet's summary reads the last token, which the pruning drops.
      auto pooler = dyn_cast<PoolerOp>(user);
      return (pooler && !pooler.getLastToken()) || region.contains(user);
    };
    for (Operation &op : llvm::reverse(body)) {
      if (!isRowWise(&op) || !isTokenActivation(op.getResult(0)) ||
          op.getResult(0).use_empty())
        continue;
      if (llvm::all_of(op.getResult(0).getUsers(), readsFirstTokenOnly))
        region.insert(&op);
    }
    if (region.empty())
      return;

    // Clone the region in program order right after its last op, on the
    // first token; slices of its inputs go first.
    SmallVector<Operation *> ordered(region.begin(), region.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    OpBuilder b(ordered.back()->getNextNode());
    IRMapping map;
    for (Operation *op : ordered)
      for (Value in : op->getOperands()) {
        if (map.contains(in) || region.contains(in.getDefiningOp()) ||
            !isTokenActivation(in))
          continue;
        map.map(in,
                SliceOp::create(b, op->getLoc(), firstTokenType(in.getType()),
                                in, /*dim=*/1, /*offset=*/0, /*size=*/1));
      }
    for (Operation *op : ordered) {
      Operation *clone = b.clone(*op, map);
      clone->getResult(0).setType(firstTokenType(op->getResult(0).getType()));
      // Schedules and arena slots were chosen for [B, S, C]: later passes
      // choose them again.
      clone->removeAttr(BertDialect::getScheduleAttrName());
      clone->removeAttr(BertDialect::getBufferAttrName());
      ++numPruned;
    }
    for (Operation *op : ordered)
      for (OpOperand &use :
           llvm::make_early_inc_range(op->getResult(0).getUses()))
        if (auto pooler = dyn_cast<PoolerOp>(use.getOwner()))
          use.set(map.lookup(op->getResult(0)));
    for (Operation *op : llvm::reverse(ordered))
      if (op->use_empty())
        op->erase();
  }
};

} // namespace
