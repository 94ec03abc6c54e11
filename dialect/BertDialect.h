//===- BertDialect.h - bert dialect declaration -----------------*- C++ -*-===//
//
// Declares the bert dialect, its enums, attributes and attribute interfaces.
// Include this header (or BertOps.h, which includes it) to use the dialect.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_DIALECT_BERTDIALECT_H
#define BERT_DIALECT_BERTDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialect/Schedules.h"

#include "llvm/ADT/Hashing.h"

#include "dialect/BertDialect.h.inc"
#include "dialect/BertEnums.h.inc"

namespace bert {
/// Attribute storage uniques schedules by value.
template <typename S, typename = decltype(S::fields)>
llvm::hash_code hash_value(const S &s) {
  llvm::hash_code h = llvm::hash_value(S::kind);
  for (const auto &f : S::fields)
    h = llvm::hash_combine(h, s.*f.member);
  return h;
}
} // namespace bert

#include "dialect/BertAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/BertAttrs.h.inc"

#endif // BERT_DIALECT_BERTDIALECT_H
