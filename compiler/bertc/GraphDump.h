//===- GraphDump.h - Graphviz pictures of bert IR ---------------*- C++ -*-===//
//
// Draws the functions of a bert module as a Graphviz graph: ops are nodes
// (op name and key attributes), tensors are edges labelled with their
// shapes, weights are folded into the label of the op that uses them, fused
// kernels are highlighted, and ops are grouped into clusters by the module
// path in their location (embeddings, encoder.layer.N, pooler).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_GRAPHDUMP_H
#define BERT_COMPILER_BERTC_GRAPHDUMP_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::bert {

/// Writes `module` as a Graphviz digraph titled `title`.
void writeDot(mlir::ModuleOp module, llvm::StringRef title,
              llvm::raw_ostream &os);

/// Result of `writeGraphFiles`.
struct GraphFiles {
  std::string dotPath;
  std::string svgPath; ///< empty when no SVG was rendered
};

/// Writes `<basePath>.dot` and, when Graphviz `dot` is on PATH, renders
/// `<basePath>.svg` from it. Failing to write the .dot is an OutputFailed
/// error; a missing or failing `dot` only leaves svgPath empty.
llvm::Expected<GraphFiles> writeGraphFiles(mlir::ModuleOp module,
                                           llvm::StringRef title,
                                           llvm::StringRef basePath);

/// True when Graphviz `dot` was found on PATH.
bool haveGraphviz();

} // namespace mlir::bert

#endif // BERT_COMPILER_BERTC_GRAPHDUMP_H
