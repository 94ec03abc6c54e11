//===- Fuse.cpp - fuse epilogues, residual norms, attention, embeddings ---===//
//
// Implements `bert-fuse`: five producer/consumer fusions, each a
// RewritePattern driven by the greedy rewriter and enabled by one pass
// option. Every fused op is defined (in BertKernelOps.td) as *exactly* the
// chain it replaces, so the rewrite never changes what is computed, only
// what is stored:
//
//   activation      gelu(linear(x))               -> linear activation <gelu>
//   add-layer-norm  layer_norm(add(a, b))         -> add_layer_norm a, b
//   attention       merge_heads(bmm(masked_softmax(bmm(split_heads(q),
//                   split_heads(k))), split_heads(v))) -> fused_attention
//   embeddings      layer_norm(embeddings(...))   -> embeddings_layer_norm
//   add-mask-rows   mask_rows(add(a, b), mask)    -> add_mask_rows a, b, mask
//
// Why a single-use rule. A fused kernel never materializes its
// intermediates (that is the point: the [B, h, S, S] probabilities, the
// pre-GELU activations, the pre-norm sum). If any of them has another user,
// fusing would force us to compute it twice or store it anyway, so each
// pattern fires only when every value it removes is used inside the chain
// alone. The ops left dead by a rewrite are pure, and the greedy driver
// erases them.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::bert {
#define GEN_PASS_DEF_FUSEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

/// True when every user of `v` is one of `allowed` (the ops of the chain
/// being fused). For most intermediates this is "has exactly one use"; a
/// split_heads result may feed both matmuls when Q and K are one value.
bool usedOnlyBy(Value v, ArrayRef<Operation *> allowed) {
  return !v.use_empty() && llvm::all_of(v.getUsers(), [&](Operation *user) {
    return llvm::is_contained(allowed, user);
  });
}

/// The op of type P that defines `input` (an operand of `root`) and has no
/// other user, or the match failure that says which of the two it is not.
template <typename P>
FailureOr<P> soleProducer(PatternRewriter &rewriter, Operation *root,
                          Value input, const Twine &notP,
                          const Twine &escapes) {
  auto producer = input.getDefiningOp<P>();
  if (!producer)
    return rewriter.notifyMatchFailure(root, notP);
  if (!producer->hasOneUse())
    return rewriter.notifyMatchFailure(root, escapes);
  return producer;
}

/// Replaces `root` by a NewOp of the same type built from `args`, located
/// at the fused locations of the chain's ops.
template <typename NewOp, typename... Args>
LogicalResult replaceWithFused(PatternRewriter &rewriter, Operation *root,
                               ArrayRef<Location> chain, Args &&...args) {
  auto fused =
      NewOp::create(rewriter, rewriter.getFusedLoc(chain),
                    root->getResult(0).getType(), std::forward<Args>(args)...);
  rewriter.replaceOp(root, fused);
  return success();
}

/// A two-op chain `Root(Producer(...))` fused into one op when the producer
/// (of the root's first operand) has no other user: `Fuse` builds the fused
/// op from both.
template <typename Root, typename Producer,
          LogicalResult (*Fuse)(PatternRewriter &, Root, Producer)>
struct ChainFusion : OpRewritePattern<Root> {
  using OpRewritePattern<Root>::OpRewritePattern;

  LogicalResult matchAndRewrite(Root root,
                                PatternRewriter &rewriter) const override {
    FailureOr<Producer> producer = soleProducer<Producer>(
        rewriter, root, root->getOperand(0),
        "input is not a " + Producer::getOperationName().str(),
        "the producer's result has other users");
    if (failed(producer))
      return failure();
    return Fuse(rewriter, root, *producer);
  }
};

//===----------------------------------------------------------------------===//
// bias + GELU epilogue
//===----------------------------------------------------------------------===//

/// The epilogue activation an activation op computes.
Activation epilogueOf(GeluOp gelu) {
  return gelu.getApproximation() == GeluApproximation::tanh
             ? Activation::gelu_tanh
             : Activation::gelu;
}
Activation epilogueOf(ActivationOp op) { return op.getKind(); }

/// `bert.gelu(bert.linear(x) activation none)` -> `bert.linear ... activation
/// <gelu>` (or `<gelu_tanh>`), likewise `bert.activation <relu>` etc., so the
/// activation runs on the GEMM's output tile in registers instead of a
/// second pass over [B, S, 4H].
template <typename ActOp>
struct FuseLinearActivation : OpRewritePattern<ActOp> {
  using OpRewritePattern<ActOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ActOp actOp,
                                PatternRewriter &rewriter) const override {
    auto linear = actOp.getInput().template getDefiningOp<LinearOp>();
    if (!linear)
      return rewriter.notifyMatchFailure(actOp, "input is not a bert.linear");
    if (linear.getActivation() != Activation::none)
      return rewriter.notifyMatchFailure(actOp, "linear already activates");
    if (!linear->hasOneUse())
      return rewriter.notifyMatchFailure(actOp, "pre-activation value escapes");
    return replaceWithFused<LinearOp>(
        rewriter, actOp, {linear.getLoc(), actOp.getLoc()}, linear.getInput(),
        linear.getWeight(), linear.getBias(), epilogueOf(actOp),
        linear.getPrecision(), linear.getHadamard());
  }
};

//===----------------------------------------------------------------------===//
// residual add + LayerNorm
//===----------------------------------------------------------------------===//

/// `bert.layer_norm(bert.add(a, b))` -> `bert.add_layer_norm a, b`: the sum
/// is normalized while it is in registers and never written back.
LogicalResult fuseAddLayerNorm(PatternRewriter &rewriter, LayerNormOp norm,
                               AddOp add) {
  return replaceWithFused<AddLayerNormOp>(
      rewriter, norm, {add.getLoc(), norm.getLoc()}, /*input=*/add.getLhs(),
      /*residual=*/add.getRhs(), norm.getGamma(), norm.getBeta(),
      norm.getEpsilonAttr());
}
using FuseAddLayerNorm = ChainFusion<LayerNormOp, AddOp, fuseAddLayerNorm>;

/// `bert.mask_rows(bert.add(a, b), mask)` -> `bert.add_mask_rows a, b, mask`:
/// FlauBERT's pre-norm layers end with a residual add that no LayerNorm
/// follows; the padded rows are zeroed on the sum in registers instead.
LogicalResult fuseAddMaskRows(PatternRewriter &rewriter, MaskRowsOp maskRows,
                              AddOp add) {
  return replaceWithFused<AddMaskRowsOp>(
      rewriter, maskRows, {add.getLoc(), maskRows.getLoc()},
      /*input=*/add.getLhs(), /*residual=*/add.getRhs(), maskRows.getMask());
}
using FuseAddMaskRows = ChainFusion<MaskRowsOp, AddOp, fuseAddMaskRows>;

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

/// The explicit attention chain of `bert-split-heads` (batched layout) ->
/// `bert.fused_attention` on the un-split [B, S, H] Q, K, V. Matched from the
/// root `bert.merge_heads` upwards.
struct FuseAttention : OpRewritePattern<MergeHeadsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MergeHeadsOp merge,
                                PatternRewriter &rewriter) const override {
    auto context = merge.getInput().getDefiningOp<BatchMatmulOp>();
    if (!context || context.getTransposeRhs() ||
        !context.getScale().isExactlyValue(1.0))
      return rewriter.notifyMatchFailure(
          merge, "input is not an unscaled, untransposed batch_matmul");
    auto probs = context.getLhs().getDefiningOp<MaskedSoftmaxOp>();
    if (!probs)
      return rewriter.notifyMatchFailure(merge, "no masked_softmax");
    auto scores = probs.getScores().getDefiningOp<BatchMatmulOp>();
    if (!scores || !scores.getTransposeRhs())
      return rewriter.notifyMatchFailure(merge, "scores are not Q·Kᵀ");
    auto q = scores.getLhs().getDefiningOp<SplitHeadsOp>();
    auto k = scores.getRhs().getDefiningOp<SplitHeadsOp>();
    auto v = context.getRhs().getDefiningOp<SplitHeadsOp>();
    if (!q || !k || !v)
      return rewriter.notifyMatchFailure(merge, "Q, K or V is not split");
    if (q.getNumHeads() != k.getNumHeads() ||
        q.getNumHeads() != v.getNumHeads())
      return rewriter.notifyMatchFailure(merge, "head counts differ");
    // One kernel, one precision for both products.
    if (scores.getPrecision() != context.getPrecision())
      return rewriter.notifyMatchFailure(merge, "matmul precisions differ");
    Type type = q.getInput().getType();
    if (k.getInput().getType() != type || v.getInput().getType() != type ||
        merge.getType() != type)
      return rewriter.notifyMatchFailure(merge, "Q, K, V types differ");

    Operation *matmuls[] = {scores, context};
    if (!context->hasOneUse() || !probs->hasOneUse() || !scores->hasOneUse() ||
        !usedOnlyBy(q, matmuls) || !usedOnlyBy(k, matmuls) ||
        !usedOnlyBy(v, matmuls))
      return rewriter.notifyMatchFailure(
          merge, "an intermediate of the chain has another user");

    return replaceWithFused<FusedAttentionOp>(
        rewriter, merge,
        {scores.getLoc(), probs.getLoc(), context.getLoc(), merge.getLoc()},
        q.getInput(), k.getInput(), v.getInput(), probs.getMask(),
        q.getNumHeadsAttr(), scores.getScaleAttr(), scores.getPrecisionAttr());
  }
};

//===----------------------------------------------------------------------===//
// embeddings + LayerNorm
//===----------------------------------------------------------------------===//

/// `bert.layer_norm(bert.embeddings(...))` -> `bert.embeddings_layer_norm`:
/// each row is gathered, summed and normalized without storing the sum.
LogicalResult fuseEmbeddingsLayerNorm(PatternRewriter &rewriter,
                                      LayerNormOp norm, EmbeddingsOp emb) {
  // The fused kernel always adds a position row; XLNet's embeddings have none.
  if (!emb.getPosition())
    return rewriter.notifyMatchFailure(norm, "embeddings without positions");
  return replaceWithFused<EmbeddingsLayerNormOp>(
      rewriter, norm, {emb.getLoc(), norm.getLoc()}, emb.getInputIds(),
      emb.getTokenTypeIds(), emb.getWord(), emb.getPosition(),
      emb.getTokenType(), norm.getGamma(), norm.getBeta(), emb.getLangs(),
      emb.getLangTable(), norm.getEpsilonAttr(), emb.getPaddingIdxAttr());
}
using FuseEmbeddingsLayerNorm =
    ChainFusion<LayerNormOp, EmbeddingsOp, fuseEmbeddingsLayerNorm>;

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct FusePass : mlir::bert::impl::FusePassBase<FusePass> {
  using FusePassBase::FusePassBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet set(ctx);
    if (fuseActivation)
      set.add<FuseLinearActivation<GeluOp>, FuseLinearActivation<ActivationOp>>(
          ctx);
    if (fuseAddLayerNorm)
      set.add<FuseAddLayerNorm>(ctx);
    if (fuseAttention)
      set.add<FuseAttention>(ctx);
    if (fuseEmbeddings)
      set.add<FuseEmbeddingsLayerNorm>(ctx);
    if (fuseAddMaskRows)
      set.add<FuseAddMaskRows>(ctx);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    // The function body is one block of pure ops: region simplification has
    // nothing to do and would only reorder the dump.
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    // Every pattern removes ops, so the rewrite always converges; failure
    // here means a pattern bug, which must not pass silently.
    if (failed(applyPatternsGreedily(getOperation(), patterns, config))) {
      getOperation().emitError("bert-fuse: rewriting did not converge");
      signalPassFailure();
    }
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
