//===- ModelIO.cpp - the model's input and output tables ------------------===//
//
// A ModelPlan's inputs (the function's arguments, named by their NameLocs)
// and outputs (its results, named by bert.output_names): names, shapes with
// their batch and sequence dims, and the bounds the runtime checks input
// values against. Split from ModelPlan.cpp, which plans the kernel calls.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/ModelPlan.h"

#include "dialect/BertOps.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::bert;

static int findIn(const std::vector<IOTensor> &table, llvm::StringRef name) {
  for (size_t i = 0; i < table.size(); ++i)
    if (table[i].name == name)
      return static_cast<int>(i);
  return -1;
}
int ModelPlan::findInput(llvm::StringRef n) const { return findIn(inputs, n); }
int ModelPlan::findOutput(llvm::StringRef n) const {
  return findIn(outputs, n);
}

int64_t IOTensor::rowWidth() const {
  int64_t w = 1;
  for (size_t d = perToken() ? 2 : 1; d < dims.size(); ++d)
    w *= dims[d];
  return w;
}

/// The bound of the langs input: XLM's n_langs, from the function's (or
/// module's) integer attribute bert.n_langs; 1 without one (XLM's default:
/// a single language, every langs value 0).
static int64_t langsBound(func::FuncOp func) {
  for (Operation *op : {func.getOperation(), func->getParentOp()})
    if (auto a =
            op ? op->getAttrOfType<IntegerAttr>("bert.n_langs") : IntegerAttr())
      return a.getInt();
  return 1;
}

/// The inputs, one per function argument in order, named by the argument's
/// NameLoc; each int32 [batch, seq] and bounded by the facts (the kernels
/// index tables with them, so the runtime must check every value).
LogicalResult mlir::bert::planInputs(func::FuncOp func, ModelPlan &plan) {
  for (BlockArgument arg : func.getArguments()) {
    auto named = dyn_cast<NameLoc>(arg.getLoc());
    std::string name = named ? named.getName().str() : "";
    IOTensor in{name, true, {kDimBatch, kDimSeq}, 0, false, 0};
    if (name == "input_ids") {
      in.upperBound = plan.vocab;
      in.required = true;
    } else if (name == "token_type_ids") {
      in.upperBound = plan.typeVocab;
    } else if (name == "attention_mask") {
      in.upperBound = 2;
      in.defaultValue = 1;
    } else if (name == "langs") {
      in.upperBound = langsBound(func);
    } else {
      return func.emitError()
             << "argument #" << arg.getArgNumber() << " is named '" << name
             << "'; the CPU backend takes the inputs input_ids, "
                "token_type_ids, attention_mask and langs (named by NameLoc)";
    }
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || type.getRank() != 2 || !type.isDynamicDim(0) ||
        !type.isDynamicDim(1) || !type.getElementType().isInteger(32))
      return func.emitError()
             << "input '" << name << "' must be "
             << "tensor<?x?xi32> ([batch, seq]), not " << arg.getType();
    if (in.upperBound < 1)
      return func.emitError() << "input '" << name << "' has no valid value "
                              << "(its bound is " << in.upperBound << ")";
    if (plan.findInput(name) >= 0)
      return func.emitError() << "input '" << name << "' appears twice";
    plan.inputs.push_back(std::move(in));
  }
  if (plan.findInput("input_ids") < 0)
    return func.emitError() << "the CPU backend needs an input_ids argument";
  return success();
}

/// A name usable as a C identifier and macro suffix in the generated code.
static bool isCIdentifier(StringRef s) {
  return !s.empty() && !llvm::isDigit(s.front()) &&
         llvm::all_of(s, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// The outputs, one per function result: names from bert.output_names (or
/// BertModel's two when the attribute is absent and the results fit), f32
/// with batch first and seq second when dim 1 is dynamic.
LogicalResult mlir::bert::planOutputs(func::FuncOp func, ModelPlan &plan) {
  auto results = func.getResultTypes();
  std::vector<std::string> names;
  if (auto attr = func->getAttrOfType<ArrayAttr>("bert.output_names")) {
    for (Attribute a : attr) {
      auto str = dyn_cast<StringAttr>(a);
      if (!str)
        return func.emitError() << "bert.output_names must hold strings";
      names.push_back(str.str());
    }
    if (names.size() != results.size())
      return func.emitError()
             << "bert.output_names names " << names.size()
             << " outputs; the function returns " << results.size();
  } else {
    auto shapeIs = [&](size_t i, std::vector<int64_t> want) {
      auto t = dyn_cast<RankedTensorType>(results[i]);
      return t && t.getShape() == ArrayRef<int64_t>(want);
    };
    const int64_t dyn = ShapedType::kDynamic, h = plan.hidden;
    if (results.size() != 2 || !shapeIs(0, {dyn, dyn, h}) ||
        !shapeIs(1, {dyn, h}))
      return func.emitError()
             << "needs bert.output_names (one name per result); only "
                "(last_hidden_state [?, ?, "
             << h << "], pooler_output [?, " << h << "]) may go without";
    names = {"last_hidden_state", "pooler_output"};
  }
  for (auto [i, type] : llvm::enumerate(results)) {
    const std::string &name = names[i];
    auto t = dyn_cast<RankedTensorType>(type);
    bool ok = t && t.getElementType().isF32() && t.getRank() >= 1 &&
              t.getRank() <= 4 && t.isDynamicDim(0);
    IOTensor out{name, false, {kDimBatch}, 0, false, 0};
    for (int64_t d = 1; ok && d < t.getRank(); ++d) {
      ok = !t.isDynamicDim(d) ? t.getDimSize(d) > 0 : d == 1;
      out.dims.push_back(t.isDynamicDim(d) ? kDimSeq : t.getDimSize(d));
    }
    if (!ok)
      return func.emitError()
             << "output '" << name << "' is " << type
             << "; the CPU backend returns f32 tensors of rank 1 to 4, "
                "dim 0 dynamic (batch), dim 1 static or dynamic (seq), "
                "other dims static";
    if (!isCIdentifier(name) || plan.findOutput(name) >= 0)
      return func.emitError()
             << "output name '" << name
             << "' must be a unique C identifier (letters, digits, '_')";
    plan.outputs.push_back(std::move(out));
  }
  return success();
}
