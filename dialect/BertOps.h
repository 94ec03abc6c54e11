//===- BertOps.h - bert dialect operations ----------------------*- C++ -*-===//
//
// Declares the bert ops generated from BertOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_DIALECT_BERTOPS_H
#define BERT_DIALECT_BERTOPS_H

#include "dialect/BertDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialect/BertOps.h.inc"

namespace mlir::bert {

/// The schedule attribute for `schedule` (its family's attribute type),
/// or null after reporting through `emitError` when its fields are invalid.
ScheduleAttrInterface
getScheduleAttr(function_ref<InFlightDiagnostic()> emitError, MLIRContext *ctx,
                const ::bert::KernelSchedule &schedule, StringRef target);

/// The schedule kinds `op` takes ("gemm", "gemm or amx", "attention",
/// "row"), or "" when it is not a runtime kernel.
StringRef expectedScheduleKinds(Operation *op);

/// Whether `op` takes a schedule of kind `kind`: one of its expected kinds,
/// or "cuda" on any runtime kernel (the CUDA backend's one kind).
bool takesScheduleKind(Operation *op, StringRef kind);

/// The `bert.schedule` of `op`, or null.
ScheduleAttrInterface getSchedule(Operation *op);

} // namespace mlir::bert

#endif // BERT_DIALECT_BERTOPS_H
