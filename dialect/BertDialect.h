//===- BertDialect.h - bert dialect declaration -----------------*- C++ -*-===//
//
// Declares the bert dialect, its enums and attributes. Include this header
// (or BertOps.h, which includes it) to use the dialect.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_DIALECT_BERTDIALECT_H
#define BERT_DIALECT_BERTDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialect/BertDialect.h.inc"
#include "dialect/BertEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/BertAttrs.h.inc"

#endif // BERT_DIALECT_BERTDIALECT_H
