//===- LibraryEmitter.h - planned bert IR -> native library -----*- C++ -*-===//
//
// The CPU backend's driver: takes a function that went through
// bert-cpu-pipeline (fused kernels, schedules, arena slots), compiles one
// Halide kernel per distinct kernel signature, generates the C host code
// that calls them in order over arena offsets, and links everything with the
// runtime into lib<name>.so, lib<name>.a and <name>.h.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CPU_LIBRARYEMITTER_H
#define BERT_COMPILER_BACKEND_CPU_LIBRARYEMITTER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::bert {

struct LibraryOptions {
  /// Library name: lib<name>.so, lib<name>.a, <name>.h.
  std::string name;
  /// Target for the kernels: host, x86-64-avx512, x86-64-avx2, ...
  std::string target = "host";
  /// Output directory (created if missing).
  std::string outDir;
  /// Stop after writing the kernels' .stmt/.s and the host source
  /// (`--emit halide`), or after the objects (`--emit obj`).
  enum class Stop { Halide, Objects, Library } stop = Stop::Library;
  /// Print progress for each stage to `log`.
  bool verbose = true;
  /// Directory of the kernel object cache (see LibraryEmitter.cpp); empty:
  /// no cache, every kernel is compiled.
  std::string cacheDir;
};

/// Where the kernel cache lives unless told otherwise: $BERTC_CACHE_DIR, else
/// $XDG_CACHE_HOME/bertc, else ~/.cache/bertc; empty when none is known.
std::string defaultKernelCacheDir();

/// Builds the library for `func` (already planned). Errors are reported as
/// diagnostics on the offending op; progress lines go to `log`.
LogicalResult emitCpuLibrary(func::FuncOp func, const LibraryOptions &options,
                             llvm::raw_ostream &log);

} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_CPU_LIBRARYEMITTER_H
