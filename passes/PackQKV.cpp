//===- PackQKV.cpp - pack the Q, K, V projections into one linear ---------===//
//
// Implements `bert-pack-qkv`. After `bert-split-heads`, every attention reads
// its input through three [H, H] projections; one [3H, H] GEMM does the same
// work with one pass over the activations and a larger N for the kernel to
// tile. The weights and biases are joined with `bert.concat` (evaluated once
// at load time), and Q, K, V become `bert.slice`s of the packed result.
//
// Which linears form a group. The pass does not look for the attention
// around them: the projections feed split_heads in the batched layout but
// per-head slices in the other, and neither is needed to know that packing
// is correct. Packing is correct for any linears of one input; it is only
// *unambiguous* for the Q, K, V triple. So a group is exactly three
// `bert.linear`s that
//   - read the same input value and sit in the same block,
//   - have no activation (an epilogue would apply to the packed columns of
//     all three alike; a non-`none` one marks an FFN layer anyway),
//   - have a bias (the packed op has one bias; a mixed group is left alone),
//   - have the same weight, bias and result types.
// When four or more linears match, which three are Q, K, V is a guess, so
// nothing is packed; fewer than three leaves nothing to gain. In a BERT layer
// the only triple is Q, K, V: the layer input's other reader is the residual
// add, the FFN and output linears each read a value of their own.
//
// Order: Q, K, V are packed in the order of appearance in the block, which
// `bert-split-heads` emits as query, key, value, so slice i replaces the
// i-th linear.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Dominance.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::bert {
#define GEN_PASS_DEF_PACKQKVPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

/// Linears that may be packed together share all of these: input, block,
/// weight type, bias type, result type, precision.
using GroupKey = std::tuple<Value, Block *, Type, Type, Type, Precision>;

bool isPackable(LinearOp op) {
  return op.getActivation() == Activation::none && op.getBias() &&
         cast<RankedTensorType>(op.getType()).getRank() >= 2;
}

/// Makes every weight and bias of `group` available before `first`, where
/// the packed linear goes. Values defined later are `bert.weight`s (pure and
/// operand-free, so moving one up is always legal); anything else defined
/// later makes the group unpackable.
LogicalResult hoistOperands(ArrayRef<LinearOp> group, LinearOp first,
                            DominanceInfo &dom) {
  SmallVector<Operation *> toMove;
  for (LinearOp op : group)
    for (Value v : {op.getWeight(), op.getBias()}) {
      if (dom.properlyDominates(v, first))
        continue;
      auto weight = v.getDefiningOp<WeightOp>();
      if (!weight || weight->getBlock() != first->getBlock())
        return failure();
      toMove.push_back(weight);
    }
  for (Operation *op : toMove)
    op->moveBefore(first);
  return success();
}

/// Replaces the three linears of `group` (in block order) by one packed
/// linear and three slices of its result.
void pack(MutableArrayRef<LinearOp> group) {
  LinearOp first = group.front();
  OpBuilder b(first);
  SmallVector<Location> locs;
  SmallVector<Value, 3> weights, biases;
  for (LinearOp op : group) {
    locs.push_back(op.getLoc());
    weights.push_back(op.getWeight());
    biases.push_back(op.getBias());
  }
  Location loc = b.getFusedLoc(locs);

  auto w = cast<RankedTensorType>(first.getWeight().getType());
  int64_t n = w.getDimSize(0);
  Type elt = w.getElementType();
  Value packedW = ConcatOp::create(
      b, loc, RankedTensorType::get({3 * n, w.getDimSize(1)}, elt), weights,
      /*dim=*/0);
  auto bt = cast<RankedTensorType>(first.getBias().getType());
  Value packedB = ConcatOp::create(
      b, loc, RankedTensorType::get({3 * n}, bt.getElementType()), biases,
      /*dim=*/0);

  auto r = cast<RankedTensorType>(first.getType());
  SmallVector<int64_t> shape(r.getShape());
  int64_t last = r.getRank() - 1;
  shape[last] = 3 * n;
  Value packed =
      LinearOp::create(b, loc, RankedTensorType::get(shape, r.getElementType()),
                       first.getInput(), packedW, packedB, Activation::none,
                       first.getPrecision());
  // All slices are built before any linear is erased: the builder's
  // insertion point is the first linear.
  SmallVector<Value, 3> slices;
  for (auto [i, op] : llvm::enumerate(group))
    slices.push_back(SliceOp::create(b, op.getLoc(), r, packed, last,
                                     /*offset=*/i * n, /*size=*/n));
  for (auto [op, slice] : llvm::zip_equal(group, slices)) {
    op.getResult().replaceAllUsesWith(slice);
    op.erase();
  }
}

struct PackQKVPass : mlir::bert::impl::PackQKVPassBase<PackQKVPass> {
  using PackQKVPassBase::PackQKVPassBase;

  void runOnOperation() override {
    // A MapVector keeps groups in the order their first linear appears, and
    // each group's linears in walk (= block) order.
    llvm::MapVector<GroupKey, SmallVector<LinearOp, 3>> groups;
    getOperation().walk([&](LinearOp op) {
      if (!isPackable(op))
        return;
      GroupKey key{
          op.getInput(),          op->getBlock(), op.getWeight().getType(),
          op.getBias().getType(), op.getType(),   op.getPrecision()};
      groups[key].push_back(op);
    });

    DominanceInfo &dom = getAnalysis<DominanceInfo>();
    bool changed = false;
    for (auto &[key, group] : groups) {
      if (group.size() != 3 || failed(hoistOperands(group, group[0], dom)))
        continue;
      pack(group);
      changed = true;
    }
    if (!changed)
      markAllAnalysesPreserved();
  }
};

} // namespace
