//===- ModelPlan.cpp - flatten planned bert IR for host codegen -----------===//
//
// Walks a function after bert-cpu-pipeline and decides, for every value,
// where it lives at run time:
//   - function arguments: the caller's inputs, named by their NameLoc
//     (input_ids, token_type_ids, attention_mask, langs);
//   - bert.weight and bert.concat of weights: a runtime weight slot (concat
//     and panel repacking happen once, at load time, in the runtime);
//   - values the function returns: the caller's output buffers (named by
//     the function's bert.output_names), written in place (no copy);
//   - other kernel results: their #bert.buffer slot in the arena;
//   - bert.slice of an activation: a strided view of its input, no storage.
// Each kernel op becomes one KernelCall. Unfused high-level ops have no CPU
// kernel: they are reported with a hint to run the fusion pipeline. The
// model's sizes come from the module's bert.model_facts, not from the ops.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/ModelPlan.h"

#include "dialect/BertOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::bert;
using ::bert::cpu::KernelRequest;
namespace cpu = ::bert::cpu;

std::string ModelPlan::kernelSymbol(size_t i) const {
  return name + "_kernel_" + std::to_string(i);
}

namespace {

/// Where an activation lives: a buffer of its own, or a view (a slice)
/// into another activation.
struct Storage {
  BufferRef base; ///< unless a view
  // For views: the sliced value, and the column offset within it.
  Value sliceOf;
  int64_t sliceOffset = 0;
  /// A view of token 0 of each sequence (bert-prune-first-token): rows B,
  /// S rows apart, rather than columns.
  bool firstToken = false;
};

class Planner {
public:
  Planner(func::FuncOp func, ModelPlan &plan) : func(func), plan(plan) {}

  LogicalResult run();

private:
  FailureOr<BufferArg> packedWeight(Value weight, const KernelRequest &req,
                                    Operation *user);
  FailureOr<BufferRef> activation(Value v, Operation *user);
  /// The slot of weight `v` in a layout (0, 0: row-major; see WeightSlot).
  FailureOr<size_t> slotOf(Value v, Operation *user, int64_t panelWidth = 0,
                           int64_t bf16Stride = 0, int64_t int8Stride = 0);
  LogicalResult setSchedule(Operation *op, KernelRequest &req);
  size_t kernelIndex(const KernelRequest &req);

  LogicalResult planEmbeddings(EmbeddingsLayerNormOp op);
  LogicalResult planWordEmbeddings(EmbeddingsOp op);
  LogicalResult planRelativeAttention(RelativeAttentionOp op);
  LogicalResult planLinear(LinearOp op);
  LogicalResult planLayerNorm(Operation *op, Value input, Value residual,
                              Value gamma, Value beta, double eps);
  LogicalResult planAttention(FusedAttentionOp op);
  LogicalResult planPooler(PoolerOp op);
  LogicalResult planUnstack(UnstackOp op);
  LogicalResult planRowsElementwise(Operation *op, Value input, Value residual,
                                    Value mask);
  LogicalResult setResult(Operation *op, unsigned index = 0);

  func::FuncOp func;
  ModelPlan &plan;
  DenseMap<Value, Storage> storage;
  /// Weights (bert.weight, bert.concat of weights) as the runtime would
  /// build them; a slot is made only when a kernel reads the value, so the
  /// sources of a packed weight get no slot of their own.
  DenseMap<Value, WeightSlot> weightDefs;
  /// Slot of each (sources, layout), and the slot names taken.
  llvm::StringMap<size_t> slotByKey;
  llvm::StringSet<> slotNames;
  llvm::StringMap<size_t> kernelByKey;
};

} // namespace

static std::string locString(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  loc.print(os);
  return s;
}

static std::string num(int64_t v) { return std::to_string(v); }

/// The module names in `loc`, outermost first ("encoder.layer.0.attention"
/// then "query"), joined with '.'; the names of a fused location joined with
/// ", ", each without the prefix it shares with the first.
static std::string locNames(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    std::string first, out;
    for (Location part : fused.getLocations()) {
      std::string name = locNames(part);
      if (name.empty())
        continue;
      if (first.empty()) {
        first = out = name;
        continue;
      }
      size_t common = 0;
      while (common < name.size() && common < first.size() &&
             name[common] == first[common])
        ++common;
      // Cut at a '.' so that "key" does not lose the "k" it shares with
      // nothing but a prefix of "query".
      size_t dot = name.rfind('.', common ? common - 1 : 0);
      common = dot == std::string::npos || common == 0 ? 0 : dot + 1;
      out += ", " + name.substr(common);
    }
    return out;
  }
  if (auto named = dyn_cast<NameLoc>(loc)) {
    std::string inner = locNames(named.getChildLoc());
    std::string name = named.getName().str();
    return inner.empty() ? name : inner + "." + name;
  }
  return "";
}

/// The C expression of a row-wise kernel's row count over `v`: M (one row
/// per token: B * S, or T packed) when v is [batch, seq, ...], else B.
static std::string rowsOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getRank() >= 2 && t.isDynamicDim(1))
    return "M";
  // [B, C] rows per sequence, or [B, 1, C] (the first token only).
  return "B";
}

/// A dense row-major [rows, cols] matrix as (cols, rows) innermost first.
static BufferArg matrix(BufferRef base, std::string cols, std::string rows,
                        std::string rowStride, bool isInt = false) {
  return BufferArg{
      base, isInt, {{std::move(cols), "1"}, {std::move(rows), rowStride}}};
}

/// A dense [B, S, H] activation as (H, S, B) innermost first.
static BufferArg tokenRows(BufferRef base, int64_t h) {
  return BufferArg{
      base, false, {{num(h), "1"}, {"S", num(h)}, {"B", num(h) + " * S"}}};
}

static BufferArg vector1(BufferRef base, int64_t n) {
  return BufferArg{base, false, {{num(n), "1"}}};
}

size_t Planner::kernelIndex(const KernelRequest &req) {
  auto [it, inserted] = kernelByKey.try_emplace(req.key(), plan.kernels.size());
  if (inserted)
    plan.kernels.push_back(req);
  return it->second;
}

/// The kernels' copy of the dialect's activation (KernelCompiler.h): the
/// same enumerators in the same order.
static cpu::Activation cpuActivation(Activation act) {
  static_assert(int(Activation::tanh) == int(cpu::Activation::Tanh) &&
                    int(Activation::quick_gelu) ==
                        int(cpu::Activation::QuickGelu),
                "the two activation enums must list the same values");
  return cpu::Activation(int(act));
}

/// The op's schedule, as its family's struct (dialect/Schedules.h): every
/// kernel runs the schedule bert-tile (or a test) put on it.
LogicalResult Planner::setSchedule(Operation *op, KernelRequest &req) {
  ScheduleAttrInterface sched = getSchedule(op);
  if (!sched)
    return op->emitError() << "has no schedule: run bert-tile (the whole "
                              "bert-cpu-pipeline) before the CPU backend";
  req.schedule = sched.getSchedule();
  return success();
}

FailureOr<size_t> Planner::slotOf(Value v, Operation *user, int64_t panelWidth,
                                  int64_t bf16Stride, int64_t int8Stride) {
  auto def = weightDefs.find(v);
  if (def == weightDefs.end()) {
    user->emitError() << "the CPU backend needs this operand to be a model "
                         "weight (bert.weight or bert.concat of weights)";
    return failure();
  }
  // One slot per weight and layout: ALBERT's shared layers read one slot,
  // and a tied decoder reads the word embeddings as its own packed copy
  // while the embeddings kernel reads them row-major.
  WeightSlot slot = def->second;
  slot.panelWidth = panelWidth;
  slot.bf16RowStride = bf16Stride;
  slot.int8RowStride = int8Stride;
  std::string key = llvm::join(slot.sources, ",") + "|" + num(panelWidth) +
                    "|" + num(bf16Stride) + "|" + num(int8Stride);
  auto [it, inserted] = slotByKey.try_emplace(key, plan.slots.size());
  if (!inserted)
    return it->second;
  // The second layout of a weight gets a name of its own (slot names are
  // how bert_model_weight and messages find a slot).
  if (!slotNames.insert(slot.name).second)
    slot.name += panelWidth ? "@panels" + num(panelWidth) : "@rows";
  plan.slots.push_back(std::move(slot));
  return it->second;
}

/// A weight in a "VNNI" layout (Kernels.h BF16Layout, Int8Layout): `group`
/// consecutive k of a column adjacent, k-groups `rowStride` elements apart
/// within a panel of nb columns, `numPanels` panels (0: one panel read as a
/// 3-D buffer).
static BufferArg vnniWeight(size_t slot, int64_t group, int64_t nb, int64_t K,
                            int64_t rowStride, int64_t numPanels) {
  BufferArg arg{BufferRef::weight(slot),
                false,
                {{num(group), "1"},
                 {num(nb), num(group)},
                 {num(K / group), num(rowStride)}}};
  if (numPanels)
    arg.dims.push_back({num(numPanels), num(K / group * rowStride)});
  return arg;
}

/// The weight of a linear or pooler kernel, as the kernel reads it: panels of
/// nb output columns (nb chosen by the kernel for this request), repacked by
/// the runtime at load time. Buffer (nb, K, panels), dense.
FailureOr<BufferArg>
Planner::packedWeight(Value weight, const KernelRequest &req, Operation *user) {
  const auto *linear = std::get_if<cpu::LinearSpec>(&req.spec);
  if (linear && linear->bf16) {
    // (2, nb, K/2[, panels]): see Kernels.h BF16Layout.
    ::bert::cpu::BF16WeightLayout l;
    std::string error;
    if (!::bert::cpu::linearBF16WeightLayout(req, plan.target, l, error))
      return user->emitError() << error;
    FailureOr<size_t> slot = slotOf(weight, user, l.panelWidth, l.rowStride);
    if (failed(slot))
      return failure();
    BufferArg arg = vnniWeight(*slot, 2, l.panelWidth, linear->K, l.rowStride,
                               l.singlePanel ? 0 : l.numPanels);
    arg.isBF16 = true;
    return arg;
  }
  if (linear && linear->int8) {
    // (4, nb, K/4, panels): see Kernels.h Int8Layout; the scales and
    // column sums follow in the slot (planLinear passes them).
    ::bert::cpu::Int8WeightLayout l;
    std::string error;
    if (!::bert::cpu::linearInt8WeightLayout(req, l, error))
      return user->emitError() << error;
    FailureOr<size_t> slot = slotOf(weight, user, l.panelWidth, 0, l.rowStride);
    if (failed(slot))
      return failure();
    BufferArg arg =
        vnniWeight(*slot, 4, l.panelWidth, linear->K, l.rowStride, l.numPanels);
    arg.isInt8 = true;
    return arg;
  }
  auto shape = cast<RankedTensorType>(weight.getType()).getShape();
  int64_t n = shape[0], k = shape[1];
  if (std::holds_alternative<::bert::CudaSchedule>(req.schedule)) {
    // The CUDA kernels stage W^T tiles through shared memory themselves:
    // the Hugging Face layout, [N][K] rows, as the file has it.
    FailureOr<size_t> slot = slotOf(weight, user, 0, 0);
    if (failed(slot))
      return failure();
    return matrix(BufferRef::weight(*slot), num(k), num(n), num(k));
  }
  std::string error;
  int64_t nb = ::bert::cpu::linearPanelWidth(req, plan.target, error);
  if (nb <= 0)
    return user->emitError() << error;
  FailureOr<size_t> slot = slotOf(weight, user, nb, 0);
  if (failed(slot))
    return failure();
  int64_t panels = (n + nb - 1) / nb;
  return BufferArg{
      BufferRef::weight(*slot),
      false,
      {{num(nb), "1"}, {num(k), num(nb)}, {num(panels), num(nb * k)}}};
}

FailureOr<BufferRef> Planner::activation(Value v, Operation *user) {
  auto it = storage.find(v);
  if (it == storage.end() || it->second.sliceOf) {
    user->emitError() << "the CPU backend has no storage for this operand "
                         "(is the function planned by bert-plan-buffers?)";
    return failure();
  }
  return it->second.base;
}

LogicalResult Planner::setResult(Operation *op, unsigned index) {
  Value result = op->getResult(index);
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [i, operand] : llvm::enumerate(ret.getOperands())) {
    if (operand != result)
      continue;
    if (storage.count(result))
      return op->emitError()
             << "is returned as two outputs ('"
             << plan.outputs[storage[result].base.index].name << "' and '"
             << plan.outputs[i].name << "'); each output needs its own kernel";
    storage[result].base = BufferRef::output(i);
  }
  if (storage.count(result))
    return success();
  auto buffer = op->getAttrOfType<BufferAttr>(BertDialect::getBufferAttrName());
  if (!buffer)
    return op->emitError() << "has no arena slot: run bert-plan-buffers "
                              "(the whole bert-cpu-pipeline) first";
  storage[result].base = BufferRef::arena(buffer.getOffset());
  return success();
}

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
  if (op.getLangs()) {
    FailureOr<BufferRef> langs = activation(op.getLangs(), op);
    FailureOr<size_t> slot = slotOf(op.getLangTable(), op);
    if (failed(langs) || failed(slot))
      return failure();
    call.args.push_back(matrix(*langs, "S", "B", "S", /*isInt=*/true));
    call.args.push_back(
        matrix(BufferRef::weight(*slot), num(h), num(spec.numLangs), num(h)));
  }
  call.args.push_back(tokenRows(storage[op.getResult()].base, h));
  plan.calls.push_back(std::move(call));
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
  FailureOr<BufferRef> ids = activation(op.getInputIds(), op);
  FailureOr<size_t> slot = slotOf(op.getWord(), op);
  if (failed(ids) || failed(slot))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  call.args.push_back(matrix(*ids, "S", "B", "S", /*isInt=*/true));
  call.args.push_back(
      matrix(BufferRef::weight(*slot), num(h), num(spec.vocab), num(h)));
  call.args.push_back(tokenRows(storage[op.getResult()].base, h));
  plan.calls.push_back(std::move(call));
  return success();
}

/// XLNet's relative attention: one kernel reads the activation, mask and
/// token types padded ([B, S]) and the einsum weights as stored.
LogicalResult Planner::planRelativeAttention(RelativeAttentionOp op) {
  int64_t h = cast<RankedTensorType>(op.getInput().getType()).getShape().back();
  cpu::RelativeAttentionSpec spec{h, int64_t(op.getNumHeads()),
                                  op.getClampLen()};
  KernelRequest req{spec, {}};
  if (failed(setSchedule(op, req)))
    return failure();
  FailureOr<BufferRef> x = activation(op.getInput(), op);
  FailureOr<BufferRef> mask = activation(op.getMask(), op);
  FailureOr<BufferRef> types = activation(op.getTokenTypeIds(), op);
  if (failed(x) || failed(mask) || failed(types) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  call.args.push_back(tokenRows(*x, h));
  call.args.push_back(matrix(*mask, "S", "B", "S", /*isInt=*/true));
  call.args.push_back(matrix(*types, "S", "B", "S", /*isInt=*/true));
  // [H, n, d] einsum weights as (n * d, H) matrices, [n, d] biases as (H),
  // seg_embed [2, n, d] as (H, 2).
  for (Value w :
       {op.getQueryWeight(), op.getKeyWeight(), op.getValueWeight(),
        op.getOutputWeight(), op.getPositionWeight(), op.getContentBias(),
        op.getPositionBias(), op.getSegmentBias(), op.getSegmentEmbed()}) {
    FailureOr<size_t> slot = slotOf(w, op);
    if (failed(slot))
      return failure();
    int64_t rows = cast<RankedTensorType>(w.getType()).getNumElements() / h;
    call.args.push_back(rows == 1 ? vector1(BufferRef::weight(*slot), h)
                                  : matrix(BufferRef::weight(*slot), num(h),
                                           num(rows), num(h)));
  }
  call.args.push_back(tokenRows(storage[op.getResult()].base, h));
  // q, k, v, o projections, kr over 2S - 1 distances, and the three score
  // terms plus P.V per pair.
  call.flops = "8.0 * B * S * " + num(h * h) + " + 2.0 * (2 * S - 1) * " +
               num(h * h) + " + 8.0 * B * S * S * " + num(h);
  plan.calls.push_back(std::move(call));
  return success();
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
  if (op.getPrecision() == Precision::i8) {
    // Likewise the int8 layout groups four k's (every BERT config has
    // K % 4 == 0; the schedule is a gemm one either way).
    spec.int8 = spec.K % 4 == 0;
    if (!spec.int8)
      op.emitWarning() << "precision i8 needs in_features % 4 == 0, got "
                       << spec.K << "; this linear runs in f32";
  }
  spec.act = cpuActivation(op.getActivation());
  KernelRequest req{spec, {}};
  if (failed(setSchedule(op, req)))
    return failure();
  // An AMX schedule tiles with AMX: the runtime must ask Linux for the
  // tile state. (Its dot-product path for small M needs nothing.)
  plan.needsAMX = plan.needsAMX ||
                  std::holds_alternative<::bert::AmxSchedule>(req.schedule);
  FailureOr<BufferRef> x = activation(op.getInput(), op);
  FailureOr<BufferArg> packed = packedWeight(op.getWeight(), req, op);
  if (failed(x) || failed(packed) || failed(setResult(op)))
    return failure();
  KernelCall call{kernelIndex(req), {}, ""};
  const std::string m = rowsOf(op.getInput());
  call.args.push_back(matrix(*x, num(spec.K), m, num(spec.K)));
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
  // The kernel reads Q, K, V out of one packed [B, S, 3H] activation: they
  // must be the three slices bert-pack-qkv made.
  Value packed;
  int64_t expected = 0;
  for (Value v : {op.getQuery(), op.getKey(), op.getValue()}) {
    auto it = storage.find(v);
    if (it == storage.end() || !it->second.sliceOf ||
        it->second.sliceOffset != expected ||
        (packed && it->second.sliceOf != packed))
      return op.emitError() << "the CPU attention kernel needs query, key and "
                               "value as consecutive slices of one packed "
                               "projection (run bert-pack-qkv)";
    packed = it->second.sliceOf;
    expected += h;
  }
  if (cast<RankedTensorType>(packed.getType()).getShape().back() != 3 * h)
    return op.emitError() << "packed projection must have 3 * " << h
                          << " columns";
  cpu::AttentionSpec spec;
  spec.hidden = h;
  spec.numHeads = heads;
  spec.scale = static_cast<float>(op.getScale().convertToDouble());
  spec.bf16 = op.getPrecision() == Precision::bf16;
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

LogicalResult Planner::run() {
  Block &body = func.getBody().front();
  for (size_t i = 0; i < plan.inputs.size(); ++i)
    storage[body.getArgument(i)].base = BufferRef::input(i);

  for (Operation &op : body) {
    size_t callsBefore = plan.calls.size();
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](WeightOp w) {
              auto shape = cast<RankedTensorType>(w.getType()).getShape();
              weightDefs[w.getResult()] =
                  WeightSlot{w.getName().str(),
                             {w.getName().str()},
                             std::vector<int64_t>(shape.begin(), shape.end()),
                             0};
              return success();
            })
            .Case([&](ConcatOp c) -> LogicalResult {
              WeightSlot slot;
              for (Value in : c.getInputs()) {
                auto it = weightDefs.find(in);
                if (it == weightDefs.end() || it->second.sources.size() != 1 ||
                    c.getDim() != 0)
                  return c.emitError()
                         << "the CPU backend concatenates only weights, "
                            "along dim 0 (at load time)";
                slot.sources.push_back(it->second.name);
              }
              slot.name = "packed(" + llvm::join(slot.sources, ",") + ")";
              auto shape = c.getType().getShape();
              slot.shape.assign(shape.begin(), shape.end());
              weightDefs[c.getResult()] = std::move(slot);
              return success();
            })
            .Case([&](SliceOp s) -> LogicalResult {
              auto in = cast<RankedTensorType>(s.getInput().getType());
              if (s.getDim() == 1 && in.getRank() == 3 && in.isDynamicDim(1) &&
                  !weightDefs.count(s.getInput())) {
                // Token 0 of each sequence (verified: offset 0, size 1).
                Storage &st = storage[s.getResult()];
                st.sliceOf = s.getInput();
                st.firstToken = true;
                return success();
              }
              if (static_cast<int64_t>(s.getDim()) != in.getRank() - 1 ||
                  weightDefs.count(s.getInput()))
                return s.emitError() << "the CPU backend supports slices of "
                                        "activations along the last dim, or "
                                        "token 0 along the sequence";
              Storage &st = storage[s.getResult()];
              st.sliceOf = s.getInput();
              st.sliceOffset = s.getOffset();
              return success();
            })
            .Case([&](EmbeddingsLayerNormOp e) { return planEmbeddings(e); })
            .Case([&](EmbeddingsOp e) { return planWordEmbeddings(e); })
            .Case(
                [&](RelativeAttentionOp a) { return planRelativeAttention(a); })
            .Case([&](LinearOp l) { return planLinear(l); })
            .Case([&](AddLayerNormOp a) {
              return planLayerNorm(a, a.getInput(), a.getResidual(),
                                   a.getGamma(), a.getBeta(),
                                   a.getEpsilon().convertToDouble());
            })
            .Case([&](LayerNormOp l) {
              return planLayerNorm(l, l.getInput(), Value(), l.getGamma(),
                                   l.getBeta(),
                                   l.getEpsilon().convertToDouble());
            })
            .Case([&](FusedAttentionOp a) { return planAttention(a); })
            .Case([&](PoolerOp p) { return planPooler(p); })
            .Case([&](UnstackOp u) { return planUnstack(u); })
            .Case([&](MaskRowsOp m) {
              return planRowsElementwise(m, m.getInput(), Value(), m.getMask());
            })
            .Case([&](AddOp a) {
              return planRowsElementwise(a, a.getLhs(), a.getRhs(), Value());
            })
            .Case([&](AddMaskRowsOp a) {
              return planRowsElementwise(a, a.getInput(), a.getResidual(),
                                         a.getMask());
            })
            .Case([&](func::ReturnOp) { return success(); })
            .Default([&](Operation *other) {
              return other->emitError()
                     << "has no CPU kernel; run the fusion stages "
                        "(bert-cpu-pipeline) before the CPU backend";
            });
    if (failed(result))
      return failure();
    if (plan.calls.size() > callsBefore) {
      KernelCall &call = plan.calls.back();
      std::string opName = op.getName().getStringRef().str();
      call.comment = opName + " at " + locString(op.getLoc());
      std::string names = locNames(op.getLoc());
      call.name = names.empty() ? opName : opName + " " + names;
      // Rows per token or per sequence, and the result's row width: what
      // the packed path needs to know to run and scatter it.
      auto type = cast<RankedTensorType>(op.getResult(0).getType());
      call.perToken = type.getRank() >= 2 && type.isDynamicDim(1);
      call.resultWidth = 1;
      for (int64_t d = call.perToken ? 2 : 1; d < type.getRank(); ++d)
        call.resultWidth *= type.getDimSize(d);
    }
  }
  return success();
}

FailureOr<ModelPlan> mlir::bert::planModel(func::FuncOp func,
                                           const std::string &name,
                                           const std::string &target) {
  ModelPlan plan;
  plan.name = name;
  plan.target = target;
  auto intAttr = [&](StringRef attr) -> int64_t {
    auto a = func->getAttrOfType<IntegerAttr>(attr);
    return a ? a.getInt() : 0;
  };
  plan.maxBatch = intAttr("bert.max_batch");
  plan.maxSeq = intAttr("bert.max_seq");
  plan.arenaBytes = intAttr("bert.arena_bytes");
  if (plan.maxBatch <= 0 || plan.maxSeq <= 0)
    return func.emitError() << "needs bert.max_batch and bert.max_seq";
  auto module = func->getParentOfType<ModuleOp>();
  auto facts = module ? module->getAttrOfType<ModelFactsAttr>(
                            BertDialect::getModelFactsAttrName())
                      : ModelFactsAttr();
  if (!facts)
    return func.emitError()
           << "the CPU backend needs '" << BertDialect::getModelFactsAttrName()
           << "' on the module (the frontend sets it from config.json)";
  plan.family = facts.getFamily().str();
  plan.layers = facts.getLayers();
  plan.hidden = facts.getHidden();
  plan.heads = facts.getHeads();
  plan.intermediate = facts.getIntermediate();
  plan.vocab = facts.getVocab();
  plan.typeVocab = facts.getTypeVocab();
  if (failed(planInputs(func, plan)) || failed(planOutputs(func, plan)))
    return failure();
  Planner planner(func, plan);
  if (failed(planner.run()))
    return failure();
  return plan;
}
