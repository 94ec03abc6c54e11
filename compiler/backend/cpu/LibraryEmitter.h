//===- LibraryEmitter.h - the CPU backend -----------------------*- C++ -*-===//
//
// The CPU implementation of Backend (compiler/backend/Backend.h): the
// bert-cpu-pipeline plans the model, each distinct kernel is compiled with
// Halide, the C host code calls them in order over arena offsets, and
// everything is linked with the runtime into lib<name>.so, lib<name>.a and
// <name>.h.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CPU_LIBRARYEMITTER_H
#define BERT_COMPILER_BACKEND_CPU_LIBRARYEMITTER_H

#include "compiler/backend/Backend.h"

namespace mlir::bert {

std::unique_ptr<Backend> createCpuBackend();

} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_CPU_LIBRARYEMITTER_H
