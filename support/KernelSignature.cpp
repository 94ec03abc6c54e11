//===- KernelSignature.cpp - the schedule cache's key of a kernel op -----===//
//
// Kept apart from ScheduleCache.cpp, which reads and writes the file with
// LLVM alone (so that a fuzzer can build it without MLIR): the key is the
// one part that prints MLIR.
//
//===----------------------------------------------------------------------===//

#include "support/ScheduleCache.h"

#include "mlir/IR/Operation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::bert;

std::string mlir::bert::kernelSignature(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << op->getName() << "(";
  llvm::interleaveComma(op->getOperandTypes(), os);
  os << ") -> ";
  llvm::interleaveComma(op->getResultTypes(), os);
  // Inherent attributes only (activation, num_heads, epsilon, ...): the
  // discardable ones are the dialect-prefixed annotations the passes add.
  bool first = true;
  for (NamedAttribute attr : op->getAttrDictionary()) {
    if (attr.getName().getValue().contains('.'))
      continue;
    // Which optional operands are present is already in the operand types
    // (bert.embeddings' token types go as a pair), and leaving it out keeps
    // the keys of caches written before those operands became optional.
    if (attr.getName().getValue() == "operandSegmentSizes")
      continue;
    // bert.linear's `hadamard` changes the int8 kernel's quantization pass,
    // not its GEMM, which is what a schedule tiles: a rotated linear shares
    // the entry of the plain one (and older caches keep their keys).
    if (attr.getName().getValue() == "hadamard")
      continue;
    os << (first ? " {" : ", ") << attr.getName().getValue() << " = ";
    attr.getValue().print(os);
    first = false;
  }
  if (!first)
    os << "}";
  return s;
}
