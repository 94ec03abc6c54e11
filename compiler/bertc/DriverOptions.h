//===- DriverOptions.h - bertc's command-line options -----------*- C++ -*-===//
//
// The options of every bertc command, defined in DriverOptions.cpp and read
// by the driver (Driver.cpp), and the checks of values that involve several
// options. `--emit`'s help lists the driver's stage table, so the driver
// sets it before parsing.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_DRIVEROPTIONS_H
#define BERT_COMPILER_BERTC_DRIVEROPTIONS_H

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::bert::driver {
extern llvm::cl::OptionCategory commonCat;
extern llvm::cl::OptionCategory compileCat;
extern llvm::cl::OptionCategory initCat;
extern llvm::cl::OptionCategory tuneCat;
extern llvm::cl::opt<std::string> inputPath;
extern llvm::cl::opt<std::string> outputPath;
extern llvm::cl::opt<std::string> modelName;
extern llvm::cl::opt<std::string> emit; ///< help set by the driver
extern llvm::cl::opt<int64_t> maxBatch;
extern llvm::cl::opt<int64_t> maxSeq;
extern llvm::cl::opt<std::string> target;
extern llvm::cl::opt<std::string> dumpIR;
extern llvm::cl::opt<std::string> precision;
extern llvm::cl::opt<std::string> cudaGemm;
extern llvm::cl::opt<std::string> int8Scheme;
extern llvm::cl::opt<bool> noCache;
extern llvm::cl::opt<bool> noPrune;
extern llvm::cl::opt<std::string> schedulesPath;
extern llvm::cl::opt<std::string> budget;
extern llvm::cl::opt<bool> tuneVerbose;
extern llvm::cl::opt<uint64_t> seed;
extern llvm::cl::opt<double> initStd;

/// --target's registry name: `cpu` is `host`, `cuda` the default CUDA target.
std::string targetName();
/// `value` in [1, limit], else an error naming `option`.
llvm::Error checkPositive(llvm::StringRef option, int64_t value, int64_t limit);
/// --int8-scheme: hadamard, mixed or all, and only with --precision int8.
llvm::Error checkInt8Scheme();
/// --cuda-gemm: ours or cublaslt, and cublaslt only for a CUDA target.
llvm::Error checkCudaGemm();
} // namespace mlir::bert::driver

#endif // BERT_COMPILER_BERTC_DRIVEROPTIONS_H
