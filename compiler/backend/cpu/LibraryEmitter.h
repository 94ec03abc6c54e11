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
#include "compiler/backend/cpu/ModelPlan.h"

#include <optional>

namespace mlir::bert {

/// What every backend over a ModelPlan shares (the CPU's and the CUDA's):
/// stage 1, the plan; the host code's files and objects; stage 4, the link.
/// A subclass compiles its kernels and renders its host source.
class PlannedBackend : public Backend {
public:
  /// The bert-cpu-pipeline, whose output the plan reads; bert-tile in it
  /// picks the schedules of the target's backend (CPU or CUDA).
  void buildPipeline(OpPassManager &pm, const BertPipelineOptions &options,
                     Stage last) const override;
  LogicalResult plan(func::FuncOp func, const LibraryOptions &options,
                     llvm::raw_ostream &log) override;
  LogicalResult link(const LibraryOptions &options,
                     llvm::raw_ostream &log) override;

protected:
  LogicalResult fail(const std::string &what) {
    return func.emitError() << what;
  }
  /// Stage 3 around the backend's `hostSource`: writes <name>_host.c,
  /// <name>.h and bert_runtime.h; unless stopping at --emit halide, compiles
  /// the host source and `moreSources` (C99, with the runtime's headers and
  /// `includeDirs`) into objects put in front of `objects`.
  LogicalResult emitHost(const LibraryOptions &options,
                         const std::string &hostSource,
                         ArrayRef<std::string> moreSources,
                         ArrayRef<std::string> includeDirs,
                         llvm::raw_ostream &log);

  func::FuncOp func;
  std::optional<ModelPlan> modelPlan;
  /// What link() puts into the library.
  std::vector<std::string> objects;
};

std::unique_ptr<Backend> createCpuBackend();

} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_CPU_LIBRARYEMITTER_H
