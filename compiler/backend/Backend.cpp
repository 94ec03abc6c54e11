//===- Backend.cpp - backend selection and the four library stages --------===//

#include "compiler/backend/Backend.h"
#include "compiler/backend/cpu/LibraryEmitter.h"
#ifdef BERT_HAVE_CUDA_BACKEND
#include "compiler/backend/cuda/CudaHost.h"
#endif

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace mlir::bert;

std::unique_ptr<Backend> mlir::bert::createBackend(const TargetInfo &target) {
  // One line per backend this bertc is built with.
  if (target.backend == "cpu")
    return createCpuBackend();
#ifdef BERT_HAVE_CUDA_BACKEND
  if (target.backend == "cuda")
    return createCudaBackend();
#endif
  return nullptr;
}

LogicalResult mlir::bert::emitLibrary(Backend &backend, func::FuncOp func,
                                      const LibraryOptions &options,
                                      llvm::raw_ostream &log) {
  auto start = std::chrono::steady_clock::now();
  if (std::error_code ec = llvm::sys::fs::create_directories(options.outDir))
    return func.emitError()
           << options.outDir << ": cannot create directory: " << ec.message();
  if (failed(backend.plan(func, options, log)) ||
      failed(backend.compileKernels(options, log)) ||
      failed(backend.emitHostCode(options, log)))
    return failure();
  if (options.stop != LibraryOptions::Stop::Library)
    return success();
  if (failed(backend.link(options, log)))
    return failure();
  if (options.verbose) {
    double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    log << "compiled '" << options.name << "' in " << llvm::format("%.1f", s)
        << " s\n";
  }
  return success();
}
