//===- ScheduleCache.h - tuned schedules, keyed by kernel and target -*- C++
//-*-===//
//
// `bertc tune` measures schedules and writes the winners to a JSON file;
// `bertc compile --schedules FILE` (bert-tile's `schedules=` option) puts
// them on the kernels as ordinary #bert.schedule attributes, so the IR dump
// shows exactly what was applied and the backends need not know about tuning.
//
// An entry is keyed by the kernel's signature (kernelSignature: op name,
// operand and result types, inherent attributes; no schedule, no buffer
// slot, no location), by the target key (scheduleTargetKey: the ISA
// class, so `--target host` on a Zen 4 machine and `--target
// x86-64-avx512-bf16` share entries) and by the shape it was tuned at
// ("<batch>x<seq>", `bertc tune --max-batch/--max-seq`). A schedule tuned
// at one shape is valid at every shape, but not always the fastest there
// (rows per task follow the row count), so a file may hold one entry per
// shape and compile uses the one tuned nearest its own maxima
// (ScheduleCache::lookup). An entry without a shape matches any shape, after
// every entry that has one.
//
// File format (version 2):
//   {"format": "bertc-schedules", "version": 2, ...informational fields...,
//    "entries": [{"key": "<signature>", "kernel": "linear",
//                 "target": "x86-64-avx512",
//                 "schedule": {"kind": "gemm", "rows": 8, "cols": 48,
//                              "k_unroll": 4, "rows_per_task": 64,
//                              "vector_width": 16},
//                 "measured_ns": 1200000, "default_ns": 1300000,
//                 "shape": "1x128"}]}
// The schedule's fields are those of its kind's struct (dialect/Schedules.h),
// by name, every one present. The times (whole ns per call) are
// informational: checked for type, never used to choose. Version 1 files
// (positional `tile` lists) are refused with a message that says so.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_SUPPORT_SCHEDULECACHE_H
#define BERT_SUPPORT_SCHEDULECACHE_H

#include "dialect/Schedules.h"
#include "support/TargetRegistry.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir {
class Operation;
} // namespace mlir

namespace mlir::bert {

/// The value of the file's "format" field.
inline constexpr llvm::StringLiteral kScheduleCacheFormat = "bertc-schedules";
inline constexpr int64_t kScheduleCacheVersion = 2;

/// The cache key of a kernel op: `bert.linear(tensor<?x?x768xf32>, ...) ->
/// tensor<?x?x3072xf32> {activation = ...}`. Identical for `tune` (after
/// bert-plan-buffers) and `compile` (in bert-tile): discardable attributes
/// (bert.schedule, bert.buffer) are left out.
std::string kernelSignature(Operation *op);

/// The target part of the key: a preset's name, or for `host` the preset
/// class it matches (x86-64-amx, x86-64-avx512-bf16[-2fma], x86-64-avx512,
/// x86-64-avx2), else "host-<lanes>x<registers>".
std::string scheduleTargetKey(const TargetInfo &target);

/// One tuned schedule.
struct CachedSchedule {
  std::string key, kernel, target;
  ::bert::KernelSchedule schedule;
  /// Informational: the best time and the default schedule's time (ms);
  /// < 0 when unknown.
  double measuredMs = -1, defaultMs = -1;
  /// The shape it was tuned at, "<batch>x<seq>" (parseScheduleShape);
  /// empty: any shape.
  std::string shape;
};

/// Parses "<batch>x<seq>" (both positive); std::nullopt when malformed.
std::optional<std::pair<int64_t, int64_t>> parseScheduleShape(llvm::StringRef);

class ScheduleCache {
public:
  /// Reads and validates a cache file. The error names the entry and field
  /// that is wrong ("entries[2].schedule.tile: expected ...").
  static llvm::Expected<ScheduleCache> load(llvm::StringRef path);
  /// Same, from text (for the file above and for tests).
  static llvm::Expected<ScheduleCache> parse(llvm::StringRef text);

  /// The entry for (signature, target key) tuned nearest to a compile for
  /// `batch` sequences of `seq` tokens (both > 0), or nullptr. Nearest: the
  /// smallest |log(tokens / entry tokens)| + |log(seq / entry seq)|
  /// (tokens = batch x seq: the linears' row count; seq: attention's
  /// length), ties to the entry listed first; entries without a shape only
  /// when no entry has one.
  const CachedSchedule *lookup(llvm::StringRef key, llvm::StringRef target,
                               int64_t batch, int64_t seq) const;
  /// The entry for exactly (signature, target key, shape), or nullptr.
  const CachedSchedule *find(llvm::StringRef key, llvm::StringRef target,
                             llvm::StringRef shape) const;
  /// Adds or replaces the entry for (entry.key, entry.target, entry.shape).
  void insert(CachedSchedule entry);
  /// Inserts every entry of `other` (replacing those of the same key,
  /// target and shape); returns how many were new rather than replaced.
  size_t merge(const ScheduleCache &other);
  const std::vector<CachedSchedule> &entries() const { return list; }

  /// The file, with `info` (an object) merged into the top level.
  llvm::json::Value toJSON(const llvm::json::Object &info) const;

private:
  std::vector<CachedSchedule> list;
  /// target + '\n' + key + '\n' + shape -> list index.
  llvm::StringMap<size_t> index;
  /// target + '\n' + key -> the list indices of its shapes, in list order.
  llvm::StringMap<llvm::SmallVector<size_t, 2>> byKernel;
};

} // namespace mlir::bert

#endif // BERT_SUPPORT_SCHEDULECACHE_H
