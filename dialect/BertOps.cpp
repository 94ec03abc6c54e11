//===- BertOps.cpp - bert op verifiers ------------------------------------===//
//
// Shape rules of every bert op. Batch and sequence dimensions may be dynamic
// (`?`), so two dimensions "agree" when they are equal or either is dynamic;
// hidden dimensions must be static and equal. Each message here has a case in
// test/Dialect/invalid.mlir.
//
//===----------------------------------------------------------------------===//

#include "dialect/BertOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::bert;

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// True when two extents can describe the same runtime size.
static bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string shapeString(RankedTensorType type) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(type.getShape())) {
    if (i)
      s += ", ";
    s += ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
  }
  return s + "]";
}

/// Checks that `v` has rank `rank`.
static LogicalResult expectRank(Operation *op, Value v, StringRef what,
                                int64_t rank) {
  if (tensorType(v).getRank() != rank)
    return op->emitOpError() << what << " must have rank " << rank << ", got "
                             << shapeString(tensorType(v));
  return success();
}

/// Checks that `v` has exactly the static shape `shape`.
static LogicalResult expectShape(Operation *op, Value v, StringRef what,
                                 ArrayRef<int64_t> shape) {
  RankedTensorType type = tensorType(v);
  if (type.getShape() != shape) {
    std::string expected = "[";
    for (auto [i, d] : llvm::enumerate(shape))
      expected += (i ? ", " : "") + std::to_string(d);
    return op->emitOpError() << what << " must have shape " << expected << "]"
                             << ", got " << shapeString(type);
  }
  return success();
}

/// The static innermost (hidden) extent of an activation, or failure.
static FailureOr<int64_t> hiddenSize(Operation *op, Value v, StringRef what) {
  RankedTensorType type = tensorType(v);
  if (type.getRank() < 1 || type.isDynamicDim(type.getRank() - 1)) {
    op->emitOpError() << what << " must have a static innermost dimension, got "
                      << shapeString(type);
    return failure();
  }
  return type.getShape().back();
}

/// Checks `[gamma, beta]` are both `[hidden]`.
static LogicalResult verifyNormParams(Operation *op, Value gamma, Value beta,
                                      int64_t hidden) {
  if (failed(expectShape(op, gamma, "gamma", {hidden})) ||
      failed(expectShape(op, beta, "beta", {hidden})))
    return failure();
  return success();
}

/// Checks the result (or the operand `resultName`) has the input's shape
/// (dims agree one by one).
static LogicalResult expectSameShape(Operation *op, Value result, Value input,
                                     StringRef inputName,
                                     StringRef resultName = "result") {
  RankedTensorType r = tensorType(result), in = tensorType(input);
  bool same = r.getRank() == in.getRank();
  for (int64_t i = 0; same && i < r.getRank(); ++i)
    same = dimsAgree(r.getDimSize(i), in.getDimSize(i)) &&
           r.isDynamicDim(i) == in.isDynamicDim(i);
  if (!same)
    return op->emitOpError()
           << resultName << " shape " << shapeString(r) << " must equal the "
           << inputName << " shape " << shapeString(in);
  return success();
}

/// Checks a `[B, S]` mask against activations whose leading dims are B, S.
static LogicalResult verifyMask(Operation *op, Value mask, int64_t batch,
                                int64_t seq) {
  RankedTensorType m = tensorType(mask);
  if (m.getRank() != 2)
    return op->emitOpError()
           << "mask must have rank 2 [batch, seq], got " << shapeString(m);
  if (!dimsAgree(m.getDimSize(0), batch) || !dimsAgree(m.getDimSize(1), seq))
    return op->emitOpError() << "mask shape " << shapeString(m)
                             << " does not match batch and sequence of the "
                                "activations";
  return success();
}

/// An optional per-token id input (`token_type_ids`, `langs`) and the table
/// it indexes: ids shaped like input_ids, a table of the hidden width.
static LogicalResult verifyTokenTable(Operation *op, RankedTensorType idsT,
                                      Value ids, StringRef idsName, Value table,
                                      StringRef tableName, int64_t hidden) {
  if (!ids)
    return success();
  if (failed(expectRank(op, ids, idsName, 2)) ||
      failed(expectRank(op, table, tableName, 2)))
    return failure();
  RankedTensorType t = tensorType(ids);
  if (!dimsAgree(idsT.getDimSize(0), t.getDimSize(0)) ||
      !dimsAgree(idsT.getDimSize(1), t.getDimSize(1)))
    return op->emitOpError()
           << idsName << " shape " << shapeString(t)
           << " must match input_ids shape " << shapeString(idsT);
  if (tensorType(table).getDimSize(1) != hidden)
    return op->emitOpError()
           << "embedding tables must share the hidden size " << hidden;
  return success();
}

/// Verifies the shared part of embeddings ops; returns the hidden size.
/// The token types (ids and table) are optional, but only as a pair; so
/// are the languages. The position table is optional (XLNet has none).
static FailureOr<int64_t>
verifyEmbeddingInputs(Operation *op, Value ids, Value tokenTypes, Value word,
                      Value position, Value type, Value langs, Value langTable,
                      Value result, std::optional<int64_t> paddingIdx) {
  if (!tokenTypes != !type)
    return op->emitOpError()
           << "token_type_ids and the token type table go together";
  if (!langs != !langTable)
    return op->emitOpError() << "langs and the language table go together";
  if (failed(expectRank(op, ids, "input_ids", 2)) ||
      failed(expectRank(op, word, "word embedding table", 2)) ||
      (position &&
       failed(expectRank(op, position, "position embedding table", 2))) ||
      failed(expectRank(op, result, "result", 3)))
    return failure();
  RankedTensorType idsT = tensorType(ids);
  int64_t hidden = tensorType(word).getDimSize(1);
  if (failed(verifyTokenTable(op, idsT, tokenTypes, "token_type_ids", type,
                              "token type embedding table", hidden)) ||
      failed(verifyTokenTable(op, idsT, langs, "langs", langTable,
                              "language embedding table", hidden)))
    return failure();
  if (position && tensorType(position).getDimSize(1) != hidden)
    return op->emitOpError()
           << "embedding tables must share the hidden size " << hidden;
  if (paddingIdx && !position)
    return op->emitOpError() << "padding_idx needs a position table";
  if (paddingIdx) {
    int64_t positions = tensorType(position).getDimSize(0);
    // Positions run from padding_idx to padding_idx + seq.
    if (*paddingIdx < 0 || *paddingIdx >= positions)
      return op->emitOpError()
             << "padding_idx " << *paddingIdx
             << " must index the position table of " << positions << " rows";
  }
  RankedTensorType r = tensorType(result);
  if (!dimsAgree(r.getDimSize(0), idsT.getDimSize(0)) ||
      !dimsAgree(r.getDimSize(1), idsT.getDimSize(1)) ||
      r.getDimSize(2) != hidden)
    return op->emitOpError() << "result shape " << shapeString(r)
                             << " must be [batch, seq, " << hidden << "]";
  return hidden;
}

//===----------------------------------------------------------------------===//
// High-level ops
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError() << "needs a non-empty tensor name";
  if (!tensorType(getResult()).hasStaticShape())
    return emitOpError() << "weight '" << getName()
                         << "' must have a static shape";
  return success();
}

LogicalResult EmbeddingsOp::verify() {
  return verifyEmbeddingInputs(
      *this, getInputIds(), getTokenTypeIds(), getWord(), getPosition(),
      getTokenType(), getLangs(), getLangTable(), getResult(), getPaddingIdx());
}

LogicalResult LayerNormOp::verify() {
  FailureOr<int64_t> hidden = hiddenSize(*this, getInput(), "input");
  if (failed(hidden) ||
      failed(verifyNormParams(*this, getGamma(), getBeta(), *hidden)))
    return failure();
  return expectSameShape(*this, getResult(), getInput(), "input");
}

/// The weight [out_features, hidden] and the bias [out_features] (when
/// given) of a projection of `input` (linear, pooler); out_features on
/// success.
static FailureOr<int64_t> verifyProjection(Operation *op, Value input,
                                           Value weight, Value bias) {
  FailureOr<int64_t> in = hiddenSize(op, input, "input");
  if (failed(in) || failed(expectRank(op, weight, "weight", 2)))
    return failure();
  RankedTensorType w = tensorType(weight);
  if (w.getDimSize(1) != *in)
    return op->emitOpError()
           << "weight shape " << shapeString(w) << " must be [out_features, "
           << *in << "] to match the input";
  int64_t out = w.getDimSize(0);
  if (bias && failed(expectShape(op, bias, "bias", {out})))
    return failure();
  return out;
}

LogicalResult LinearOp::verify() {
  FailureOr<int64_t> out =
      verifyProjection(*this, getInput(), getWeight(), getBias());
  if (failed(out))
    return failure();
  RankedTensorType r = tensorType(getResult()), x = tensorType(getInput());
  bool ok = r.getRank() == x.getRank() && r.getShape().back() == *out;
  for (int64_t i = 0; ok && i + 1 < r.getRank(); ++i)
    ok = dimsAgree(r.getDimSize(i), x.getDimSize(i));
  if (!ok)
    return emitOpError() << "result shape " << shapeString(r)
                         << " must be the input shape with innermost " << *out;
  // `hadamard B`: i8 only, B a power of 4 whose blocks tile in_features.
  const int64_t b = getHadamard();
  if (b == 0)
    return success();
  if (getPrecision() != Precision::i8)
    return emitOpError() << "hadamard applies to precision i8 only, got "
                         << stringifyPrecision(getPrecision());
  if (b < 4 || (b & (b - 1)) != 0 || (b & 0x5555555555555555LL) == 0)
    return emitOpError() << "hadamard block must be a power of 4 (4, 16, "
                            "64, ...), got "
                         << b;
  int64_t k = tensorType(getWeight()).getDimSize(1);
  if (!ShapedType::isDynamic(k) && k % b != 0)
    return emitOpError() << "hadamard block " << b
                         << " must divide in_features " << k;
  return success();
}

/// An operand, its name in messages, and the static shape it must have.
struct NamedShape {
  Value v;
  const char *name;
  SmallVector<int64_t, 3> shape;
};

/// expectShape for each of `params`, stopping at the first mismatch.
static LogicalResult expectShapes(Operation *op, ArrayRef<NamedShape> params) {
  for (const NamedShape &p : params)
    if (failed(expectShape(op, p.v, p.name, p.shape)))
      return failure();
  return success();
}

/// The input and mask of an attention op with its projections: a
/// [B, S, H] input whose H splits into `heads`, and a [B, S] mask; returns H.
static FailureOr<int64_t> verifyAttentionInput(Operation *op, Value input,
                                               Value mask, int64_t heads,
                                               StringRef inputName = "input") {
  if (failed(expectRank(op, input, inputName, 3)))
    return failure();
  FailureOr<int64_t> hidden = hiddenSize(op, input, inputName);
  if (failed(hidden))
    return failure();
  if (*hidden % heads != 0)
    return op->emitOpError() << "hidden size " << *hidden
                             << " is not divisible by num_heads " << heads;
  RankedTensorType x = tensorType(input);
  if (failed(verifyMask(op, mask, x.getDimSize(0), x.getDimSize(1))))
    return failure();
  return *hidden;
}

LogicalResult AttentionOp::verify() {
  FailureOr<int64_t> hidden =
      verifyAttentionInput(*this, getInput(), getMask(), getNumHeads());
  if (failed(hidden))
    return failure();
  int64_t h = *hidden;
  SmallVector<int64_t, 3> matrix = {h, h}, vector = {h};
  NamedShape params[] = {{getQueryWeight(), "query weight", matrix},
                         {getQueryBias(), "query bias", vector},
                         {getKeyWeight(), "key weight", matrix},
                         {getKeyBias(), "key bias", vector},
                         {getValueWeight(), "value weight", matrix},
                         {getValueBias(), "value bias", vector},
                         {getOutputWeight(), "output weight", matrix},
                         {getOutputBias(), "output bias", vector}};
  if (failed(expectShapes(*this, params)))
    return failure();
  return expectSameShape(*this, getResult(), getInput(), "input");
}

LogicalResult RelativeAttentionOp::verify() {
  FailureOr<int64_t> hidden = verifyAttentionInput(*this, getQuery(), getMask(),
                                                   getNumHeads(), "query");
  if (failed(hidden))
    return failure();
  int64_t h = *hidden, heads = getNumHeads();
  if (h % 2 != 0)
    return emitOpError() << "hidden size " << h
                         << " must be even (the position encoding is sin "
                            "and cos halves)";
  if (failed(expectSameShape(*this, getKey(), getQuery(), "query", "key")) ||
      failed(expectSameShape(*this, getValue(), getQuery(), "query", "value")))
    return failure();
  RankedTensorType x = tensorType(getQuery());
  RankedTensorType tt = tensorType(getTokenTypeIds());
  if (tt.getRank() != 2 || !dimsAgree(tt.getDimSize(0), x.getDimSize(0)) ||
      !dimsAgree(tt.getDimSize(1), x.getDimSize(1)))
    return emitOpError() << "token_type_ids shape " << shapeString(tt)
                         << " must be [batch, seq] of the activations";
  RankedTensorType kr = tensorType(getPositionKeys());
  if (kr.getRank() != 3 || kr.getDimSize(0) != 2 ||
      !dimsAgree(kr.getDimSize(1), x.getDimSize(1)) || kr.getDimSize(2) != h)
    return emitOpError() << "position_keys shape " << shapeString(kr)
                         << " must be [2, seq, " << h
                         << "] (one row per relative distance)";
  int64_t d = h / heads;
  NamedShape params[] = {
      {getContentBias(), "content bias", {heads, d}},
      {getPositionBias(), "position bias", {heads, d}},
      {getSegmentBias(), "segment bias", {heads, d}},
      {getSegmentEmbed(), "segment embedding", {2, heads, d}}};
  if (failed(expectShapes(*this, params)))
    return failure();
  return expectSameShape(*this, getResult(), getQuery(), "query");
}

LogicalResult RelativePositionsOp::verify() {
  RankedTensorType m = tensorType(getMask()), r = tensorType(getResult());
  if (m.getRank() != 2)
    return emitOpError() << "mask must have rank 2 [batch, seq], got "
                         << shapeString(m);
  if (r.getRank() != 3 || r.getDimSize(0) != 2 ||
      !dimsAgree(r.getDimSize(1), m.getDimSize(1)) || r.isDynamicDim(2) ||
      r.getDimSize(2) % 2 != 0)
    return emitOpError() << "result shape " << shapeString(r)
                         << " must be [2, seq, H] with an even static H (sin "
                            "and cos halves)";
  return success();
}

LogicalResult WeightMatrixOp::verify() {
  RankedTensorType in = tensorType(getInput()), r = tensorType(getResult());
  if (in.getRank() < 2 || !in.hasStaticShape() || in.getNumElements() == 0)
    return emitOpError()
           << "input must have a static, non-empty shape of rank >= 2, got "
           << shapeString(in);
  int64_t rows = in.getDimSize(0), cols = in.getNumElements() / rows;
  SmallVector<int64_t, 2> want = {rows, cols};
  if (getTransposed())
    std::swap(want[0], want[1]);
  return expectShape(*this, getResult(), "result", want);
}

LogicalResult PoolerOp::verify() {
  if (failed(expectRank(*this, getInput(), "input", 3)))
    return failure();
  FailureOr<int64_t> out =
      verifyProjection(*this, getInput(), getWeight(), getBias());
  if (failed(out))
    return failure();
  Activation act = getActivation();
  if (act != Activation::tanh && act != Activation::relu &&
      act != Activation::none)
    return emitOpError() << "activation must be tanh, relu or none";
  RankedTensorType r = tensorType(getResult());
  if (r.getRank() != 2 ||
      !dimsAgree(r.getDimSize(0), tensorType(getInput()).getDimSize(0)) ||
      r.getDimSize(1) != *out)
    return emitOpError() << "result shape " << shapeString(r)
                         << " must be [batch, " << *out << "]";
  return success();
}

LogicalResult ActivationOp::verify() {
  Activation kind = getKind();
  if (kind == Activation::none || kind == Activation::gelu ||
      kind == Activation::gelu_tanh)
    return emitOpError() << "kind must be relu, silu, quick_gelu or tanh "
                            "(GELU forms are bert.gelu)";
  return success();
}

LogicalResult UnstackOp::verify() {
  RankedTensorType x = tensorType(getInput());
  if (x.getRank() < 2)
    return emitOpError() << "input must have rank 2 or more, got "
                         << shapeString(x);
  int64_t n = x.getShape().back();
  if (ShapedType::isDynamic(n) || n != int64_t(getNumResults()))
    return emitOpError() << "needs one result per column of the innermost "
                            "dimension: "
                         << getNumResults() << " results for input "
                         << shapeString(x);
  for (Value r : getResults()) {
    RankedTensorType t = tensorType(r);
    bool ok = t.getRank() + 1 == x.getRank() &&
              t.getElementType() == x.getElementType();
    for (int64_t i = 0; ok && i < t.getRank(); ++i)
      ok = dimsAgree(t.getDimSize(i), x.getDimSize(i));
    if (!ok)
      return emitOpError() << "result shape " << shapeString(t)
                           << " must be the input shape without its "
                              "innermost dimension";
  }
  return success();
}

/// `mask` is the [batch, seq] of the [batch, seq, hidden] `input`, and the
/// result has the input's shape (bert.mask_rows, bert.add_mask_rows).
static LogicalResult verifyRowMask(Operation *op, Value input, Value mask,
                                   Value result) {
  if (failed(expectRank(op, input, "input", 3)) ||
      failed(expectRank(op, mask, "mask", 2)))
    return failure();
  RankedTensorType x = tensorType(input), m = tensorType(mask);
  if (!dimsAgree(x.getDimSize(0), m.getDimSize(0)) ||
      !dimsAgree(x.getDimSize(1), m.getDimSize(1)))
    return op->emitOpError()
           << "mask shape " << shapeString(m)
           << " must be the input's [batch, seq] of " << shapeString(x);
  return expectSameShape(op, result, input, "input");
}

LogicalResult MaskRowsOp::verify() {
  return verifyRowMask(*this, getInput(), getMask(), getResult());
}

//===----------------------------------------------------------------------===//
// Kernel-level ops
//===----------------------------------------------------------------------===//

LogicalResult SplitHeadsOp::verify() {
  if (failed(expectRank(*this, getInput(), "input", 3)))
    return failure();
  FailureOr<int64_t> hidden = hiddenSize(*this, getInput(), "input");
  if (failed(hidden))
    return failure();
  int64_t heads = getNumHeads();
  if (*hidden % heads != 0)
    return emitOpError() << "hidden size " << *hidden
                         << " is not divisible by num_heads " << heads;
  RankedTensorType x = tensorType(getInput()), r = tensorType(getResult());
  if (r.getRank() != 4 || !dimsAgree(r.getDimSize(0), x.getDimSize(0)) ||
      r.getDimSize(1) != heads ||
      !dimsAgree(r.getDimSize(2), x.getDimSize(1)) ||
      r.getDimSize(3) != *hidden / heads)
    return emitOpError() << "result shape " << shapeString(r)
                         << " must be [batch, " << heads << ", seq, "
                         << *hidden / heads << "]";
  return success();
}

LogicalResult MergeHeadsOp::verify() {
  if (failed(expectRank(*this, getInput(), "input", 4)))
    return failure();
  RankedTensorType x = tensorType(getInput()), r = tensorType(getResult());
  if (x.isDynamicDim(1) || x.isDynamicDim(3))
    return emitOpError() << "input must have static heads and head size, got "
                         << shapeString(x);
  int64_t hidden = x.getDimSize(1) * x.getDimSize(3);
  if (r.getRank() != 3 || !dimsAgree(r.getDimSize(0), x.getDimSize(0)) ||
      !dimsAgree(r.getDimSize(1), x.getDimSize(2)) || r.getDimSize(2) != hidden)
    return emitOpError() << "result shape " << shapeString(r)
                         << " must be [batch, seq, " << hidden << "]";
  return success();
}

/// `i8` quantizes linear layers only: attention's products stay f32 (or
/// bf16, f16), so a matmul kernel never sees it.
static LogicalResult expectNotI8(Operation *op, Precision p) {
  if (p == Precision::i8)
    return op->emitOpError()
           << "precision i8 applies to linear layers only; expected f32, "
              "bf16 or f16";
  return success();
}

LogicalResult BatchMatmulOp::verify() {
  if (failed(expectNotI8(*this, getPrecision())))
    return failure();
  RankedTensorType a = tensorType(getLhs()), b = tensorType(getRhs()),
                   r = tensorType(getResult());
  int64_t rank = a.getRank();
  if (rank < 2 || b.getRank() != rank || r.getRank() != rank)
    return emitOpError() << "operands and result must have the same rank "
                            ">= 2, got "
                         << shapeString(a) << ", " << shapeString(b) << " and "
                         << shapeString(r);
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (!dimsAgree(a.getDimSize(i), b.getDimSize(i)) ||
        !dimsAgree(a.getDimSize(i), r.getDimSize(i)))
      return emitOpError() << "batch dimension " << i << " differs between "
                           << shapeString(a) << ", " << shapeString(b)
                           << " and " << shapeString(r);
  bool t = getTransposeRhs();
  int64_t m = a.getDimSize(rank - 2), k = a.getDimSize(rank - 1);
  int64_t rk = b.getDimSize(t ? rank - 1 : rank - 2);
  int64_t n = b.getDimSize(t ? rank - 2 : rank - 1);
  if (!dimsAgree(k, rk))
    return emitOpError() << "contraction sizes differ: lhs " << shapeString(a)
                         << ", rhs " << shapeString(b)
                         << (t ? " (transposed)" : "");
  if (!dimsAgree(r.getDimSize(rank - 2), m) ||
      !dimsAgree(r.getDimSize(rank - 1), n))
    return emitOpError() << "result shape " << shapeString(r)
                         << " does not match the product of " << shapeString(a)
                         << " and " << shapeString(b);
  return success();
}

LogicalResult MaskedSoftmaxOp::verify() {
  RankedTensorType s = tensorType(getScores());
  if (s.getRank() != 3 && s.getRank() != 4)
    return emitOpError()
           << "scores must be [batch, heads, seq, seq] or [batch, seq, seq], "
              "got "
           << shapeString(s);
  if (failed(verifyMask(*this, getMask(), s.getDimSize(0),
                        s.getDimSize(s.getRank() - 1))))
    return failure();
  return expectSameShape(*this, getResult(), getScores(), "scores");
}

LogicalResult SliceOp::verify() {
  RankedTensorType x = tensorType(getInput()), r = tensorType(getResult());
  int64_t dim = getDim();
  if (dim < 0 || dim >= x.getRank())
    return emitOpError() << "dim " << dim << " is out of range for "
                         << shapeString(x);
  int64_t offset = getOffset(), size = getSize();
  // Every batch and sequence has an element 0: a dynamic dim can give that.
  if (x.isDynamicDim(dim)) {
    if (offset != 0 || size != 1)
      return emitOpError() << "dim " << dim << " of " << shapeString(x)
                           << " is dynamic: only its first element (offset "
                              "0, size 1) can be sliced";
  } else if (offset < 0 || offset + size > x.getDimSize(dim))
    return emitOpError() << "slice [" << offset << ", " << offset + size
                         << ") is out of bounds of extent "
                         << x.getDimSize(dim);
  bool ok = r.getRank() == x.getRank();
  for (int64_t i = 0; ok && i < r.getRank(); ++i)
    ok = i == dim ? r.getDimSize(i) == size
                  : dimsAgree(r.getDimSize(i), x.getDimSize(i));
  if (!ok)
    return emitOpError() << "result shape " << shapeString(r)
                         << " must be the input shape with extent " << size
                         << " at dim " << dim;
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  RankedTensorType first = tensorType(getInputs().front()),
                   r = tensorType(getResult());
  int64_t dim = getDim(), rank = first.getRank();
  if (dim < 0 || dim >= rank)
    return emitOpError() << "dim " << dim << " is out of range for rank "
                         << rank;
  int64_t total = 0;
  for (Value in : getInputs()) {
    RankedTensorType t = tensorType(in);
    if (t.getRank() != rank || t.isDynamicDim(dim))
      return emitOpError() << "inputs must have rank " << rank
                           << " and a static extent at dim " << dim << ", got "
                           << shapeString(t);
    for (int64_t i = 0; i < rank; ++i)
      if (i != dim && !dimsAgree(t.getDimSize(i), first.getDimSize(i)))
        return emitOpError() << "input shapes " << shapeString(first) << " and "
                             << shapeString(t) << " differ outside dim " << dim;
    total += t.getDimSize(dim);
  }
  if (r.getRank() != rank || r.getDimSize(dim) != total)
    return emitOpError() << "result shape " << shapeString(r)
                         << " must have extent " << total << " at dim " << dim;
  return success();
}

LogicalResult AddLayerNormOp::verify() {
  FailureOr<int64_t> hidden = hiddenSize(*this, getInput(), "input");
  if (failed(hidden))
    return failure();
  if (getInput().getType() != getResidual().getType())
    return emitOpError() << "residual type " << getResidual().getType()
                         << " must equal the input type "
                         << getInput().getType();
  if (failed(verifyNormParams(*this, getGamma(), getBeta(), *hidden)))
    return failure();
  return expectSameShape(*this, getResult(), getInput(), "input");
}

LogicalResult AddMaskRowsOp::verify() {
  if (getInput().getType() != getResidual().getType())
    return emitOpError() << "residual type " << getResidual().getType()
                         << " must equal the input type "
                         << getInput().getType();
  return verifyRowMask(*this, getInput(), getMask(), getResult());
}

LogicalResult FusedAttentionOp::verify() {
  if (failed(expectNotI8(*this, getPrecision())))
    return failure();
  if (failed(expectRank(*this, getQuery(), "query", 3)))
    return failure();
  FailureOr<int64_t> hidden = hiddenSize(*this, getQuery(), "query");
  if (failed(hidden))
    return failure();
  if (getKey().getType() != getQuery().getType() ||
      getValue().getType() != getQuery().getType())
    return emitOpError() << "query, key and value must have the same type";
  if (*hidden % getNumHeads() != 0)
    return emitOpError() << "hidden size " << *hidden
                         << " is not divisible by num_heads " << getNumHeads();
  RankedTensorType q = tensorType(getQuery());
  if (failed(verifyMask(*this, getMask(), q.getDimSize(0), q.getDimSize(1))))
    return failure();
  return expectSameShape(*this, getResult(), getQuery(), "query");
}

LogicalResult EmbeddingsLayerNormOp::verify() {
  FailureOr<int64_t> hidden = verifyEmbeddingInputs(
      *this, getInputIds(), getTokenTypeIds(), getWord(), getPosition(),
      getTokenType(), getLangs(), getLangTable(), getResult(), getPaddingIdx());
  if (failed(hidden))
    return failure();
  return verifyNormParams(*this, getGamma(), getBeta(), *hidden);
}

#define GET_OP_CLASSES
#include "dialect/BertOps.cpp.inc"
