//===- Backend.h - the interface every code generator implements -*- C++
//-*-===//
//
// What the driver asks of a backend, in the four stages `bertc compile`
// reports: plan (the pass pipeline that schedules and plans a model for the
// backend, then flattening the planned function into kernels and calls),
// kernels (compiling each distinct kernel), host code (the generated code
// that calls them, and the model's header) and link (the library). The CPU
// backend (backend/cpu: Halide kernels, C host code) is one implementation;
// another backend implements this class and adds one line to
// createBackend(), and the driver does not change.
//
// A target (support/TargetRegistry.h) names the backend that compiles for it.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_BACKEND_H
#define BERT_COMPILER_BACKEND_BACKEND_H

#include "passes/Pipelines.h"
#include "support/TargetRegistry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"

#include <memory>
#include <string>

namespace mlir::bert {

struct LibraryOptions {
  /// Library name: lib<name>.so, lib<name>.a, <name>.h.
  std::string name;
  /// The target (a registry name: host, x86-64-avx512, ...).
  std::string target = "host";
  /// Output directory (created if missing).
  std::string outDir;
  /// Stop after the kernels' debug output and the host source
  /// (`--emit halide`), or after the objects (`--emit obj`).
  enum class Stop { Halide, Objects, Library } stop = Stop::Library;
  /// Print progress for each stage to `log`.
  bool verbose = true;
  /// Directory of the kernel object cache; empty: no cache.
  std::string cacheDir;
};

class Backend {
public:
  virtual ~Backend() = default;

  /// "cpu", ... (the registry's TargetInfo::backend).
  virtual StringRef name() const = 0;

  /// Adds the passes that prepare a frontend module for this backend, up to
  /// and including `last`.
  virtual void buildPipeline(OpPassManager &pm,
                             const BertPipelineOptions &options,
                             Stage last) const = 0;

  /// Stage 1: flattens the planned `func` into what the other stages need.
  virtual LogicalResult plan(func::FuncOp func, const LibraryOptions &options,
                             llvm::raw_ostream &log) = 0;
  /// Stage 2: compiles the plan's distinct kernels into objects.
  virtual LogicalResult compileKernels(const LibraryOptions &options,
                                       llvm::raw_ostream &log) = 0;
  /// Stage 3: writes (and compiles, unless stopping at Stop::Halide) the
  /// host code and the model's header.
  virtual LogicalResult emitHostCode(const LibraryOptions &options,
                                     llvm::raw_ostream &log) = 0;
  /// Stage 4: links lib<name>.so and lib<name>.a.
  virtual LogicalResult link(const LibraryOptions &options,
                             llvm::raw_ostream &log) = 0;
};

/// The backend that compiles for `target`, or null when this bertc has none
/// (a target of a backend that is not built, such as cuda).
std::unique_ptr<Backend> createBackend(const TargetInfo &target);

/// Runs the four stages on the planned `func` into options.outDir, stopping
/// where options.stop says. Errors are reported as diagnostics on the
/// offending op; progress lines go to `log`.
LogicalResult emitLibrary(Backend &backend, func::FuncOp func,
                          const LibraryOptions &options,
                          llvm::raw_ostream &log);

/// Where kernel caches live unless told otherwise: $BERTC_CACHE_DIR, else
/// $XDG_CACHE_HOME/bertc, else ~/.cache/bertc; empty when none is known.
/// (Defined beside the CPU backend's cache, LibraryEmitter.cpp.)
std::string defaultKernelCacheDir();

} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_BACKEND_H
