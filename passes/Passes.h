//===- Passes.h - bert passes -----------------------------------*- C++ -*-===//
//
// Generated declarations and registration of every bert pass.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_PASSES_PASSES_H
#define BERT_PASSES_PASSES_H

#include "dialect/BertOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::bert {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::bert

#endif // BERT_PASSES_PASSES_H
