//===- fuzz_schedule_cache.cpp - libFuzzer target: the schedule cache -----===//
//
// Any bytes as a `bertc tune` cache: ScheduleCache::parse must return a cache
// or an error (never crash, recurse without bound or leak). Every accepted
// entry must hold a schedule its own verifier accepts (the reader checks it;
// a schedule that reached bert-tile unverified would reach a kernel), and
// writing the cache back and reading it again must give the same entries.
//
//===----------------------------------------------------------------------===//

#include "support/ScheduleCache.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<mlir::bert::ScheduleCache> cache =
      mlir::bert::ScheduleCache::parse(text);
  if (!cache) {
    llvm::consumeError(cache.takeError());
    return 0;
  }
  for (const mlir::bert::CachedSchedule &e : cache->entries())
    if (!::bert::verifySchedule(e.schedule).empty() || e.key.empty())
      abort();
  std::string written;
  llvm::raw_string_ostream os(written);
  os << cache->toJSON(llvm::json::Object{});
  llvm::Expected<mlir::bert::ScheduleCache> again =
      mlir::bert::ScheduleCache::parse(written);
  if (!again || again->entries().size() != cache->entries().size())
    abort();
  for (size_t i = 0; i < cache->entries().size(); ++i)
    if (::bert::describeSchedule(again->entries()[i].schedule) !=
        ::bert::describeSchedule(cache->entries()[i].schedule))
      abort();
  return 0;
}
