//===- DriverOptions.cpp - bertc's command-line options -------------------===//

#include "compiler/bertc/DriverOptions.h"
#include "compiler/weights/RandomWeights.h"
#include "support/ErrorCodes.h"
#include "support/TargetRegistry.h"

#include "llvm/Support/FormatVariadic.h"

#include <optional>

namespace cl = llvm::cl;

namespace mlir::bert::driver {

cl::OptionCategory commonCat("bertc options (all commands)");
cl::OptionCategory compileCat("bertc compile options");
cl::OptionCategory initCat("bertc init-weights options");
cl::OptionCategory tuneCat("bertc tune options");

cl::opt<std::string> inputPath(cl::Positional,
                               cl::desc("<config.json | model directory>"),
                               cl::init(""), cl::cat(commonCat));
cl::opt<std::string>
    outputPath("o",
               cl::desc("Output: compile writes IR to this file, or into "
                        "this directory as <name>[.<stage>].mlir (default: "
                        "stdout); init-weights writes the safetensors file"),
               cl::value_desc("path"), cl::init(""), cl::cat(commonCat));
cl::opt<std::string>
    modelName("name",
              cl::desc("Model (function) name, a C identifier (default: the "
                       "config's directory, e.g. bert_base)"),
              cl::value_desc("identifier"), cl::init(""), cl::cat(commonCat));

cl::opt<std::string> emit("emit", cl::desc("Stop after this stage"),
                          cl::value_desc("stage"), cl::init(""),
                          cl::cat(compileCat));
cl::opt<int64_t> maxBatch("max-batch",
                          cl::desc("Largest batch the library accepts"),
                          cl::init(8), cl::cat(compileCat));
cl::opt<int64_t>
    maxSeq("max-seq",
           cl::desc("Longest sequence the library accepts (default: "
                    "min(512, max_position_embeddings))"),
           cl::init(0), cl::cat(compileCat));
cl::opt<std::string>
    target("target",
           cl::desc("Target (support/TargetRegistry.h): host (or cpu: this "
                    "machine, features detected), x86-64-avx512, "
                    "x86-64-avx512-bf16, x86-64-avx512-bf16-2fma, "
                    "x86-64-amx, x86-64-avx2"),
           cl::init("host"), cl::cat(compileCat));
cl::opt<std::string>
    dumpIR("dump-ir",
           cl::desc("Write the IR after every pass, a picture per stage and "
                    "index.html into this directory"),
           cl::value_desc("dir"), cl::init(""), cl::cat(compileCat));

cl::opt<std::string> precision(
    "precision",
    cl::desc("Arithmetic of the encoder's linear layers: f32 (default), or "
             "bf16 (weights stored in bf16, products of bf16 operands summed "
             "in f32; AMX or AVX512-BF16 where the CPU has them), or int8 "
             "(weights int8 per output channel, activations int8 per token "
             "at run time, int32 sums; VNNI where the CPU has it; X and W "
             "rotated in Hadamard blocks first, see --int8-scheme), or f16 "
             "(CUDA targets: fp16 operands on tensor cores, f32 sums)"),
    cl::value_desc("f32|bf16|f16|int8"), cl::init("f32"), cl::cat(compileCat));

// Issue 17: cuBLASLt next to the backend's own GEMMs, measured both ways
// (scripts/gpu-check.sh); ours stays the default until the device says
// otherwise.
cl::opt<std::string> cudaGemm(
    "cuda-gemm",
    cl::desc("CUDA targets: the linears' GEMM, ours (default: the backend's "
             "kernels) or cublaslt (cuBLASLt with a bias epilogue, loaded "
             "at run time from libcublasLt.so.13 or $BERT_LIBCUBLASLT)"),
    cl::value_desc("ours|cublaslt"), cl::init("ours"), cl::cat(compileCat));

// How --precision int8 keeps its accuracy (README, int8): hadamard puts
// every product on the int8 units (VPDPBUSD does twice the MACs of
// VDPBF16PS per cycle on AVX512-VNNI without AMX), mixed keeps the
// LayerNorm-fed linears in bf16, all neither (bert-int8-hadamard's
// description has the measurements).
cl::opt<std::string> int8Scheme(
    "int8-scheme",
    cl::desc("With --precision int8: hadamard (default; every linear int8, "
             "X and W rotated in Hadamard blocks of 64 before quantizing: "
             "all-MiniLM-L6-v2 sentence cosine >= 0.999), mixed (the "
             "linears reading a LayerNorm output in bf16) or all (every "
             "linear int8, no rotation: less accurate)"),
    cl::value_desc("hadamard|mixed|all"), cl::init("hadamard"),
    cl::cat(compileCat));

cl::opt<bool> noCache(
    "no-cache",
    cl::desc("Compile every kernel, neither reading nor writing the kernel "
             "cache ($BERTC_CACHE_DIR, else $XDG_CACHE_HOME/bertc, else "
             "~/.cache/bertc)"),
    cl::init(false), cl::cat(compileCat));

cl::opt<bool> noPrune(
    "no-prune-first-token",
    cl::desc("Keep every token through the last layer even when the head "
             "reads only the first (bert-prune-first-token off)"),
    cl::init(false), cl::cat(compileCat));

// Autotuning (issue 6): `tune` writes a schedule cache, `compile
// --schedules` reads it (bert-tile's schedules= option).
cl::opt<std::string> schedulesPath(
    "schedules",
    cl::desc("Schedule cache written by `bertc tune`: kernels it has an "
             "entry for get that schedule (shown in the tiled IR)"),
    cl::value_desc("file.json"), cl::init(""), cl::cat(compileCat));
cl::opt<std::string>
    budget("budget",
           cl::desc("Time for tuning, compilation included: 10m, 90s, 1h or "
                    "seconds (default 10m)"),
           cl::init("10m"), cl::cat(tuneCat));
cl::opt<bool>
    tuneVerbose("log-candidates",
                cl::desc("Print every candidate schedule tune measures"),
                cl::init(false), cl::cat(tuneCat));

cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random weights"),
                       cl::init(0), cl::cat(initCat));
cl::opt<double> initStd(
    "std",
    cl::desc("Standard deviation of the random weights (default 0.02, "
             "BERT's initializer_range; LayerNorm gammas are 1 + N(0, std))"),
    cl::init(mlir::bert::kDefaultInitStd), cl::cat(initCat));

//===----------------------------------------------------------------------===//
// Checks of option values that need more than one option
//===----------------------------------------------------------------------===//

/// `cpu` is a synonym of `host` (DESIGN.md's `--target cpu`).
std::string targetName() {
  if (target == "cpu")
    return "host";
  if (target == "cuda")
    return mlir::bert::kDefaultCudaTarget;
  return target.getValue();
}

llvm::Error checkPositive(llvm::StringRef option, int64_t value,
                          int64_t limit) {
  if (value < 1 || value > limit)
    return makeError(ErrorCode::BadOptionValue, "", option,
                     llvm::formatv("expected an integer in [1, {0}], got {1}",
                                   limit, value));
  return llvm::Error::success();
}

/// --int8-scheme: hadamard, mixed or all, and only with --precision int8
/// (elsewhere it would silently do nothing).
llvm::Error checkInt8Scheme() {
  if (int8Scheme != "hadamard" && int8Scheme != "mixed" && int8Scheme != "all")
    return makeError(ErrorCode::BadOptionValue, "", "--int8-scheme",
                     "expected hadamard, mixed or all, got \"" + int8Scheme +
                         "\"");
  if (int8Scheme.getNumOccurrences() && precision != "int8")
    return makeError(ErrorCode::BadOptionValue, "", "--int8-scheme",
                     "only applies with --precision int8, got --precision " +
                         precision);
  return llvm::Error::success();
}

/// --cuda-gemm: ours or cublaslt, and cublaslt only for a CUDA target.
llvm::Error checkCudaGemm() {
  if (cudaGemm != "ours" && cudaGemm != "cublaslt")
    return makeError(ErrorCode::BadOptionValue, "", "--cuda-gemm",
                     "expected ours or cublaslt, got \"" + cudaGemm + "\"");
  std::optional<mlir::bert::TargetInfo> info =
      mlir::bert::lookupTarget(targetName());
  if (cudaGemm == "cublaslt" && (!info || !info->isGPU()))
    return makeError(ErrorCode::BadOptionValue, "", "--cuda-gemm",
                     "cublaslt needs a CUDA target (--target cuda, "
                     "cuda-sm80), got --target " +
                         target);
  return llvm::Error::success();
}

} // namespace mlir::bert::driver
