//===- ScheduleCache.cpp - tuned schedule file: keys, parsing, writing ----===//
//
// The file is validated completely when it is read, so a bad file fails the
// compile up front with the entry and field named, rather than as a strange
// schedule on one kernel later. See ScheduleCache.h for the format.
//
//===----------------------------------------------------------------------===//

#include "support/ScheduleCache.h"
#include "support/JsonDepth.h"
#include "support/ReadFile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::bert;
using llvm::Error;
using llvm::StringRef;
namespace json = llvm::json;

/// Larger than any cache tune writes (a few KiB per model and shape).
static constexpr uint64_t kMaxCacheBytes = 64ull << 20;

std::string mlir::bert::scheduleTargetKey(const TargetInfo &target) {
  if (target.name != "host")
    return target.name;
  // bf16 linears are AMX tiles on one class and VDPBF16PS register tiles on
  // the other, so the classes must not share entries.
  if (target.vectorWidth == 16 && target.numVectorRegs == 32)
    // Zen 4 and Zen 5 differ only in their FMA pipes (the probe's).
    return target.hasAMX    ? "x86-64-amx"
           : target.hasBF16 ? (target.fmaUnits >= 2 ? "x86-64-avx512-bf16-2fma"
                                                    : "x86-64-avx512-bf16")
                            : "x86-64-avx512";
  if (target.vectorWidth == 8 && target.numVectorRegs == 16)
    return "x86-64-avx2";
  return llvm::formatv("host-{0}x{1}", target.vectorWidth,
                       target.numVectorRegs);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {
/// Reads one entry, naming `where` ("entries[3]") in every error.
class EntryReader {
public:
  EntryReader(const json::Object &obj, std::string where)
      : obj(obj), where(std::move(where)) {}

  Error fail(StringRef field, const llvm::Twine &what) const {
    return llvm::createStringError(where + "." + field + ": " + what);
  }

  Error string(StringRef field, std::string &out) const {
    std::optional<StringRef> v = obj.getString(field);
    if (!v || v->empty())
      return fail(field, "expected a non-empty string");
    out = v->str();
    return Error::success();
  }

  /// Optional informational number: absent is fine, a non-number is not.
  Error number(StringRef field, double &out) const {
    const json::Value *v = obj.get(field);
    if (!v)
      return Error::success();
    std::optional<double> d = v->getAsNumber();
    if (!d)
      return fail(field, "expected a number");
    out = *d;
    return Error::success();
  }

  const json::Object &obj;
  std::string where;
};

/// The "schedule" object: a "kind" and, by name, every field of that
/// kind's struct (dialect/Schedules.h), then the struct's own checks.
Error readSchedule(const EntryReader &entry, CachedSchedule &out) {
  const json::Object *sched = entry.obj.getObject("schedule");
  if (!sched)
    return entry.fail("schedule", "expected an object with a \"kind\" and "
                                  "that kind's fields");
  EntryReader r(*sched, entry.where + ".schedule");
  std::string kind;
  if (Error err = r.string("kind", kind))
    return err;
  std::optional<::bert::KernelSchedule> schedule =
      ::bert::emptyScheduleOfKind(kind);
  if (!schedule)
    return r.fail("kind", llvm::formatv("expected one of {0}, got \"{1}\"",
                                        ::bert::kScheduleKindList, kind));
  for (const auto &kv : *sched) {
    StringRef field = kv.first;
    if (field == "kind")
      continue;
    int64_t *slot = ::bert::scheduleField(*schedule, field.str());
    if (!slot)
      return r.fail(field, "not a field of a " + kind + " schedule (" +
                               ::bert::scheduleFieldNames(*schedule) + ")");
    std::optional<int64_t> v = kv.second.getAsInteger();
    if (!v || *v < 1 || *v > ::bert::kMaxScheduleValue)
      return r.fail(field, llvm::formatv("expected an integer in [1, {0}]",
                                         ::bert::kMaxScheduleValue));
    *slot = *v;
  }
  std::string missing;
  std::visit(
      [&](const auto &s) {
        for (const auto &f : std::decay_t<decltype(s)>::fields)
          if (s.*f.member == 0 && missing.empty())
            missing = f.name;
      },
      *schedule);
  if (!missing.empty())
    return r.fail(missing, "missing (a " + kind +
                               " schedule has every "
                               "field of dialect/Schedules.h)");
  std::string problem = ::bert::verifySchedule(*schedule);
  if (!problem.empty())
    return entry.fail("schedule", problem);
  out.schedule = *schedule;
  return Error::success();
}
} // namespace

llvm::Expected<ScheduleCache> ScheduleCache::parse(StringRef text) {
  // llvm::json recurses per nesting level: refuse deep input before it does.
  if (std::optional<size_t> at = ::bert::findJsonTooDeep(text))
    return llvm::createStringError(
        llvm::formatv("not valid JSON: nested deeper than {0} levels at "
                      "byte {1}",
                      ::bert::kMaxJsonDepth, *at));
  llvm::Expected<json::Value> value = json::parse(text);
  if (!value)
    return llvm::createStringError("not valid JSON: " +
                                   llvm::toString(value.takeError()));
  const json::Object *top = value->getAsObject();
  if (!top)
    return llvm::createStringError("expected a JSON object at the top level");
  std::optional<StringRef> format = top->getString("format");
  if (!format || *format != kScheduleCacheFormat)
    return llvm::createStringError(
        llvm::formatv("format: expected \"{0}\" (a file written by bertc "
                      "tune)",
                      kScheduleCacheFormat));
  std::optional<int64_t> version = top->getInteger("version");
  if (version && *version == 1)
    return llvm::createStringError(llvm::formatv(
        "version: this is a version 1 cache (positional \"tile\" lists), "
        "which this bertc no longer reads; it reads version {0}, whose "
        "schedules name their fields; re-run bertc tune to write one",
        kScheduleCacheVersion));
  if (!version || *version != kScheduleCacheVersion)
    return llvm::createStringError(
        llvm::formatv("version: expected {0}; this bertc reads version {0} "
                      "only (re-run bertc tune)",
                      kScheduleCacheVersion));
  const json::Array *entries = top->getArray("entries");
  if (!entries)
    return llvm::createStringError("entries: expected an array");

  ScheduleCache cache;
  for (auto [i, v] : llvm::enumerate(*entries)) {
    std::string where = llvm::formatv("entries[{0}]", i);
    const json::Object *obj = v.getAsObject();
    if (!obj)
      return llvm::createStringError(where + ": expected an object");
    EntryReader r(*obj, where);
    CachedSchedule e;
    if (Error err = r.string("key", e.key))
      return std::move(err);
    if (Error err = r.string("kernel", e.kernel))
      return std::move(err);
    if (Error err = r.string("target", e.target))
      return std::move(err);
    if (Error err = readSchedule(r, e))
      return std::move(err);
    if (Error err = r.number("measured_ns", e.measuredMs))
      return std::move(err);
    if (Error err = r.number("default_ns", e.defaultMs))
      return std::move(err);
    e.measuredMs = e.measuredMs < 0 ? -1 : e.measuredMs * 1e-6;
    e.defaultMs = e.defaultMs < 0 ? -1 : e.defaultMs * 1e-6;
    if (const json::Value *shape = obj->get("shape")) {
      std::optional<StringRef> text = shape->getAsString();
      if (!text || !parseScheduleShape(*text))
        return r.fail("shape", "expected \"<batch>x<seq>\" with both "
                               "positive, such as \"1x128\"");
      e.shape = text->str();
    }
    if (cache.find(e.key, e.target, e.shape))
      return r.fail("key", "a second entry for this kernel, target \"" +
                               e.target + "\" and shape \"" + e.shape + "\"");
    cache.insert(std::move(e));
  }
  return cache;
}

llvm::Expected<ScheduleCache> ScheduleCache::load(StringRef path) {
  // A regular file of reasonable size, opened without blocking (a FIFO or a
  // device is refused, not waited on).
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buf =
      ::bert::readInputFile(path, kMaxCacheBytes);
  if (!buf) {
    // "cannot read: No such file or directory", "cannot read: is a FIFO,
    // not a regular file", ...
    std::string why = llvm::toString(buf.takeError());
    StringRef reason(why);
    reason.consume_front("cannot open: ");
    return llvm::createStringError("cannot read: " + reason);
  }
  return parse((*buf)->getBuffer());
}

//===----------------------------------------------------------------------===//
// Lookup and writing
//===----------------------------------------------------------------------===//

std::optional<std::pair<int64_t, int64_t>>
mlir::bert::parseScheduleShape(StringRef text) {
  auto [b, s] = text.split('x');
  int64_t batch = 0, seq = 0;
  // getAsInteger rejects signs, spaces and trailing text.
  if (b.getAsInteger(10, batch) || s.getAsInteger(10, seq) || batch <= 0 ||
      seq <= 0 || batch > ::bert::kMaxScheduleValue ||
      seq > ::bert::kMaxScheduleValue)
    return std::nullopt;
  return std::pair{batch, seq};
}

static std::string kernelIndexKey(StringRef target, StringRef key) {
  return (target + "\n" + key).str();
}

const CachedSchedule *ScheduleCache::find(StringRef key, StringRef target,
                                          StringRef shape) const {
  auto it = index.find(kernelIndexKey(target, key) + "\n" + shape.str());
  return it == index.end() ? nullptr : &list[it->second];
}

const CachedSchedule *ScheduleCache::lookup(StringRef key, StringRef target,
                                            int64_t batch, int64_t seq) const {
  auto it = byKernel.find(kernelIndexKey(target, key));
  if (it == byKernel.end())
    return nullptr;
  const CachedSchedule *best = nullptr;
  double bestDistance = 0;
  auto logRatio = [](double a, double b) { return std::fabs(std::log(a / b)); };
  for (size_t i : it->second) {
    const CachedSchedule &e = list[i];
    // Shapeless entries rank after every shaped one.
    double distance = std::numeric_limits<double>::infinity();
    if (auto shape = parseScheduleShape(e.shape)) {
      auto [eBatch, eSeq] = *shape;
      distance = logRatio(double(batch) * seq, double(eBatch) * eSeq) +
                 logRatio(double(seq), double(eSeq));
    }
    if (!best || distance < bestDistance) {
      best = &e;
      bestDistance = distance;
    }
  }
  return best;
}

void ScheduleCache::insert(CachedSchedule entry) {
  std::string kernel = kernelIndexKey(entry.target, entry.key);
  auto [it, inserted] =
      index.try_emplace(kernel + "\n" + entry.shape, list.size());
  if (!inserted) {
    list[it->second] = std::move(entry);
    return;
  }
  byKernel[kernel].push_back(list.size());
  list.push_back(std::move(entry));
}

size_t ScheduleCache::merge(const ScheduleCache &other) {
  size_t added = 0;
  for (const CachedSchedule &e : other.list) {
    added += find(e.key, e.target, e.shape) == nullptr;
    insert(e);
  }
  return added;
}

/// {"kind": ..., field: value, ...} in the struct's field order.
static json::Object scheduleJSON(const ::bert::KernelSchedule &schedule) {
  json::Object o{{"kind", ::bert::scheduleKind(schedule)}};
  std::visit(
      [&](const auto &s) {
        for (const auto &f : std::decay_t<decltype(s)>::fields)
          o[f.name] = s.*f.member;
      },
      schedule);
  return o;
}

json::Value ScheduleCache::toJSON(const json::Object &info) const {
  json::Object top{{"format", kScheduleCacheFormat},
                   {"version", kScheduleCacheVersion}};
  for (const auto &kv : info)
    top[kv.first] = kv.second;
  json::Array entries;
  for (const CachedSchedule &e : list) {
    json::Object o{{"key", e.key},
                   {"kernel", e.kernel},
                   {"target", e.target},
                   {"schedule", scheduleJSON(e.schedule)}};
    // Whole nanoseconds: JSON doubles print with 17 digits, all noise.
    auto ns = [](double ms) { return int64_t(std::llround(ms * 1e6)); };
    if (e.measuredMs >= 0)
      o["measured_ns"] = ns(e.measuredMs);
    if (e.defaultMs >= 0)
      o["default_ns"] = ns(e.defaultMs);
    if (!e.shape.empty())
      o["shape"] = e.shape;
    entries.push_back(std::move(o));
  }
  top["entries"] = std::move(entries);
  return top;
}
