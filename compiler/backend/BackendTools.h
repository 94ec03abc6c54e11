//===- BackendTools.h - what every backend's stages use ----------*- C++
//-*-===//
//
// The plumbing the backends share: stage timing, running external tools
// (cc, ar, nvcc), writing files, and the kernel object cache. A backend's
// cache entries are keyed by the full text of everything that decides
// their bytes, which the backend supplies (its compiler's identity: the
// Halide version and kernel source hash for the CPU; nvcc's version and the
// architectures for CUDA).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_BACKENDTOOLS_H
#define BERT_COMPILER_BACKEND_BACKENDTOOLS_H

#include "mlir/Support/LLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>
#include <string>

namespace mlir::bert {

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

/// $var when set and non-empty, else `fallback`.
std::string toolFromEnv(const char *var, const char *fallback);

/// Runs `argv` (stdin from `input` when given); on failure returns false
/// with the command in `error`. With `output`, the tool's stdout and stderr
/// go to that file.
bool runTool(ArrayRef<std::string> argv, std::string &error,
             std::optional<StringRef> input = std::nullopt,
             std::optional<StringRef> output = std::nullopt);

bool writeFile(const std::string &path, StringRef text, std::string &error);

/// `dir`/`file`.
std::string joinPath(StringRef dir, StringRef file);

/// Compiled objects under a hash of their key text (see the definition).
class KernelCache {
public:
  /// `identity`: the compiler and target facts every key includes (one
  /// line: an entry stores its key as a line).
  KernelCache(std::string dir, std::string identity, llvm::raw_ostream &log,
              bool verbose);

  bool enabled() const { return !dir.empty(); }

  /// The full key text of an object (`what`: "kernel <key()>" or
  /// "runtime"); its hash names the entry.
  std::string keyText(StringRef what, StringRef symbol) const;

  /// Copies the object cached under `key` to `objPath`. False on a miss:
  /// no entry, or one that does not check out (then says why).
  bool fetch(StringRef kind, StringRef key, const std::string &objPath);

  /// Stores `objPath` under `key` (best effort: a failure only says so).
  void store(StringRef kind, StringRef key, const std::string &objPath);

private:
  std::string entryPath(StringRef kind, StringRef key) const;
  static std::string header(StringRef payload);
  static std::string parse(StringRef entry, StringRef key, StringRef &payload);
  void note(const std::string &line);

  std::string dir, identity;
  llvm::raw_ostream &log;
  bool verbose;
};

struct LibraryOptions;

/// Stage 4 of every backend: lib<name>.so from `objects` and the runtime
/// (plus `libs`), and lib<name>.a holding the objects and the runtime's, so
/// a C program links just the archive (plus -lpthread -ldl -lm).
bool linkModelLibrary(const LibraryOptions &options,
                      ArrayRef<std::string> objects, ArrayRef<std::string> libs,
                      llvm::raw_ostream &log, std::string &error);

} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_BACKENDTOOLS_H
