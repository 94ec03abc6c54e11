//===- EvalOps.h - op kernels of the reference evaluator --------*- C++ -*-===//
//
// Internal to BertEvaluator: one reference kernel per bert op, dispatched by
// evalBertOp. Evaluator.cpp owns the walk over the function, the weights and
// the checks of values against their static types.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_EVAL_EVALOPS_H
#define BERT_EVAL_EVALOPS_H

#include "compiler/eval/Tensor.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace mlir::bert {

/// Computes the results of `op` (any bert op except bert.weight; `results`
/// has one entry per result) from its operand values, in ODS operand order
/// (a missing optional operand is null). Fails with a diagnostic at the op
/// for an op it does not know or operand shapes that do not fit at run
/// time.
LogicalResult evalBertOp(Operation *op, ArrayRef<const Tensor *> operands,
                         MutableArrayRef<Tensor> results);

/// bert.relative_positions and bert.relative_attention
/// (EvalRelativeAttention.cpp); operands as for
/// evalBertOp.
LogicalResult evalRelativePositions(Operation *op, ArrayRef<const Tensor *> in,
                                    Tensor &out);
LogicalResult evalRelativeAttention(Operation *op,
                                    ArrayRef<const Tensor *> operands,
                                    Tensor &result);

} // namespace mlir::bert

#endif // BERT_EVAL_EVALOPS_H
