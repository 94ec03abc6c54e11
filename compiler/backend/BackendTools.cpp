//===- BackendTools.cpp - what every backend's stages use -----------------===//
//
// See BackendTools.h. The kernel cache holds compiled objects under a hash
// of everything that decides their bytes: the request's key(), the C
// symbol, the backend's compiler identity (target, compiler version, kernel
// source hash) and kKernelCacheVersion. An entry is a one-line header
// (magic, version, payload size and checksum), the full key text, then the
// object; an entry that does not check out is recompiled and replaced.
// Entries are written to a unique temporary name and renamed into place, so
// concurrent compiles sharing the directory never see half an entry.
//
//===----------------------------------------------------------------------===//

#include "compiler/backend/BackendTools.h"
#include "compiler/backend/Backend.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <cstdlib>

using namespace mlir;
using namespace mlir::bert;

std::string mlir::bert::toolFromEnv(const char *var, const char *fallback) {
  const char *value = std::getenv(var);
  return value && *value ? value : fallback;
}

bool mlir::bert::runTool(ArrayRef<std::string> argv, std::string &error,
                         std::optional<StringRef> input,
                         std::optional<StringRef> output) {
  auto program = llvm::sys::findProgramByName(argv.front());
  if (!program) {
    error = "cannot find '" + argv.front() + "' on PATH";
    return false;
  }
  SmallVector<StringRef> args(argv.begin(), argv.end());
  std::string message;
  std::optional<StringRef> redirects[] = {input, output, output};
  int rc = llvm::sys::ExecuteAndWait(*program, args, std::nullopt,
                                     input || output
                                         ? ArrayRef(redirects)
                                         : ArrayRef<std::optional<StringRef>>(),
                                     0, 0, &message);
  if (rc != 0) {
    error = "'" + llvm::join(args, " ") + "' failed" +
            (message.empty() ? "" : ": " + message) + " (exit " +
            std::to_string(rc) + ")";
    return false;
  }
  return true;
}

bool mlir::bert::writeFile(const std::string &path, StringRef text,
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

std::string mlir::bert::joinPath(StringRef dir, StringRef file) {
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
    return joinPath(xdg, "bertc");
  if (std::string home = env("HOME"); !home.empty())
    return joinPath(joinPath(home, ".cache"), "bertc");
  return "";
}

KernelCache::KernelCache(std::string dir, std::string identity,
                         llvm::raw_ostream &log, bool verbose)
    : dir(std::move(dir)), identity(std::move(identity)), log(log),
      verbose(verbose) {
  if (this->dir.empty())
    return;
  if (std::error_code ec = llvm::sys::fs::create_directories(this->dir)) {
    note(fmt::format("kernel cache {} unusable ({}); compiling everything",
                     this->dir, ec.message()));
    this->dir.clear();
  }
}

std::string KernelCache::keyText(StringRef what, StringRef symbol) const {
  return fmt::format("v{}; {}; symbol {}; {}", kKernelCacheVersion, what.str(),
                     symbol.str(), identity);
}

/// `<dir>/<kind>-<hash of key>.o`.
std::string KernelCache::entryPath(StringRef kind, StringRef key) const {
  auto digest = llvm::SHA256::hash(
      ArrayRef(reinterpret_cast<const uint8_t *>(key.data()), key.size()));
  return joinPath(dir, kind.str() + "-" +
                           llvm::toHex(ArrayRef(digest).take_front(16),
                                       /*LowerCase=*/true) +
                           ".o");
}

bool KernelCache::fetch(StringRef kind, StringRef key,
                        const std::string &objPath) {
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
    note(fmt::format("kernel cache entry {} is corrupt ({}); recompiling", path,
                     why));
    return false;
  }
  std::string error;
  if (!writeFile(objPath, payload, error)) {
    note("kernel cache: " + error + "; recompiling");
    return false;
  }
  return true;
}

void KernelCache::store(StringRef kind, StringRef key,
                        const std::string &objPath) {
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

std::string KernelCache::header(StringRef payload) {
  return fmt::format("{} v{} {} {:016x}\n", kCacheMagic.str(),
                     kKernelCacheVersion, payload.size(),
                     llvm::xxh3_64bits(payload));
}

/// Checks an entry against `key`; returns why it is bad, or "" with the
/// object in `payload`.
std::string KernelCache::parse(StringRef entry, StringRef key,
                               StringRef &payload) {
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

void KernelCache::note(const std::string &line) {
  if (verbose)
    log << "      " << line << "\n";
}

bool mlir::bert::linkModelLibrary(const LibraryOptions &options,
                                  ArrayRef<std::string> objects,
                                  ArrayRef<std::string> libs,
                                  llvm::raw_ostream &log, std::string &error) {
  Stopwatch stage;
  std::string cc = toolFromEnv("CC", "cc");
  std::string so = joinPath(options.outDir, "lib" + options.name + ".so");
  std::vector<std::string> linkArgs = {cc, "-shared", "-o", so};
  linkArgs.insert(linkArgs.end(), objects.begin(), objects.end());
  for (const char *arg : {"-Wl,--whole-archive", BERT_RUNTIME_LIBRARY,
                          "-Wl,--no-whole-archive", "-lpthread", "-ldl", "-lm"})
    linkArgs.push_back(arg);
  linkArgs.insert(linkArgs.end(), libs.begin(), libs.end());
  if (!runTool(linkArgs, error))
    return false;

  // The static library carries the runtime's objects too, so a C program
  // links just lib<name>.a (plus -lpthread -ldl -lm). GNU ar's MRI script
  // merges an archive without unpacking it by hand.
  std::string archive = joinPath(options.outDir, "lib" + options.name + ".a");
  std::string mri = joinPath(options.outDir, "lib" + options.name + ".mri");
  std::string script =
      "CREATE " + archive + "\nADDLIB " + BERT_RUNTIME_LIBRARY + "\n";
  for (const std::string &obj : objects)
    script += "ADDMOD " + obj + "\n";
  script += "SAVE\nEND\n";
  llvm::sys::fs::remove(archive);
  if (!writeFile(mri, script, error))
    return false;
  std::string ar = toolFromEnv("AR", "ar");
  if (!runTool({ar, "-M"}, error, StringRef(mri)))
    return false;
  llvm::sys::fs::remove(mri);
  if (options.verbose)
    log << fmt::format("[4/4] link: {}, {} ({:.1f} s)\n", so, archive,
                       stage.seconds());
  return true;
}
