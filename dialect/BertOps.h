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

#endif // BERT_DIALECT_BERTOPS_H
