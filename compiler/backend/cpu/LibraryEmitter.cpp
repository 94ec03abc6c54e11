//===- LibraryEmitter.cpp - the CPU backend: planned IR -> native library ===//
//
// The CPU Backend (compiler/backend/Backend.h). Stages, each timed and
// reported:
//   1. plan      flatten the IR into slots, distinct kernels and calls;
//   2. kernels   compile each distinct kernel once with Halide (AOT, no
//                runtime), plus exactly one Halide runtime object, reusing
//                objects from the kernel cache where it has them;
//   3. host      write <name>_host.c and <name>.h, compile the host code;
//   4. link      lib<name>.so (with the runtime linked in) and lib<name>.a
//                (one archive holding kernels, host code and runtime).
// The C compiler and archiver are the system's `cc` and `ar` (overridable
// with $CC / $AR); the runtime's archive and headers are found where the
// build put them (see compiler/backend/cpu/CMakeLists.txt).
//
// The kernel cache (LibraryOptions::cacheDir, `bertc compile --no-cache`
// turns it off) holds compiled objects under a hash of everything that
// decides their bytes: the request's key(), the C symbol, the resolved Halide
// target, the Halide version, the hash of the kernel sources (generated at
// build time, so objects from older kernel code are never reused) and
// kKernelCacheVersion. An entry is a one-line header (magic, version, payload
// size and checksum), the full key text, then the object; an entry that does
// not check out is recompiled and replaced. Entries are written to a unique
// temporary name and renamed into place, so concurrent compiles sharing the
// directory never see half an entry.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/LibraryEmitter.h"
#include "compiler/backend/BackendTools.h"
#include "compiler/backend/cpu/KernelCompiler.h"
#include "compiler/backend/cpu/ModelPlan.h"

#include <optional>

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

using namespace mlir;
using namespace mlir::bert;

namespace {

/// Backend state from stage to stage: the plan, then the objects to link.
class CpuBackend final : public PlannedBackend {
public:
  StringRef name() const override { return "cpu"; }

  LogicalResult plan(func::FuncOp func, const LibraryOptions &options,
                     llvm::raw_ostream &log) override;
  LogicalResult compileKernels(const LibraryOptions &options,
                               llvm::raw_ostream &log) override;
  LogicalResult emitHostCode(const LibraryOptions &options,
                             llvm::raw_ostream &log) override {
    return emitHost(options, generateHostSource(*modelPlan), {},
                    {BERT_HALIDE_INCLUDE_DIR}, log);
  }

private:
  std::string halideTarget;
};

} // namespace

std::unique_ptr<Backend> mlir::bert::createCpuBackend() {
  return std::make_unique<CpuBackend>();
}

void PlannedBackend::buildPipeline(OpPassManager &pm,
                                   const BertPipelineOptions &options,
                                   Stage last) const {
  buildBertCPUPipeline(pm, options, last);
}

LogicalResult PlannedBackend::plan(func::FuncOp planned,
                                   const LibraryOptions &options,
                                   llvm::raw_ostream &log) {
  func = planned;
  Stopwatch stage;
  FailureOr<ModelPlan> p = planModel(func, options.name, options.target);
  if (failed(p))
    return failure();
  modelPlan = std::move(*p);
  if (options.verbose)
    log << fmt::format("[1/4] plan: {} kernel calls, {} distinct kernels, "
                       "{} weight slots, arena {} bytes ({:.1f} s)\n",
                       modelPlan->calls.size(), modelPlan->kernels.size(),
                       modelPlan->slots.size(), modelPlan->arenaBytes,
                       stage.seconds());
  return success();
}

LogicalResult CpuBackend::plan(func::FuncOp planned,
                               const LibraryOptions &options,
                               llvm::raw_ostream &log) {
  std::string error;
  halideTarget = ::bert::cpu::describeTarget(options.target, error);
  if (halideTarget.empty())
    return planned.emitError() << error;
  return PlannedBackend::plan(planned, options, log);
}

/// The distinct kernels and the one Halide runtime, through the cache.
LogicalResult CpuBackend::compileKernels(const LibraryOptions &options,
                                         llvm::raw_ostream &log) {
  const ModelPlan &plan = *modelPlan;
  std::string error;
  Stopwatch stage;
  std::string debugDir = joinPath(options.outDir, "halide");
  bool debug = options.stop == LibraryOptions::Stop::Halide;
  if (debug)
    llvm::sys::fs::create_directories(debugDir);
  // --emit halide always compiles: the .stmt and .s come from compiling.
  KernelCache cache(debug ? "" : options.cacheDir,
                    "target " + halideTarget + "; " +
                        ::bert::cpu::kernelCompilerIdentity(),
                    log, options.verbose);
  size_t hits = 0;
  objects.clear();
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    std::string symbol = plan.kernelSymbol(i);
    std::string obj = joinPath(options.outDir, symbol + ".o");
    std::string key = cache.keyText("kernel " + plan.kernels[i].key(), symbol);
    Stopwatch one;
    bool hit = cache.fetch("kernel", key, obj);
    if (!hit) {
      if (!::bert::cpu::compileKernel(
              plan.kernels[i], symbol, options.target, obj,
              debug ? joinPath(debugDir, symbol) : "", error))
        return fail("kernel " + plan.kernels[i].key() + ": " + error);
      cache.store("kernel", key, obj);
    }
    hits += hit;
    objects.push_back(obj);
    if (options.verbose)
      log << fmt::format("      kernel {}/{} {} ({})\n", i + 1,
                         plan.kernels.size(), plan.kernels[i].key(),
                         hit ? std::string("cached")
                             : fmt::format("{:.1f} s", one.seconds()));
  }
  std::string runtimeObj = joinPath(options.outDir, "halide_runtime.o");
  std::string runtimeKey = cache.keyText("halide runtime", "");
  bool runtimeHit = cache.fetch("runtime", runtimeKey, runtimeObj);
  if (!runtimeHit) {
    if (!::bert::cpu::compileHalideRuntime(options.target, runtimeObj, error))
      return fail("Halide runtime: " + error);
    cache.store("runtime", runtimeKey, runtimeObj);
  }
  objects.push_back(runtimeObj);
  // The bf16 linear's AMX block is C the kernels call (amx/AmxGemm.h),
  // compiled with bertc and linked into every library for an AMX target.
  if (::bert::cpu::targetHasAMX(options.target))
    objects.push_back(BERT_AMX_OBJECT);
  // The int8 linear's activation pass (quant/QuantizeRows.h): small, and
  // an extern of every int8 kernel, so every library has it.
  for (llvm::StringRef o : llvm::split(BERT_QUANT_OBJECTS, '|'))
    objects.push_back(o.str());
  if (options.verbose)
    log << fmt::format(
        "[2/4] kernels: {} compiled for {}; kernel cache: {} ({:.1f} s)\n",
        plan.kernels.size(), halideTarget,
        cache.enabled() ? fmt::format("{} hits, {} misses{}", hits,
                                      plan.kernels.size() - hits,
                                      runtimeHit ? ", runtime cached" : "")
                        : std::string("off"),
        stage.seconds());
  return success();
}

LogicalResult PlannedBackend::emitHost(const LibraryOptions &options,
                                       const std::string &hostSource,
                                       ArrayRef<std::string> moreSources,
                                       ArrayRef<std::string> includeDirs,
                                       llvm::raw_ostream &log) {
  std::string error;
  Stopwatch stage;
  std::string hostSrc = joinPath(options.outDir, options.name + "_host.c");
  std::string header = joinPath(options.outDir, options.name + ".h");
  if (!writeFile(hostSrc, hostSource, error) ||
      !writeFile(header, generateHeader(*modelPlan), error))
    return fail(error);
  // The public runtime header travels with the model's header.
  if (std::error_code ec = llvm::sys::fs::copy_file(
          joinPath(BERT_RUNTIME_INCLUDE_DIR, "bert_runtime.h"),
          joinPath(options.outDir, "bert_runtime.h")))
    return fail("cannot copy bert_runtime.h: " + ec.message());
  if (options.stop == LibraryOptions::Stop::Halide) {
    if (options.verbose)
      log << fmt::format("[3/4] host code: {} ({:.1f} s); stopping after "
                         "--emit halide\n",
                         hostSrc, stage.seconds());
    return success();
  }
  std::string cc = toolFromEnv("CC", "cc");
  std::vector<std::string> sources = {hostSrc};
  sources.insert(sources.end(), moreSources.begin(), moreSources.end());
  for (size_t i = 0; i < sources.size(); ++i) {
    std::string obj = sources[i].substr(0, sources[i].size() - 2) + ".o";
    std::vector<std::string> argv = {
        cc,      "-std=c99", "-O2",
        "-fPIC", "-c",       sources[i],
        "-o",    obj,        "-I" BERT_RUNTIME_INCLUDE_DIR};
    for (const std::string &dir : includeDirs)
      argv.push_back("-I" + dir);
    if (!runTool(argv, error))
      return fail(error);
    objects.insert(objects.begin() + i, obj);
  }
  if (options.verbose)
    log << fmt::format("[3/4] host code: {} ({:.1f} s)\n", hostSrc,
                       stage.seconds());
  return success();
}

LogicalResult PlannedBackend::link(const LibraryOptions &options,
                                   llvm::raw_ostream &log) {
  std::string error;
  if (!linkModelLibrary(options, objects, {}, log, error))
    return fail(error);
  return success();
}
