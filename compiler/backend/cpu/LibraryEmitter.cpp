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

//===----------------------------------------------------------------------===//
// Kernel cache
//===----------------------------------------------------------------------===//

/// Bump when what the cache stores or how kernels are compiled changes in a
/// way the key misses (the kernel sources themselves are hashed into it).
static constexpr int kKernelCacheVersion = 1;
static constexpr llvm::StringLiteral kCacheMagic = "bertc-kernel-cache";

std::string mlir::bert::defaultKernelCacheDir() {
  auto env = [](const char *name) -> std::string {
    const char *v = std::getenv(name);
    return v ? v : "";
  };
  if (std::string dir = env("BERTC_CACHE_DIR"); !dir.empty())
    return dir;
  // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
  if (std::string xdg = env("XDG_CACHE_HOME");
      !xdg.empty() && llvm::sys::path::is_absolute(xdg))
    return join(xdg, "bertc");
  if (std::string home = env("HOME"); !home.empty())
    return join(join(home, ".cache"), "bertc");
  return "";
}

namespace {

class KernelCache {
public:
  KernelCache(std::string dir, std::string target, llvm::raw_ostream &log,
              bool verbose)
      : dir(std::move(dir)), target(std::move(target)), log(log),
        verbose(verbose) {
    if (this->dir.empty())
      return;
    if (std::error_code ec = llvm::sys::fs::create_directories(this->dir)) {
      note(fmt::format("kernel cache {} unusable ({}); compiling everything",
                       this->dir, ec.message()));
      this->dir.clear();
    }
  }

  bool enabled() const { return !dir.empty(); }

  /// The full key text of an object (`what`: "kernel <key()>" or
  /// "runtime"); its hash names the entry.
  std::string keyText(StringRef what, StringRef symbol) const {
    return fmt::format("v{}; {}; symbol {}; target {}; {}", kKernelCacheVersion,
                       what.str(), symbol.str(), target,
                       ::bert::cpu::kernelCompilerIdentity());
  }

  /// `<dir>/<kind>-<hash of key>.o`.
  std::string entryPath(StringRef kind, StringRef key) const {
    auto digest = llvm::SHA256::hash(
        ArrayRef(reinterpret_cast<const uint8_t *>(key.data()), key.size()));
    return join(dir, kind.str() + "-" +
                         llvm::toHex(ArrayRef(digest).take_front(16),
                                     /*LowerCase=*/true) +
                         ".o");
  }

  /// Copies the object cached under `key` to `objPath`. False on a miss:
  /// no entry, or one that does not check out (then says why).
  bool fetch(StringRef kind, StringRef key, const std::string &objPath) {
    if (!enabled())
      return false;
    std::string path = entryPath(kind, key);
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer) {
      if (buffer.getError() != std::errc::no_such_file_or_directory)
        note(fmt::format("kernel cache entry {} unreadable ({}); recompiling",
                         path, buffer.getError().message()));
      return false;
    }
    StringRef payload;
    if (std::string why = parse((*buffer)->getBuffer(), key, payload);
        !why.empty()) {
      note(fmt::format("kernel cache entry {} is corrupt ({}); recompiling",
                       path, why));
      return false;
    }
    std::string error;
    if (!writeFile(objPath, payload, error)) {
      note("kernel cache: " + error + "; recompiling");
      return false;
    }
    return true;
  }

  /// Stores `objPath` under `key` (best effort: a failure only says so).
  void store(StringRef kind, StringRef key, const std::string &objPath) {
    if (!enabled())
      return;
    auto object = llvm::MemoryBuffer::getFile(objPath, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!object || (*object)->getBufferSize() == 0)
      return;
    StringRef payload = (*object)->getBuffer();
    std::string path = entryPath(kind, key);
    SmallString<256> tmp;
    int fd = -1;
    if (std::error_code ec =
            llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, tmp)) {
      note(fmt::format("kernel cache: cannot write in {} ({})", dir,
                       ec.message()));
      return;
    }
    {
      llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
      os << header(payload) << key << "\n" << payload;
      os.close();
      if (os.has_error()) {
        os.clear_error();
        llvm::sys::fs::remove(tmp);
        note("kernel cache: cannot write " + std::string(tmp));
        return;
      }
    }
    if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
      llvm::sys::fs::remove(tmp);
      note(fmt::format("kernel cache: cannot rename {} ({})", std::string(tmp),
                       ec.message()));
    }
  }

private:
  static std::string header(StringRef payload) {
    return fmt::format("{} v{} {} {:016x}\n", kCacheMagic.str(),
                       kKernelCacheVersion, payload.size(),
                       llvm::xxh3_64bits(payload));
  }

  /// Checks an entry against `key`; returns why it is bad, or "" with the
  /// object in `payload`.
  static std::string parse(StringRef entry, StringRef key, StringRef &payload) {
    auto [head, rest] = entry.split('\n');
    auto [storedKey, body] = rest.split('\n');
    SmallVector<StringRef> fields;
    head.split(fields, ' ');
    uint64_t size = 0;
    if (fields.size() != 4 || fields[0] != kCacheMagic ||
        fields[1] != "v" + std::to_string(kKernelCacheVersion) ||
        fields[2].getAsInteger(10, size))
      return "bad header";
    if (storedKey != key)
      return "key mismatch";
    if (size == 0 || body.size() != size)
      return fmt::format("{} object bytes, header says {}", body.size(), size);
    if (header(body) != (head + "\n").str())
      return "checksum mismatch";
    payload = body;
    return "";
  }

  void note(const std::string &line) {
    if (verbose)
      log << "      " << line << "\n";
  }

  std::string dir, target;
  llvm::raw_ostream &log;
  bool verbose;
};

} // namespace

namespace {

/// Backend state from stage to stage: the plan, then the objects to link.
class CpuBackend final : public Backend {
public:
  StringRef name() const override { return "cpu"; }

  void buildPipeline(OpPassManager &pm, const BertPipelineOptions &options,
                     Stage last) const override {
    buildBertCPUPipeline(pm, options, last);
  }

  LogicalResult plan(func::FuncOp func, const LibraryOptions &options,
                     llvm::raw_ostream &log) override;
  LogicalResult compileKernels(const LibraryOptions &options,
                               llvm::raw_ostream &log) override;
  LogicalResult emitHostCode(const LibraryOptions &options,
                             llvm::raw_ostream &log) override;
  LogicalResult link(const LibraryOptions &options,
                     llvm::raw_ostream &log) override;

private:
  LogicalResult fail(const std::string &what) {
    return func.emitError() << what;
  }

  func::FuncOp func;
  std::optional<ModelPlan> modelPlan;
  std::string halideTarget;
  /// Kernel objects and the Halide runtime object, then the host object
  /// in front: what link() puts into the library.
  std::vector<std::string> objects;
};

} // namespace

std::unique_ptr<Backend> mlir::bert::createCpuBackend() {
  return std::make_unique<CpuBackend>();
}

LogicalResult CpuBackend::plan(func::FuncOp planned,
                               const LibraryOptions &options,
                               llvm::raw_ostream &log) {
  func = planned;
  std::string error;
  halideTarget = ::bert::cpu::describeTarget(options.target, error);
  if (halideTarget.empty())
    return fail(error);
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

/// The distinct kernels and the one Halide runtime, through the cache.
LogicalResult CpuBackend::compileKernels(const LibraryOptions &options,
                                         llvm::raw_ostream &log) {
  const ModelPlan &plan = *modelPlan;
  std::string error;
  Stopwatch stage;
  std::string debugDir = join(options.outDir, "halide");
  bool debug = options.stop == LibraryOptions::Stop::Halide;
  if (debug)
    llvm::sys::fs::create_directories(debugDir);
  // --emit halide always compiles: the .stmt and .s come from compiling.
  KernelCache cache(debug ? "" : options.cacheDir, halideTarget, log,
                    options.verbose);
  size_t hits = 0;
  objects.clear();
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    std::string symbol = plan.kernelSymbol(i);
    std::string obj = join(options.outDir, symbol + ".o");
    std::string key = cache.keyText("kernel " + plan.kernels[i].key(), symbol);
    Stopwatch one;
    bool hit = cache.fetch("kernel", key, obj);
    if (!hit) {
      if (!::bert::cpu::compileKernel(plan.kernels[i], symbol, options.target,
                                      obj, debug ? join(debugDir, symbol) : "",
                                      error))
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
  std::string runtimeObj = join(options.outDir, "halide_runtime.o");
  std::string runtimeKey = cache.keyText("halide runtime", "");
  bool runtimeHit = cache.fetch("runtime", runtimeKey, runtimeObj);
  if (!runtimeHit) {
    if (!::bert::cpu::compileHalideRuntime(options.target, runtimeObj, error))
      return fail("Halide runtime: " + error);
    cache.store("runtime", runtimeKey, runtimeObj);
  }
  objects.push_back(runtimeObj);
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

/// <name>_host.c and <name>.h; the host object unless stopping at the
/// kernels' debug output.
LogicalResult CpuBackend::emitHostCode(const LibraryOptions &options,
                                       llvm::raw_ostream &log) {
  std::string error;
  Stopwatch stage;
  std::string hostSrc = join(options.outDir, options.name + "_host.c");
  std::string header = join(options.outDir, options.name + ".h");
  if (!writeFile(hostSrc, generateHostSource(*modelPlan), error) ||
      !writeFile(header, generateHeader(*modelPlan), error))
    return fail(error);
  // The public runtime header travels with the model's header.
  if (std::error_code ec = llvm::sys::fs::copy_file(
          join(BERT_RUNTIME_INCLUDE_DIR, "bert_runtime.h"),
          join(options.outDir, "bert_runtime.h")))
    return fail("cannot copy bert_runtime.h: " + ec.message());
  if (options.stop == LibraryOptions::Stop::Halide) {
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
  return success();
}

LogicalResult CpuBackend::link(const LibraryOptions &options,
                               llvm::raw_ostream &log) {
  std::string error;
  Stopwatch stage;
  std::string cc = toolFromEnv("CC", "cc");
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
  if (options.verbose)
    log << fmt::format("[4/4] link: {}, {} ({:.1f} s)\n", so, archive,
                       stage.seconds());
  return success();
}
