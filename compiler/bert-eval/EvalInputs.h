//===- EvalInputs.h - inputs and .npy files for bert-eval -------*- C++ -*-===//
//
// How bert-eval binds a function's arguments to values, from .npy files or
// generated at random, and how it writes results back as .npy (through the
// runtime's C reader/writer, runtime/src/npy.c, so there is one
// implementation of the format in the project).
//
// Binding: a function whose arguments are one to three rank-2 i32 tensors is
// a model entry point, (input_ids, token_type_ids, attention_mask) in that
// order (the order of bert_run); files are input_ids.npy, token_type_ids.npy
// (default zeros), attention_mask.npy (default ones). Any other function
// reads arg<i>.npy for argument i.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_EVAL_TOOL_EVALINPUTS_H
#define BERT_EVAL_TOOL_EVALINPUTS_H

#include "compiler/eval/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <vector>

namespace mlir::bert {

/// What a function argument means to the input generator.
/// Langs: XLM's language ids (named arguments only).
enum class ArgRole { InputIds, TokenTypeIds, AttentionMask, Langs, Generic };

/// The role of each argument of `func` (see the file comment).
std::vector<ArgRole> argRoles(func::FuncOp func);

/// Options of random input generation.
struct RandomInputOptions {
  int64_t batch = 2;
  int64_t seq = 8;
  uint64_t seed = 0;
  /// Zero the mask of the last `padLast` tokens of every row but the first.
  int64_t padLast = 0;
};

/// Random inputs: ids uniform in [0, vocab) (vocab from the function's
/// embedding table), token types in [0, type_vocab), masks of ones with
/// `padLast` padding, float arguments N(0, 1). Dynamic dim 0 is the batch,
/// any other dynamic dim the sequence length.
llvm::Expected<std::vector<Tensor>>
randomInputs(func::FuncOp func, const RandomInputOptions &opts);

/// Inputs read from `dir` (see the file comment for the file names).
llvm::Expected<std::vector<Tensor>> readInputs(func::FuncOp func,
                                               llvm::StringRef dir);

/// The argument whose value is the attention mask, if any: the
/// AttentionMask role, else the last rank-2 i32 argument.
std::optional<unsigned> maskArgument(func::FuncOp func);

/// Reads one .npy file (int32/int64 -> int32, float32 -> float).
llvm::Expected<Tensor> readNpy(llvm::StringRef path);
/// Writes `t` as a float32 or int32 .npy file.
llvm::Error writeNpy(llvm::StringRef path, const Tensor &t);

} // namespace mlir::bert

#endif // BERT_EVAL_TOOL_EVALINPUTS_H
