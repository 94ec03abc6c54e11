//===- Evaluator.h - reference interpreter for the bert dialect -*- C++ -*-===//
//
// A plain interpreter for every bert op (high level and kernel level), used
// as the numerical ground truth: evaluate a function, run passes, evaluate
// again, compare. Clarity beats speed: straightforward loops, double
// accumulation, the formula of each op's ODS description in a comment.
// Schedules and buffer attributes are ignored (they do not change what is
// computed). Dynamic dimensions come from the actual inputs. An op it does
// not know, or a shape that does not match at run time, is reported as an
// error at the op's location, never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_EVAL_EVALUATOR_H
#define BERT_EVAL_EVALUATOR_H

#include "compiler/eval/Tensor.h"
#include "compiler/weights/Safetensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace mlir::bert {

/// Supplies the value of a `bert.weight` by Hugging Face name and shape.
class WeightProvider {
public:
  virtual ~WeightProvider();
  /// The float tensor `name` of exactly `shape`, or an error.
  virtual llvm::Expected<Tensor> get(llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape) const = 0;
};

/// Random weights from (seed, name): the same values `bertc init-weights`
/// writes for that seed (compiler/weights/RandomWeights.h).
class SeededWeightProvider : public WeightProvider {
public:
  explicit SeededWeightProvider(uint64_t seed) : seed(seed) {}
  llvm::Expected<Tensor> get(llvm::StringRef name,
                             llvm::ArrayRef<int64_t> shape) const override;

private:
  uint64_t seed;
};

/// Weights read from a safetensors file (F32, F16 or BF16).
class SafetensorsWeightProvider : public WeightProvider {
public:
  explicit SafetensorsWeightProvider(SafetensorsFile file)
      : file(std::move(file)) {}
  llvm::Expected<Tensor> get(llvm::StringRef name,
                             llvm::ArrayRef<int64_t> shape) const override;

private:
  SafetensorsFile file;
};

/// Evaluates `func` on `args` (one tensor per function argument, int32 for
/// i32 tensor types, float otherwise). Returns the values of `func.return`.
/// Errors are emitted as diagnostics at the failing op's location.
FailureOr<std::vector<Tensor>> evaluate(func::FuncOp func,
                                        ArrayRef<Tensor> args,
                                        const WeightProvider &weights);

/// Called with every weight the evaluation reads (for `--save-weights`).
using WeightObserver =
    llvm::function_ref<void(llvm::StringRef name, const Tensor &value)>;

/// As above, reporting each weight read to `observer`.
FailureOr<std::vector<Tensor>> evaluate(func::FuncOp func,
                                        ArrayRef<Tensor> args,
                                        const WeightProvider &weights,
                                        WeightObserver observer);

} // namespace mlir::bert

#endif // BERT_EVAL_EVALUATOR_H
