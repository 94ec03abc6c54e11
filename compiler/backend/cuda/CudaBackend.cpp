//===- CudaBackend.cpp - the CUDA backend: planned IR -> CUDA library -----===//
//
// The CUDA Backend (compiler/backend/Backend.h), in the same four stages as
// the CPU's and over the same plan (ModelPlan: the passes, the planner and
// the library format are shared; only the kernels and the host code
// differ):
//   1. plan      the shared planner, on a function bert-tile scheduled for a
//                CUDA target (every kernel carries a #bert.cuda_schedule);
//   2. kernels   CUDA C++ for each distinct kernel (CudaKernels.cpp) in
//                <name>_kernels.cu, compiled by nvcc into one fatbin: SASS
//                for sm_80 and (for cuda-sm90) sm_90a, plus compute_80 PTX
//                that newer GPUs JIT; the fatbin is cached under the .cu
//                text, nvcc's version and the architectures;
//   3. host      <name>_host.c (CudaHostCode.cpp) and the fatbin as a C
//                array, compiled with cc;
//   4. link      the CPU backend's: lib<name>.so and lib<name>.a with the
//                runtime, and no CUDA library (the runtime dlopens libcuda).
// `--emit halide` stops after writing the .cu and the host source (no nvcc).
// nvcc is BERT_NVCC (the toolkit CMake found), or $NVCC.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/BackendTools.h"
#include "compiler/backend/cpu/LibraryEmitter.h"
#include "compiler/backend/cuda/CudaHost.h"
#include "compiler/backend/cuda/CudaKernels.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"

#include <fmt/format.h>

using namespace mlir;
using namespace mlir::bert;

namespace {

class CudaBackend final : public PlannedBackend {
public:
  StringRef name() const override { return "cuda"; }

  LogicalResult compileKernels(const LibraryOptions &options,
                               llvm::raw_ostream &log) override;
  LogicalResult emitHostCode(const LibraryOptions &options,
                             llvm::raw_ostream &log) override;

private:
  std::string fatbin;
};

/// nvcc's -gencode flags for `target`: SASS for each architecture the
/// target covers, and PTX of the oldest for GPUs newer than all of them.
std::vector<std::string> gencodeFlags(const std::string &target) {
  std::vector<std::string> flags = {"-gencode",
                                    "arch=compute_80,code=[sm_80,compute_80]"};
  // sm_90a: the arch-specific features (wgmma, TMA) Hopper kernels use.
  if (target != "cuda-sm80")
    flags.insert(flags.end(), {"-gencode", "arch=compute_90a,code=sm_90a"});
  return flags;
}

std::string nvccPath() { return toolFromEnv("NVCC", BERT_NVCC); }

/// "release 13.0, V13.0.88" from `nvcc --version`, for cache keys.
std::string nvccVersion(const std::string &dir, std::string &error) {
  std::string out = joinPath(dir, "nvcc-version.txt");
  if (!runTool({nvccPath(), "--version"}, error, std::nullopt, StringRef(out)))
    return "";
  auto text = llvm::MemoryBuffer::getFile(out);
  llvm::sys::fs::remove(out);
  if (!text)
    return error = "cannot read nvcc --version output", "";
  StringRef t = (*text)->getBuffer();
  size_t at = t.find("release ");
  if (at == StringRef::npos)
    return error = "nvcc --version says no release: " + t.str(), "";
  return t.substr(at).split('\n').first.trim().str();
}

/// `bytes` as a C array `symbol`, 8-byte aligned as cuModuleLoadData wants.
std::string fatbinSource(StringRef bytes, const std::string &symbol) {
  std::string s = "/* The CUDA kernels of this library (nvcc -fatbin). */\n"
                  "__attribute__((aligned(8), visibility(\"hidden\")))\n"
                  "const unsigned char " +
                  symbol + "[] = {";
  for (size_t i = 0; i < bytes.size(); ++i)
    s += (i % 16 ? "" : "\n ") + fmt::format(" {},", uint8_t(bytes[i]));
  return s + "\n};\n";
}

} // namespace

std::unique_ptr<Backend> mlir::bert::createCudaBackend() {
  return std::make_unique<CudaBackend>();
}

LogicalResult CudaBackend::compileKernels(const LibraryOptions &options,
                                          llvm::raw_ostream &log) {
  const ModelPlan &plan = *modelPlan;
  Stopwatch stage;
  std::string source, error;
  std::vector<bool> done(plan.kernels.size(), false);
  for (const KernelCall &call : plan.calls) {
    if (done[call.kernel])
      continue;
    done[call.kernel] = true;
    std::string k = cuda::kernelSource(plan.kernels[call.kernel], call,
                                       plan.kernelSymbol(call.kernel), error);
    if (k.empty())
      return fail("kernel " + plan.kernels[call.kernel].key() + ": " + error);
    source += (source.empty() ? "" : "\n") + k;
  }
  // The packed path's kernels (PackedLayout): each attention's varlen
  // variant, then the row copy.
  const cuda::PackedLayout packed = cuda::packedLayout(plan);
  for (const auto &[kernel, fn] : packed.varlen) {
    const KernelCall &call = *llvm::find_if(
        plan.calls, [&](const KernelCall &c) { return c.kernel == kernel; });
    std::string k = cuda::kernelSource(
        plan.kernels[kernel], call,
        cuda::varlenSymbol(plan.kernelSymbol(kernel)), error, /*varlen=*/true);
    if (k.empty())
      return fail("kernel " + plan.kernels[kernel].key() + ": " + error);
    source += "\n" + k;
  }
  if (packed.ok)
    source += "\n" + cuda::copyRowsSource();
  if (!packed.halfType.empty())
    source += "\n" + cuda::copyRowsSource(packed.halfType);
  std::string cu = joinPath(options.outDir, options.name + "_kernels.cu");
  if (!writeFile(cu, source, error))
    return fail(error);
  if (options.stop == LibraryOptions::Stop::Halide) {
    if (options.verbose)
      log << fmt::format("[2/4] kernels: {} in {} ({:.1f} s)\n",
                         plan.kernels.size(), cu, stage.seconds());
    return success();
  }
  std::string version = nvccVersion(options.outDir, error);
  if (version.empty())
    return fail("nvcc: " + error);
  std::vector<std::string> gencode = gencodeFlags(options.target);
  std::string archs;
  for (size_t i = 1; i < gencode.size(); i += 2)
    archs += (archs.empty() ? "" : " ") + gencode[i];
  // The key is one line (the cache stores it as one): the source enters as
  // its SHA-256.
  auto digest = llvm::SHA256::hash(llvm::ArrayRef(
      reinterpret_cast<const uint8_t *>(source.data()), source.size()));
  KernelCache cache(options.cacheDir,
                    "nvcc " + version + "; " + archs + "; source sha256 " +
                        llvm::toHex(digest, /*LowerCase=*/true),
                    log, options.verbose);
  fatbin = joinPath(options.outDir, options.name + ".fatbin");
  std::string key = cache.keyText("cuda fatbin", options.name);
  bool hit = cache.fetch("cuda", key, fatbin);
  if (!hit) {
    std::vector<std::string> argv = {nvccPath(), "-fatbin", "-O3",
                                     "-std=c++17"};
    argv.insert(argv.end(), gencode.begin(), gencode.end());
    argv.insert(argv.end(), {"-o", fatbin, cu});
    if (!runTool(argv, error))
      return fail(error);
    cache.store("cuda", key, fatbin);
  }
  if (options.verbose)
    log << fmt::format("[2/4] kernels: {} compiled by nvcc {} for {}{} "
                       "({:.1f} s)\n",
                       plan.kernels.size(), version, archs,
                       hit ? " (cached)" : "", stage.seconds());
  return success();
}

LogicalResult CudaBackend::emitHostCode(const LibraryOptions &options,
                                        llvm::raw_ostream &log) {
  std::string error;
  const std::string symbol = "bert_cuda_fatbin";
  std::string host = cuda::generateHostSource(*modelPlan, symbol, error);
  if (host.empty())
    return fail(error);
  if (options.stop == LibraryOptions::Stop::Halide)
    return emitHost(options, host, {}, {}, log);
  auto bytes = llvm::MemoryBuffer::getFile(fatbin, /*IsText=*/false);
  if (!bytes)
    return fail(fatbin + ": " + bytes.getError().message());
  std::string fatbinSrc = joinPath(options.outDir, options.name + "_fatbin.c");
  if (!writeFile(fatbinSrc, fatbinSource((*bytes)->getBuffer(), symbol), error))
    return fail(error);
  return emitHost(options, host, {fatbinSrc}, {}, log);
}
