//===- SplitHeads.cpp - expand bert.attention into explicit heads ---------===//
//
// Implements `bert-split-heads`: every `bert.attention` becomes the op chain
// that BertSelfAttention + BertSelfOutput compute, with the head dimension
// made explicit so that later passes (pack-qkv, fuse) can see and rewrite the
// parts. Two layouts are offered:
//
//   batched   Q, K, V are split into one [B, h, S, d] tensor each; the scores
//             and the weighted sum are single rank-4 batch_matmuls. This is
//             the form `bert-fuse` turns into `bert.fused_attention`.
//   per-head  one chain per head on `bert.slice`d columns [B, S, d], joined
//             by `bert.concat`; it reads like the paper's formulas and is a
//             reference layout for the evaluator, not a fast one.
//
// Every op created keeps the attention's location, wrapped in a NameLoc
// ("query", "scores", "head 3", ...) so IR dumps show where it came from.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

namespace mlir::bert {
#define GEN_PASS_DEF_SPLITHEADSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

/// Shapes shared by both layouts, read off one attention op.
struct AttentionShape {
  int64_t batch, seq, hidden, heads, headDim;
  Type elementType;

  explicit AttentionShape(AttentionOp op) {
    auto x = cast<RankedTensorType>(op.getInput().getType());
    batch = x.getDimSize(0);
    seq = x.getDimSize(1);
    hidden = x.getDimSize(2);
    heads = op.getNumHeads();
    headDim = hidden / heads; // The verifier guarantees divisibility.
    elementType = x.getElementType();
  }

  RankedTensorType get(ArrayRef<int64_t> shape) const {
    return RankedTensorType::get(shape, elementType);
  }

  /// `1/sqrt(d)`, the scaling of the scores in "Attention is all you need".
  double scale() const { return 1.0 / std::sqrt(static_cast<double>(headDim)); }
};

/// Wraps `loc` in a name so that dumps say which part of the attention an op
/// implements.
Location named(Location loc, const Twine &name) {
  return NameLoc::get(StringAttr::get(loc.getContext(), name), loc);
}

/// The Q, K and V projections over the full hidden size, in that order.
SmallVector<Value, 3> emitProjections(OpBuilder &b, AttentionOp op,
                                      const AttentionShape &s) {
  Location loc = op.getLoc();
  RankedTensorType type = s.get({s.batch, s.seq, s.hidden});
  Value x = op.getInput();
  Activation none = Activation::none;
  Precision p = op.getPrecision();
  return {LinearOp::create(b, named(loc, "query"), type, x, op.getQueryWeight(),
                           op.getQueryBias(), none, p),
          LinearOp::create(b, named(loc, "key"), type, x, op.getKeyWeight(),
                           op.getKeyBias(), none, p),
          LinearOp::create(b, named(loc, "value"), type, x, op.getValueWeight(),
                           op.getValueBias(), none, p)};
}

/// The precision of the two attention matmuls: the op's, except that `i8`
/// (which quantizes the projections) makes them bf16 (bert.attention's
/// definition): VDPBF16PS runs at twice the fp32 FMA rate where the int8
/// GEMMs run (AVX512-BF16 with VNNI), and on all-MiniLM-L6-v2 bf16 Q.K^T
/// and P.V move the sentence cosine with fp32 by 2e-6 alone and not at all
/// beside the int8 linears (bench/int8_scheme.py, "attention bf16").
Precision matmulPrecision(AttentionOp op) {
  return op.getPrecision() == Precision::i8 ? Precision::bf16
                                            : op.getPrecision();
}

/// Batched layout: one [B, h, S, d] tensor per projection, rank-4 matmuls,
/// heads merged back to [B, S, H]. Returns the context before the output
/// dense layer.
Value emitBatched(OpBuilder &b, AttentionOp op, const AttentionShape &s,
                  ArrayRef<Value> qkv) {
  Location loc = op.getLoc();
  Precision p = matmulPrecision(op);
  RankedTensorType headsType = s.get({s.batch, s.heads, s.seq, s.headDim});
  SmallVector<Value, 3> split;
  for (Value v : qkv)
    split.push_back(SplitHeadsOp::create(b, named(loc, "split heads"),
                                         headsType, v,
                                         static_cast<uint64_t>(s.heads)));
  RankedTensorType scoresType = s.get({s.batch, s.heads, s.seq, s.seq});
  Value scores = BatchMatmulOp::create(
      b, named(loc, "scores"), scoresType, split[0], split[1],
      /*transpose_rhs=*/true, llvm::APFloat(s.scale()), p);
  Value probs = MaskedSoftmaxOp::create(b, named(loc, "softmax"), scoresType,
                                        scores, op.getMask());
  Value context = BatchMatmulOp::create(
      b, named(loc, "context"), headsType, probs, split[2],
      /*transpose_rhs=*/false, llvm::APFloat(1.0), p);
  return MergeHeadsOp::create(b, named(loc, "merge heads"),
                              s.get({s.batch, s.seq, s.hidden}), context);
}

/// Per-head layout: head i reads columns [i*d, (i+1)*d) of Q, K and V; the
/// head contexts are concatenated along the hidden dimension.
Value emitPerHead(OpBuilder &b, AttentionOp op, const AttentionShape &s,
                  ArrayRef<Value> qkv) {
  Precision p = matmulPrecision(op);
  RankedTensorType headType = s.get({s.batch, s.seq, s.headDim});
  RankedTensorType scoresType = s.get({s.batch, s.seq, s.seq});
  SmallVector<Value> contexts;
  for (int64_t h = 0; h < s.heads; ++h) {
    Location loc = named(op.getLoc(), "head " + Twine(h));
    SmallVector<Value, 3> cols;
    for (Value v : qkv)
      cols.push_back(SliceOp::create(b, loc, headType, v, /*dim=*/2,
                                     /*offset=*/h * s.headDim,
                                     /*size=*/s.headDim));
    Value scores = BatchMatmulOp::create(b, loc, scoresType, cols[0], cols[1],
                                         /*transpose_rhs=*/true,
                                         llvm::APFloat(s.scale()), p);
    Value probs =
        MaskedSoftmaxOp::create(b, loc, scoresType, scores, op.getMask());
    contexts.push_back(BatchMatmulOp::create(b, loc, headType, probs, cols[2],
                                             /*transpose_rhs=*/false,
                                             llvm::APFloat(1.0), p));
  }
  return ConcatOp::create(b, named(op.getLoc(), "concat heads"),
                          s.get({s.batch, s.seq, s.hidden}), contexts,
                          /*dim=*/2);
}

struct SplitHeadsPass : mlir::bert::impl::SplitHeadsPassBase<SplitHeadsPass> {
  using SplitHeadsPassBase::SplitHeadsPassBase;

  void runOnOperation() override {
    bool perHead = mode == "per-head";
    if (!perHead && mode != "batched") {
      emitError(getOperation().getLoc())
          << "bert-split-heads: invalid mode '" << mode
          << "'; expected 'batched' or 'per-head'";
      return signalPassFailure();
    }

    SmallVector<AttentionOp> attentions;
    getOperation().walk([&](AttentionOp op) { attentions.push_back(op); });
    OpBuilder b(&getContext());
    for (AttentionOp op : attentions) {
      b.setInsertionPoint(op);
      AttentionShape s(op);
      SmallVector<Value, 3> qkv = emitProjections(b, op, s);
      Value context =
          perHead ? emitPerHead(b, op, s, qkv) : emitBatched(b, op, s, qkv);
      Value out =
          LinearOp::create(b, named(op.getLoc(), "output"), op.getType(),
                           context, op.getOutputWeight(), op.getOutputBias(),
                           Activation::none, op.getPrecision());
      op.getResult().replaceAllUsesWith(out);
      op.erase();
    }
  }
};

} // namespace
