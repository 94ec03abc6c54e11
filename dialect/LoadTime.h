//===- LoadTime.h - the bert.load_time attribute's name ---------*- C++ -*-===//
//
// The unit attribute bert-mark-load-time puts on the kernels that depend
// only on the weights and the compiled maximum length (Passes.td): the CPU
// backend runs them once, at load, and the dialect's verifier accepts it on
// any op. Kept out of BertDialect.td's class so that naming it does not
// rebuild every file that includes the dialect.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_DIALECT_LOADTIME_H
#define BERT_DIALECT_LOADTIME_H

#include "llvm/ADT/StringRef.h"

namespace mlir::bert {

inline constexpr llvm::StringLiteral kLoadTimeAttrName("bert.load_time");

} // namespace mlir::bert

#endif // BERT_DIALECT_LOADTIME_H
