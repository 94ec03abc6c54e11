//===- Tune.cpp - `bertc tune`: measure schedules into a cache ------------===//
//
// Kernels are found through ModelPlan rather than re-derived from the ops, so
// the tuner times exactly the KernelRequests the library build would compile
// (same Halide specs, same default knobs). ModelPlan makes one call per
// scheduled op, in op order, which pairs each call with its op's signature
// and default #bert.schedule.
//
// Budget: every distinct kernel is timed once with its default schedule;
// the rest of the budget is shared in proportion to default time x calls per
// run (the FFN linears of bert-base get most of it, the pooler almost none),
// largest share first, and what a kernel leaves unused (its search
// converged) goes to the ones after it.
//
//===----------------------------------------------------------------------===//

#include "compiler/bertc/Tune.h"
#include "compiler/backend/cpu/KernelTuner.h"
#include "compiler/backend/cpu/ModelPlan.h"
#include "dialect/BertOps.h"
#include "dialect/LoadTime.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <map>

using namespace mlir;
using namespace mlir::bert;
using ::bert::cpu::KernelRequest;

std::optional<double> mlir::bert::parseBudget(llvm::StringRef text) {
  double scale = 1;
  if (text.consume_back("h"))
    scale = 3600;
  else if (text.consume_back("m"))
    scale = 60;
  else
    text.consume_back("s");
  double value = 0;
  if (text.empty() || text.getAsDouble(value) || !(value >= 0) ||
      value * scale > 7 * 24 * 3600)
    return std::nullopt;
  return value * scale;
}

llvm::json::Object mlir::bert::describeTuning(const TuneSettings &settings) {
  std::string error;
  llvm::json::Object info{
      {"compiler", ::bert::cpu::kernelCompilerIdentity()},
      {"halide_target", ::bert::cpu::describeTarget(settings.target, error)},
      {"shape", llvm::formatv("{0}x{1}", settings.batch, settings.seq).str()},
      {"budget_s", settings.budgetSeconds}};
  // The FMA facts the strategy schedules (the baselines the tuner beat)
  // were sized with: for `host`, the probe's measurement on this machine.
  if (std::optional<TargetInfo> t = lookupTarget(settings.target))
    info["fma"] = llvm::json::Object{{"latency", t->fmaLatency},
                                     {"pipes", t->fmaUnits},
                                     {"measured", t->fmaMeasured}};
  return info;
}

namespace {
/// One distinct kernel (KernelRequest) and the signatures that use it.
struct Job {
  size_t kernel = 0;
  /// The first op that runs it (its mnemonic names the cache entry).
  Operation *defaults = nullptr;
  std::vector<std::string> signatures;
  int calls = 0;
  double defaultMs = 0;
};

/// The cache entry of a tuned kernel: its schedule is the tuned request's,
/// field for field (the struct is the same on both sides).
CachedSchedule entryFor(const Job &job, const KernelRequest &tuned) {
  CachedSchedule e;
  e.kernel = job.defaults->getName().stripDialect().str();
  e.schedule = tuned.schedule;
  return e;
}
} // namespace

llvm::Expected<ScheduleCache>
mlir::bert::tuneSchedules(func::FuncOp planned, const TuneSettings &settings,
                          llvm::raw_ostream &log) {
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  std::optional<TargetInfo> target = lookupTarget(settings.target);
  if (!target || target->isGPU())
    return llvm::createStringError("tune needs a CPU target, got '" +
                                   settings.target + "'");
  FailureOr<ModelPlan> plan =
      planModel(planned, planned.getName().str(), settings.target);
  if (failed(plan))
    return llvm::createStringError("planning the kernels failed");

  // Pair calls with scheduled ops (one each, in order; the load-time ops,
  // bert.load_time, with the load-time calls).
  SmallVector<Operation *> ops;
  std::vector<const KernelCall *> calls;
  size_t perRun = 0, atLoad = 0;
  planned.walk([&](Operation *op) {
    if (!op->hasAttr(BertDialect::getScheduleAttrName()))
      return;
    ops.push_back(op);
    const bool load = op->hasAttr(kLoadTimeAttrName);
    auto &list = load ? plan->loadCalls : plan->calls;
    size_t &next = load ? atLoad : perRun;
    calls.push_back(next < list.size() ? &list[next] : nullptr);
    ++next;
  });
  if (perRun != plan->calls.size() || atLoad != plan->loadCalls.size())
    return llvm::createStringError(
        llvm::formatv("{0} scheduled ops but {1} kernel calls", ops.size(),
                      plan->calls.size() + plan->loadCalls.size()));
  std::vector<Job> jobs;
  std::map<size_t, size_t> jobOfKernel;
  for (auto [op, callPtr] : llvm::zip(ops, calls)) {
    const KernelCall &call = *callPtr;
    auto [it, inserted] = jobOfKernel.try_emplace(call.kernel, jobs.size());
    if (inserted) {
      jobs.push_back(Job());
      jobs.back().kernel = call.kernel;
      jobs.back().defaults = op;
    }
    Job &job = jobs[it->second];
    ++job.calls;
    std::string sig = kernelSignature(op);
    if (!llvm::is_contained(job.signatures, sig))
      job.signatures.push_back(sig);
  }

  ::bert::cpu::TuneShape shape{settings.batch, settings.seq};
  log << llvm::formatv("bertc tune: {0} distinct kernels, timed at {1}x{2} "
                       "tokens, budget {3} s\n",
                       jobs.size(), shape.batch, shape.seq,
                       settings.budgetSeconds);
  double total = 0;
  for (Job &job : jobs) {
    std::string error;
    job.defaultMs = ::bert::cpu::timeKernel(plan->kernels[job.kernel],
                                            settings.target, shape, error);
    if (job.defaultMs < 0)
      return llvm::createStringError(
          "timing " + plan->kernels[job.kernel].key() + ": " + error);
    total += job.defaultMs * job.calls;
  }
  llvm::sort(jobs, [](const Job &a, const Job &b) {
    return a.defaultMs * a.calls > b.defaultMs * b.calls;
  });

  ScheduleCache cache;
  std::string targetKey = scheduleTargetKey(*target);
  double remainingWeight = total;
  for (Job &job : jobs) {
    const KernelRequest &req = plan->kernels[job.kernel];
    double weight = job.defaultMs * job.calls;
    double left = std::max(0.0, settings.budgetSeconds - elapsed());
    double budget = remainingWeight > 0 ? left * weight / remainingWeight : 0;
    remainingWeight -= weight;
    log << llvm::formatv("[tune] {0} x{1}: {2:P1} of the run, {3:F1} s\n",
                         req.key(), job.calls, weight / total, budget);
    ::bert::cpu::TuneResult result;
    std::string error;
    auto logLine = [&](const std::string &line) {
      if (settings.verbose)
        log << line << "\n";
    };
    if (!::bert::cpu::tuneKernel(req, settings.target, shape, budget, result,
                                 error, logLine))
      return llvm::createStringError("tuning " + req.key() + ": " + error);
    CachedSchedule entry = entryFor(job, result.best);
    entry.target = targetKey;
    entry.measuredMs = result.bestMs;
    entry.defaultMs = result.defaultMs;
    entry.shape = llvm::formatv("{0}x{1}", shape.batch, shape.seq);
    log << llvm::formatv("       default {0:F4} ms -> {1:F4} ms ({2:F2}x), "
                         "{3} candidates ({4} rejected) in {5:F1} s: {6}\n",
                         result.defaultMs, result.bestMs,
                         result.bestMs / result.defaultMs, result.candidates,
                         result.rejected, result.seconds,
                         ::bert::describeSchedule(entry.schedule));
    for (const std::string &sig : job.signatures) {
      entry.key = sig;
      cache.insert(entry);
    }
  }
  return cache;
}
