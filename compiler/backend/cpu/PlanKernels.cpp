//===- PlanKernels.cpp - one kernel call per kernel op
//---------------------===//
//
// The per-op half of the CPU plan (Planner.h): each kernel op becomes a
// kernel request (spec and schedule) and a call with its buffer arguments.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/Planner.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::bert;
using namespace mlir::bert::planner;

LogicalResult Planner::planEmbeddings(EmbeddingsLayerNormOp op) {
  auto word = cast<RankedTensorType>(op.getWord().getType());
  auto pos = cast<RankedTensorType>(op.getPosition().getType());
  int64_t h = word.getDimSize(1);
  cpu::EmbeddingsSpec spec;
  spec.H = h;
  spec.vocab = word.getDimSize(0);
  spec.maxPositions = pos.getDimSize(0);
  if (Value type = op.getTokenType())
    spec.typeVocab = cast<RankedTensorType>(type.getType()).getDimSize(0);
  spec.paddingIdx = op.getPaddingIdx().value_or(-1);
  spec.eps = static_cast<float>(op.getEpsilon().convertToDouble());
  if (Value lang = op.getLangTable())
    spec.numLangs = cast<RankedTensorType>(lang.getType()).getDimSize(0);
  KernelRequest req{spec, {}};
  // The runtime sizes the caller's buffers and bounds the ids by the facts.
  // (ALBERT's tables are narrower than the hidden size.)
  if (spec.vocab != plan.vocab || spec.typeVocab != plan.typeVocab)
    return op.emitError() << "embedding tables of " << spec.vocab << " words, "
                          << spec.typeVocab << " token types and width " << h
                          << " disagree with '"
                          << BertDialect::getModelFactsAttrName() << "' ("
                          << plan.vocab << ", " << plan.typeVocab << ", "
                          << plan.hidden << ")";
  if (failed(setSchedule(op, req)) || failed(setResult(op)))
    return failure();
  // In the kernel's argument order: ids, [token types], word, position,
  // [token type table], gamma, beta, [langs, language table], out.
  KernelCall call{kernelIndex(req), {}, ""};
  for (Value ids : {op.getInputIds(), op.getTokenTypeIds()}) {
    if (!ids)
      continue;
    FailureOr<BufferRef> p = activation(ids, op);
    if (failed(p))
      return failure();
    call.args.push_back(matrix(*p, "S", "B", "S", /*isInt=*/true));
  }
  int64_t rows[] = {spec.vocab, spec.maxPositions, spec.typeVocab};
  Value tables[] = {op.getWord(), op.getPosition(), op.getTokenType()};
  for (int i = 0; i < 3; ++i) {
    if (!tables[i])
      continue;
    FailureOr<size_t> slot = slotOf(tables[i], op);
    if (failed(slot))
      return failure();
    call.args.push_back(
        matrix(BufferRef::weight(*slot), num(h), num(rows[i]), num(h)));
  }
  for (Value v : {op.getGamma(), op.getBeta()}) {
    FailureOr<size_t> slot = slotOf(v, op);
    if (failed(slot))
      return failure();
    call.args.push_back(vector1(BufferRef::weight(*slot), h));
  }
  if (op.getLangs() &&
      failed(addLookupArgs(call, op.getLangs(), op.getLangTable(),
                           spec.numLangs, h, op)))
    return failure();
  call.args.push_back(tokenRows(storage[op.getResult()].base, h));
  plan.calls.push_back(std::move(call));
  return success();
}

LogicalResult Planner::addLookupArgs(KernelCall &call, Value ids, Value table,
                                     int64_t rows, int64_t h, Operation *user) {
  FailureOr<BufferRef> idRows = activation(ids, user);
  FailureOr<size_t> slot = slotOf(table, user);
  if (failed(idRows) || failed(slot))
    return failure();
  call.args.push_back(matrix(*idRows, "S", "B", "S", /*isInt=*/true));
  call.args.push_back(
      matrix(BufferRef::weight(*slot), num(h), num(rows), num(h)));
  return success();
}

/// XLNet's bert.embeddings: the word table alone (no position table, no
/// LayerNorm), which bert-fuse leaves unfused.
LogicalResult Planner::planWordEmbeddings(EmbeddingsOp op) {
  if (op.getTokenTypeIds() || op.getPosition() || op.getTokenType() ||
      op.getLangs())
    return op.emitError() << "the CPU backend runs bert.embeddings with only "
                             "a word table (XLNet); with position or type "
                             "tables it needs bert-fuse's "
                             "bert.embeddings_layer_norm";
  auto word = cast<RankedTensorType>(op.getWord().getType());
  int64_t h = word.getDimSize(1);
  cpu::EmbeddingsSpec spec;
  spec.H = h;
  spec.vocab = word.getDimSize(0);
  spec.wordOnly = true;
  if (spec.vocab != plan.vocab)
    return op.emitError() << "word table of " << spec.vocab
                          << " rows disagrees with '"
                          << BertDialect::getModelFactsAttrName() << "' (vocab "
                          << plan.vocab << ")";
  KernelRequest req{spec, {}};
  if (failed(setSchedule(op, req)) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  if (failed(addLookupArgs(call, op.getInputIds(), op.getWord(), spec.vocab, h,
                           op)))
    return failure();
  call.args.push_back(tokenRows(storage[op.getResult()].base, h));
  plan.calls.push_back(std::move(call));
  return success();
}

/// XLNet's relative attention core: one kernel reads the packed q, k, v
/// projection ([B, S, 3H], a linear's output), the position keys ([2, S,
/// H], a linear's output), mask and token types padded ([B, S]).
LogicalResult Planner::planRelativeAttention(RelativeAttentionOp op) {
  int64_t h = cast<RankedTensorType>(op.getQuery().getType()).getShape().back();
  cpu::RelativeAttentionSpec spec{h, int64_t(op.getNumHeads())};
  KernelRequest req{spec, {}};
  FailureOr<Value> packed =
      packedQKV(op, op.getQuery(), op.getKey(), op.getValue(), h);
  if (failed(packed) || failed(setSchedule(op, req)))
    return failure();
  FailureOr<BufferRef> qkv = activation(*packed, op);
  FailureOr<BufferRef> kr = activation(op.getPositionKeys(), op);
  FailureOr<BufferRef> mask = activation(op.getMask(), op);
  FailureOr<BufferRef> types = activation(op.getTokenTypeIds(), op);
  if (failed(qkv) || failed(kr) || failed(mask) || failed(types) ||
      failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  call.args.push_back(BufferArg{
      *qkv,
      false,
      {{num(3 * h), "1"}, {"S", num(3 * h)}, {"B", num(3 * h) + " * S"}}});
  call.args.push_back(matrix(*kr, num(h), "2 * S", num(h)));
  // kr computed once at load for max_seq (bert.load_time): a call of
  // length S reads its 2S rows from row max_seq - S on.
  if (kr->role == BufferRef::Role::Weight)
    call.args.back().elementOffset =
        "(size_t)(" + num(plan.maxSeq) + " - S) * " + num(h);
  call.args.push_back(matrix(*mask, "S", "B", "S", /*isInt=*/true));
  call.args.push_back(matrix(*types, "S", "B", "S", /*isInt=*/true));
  // [n, d] biases as (H), seg_embed [2, n, d] as (H, 2).
  for (Value w : {op.getContentBias(), op.getPositionBias(),
                  op.getSegmentBias(), op.getSegmentEmbed()}) {
    FailureOr<size_t> slot = slotOf(w, op);
    if (failed(slot))
      return failure();
    int64_t rows = cast<RankedTensorType>(w.getType()).getNumElements() / h;
    call.args.push_back(rows == 1 ? vector1(BufferRef::weight(*slot), h)
                                  : matrix(BufferRef::weight(*slot), num(h),
                                           num(rows), num(h)));
  }
  // [B, S, H] as (d, heads, S, B): the kernel's loops are per head.
  const int64_t d = h / op.getNumHeads();
  call.args.push_back(BufferArg{storage[op.getResult()].base,
                                false,
                                {{num(d), "1"},
                                 {num(op.getNumHeads()), num(d)},
                                 {"S", num(h)},
                                 {"B", num(h) + " * S"}}});
  // Per pair and head dim: the content and position dot products and P.V,
  // a multiply-add each (the segment term is two dot products per query,
  // not per pair).
  call.flops = "6.0 * B * S * S * " + num(h);
  plan.calls.push_back(std::move(call));
  return success();
}

/// XLNet's sinusoids: one kernel writes the [2, S, H] rows (the mask only
/// gives S).
LogicalResult Planner::planRelativePositions(RelativePositionsOp op) {
  int64_t h = cast<RankedTensorType>(op.getType()).getDimSize(2);
  KernelRequest req{cpu::RelativePositionsSpec{h, op.getClampLen()}, {}};
  FailureOr<BufferRef> mask = activation(op.getMask(), op);
  if (failed(mask) || failed(setSchedule(op, req)) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  call.args.push_back(matrix(*mask, "S", "B", "S", /*isInt=*/true));
  call.args.push_back(
      matrix(storage[op.getResult()].base, num(h), "2 * S", num(h)));
  plan.calls.push_back(std::move(call));
  return success();
}

FailureOr<Value> Planner::packedQKV(Operation *op, Value q, Value k, Value v,
                                    int64_t h) {
  // The attention kernels read Q, K, V out of one packed [B, S, 3H]
  // activation: they must be its three consecutive slices.
  Value packed;
  int64_t expected = 0;
  for (Value part : {q, k, v}) {
    auto it = storage.find(part);
    if (it == storage.end() || !it->second.sliceOf ||
        it->second.sliceOffset != expected ||
        (packed && it->second.sliceOf != packed))
      return op->emitError()
             << "the CPU attention kernel needs query, key and value as "
                "consecutive slices of one packed projection (run "
                "bert-pack-qkv)";
    packed = it->second.sliceOf;
    expected += h;
  }
  if (cast<RankedTensorType>(packed.getType()).getShape().back() != 3 * h)
    return op->emitError() << "packed projection must have 3 * " << h
                           << " columns";
  return packed;
}

LogicalResult Planner::planLinear(LinearOp op) {
  auto w = cast<RankedTensorType>(op.getWeight().getType());
  cpu::LinearSpec spec;
  spec.N = w.getDimSize(0);
  spec.K = w.getDimSize(1);
  spec.hasBias = static_cast<bool>(op.getBias());
  if (op.getPrecision() == Precision::bf16) {
    // The bf16 layout pairs k's; an odd K (no BERT config has one) keeps
    // the f32 kernel rather than failing the compile.
    spec.bf16 = spec.K % 2 == 0;
    if (!spec.bf16)
      op.emitWarning() << "precision bf16 needs an even in_features, got "
                       << spec.K << "; this linear runs in f32";
  }
  // f16 has only the CUDA tensor-core GEMM, whose K % 8 check names the
  // kernel (CudaKernels.cpp); the CPU backend refuses the spec.
  spec.f16 = op.getPrecision() == Precision::f16;
  if (op.getPrecision() == Precision::i8) {
    // Likewise the int8 layout groups four k's (every BERT config has
    // K % 4 == 0; the schedule is a gemm one either way).
    spec.int8 = spec.K % 4 == 0;
    if (!spec.int8)
      op.emitWarning() << "precision i8 needs in_features % 4 == 0, got "
                       << spec.K << "; this linear runs in f32";
    spec.hadamard = spec.int8 ? op.getHadamard() : 0;
  }
  spec.act = cpuActivation(op.getActivation());
  // bert-prune-first-token's attention output projection reads token 0 of
  // each sequence: rows S * K apart in the attention's result.
  auto in = storage.find(op.getInput());
  const bool firstToken = in != storage.end() && in->second.firstToken;
  spec.stridedX = firstToken;
  KernelRequest req{spec, {}};
  if (failed(setSchedule(op, req)))
    return failure();
  // An AMX schedule tiles with AMX: the runtime must ask Linux for the
  // tile state. (Its dot-product path for small M needs nothing.)
  plan.needsAMX = plan.needsAMX ||
                  std::holds_alternative<::bert::AmxSchedule>(req.schedule);
  FailureOr<BufferRef> x =
      activation(firstToken ? in->second.sliceOf : op.getInput(), op);
  FailureOr<BufferArg> packed = packedWeight(op.getWeight(), req, op);
  if (failed(x) || failed(packed) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  const std::string m = rowsOf(op.getInput());
  call.args.push_back(matrix(*x, num(spec.K), m,
                             firstToken ? num(spec.K) + " * S" : num(spec.K)));
  call.args.push_back(*packed);
  if (spec.int8) {
    // The channels' scales (f32) and column sums (int32) after the panels.
    ::bert::cpu::Int8WeightLayout l;
    std::string error;
    if (!::bert::cpu::linearInt8WeightLayout(req, l, error))
      return op.emitError() << error;
    size_t slot = packed->base.weightSlot;
    call.args.push_back(
        vector1(BufferRef::weight(slot, l.scaleOffset), spec.N));
    BufferArg sums =
        vector1(BufferRef::weight(slot, l.scaleOffset + 4 * spec.N), spec.N);
    sums.isInt32 = true;
    call.args.push_back(sums);
  }
  if (op.getBias()) {
    FailureOr<size_t> slot = slotOf(op.getBias(), op);
    if (failed(slot))
      return failure();
    call.args.push_back(vector1(BufferRef::weight(*slot), spec.N));
  }
  call.args.push_back(
      matrix(storage[op.getResult()].base, num(spec.N), m, num(spec.N)));
  call.flops = "2.0 * " + m + " * " + num(spec.N * spec.K);
  plan.calls.push_back(std::move(call));
  return success();
}

LogicalResult Planner::planLayerNorm(Operation *op, Value input, Value residual,
                                     Value gamma, Value beta, double eps) {
  int64_t h = cast<RankedTensorType>(input.getType()).getShape().back();
  cpu::LayerNormSpec spec;
  spec.H = h;
  spec.hasResidual = static_cast<bool>(residual);
  spec.eps = static_cast<float>(eps);
  // Inputs that are first-token views read rows S * h apart.
  auto isFirstToken = [&](Value v) {
    auto it = storage.find(v);
    return v && it != storage.end() && it->second.firstToken;
  };
  spec.stridedRows = isFirstToken(input) || isFirstToken(residual);
  KernelRequest req{spec, {}};
  if (failed(setSchedule(op, req)) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  const std::string m = rowsOf(input);
  for (Value v : {input, residual}) {
    if (!v)
      continue;
    bool view = isFirstToken(v);
    FailureOr<BufferRef> p = activation(view ? storage[v].sliceOf : v, op);
    if (failed(p))
      return failure();
    call.args.push_back(matrix(*p, num(h), m, view ? num(h) + " * S" : num(h)));
  }
  for (Value v : {gamma, beta}) {
    FailureOr<size_t> slot = slotOf(v, op);
    if (failed(slot))
      return failure();
    call.args.push_back(vector1(BufferRef::weight(*slot), h));
  }
  call.args.push_back(
      matrix(storage[op->getResult(0)].base, num(h), m, num(h)));
  plan.calls.push_back(std::move(call));
  return success();
}

LogicalResult Planner::planAttention(FusedAttentionOp op) {
  int64_t h = cast<RankedTensorType>(op.getQuery().getType()).getShape().back();
  int64_t heads = op.getNumHeads(), d = h / heads;
  FailureOr<Value> packedOr =
      packedQKV(op, op.getQuery(), op.getKey(), op.getValue(), h);
  if (failed(packedOr))
    return failure();
  Value packed = *packedOr;
  cpu::AttentionSpec spec;
  spec.hidden = h;
  spec.numHeads = heads;
  spec.scale = static_cast<float>(op.getScale().convertToDouble());
  spec.bf16 = op.getPrecision() == Precision::bf16;
  spec.f16 = op.getPrecision() == Precision::f16;
  // The bf16 products pair the head dimension (VDPBF16PS): an odd head size
  // (the config format allows one, e.g. hidden 162 over 6 heads) keeps the
  // f32 kernel rather than reading past the head, as the linears do.
  if (spec.bf16 && d % 2 != 0) {
    spec.bf16 = false;
    op.emitWarning() << "precision bf16 attention needs an even head size, "
                        "got "
                     << d << "; this attention runs in f32";
  }
  KernelRequest req{spec, {}};
  if (failed(setSchedule(op, req)))
    return failure();
  FailureOr<BufferRef> qkv = activation(packed, op);
  FailureOr<BufferRef> mask = activation(op.getMask(), op);
  if (failed(qkv) || failed(mask) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  call.args.push_back(BufferArg{*qkv,
                                false,
                                {{num(d), "1"},
                                 {num(heads), num(d)},
                                 {"3", num(h)},
                                 {"S", num(3 * h)},
                                 {"B", num(3 * h) + " * S"}}});
  call.args.push_back(matrix(*mask, "S", "B", "S", /*isInt=*/true));
  call.args.push_back(BufferArg{storage[op.getResult()].base,
                                false,
                                {{num(d), "1"},
                                 {num(heads), num(d)},
                                 {"S", num(h)},
                                 {"B", num(h) + " * S"}}});
  // Q.K^T and P.V, as bench/ counts them.
  call.flops = "4.0 * B * S * S * " + num(h);
  plan.calls.push_back(std::move(call));
  return success();
}

LogicalResult Planner::planPooler(PoolerOp op) {
  auto wType = cast<RankedTensorType>(op.getWeight().getType());
  int64_t n = wType.getDimSize(0), h = wType.getDimSize(1);
  KernelRequest req{
      cpu::PoolerSpec{h, cpuActivation(op.getActivation()), n == h ? 0 : n},
      {}};
  if (failed(setSchedule(op, req)))
    return failure();
  FailureOr<BufferRef> x = activation(op.getInput(), op);
  FailureOr<size_t> bias = slotOf(op.getBias(), op);
  FailureOr<BufferArg> w = packedWeight(op.getWeight(), req, op);
  if (failed(x) || failed(bias) || failed(w) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  // The first token of each sequence: rows b * S of the hidden state.
  // [B, 1, H] after bert-prune-first-token: the rows are dense.
  bool pruned =
      !cast<RankedTensorType>(op.getInput().getType()).isDynamicDim(1);
  call.args.push_back(
      matrix(*x, num(h), "B", pruned ? num(h) : num(h) + " * S"));
  // XLNet's sequence summary: the last position of each sequence (left
  // padding puts the last real token there).
  if (op.getLastToken() && !pruned)
    call.args.back().elementOffset = "(size_t)(S - 1) * " + num(h);
  call.args.push_back(*w);
  call.args.push_back(vector1(BufferRef::weight(*bias), n));
  call.args.push_back(
      matrix(storage[op.getResult()].base, num(n), "B", num(n)));
  call.flops = "2.0 * B * " + num(n * h);
  plan.calls.push_back(std::move(call));
  return success();
}

/// x * mask (bert.mask_rows), x + r (bert.add) or (x + r) * mask
/// (bert.add_mask_rows) per row of [B, S, H] activations: the mask as one
/// int32 per row of x (the caller's [B, S] mask is M = B * S of them; the
/// packed path passes its own). Arguments: x, [r], [mask], out.
LogicalResult Planner::planRowsElementwise(Operation *op, Value input,
                                           Value residual, Value mask) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getRank() != 3 || type.isDynamicDim(2))
    return op->emitError() << "the CPU backend runs this op on [batch, seq, "
                              "hidden] activations with a static hidden "
                              "size, not "
                           << type;
  int64_t h = type.getShape()[2];
  KernelRequest req{cpu::MaskRowsSpec{h}, {}};
  if (residual)
    req.spec = cpu::AddSpec{h, bool(mask)};
  if (failed(setSchedule(op, req)) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  for (Value v : {input, residual})
    if (v) {
      FailureOr<BufferRef> x = activation(v, op);
      if (failed(x))
        return failure();
      call.args.push_back(matrix(*x, num(h), "M", num(h)));
    }
  if (mask) {
    FailureOr<BufferRef> m = activation(mask, op);
    if (failed(m))
      return failure();
    call.args.push_back(BufferArg{*m, true, {{"M", "1"}}});
  }
  call.args.push_back(
      matrix(storage[op->getResult(0)].base, num(h), "M", num(h)));
  plan.calls.push_back(std::move(call));
  return success();
}

LogicalResult Planner::planUnstack(UnstackOp op) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  int64_t n = in.getShape().back();
  KernelRequest req{cpu::UnstackSpec{n}, {}};
  if (failed(setSchedule(op, req)))
    return failure();
  FailureOr<BufferRef> x = activation(op.getInput(), op);
  if (failed(x))
    return failure();
  const std::string rows = rowsOf(op.getInput());
  KernelCall call{kernelIndex(req), {}, ""};
  call.args.push_back(matrix(*x, num(n), rows, num(n)));
  for (unsigned j = 0; j < op.getNumResults(); ++j) {
    if (failed(setResult(op, j)))
      return failure();
    call.args.push_back(
        BufferArg{storage[op.getResult(j)].base, false, {{rows, "1"}}});
  }
  plan.calls.push_back(std::move(call));
  return success();
}
