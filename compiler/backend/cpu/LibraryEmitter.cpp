//===- LibraryEmitter.cpp - planned bert IR -> native library -------------===//
//
// Stages, each timed and reported:
//   1. plan      flatten the IR into slots, distinct kernels and calls;
//   2. kernels   compile each distinct kernel once with Halide (AOT, no
//                runtime), plus exactly one Halide runtime object;
//   3. host      write <name>_host.c and <name>.h, compile the host code;
//   4. link      lib<name>.so (with the runtime linked in) and lib<name>.a
//                (one archive holding kernels, host code and runtime).
// The C compiler and archiver are the system's `cc` and `ar` (overridable
// with $CC / $AR); the runtime's archive and headers are found where the
// build put them (see compiler/backend/cpu/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/LibraryEmitter.h"
#include "compiler/backend/cpu/KernelCompiler.h"
#include "compiler/backend/cpu/ModelPlan.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

using namespace mlir;
using namespace mlir::bert;

namespace {

/// Wall-clock seconds since construction, for progress lines.
struct Stopwatch {
  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  }
};

} // namespace

static std::string toolFromEnv(const char *var, const char *fallback) {
  const char *value = std::getenv(var);
  return value && *value ? value : fallback;
}

/// Runs `argv` (stdin from `input` when given); on failure returns false
/// with the command in `error`.
static bool runTool(ArrayRef<std::string> argv, std::string &error,
                    std::optional<StringRef> input = std::nullopt) {
  auto program = llvm::sys::findProgramByName(argv.front());
  if (!program) {
    error = "cannot find '" + argv.front() + "' on PATH";
    return false;
  }
  SmallVector<StringRef> args(argv.begin(), argv.end());
  std::string message;
  std::optional<StringRef> redirects[] = {input, std::nullopt, std::nullopt};
  int rc = llvm::sys::ExecuteAndWait(
      *program, args, std::nullopt,
      input ? ArrayRef(redirects) : ArrayRef<std::optional<StringRef>>(), 0, 0,
      &message);
  if (rc != 0) {
    error = "'" + llvm::join(args, " ") + "' failed" +
            (message.empty() ? "" : ": " + message) + " (exit " +
            std::to_string(rc) + ")";
    return false;
  }
  return true;
}

static bool writeFile(const std::string &path, StringRef text,
                      std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = path + ": " + ec.message();
    return false;
  }
  os << text;
  return true;
}

static std::string join(StringRef dir, StringRef file) {
  SmallString<256> p(dir);
  llvm::sys::path::append(p, file);
  return std::string(p);
}

LogicalResult mlir::bert::emitCpuLibrary(func::FuncOp func,
                                         const LibraryOptions &options,
                                         llvm::raw_ostream &log) {
  Stopwatch total;
  auto fail = [&](const std::string &what) { return func.emitError() << what; };
  if (std::error_code ec = llvm::sys::fs::create_directories(options.outDir))
    return fail(options.outDir + ": cannot create directory: " + ec.message());

  std::string error;
  std::string halideTarget = ::bert::cpu::describeTarget(options.target, error);
  if (halideTarget.empty())
    return fail(error);

  // 1. Plan.
  Stopwatch stage;
  FailureOr<ModelPlan> plan = planModel(func, options.name, options.target);
  if (failed(plan))
    return failure();
  if (options.verbose)
    log << fmt::format("[1/4] plan: {} kernel calls, {} distinct kernels, "
                       "{} weight slots, arena {} bytes ({:.1f} s)\n",
                       plan->calls.size(), plan->kernels.size(),
                       plan->slots.size(), plan->arenaBytes, stage.seconds());

  // 2. Kernels and the one Halide runtime.
  stage = Stopwatch();
  std::string debugDir = join(options.outDir, "halide");
  bool debug = options.stop == LibraryOptions::Stop::Halide;
  if (debug)
    llvm::sys::fs::create_directories(debugDir);
  std::vector<std::string> objects;
  for (size_t i = 0; i < plan->kernels.size(); ++i) {
    std::string symbol = plan->kernelSymbol(i);
    std::string obj = join(options.outDir, symbol + ".o");
    Stopwatch one;
    if (!::bert::cpu::compileKernel(plan->kernels[i], symbol, options.target,
                                    obj, debug ? join(debugDir, symbol) : "",
                                    error))
      return fail("kernel " + plan->kernels[i].key() + ": " + error);
    objects.push_back(obj);
    if (options.verbose)
      log << fmt::format("      kernel {}/{} {} ({:.1f} s)\n", i + 1,
                         plan->kernels.size(), plan->kernels[i].key(),
                         one.seconds());
  }
  std::string runtimeObj = join(options.outDir, "halide_runtime.o");
  if (!::bert::cpu::compileHalideRuntime(options.target, runtimeObj, error))
    return fail("Halide runtime: " + error);
  objects.push_back(runtimeObj);
  if (options.verbose)
    log << fmt::format("[2/4] kernels: {} compiled for {} ({:.1f} s)\n",
                       plan->kernels.size(), halideTarget, stage.seconds());

  // 3. Host code and header.
  stage = Stopwatch();
  std::string hostSrc = join(options.outDir, options.name + "_host.c");
  std::string header = join(options.outDir, options.name + ".h");
  if (!writeFile(hostSrc, generateHostSource(*plan), error) ||
      !writeFile(header, generateHeader(*plan), error))
    return fail(error);
  // The public runtime header travels with the model's header.
  if (std::error_code ec = llvm::sys::fs::copy_file(
          join(BERT_RUNTIME_INCLUDE_DIR, "bert_runtime.h"),
          join(options.outDir, "bert_runtime.h")))
    return fail("cannot copy bert_runtime.h: " + ec.message());
  if (debug) {
    if (options.verbose)
      log << fmt::format("[3/4] host code: {} ({:.1f} s); stopping after "
                         "--emit halide\n",
                         hostSrc, stage.seconds());
    return success();
  }
  std::string cc = toolFromEnv("CC", "cc");
  std::string hostObj = join(options.outDir, options.name + "_host.o");
  if (!runTool({cc, "-std=c99", "-O2", "-fPIC", "-c", hostSrc, "-o", hostObj,
                "-I" BERT_RUNTIME_INCLUDE_DIR, "-I" BERT_HALIDE_INCLUDE_DIR},
               error))
    return fail(error);
  objects.insert(objects.begin(), hostObj);
  if (options.verbose)
    log << fmt::format("[3/4] host code: {} ({:.1f} s)\n", hostSrc,
                       stage.seconds());
  if (options.stop == LibraryOptions::Stop::Objects)
    return success();

  // 4. Link.
  stage = Stopwatch();
  std::string so = join(options.outDir, "lib" + options.name + ".so");
  std::vector<std::string> linkArgs = {cc, "-shared", "-o", so};
  linkArgs.insert(linkArgs.end(), objects.begin(), objects.end());
  for (const char *arg : {"-Wl,--whole-archive", BERT_RUNTIME_LIBRARY,
                          "-Wl,--no-whole-archive", "-lpthread", "-ldl", "-lm"})
    linkArgs.push_back(arg);
  if (!runTool(linkArgs, error))
    return fail(error);

  // The static library carries the runtime's objects too, so a C program
  // links just lib<name>.a (plus -lpthread -ldl -lm). GNU ar's MRI script
  // merges an archive without unpacking it by hand.
  std::string archive = join(options.outDir, "lib" + options.name + ".a");
  std::string mri = join(options.outDir, "lib" + options.name + ".mri");
  std::string script =
      "CREATE " + archive + "\nADDLIB " + BERT_RUNTIME_LIBRARY + "\n";
  for (const std::string &obj : objects)
    script += "ADDMOD " + obj + "\n";
  script += "SAVE\nEND\n";
  llvm::sys::fs::remove(archive);
  if (!writeFile(mri, script, error))
    return fail(error);
  std::string ar = toolFromEnv("AR", "ar");
  if (!runTool({ar, "-M"}, error, StringRef(mri)))
    return fail(error);
  llvm::sys::fs::remove(mri);
  if (options.verbose) {
    log << fmt::format("[4/4] link: {}, {} ({:.1f} s)\n", so, archive,
                       stage.seconds());
    log << fmt::format("compiled '{}' in {:.1f} s\n", options.name,
                       total.seconds());
  }
  return success();
}
