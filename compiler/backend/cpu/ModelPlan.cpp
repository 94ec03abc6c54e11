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

#include "compiler/backend/cpu/Planner.h"

#include "dialect/BertOps.h"
#include "dialect/LoadTime.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>

using namespace mlir;
using namespace mlir::bert;
using namespace mlir::bert::planner;

std::string ModelPlan::kernelSymbol(size_t i) const {
  return name + "_kernel_" + std::to_string(i);
}

size_t Planner::kernelIndex(const KernelRequest &req) {
  auto [it, inserted] = kernelByKey.try_emplace(req.key(), plan.kernels.size());
  if (inserted)
    plan.kernels.push_back(req);
  return it->second;
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
                                  int64_t bf16Stride, int64_t int8Stride,
                                  WeightSlot::DeviceCopy deviceCopy,
                                  int64_t int8Hadamard) {
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
  slot.int8Hadamard = int8Hadamard;
  slot.deviceCopy = deviceCopy;
  using Copy = WeightSlot::DeviceCopy;
  const char *copyName = deviceCopy == Copy::BF16  ? "bf16"
                         : deviceCopy == Copy::F16 ? "f16"
                                                   : "";
  std::string key = llvm::join(slot.sources, ",") + "|" + num(int(slot.from)) +
                    "|" + num(panelWidth) + "|" + num(bf16Stride) + "|" +
                    num(int8Stride) + "|" + num(int8Hadamard) +
                    (*copyName ? "|device-" : "") + copyName;
  auto [it, inserted] = slotByKey.try_emplace(key, plan.slots.size());
  if (!inserted)
    return it->second;
  // The second layout of a weight gets a name of its own (slot names are
  // how bert_model_weight and messages find a slot).
  if (!slotNames.insert(slot.name).second)
    slot.name += panelWidth  ? "@panels" + num(panelWidth)
                 : *copyName ? std::string("@") + copyName
                             : "@rows";
  plan.slots.push_back(std::move(slot));
  return it->second;
}

/// The weight of a linear or pooler kernel, as the kernel reads it: panels of
/// nb output columns (nb chosen by the kernel for this request), repacked by
/// the runtime at load time (fp32, bf16 or int8 by the request's precision).
FailureOr<BufferArg>
Planner::packedWeight(Value weight, const KernelRequest &req, Operation *user) {
  const auto *linear = std::get_if<cpu::LinearSpec>(&req.spec);
  const bool cuda = std::holds_alternative<::bert::CudaSchedule>(req.schedule);
  if (cuda && linear && (linear->bf16 || linear->f16)) {
    // The tensor-core GEMM reads bf16 or f16 [N][K] rows, which the CUDA
    // library converts from the float32 slot once, at upload (WeightSlot).
    using Copy = WeightSlot::DeviceCopy;
    FailureOr<size_t> slot =
        slotOf(weight, user, 0, 0, 0, linear->f16 ? Copy::F16 : Copy::BF16);
    if (failed(slot))
      return failure();
    BufferArg arg = matrix(BufferRef::weight(*slot), num(linear->K),
                           num(linear->N), num(linear->K));
    arg.isBF16 = linear->bf16;
    arg.isF16 = linear->f16;
    return arg;
  }
  if (linear && linear->bf16) {
    // (2, nb, K/2[, panels]): see Kernels.h BF16Layout.
    ::bert::cpu::BF16WeightLayout l;
    std::string error;
    if (!::bert::cpu::linearBF16WeightLayout(req, plan.target, l, error))
      return user->emitError() << error;
    FailureOr<size_t> slot = slotOf(weight, user, l.panelWidth, l.rowStride);
    if (failed(slot))
      return failure();
    BufferArg arg =
        vnniWeight(*slot, 2, l.panelWidth, linear->K, l.rowStride, l.numPanels);
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
    FailureOr<size_t> slot =
        slotOf(weight, user, l.panelWidth, 0, l.rowStride,
               WeightSlot::DeviceCopy::Float32, l.hadamard);
    if (failed(slot))
      return failure();
    BufferArg arg =
        vnniWeight(*slot, 4, l.panelWidth, linear->K, l.rowStride, l.numPanels);
    arg.isInt8 = true;
    return arg;
  }
  auto shape = cast<RankedTensorType>(weight.getType()).getShape();
  int64_t n = shape[0], k = shape[1];
  if (cuda) {
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

/// A load-time op's result that a run reads (XLNet's kr): a slot of its
/// own, [2, max_seq, H], that the load-time calls fill once.
void Planner::setComputedResult(Operation *op) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  WeightSlot slot;
  slot.from = WeightSlot::From::Computed;
  // bert-mark-load-time admits only sequence-length dims as dynamic.
  for (int64_t d : type.getShape())
    slot.shape.push_back(ShapedType::isDynamic(d) ? plan.maxSeq : d);
  std::string names = locNames(op->getLoc());
  slot.name = "load_time(" + (names.empty() ? "value" : names) + ")";
  for (int i = 2; !slotNames.insert(slot.name).second; ++i)
    slot.name = "load_time(" + names + ")#" + num(i);
  storage[op->getResult(0)].base = BufferRef::weight(plan.slots.size());
  plan.slots.push_back(std::move(slot));
}

LogicalResult Planner::setResult(Operation *op, unsigned index) {
  Value result = op->getResult(index);
  if (op->hasAttr(kLoadTimeAttrName) &&
      llvm::any_of(result.getUsers(), [](Operation *user) {
        return !user->hasAttr(kLoadTimeAttrName);
      })) {
    setComputedResult(op);
    return success();
  }
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
  BufferRef &base = storage[result].base = BufferRef::arena(buffer.getOffset());
  if (Type element = buffer.getElement()) {
    // Only the CUDA kernels read and write 16-bit activations.
    ScheduleAttrInterface sched = getSchedule(op);
    if (!sched ||
        !std::holds_alternative<::bert::CudaSchedule>(sched.getSchedule()))
      return op->emitError()
             << "has a 16-bit arena slot (element = " << element
             << "), which only the CUDA kernels read; plan the buffers "
                "without activation-type for this target";
    base.isBF16 = element.isBF16();
    base.isF16 = element.isF16();
  }
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
                             std::vector<int64_t>(shape.begin(), shape.end())};
              return success();
            })
            .Case([&](WeightMatrixOp w) -> LogicalResult {
              auto it = weightDefs.find(w.getInput());
              if (it == weightDefs.end() || it->second.sources.size() != 1 ||
                  it->second.from != WeightSlot::From::Stored)
                return w.emitError() << "the CPU backend takes the matrix of "
                                        "a bert.weight only (at load time)";
              WeightSlot slot = it->second;
              auto shape = w.getType().getShape();
              slot.shape.assign(shape.begin(), shape.end());
              slot.from = w.getTransposed() ? WeightSlot::From::Transposed
                                            : WeightSlot::From::Flattened;
              // A 2-D weight read as stored is the weight itself.
              if (!w.getTransposed() && w.getInput().getType().getRank() == 2)
                slot.from = WeightSlot::From::Stored;
              weightDefs[w.getResult()] = std::move(slot);
              return success();
            })
            .Case([&](ConcatOp c) -> LogicalResult {
              WeightSlot slot;
              for (Value in : c.getInputs()) {
                auto it = weightDefs.find(in);
                bool first = slot.sources.empty();
                // Stored sources, or transposed ones (CONCAT0_T), not mixed.
                if (it == weightDefs.end() || it->second.sources.size() != 1 ||
                    c.getDim() != 0 ||
                    it->second.from == WeightSlot::From::Flattened ||
                    (!first && it->second.from != slot.from))
                  return c.emitError()
                         << "the CPU backend concatenates only weights, "
                            "along dim 0 (at load time), all as stored or "
                            "all transposed";
                slot.from = it->second.from;
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
            .Case(
                [&](RelativePositionsOp p) { return planRelativePositions(p); })
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
      if (op.hasAttr(kLoadTimeAttrName)) {
        plan.loadCalls.push_back(std::move(call));
        plan.calls.pop_back();
      }
    }
  }
  splitKernelsByStorage();
  return success();
}

void Planner::splitKernelsByStorage() {
  // A kernel's parameter types follow its buffers' storage, so calls of one
  // request that differ in it (the last LayerNorm writes the f32 output,
  // the others a bf16 slot) become one kernel per combination, numbered by
  // first use. Without 16-bit slots (every CPU plan) nothing changes, which
  // also keeps the kernels only load-time calls use (bert-mark-load-time);
  // with them, the load-time calls are visited first.
  bool any16 = false;
  for (auto *list : {&plan.loadCalls, &plan.calls})
    for (KernelCall &call : *list)
      for (BufferArg &arg : call.args)
        if (arg.base.role == BufferRef::Role::Arena) {
          arg.isBF16 |= arg.base.isBF16;
          arg.isF16 |= arg.base.isF16;
          any16 |= arg.isBF16 || arg.isF16;
        }
  if (!any16)
    return;
  std::map<std::pair<size_t, std::string>, size_t> variantOf;
  std::vector<KernelRequest> kernels;
  for (auto *list : {&plan.loadCalls, &plan.calls})
    for (KernelCall &call : *list) {
      std::string types;
      for (const BufferArg &arg : call.args)
        types += arg.isInt32  ? 'i'
                 : arg.isBF16 ? 'b'
                 : arg.isF16  ? 'h'
                 : arg.isInt8 ? 'q'
                              : 'f';
      auto [it, inserted] =
          variantOf.try_emplace({call.kernel, types}, kernels.size());
      if (inserted)
        kernels.push_back(plan.kernels[call.kernel]);
      call.kernel = it->second;
    }
  plan.kernels = std::move(kernels);
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
