//===- Evaluator.cpp - reference interpreter for the bert dialect ---------===//
//
// Walks the function body in order, keeping one host tensor per SSA value.
// Each value is checked against its static type when it is produced (rank,
// static extents, int vs. float), so an op kernel can trust the static parts
// of its operand types and only checks dynamic extents itself. Weights are
// fetched once per evaluation and name (a pass that duplicates a
// bert.weight op still reads one tensor).
//
//===----------------------------------------------------------------------===//

#include "compiler/eval/Evaluator.h"
#include "compiler/eval/EvalOps.h"
#include "compiler/weights/RandomWeights.h"
#include "dialect/BertOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

using namespace llvm;
using namespace mlir;
using namespace mlir::bert;

WeightProvider::~WeightProvider() = default;

Expected<Tensor> SeededWeightProvider::get(StringRef name,
                                           ArrayRef<int64_t> shape) const {
  std::vector<int64_t> s(shape.begin(), shape.end());
  return Tensor::floats(s, randomWeightValues(seed, name, shape));
}

Expected<Tensor> SafetensorsWeightProvider::get(StringRef name,
                                                ArrayRef<int64_t> shape) const {
  Expected<std::vector<float>> data = file.readFloat(name, shape);
  if (!data)
    return data.takeError();
  return Tensor::floats(std::vector<int64_t>(shape.begin(), shape.end()),
                        std::move(*data));
}

/// Checks a run-time value against the static type of the SSA value it
/// becomes: same rank, equal static extents, int32 data for i32 element
/// types and float data otherwise.
static LogicalResult
checkAgainstType(const Tensor &t, Type type,
                 llvm::function_ref<InFlightDiagnostic()> emit,
                 const Twine &what) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked)
    return emit() << what << " has type " << type
                  << ", which the evaluator does not support";
  bool isInt = isa<IntegerType>(ranked.getElementType());
  if (isInt && !ranked.getElementType().isInteger(32))
    return emit() << what << " has element type " << ranked.getElementType()
                  << "; only i32 integer tensors are supported";
  if (t.isInt != isInt)
    return emit() << what << " holds " << (t.isInt ? "int32" : "float")
                  << " values but has type " << type;
  bool ok = t.rank() == ranked.getRank();
  for (int64_t i = 0; ok && i < t.rank(); ++i)
    ok = ranked.isDynamicDim(i) || ranked.getDimSize(i) == t.shape[i];
  if (!ok)
    return emit() << what << " has run-time shape " << shapeToString(t.shape)
                  << ", which does not fit its type " << type;
  size_t expected = size_t(t.numel());
  if ((t.isInt ? t.i.size() : t.f.size()) != expected)
    return emit() << what << " holds " << (t.isInt ? t.i.size() : t.f.size())
                  << " values for shape " << shapeToString(t.shape);
  return success();
}

FailureOr<std::vector<Tensor>>
mlir::bert::evaluate(func::FuncOp func, ArrayRef<Tensor> args,
                     const WeightProvider &weights) {
  return evaluate(func, args, weights, [](StringRef, const Tensor &) {});
}

FailureOr<std::vector<Tensor>>
mlir::bert::evaluate(func::FuncOp func, ArrayRef<Tensor> args,
                     const WeightProvider &weights, WeightObserver observer) {
  if (func.isExternal())
    return func.emitError() << "cannot evaluate a function without a body";
  if (!func.getBody().hasOneBlock())
    return func.emitError()
           << "the evaluator supports single-block functions only";
  Block &body = func.getBody().front();
  if (args.size() != body.getNumArguments())
    return func.emitError() << "expects " << body.getNumArguments()
                            << " arguments, got " << args.size();

  DenseMap<Value, Tensor> values;
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    if (failed(checkAgainstType(
            args[i], arg.getType(), [&] { return func.emitError(); },
            "argument #" + Twine(i))))
      return failure();
    values[arg] = args[i];
  }

  StringMap<Tensor> weightCache;
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<Tensor> results;
      for (Value v : ret.getOperands())
        results.push_back(values.lookup(v));
      return results;
    }
    if (op.getNumRegions() != 0 || op.getNumResults() < 1)
      return op.emitOpError() << "is not supported by the reference evaluator";

    SmallVector<Tensor, 1> results(op.getNumResults());
    if (auto w = dyn_cast<WeightOp>(op)) {
      auto type = cast<RankedTensorType>(w.getType());
      auto it = weightCache.find(w.getName());
      if (it == weightCache.end()) {
        Expected<Tensor> t = weights.get(w.getName(), type.getShape());
        if (!t)
          return op.emitOpError()
                 << "cannot load weight: " << toString(t.takeError());
        observer(w.getName(), *t);
        it = weightCache.try_emplace(w.getName(), std::move(*t)).first;
      }
      results[0] = it->second;
    } else {
      SmallVector<const Tensor *> operands;
      for (Value v : op.getOperands())
        if (!values.count(v))
          return op.emitOpError() << "uses a value defined outside the "
                                     "function body";
      // Optional operands that are absent (bert.linear without bias, an
      // embeddings op without token types) are passed as null, so kernels
      // index operands by their ODS position.
      if (auto lin = dyn_cast<LinearOp>(op)) {
        operands = {&values[lin.getInput()], &values[lin.getWeight()],
                    lin.getBias() ? &values[lin.getBias()] : nullptr};
      } else if (auto segments = op.getAttrOfType<DenseI32ArrayAttr>(
                     "operandSegmentSizes")) {
        unsigned next = 0;
        for (int32_t size : segments.asArrayRef()) {
          if (size == 0)
            operands.push_back(nullptr);
          for (int32_t k = 0; k < size; ++k)
            operands.push_back(&values[op.getOperand(next++)]);
        }
      } else {
        for (Value v : op.getOperands())
          operands.push_back(&values[v]);
      }
      if (failed(evalBertOp(&op, operands, results)))
        return failure();
    }
    for (auto [result, value] : llvm::zip(results, op.getResults())) {
      if (failed(checkAgainstType(
              result, value.getType(), [&] { return op.emitOpError(); },
              "result")))
        return failure();
      values[value] = std::move(result);
    }
  }
  return func.emitError() << "function body has no func.return";
}
