//===- Tune.h - `bertc tune`: measure schedules into a cache ----*- C++ -*-===//
//
// The search of `bertc tune` on a planned function: find its distinct
// kernels (ModelPlan, the same KernelRequests the library would compile),
// share the time budget out by each kernel's part of the model's run time,
// let KernelTuner search each one, and turn the winners back into
// #bert.schedule fields keyed by kernel signature (ScheduleCache.h).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BERTC_TUNE_H
#define BERT_COMPILER_BERTC_TUNE_H

#include "support/ScheduleCache.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace mlir::bert {

struct TuneSettings {
  std::string target = "host"; ///< a bertc --target name (CPU)
  double budgetSeconds = 600;
  /// The shape kernels are timed at (batch sequences of seq tokens).
  int64_t batch = 1, seq = 128;
  bool verbose = false; ///< one log line per candidate
};

/// "10m", "90s", "1h", "600" (seconds); std::nullopt when malformed.
std::optional<double> parseBudget(llvm::StringRef text);

/// The informational top-level fields of a cache file: compiler identity
/// (Halide version, kernel sources hash), full Halide target, shape, budget.
llvm::json::Object describeTuning(const TuneSettings &settings);

/// Tunes every distinct kernel of `planned` (after bert-plan-buffers) and
/// returns one cache entry per kernel signature; progress goes to `log`.
/// Errors are internal (a kernel the backend cannot compile).
llvm::Expected<mlir::bert::ScheduleCache>
tuneSchedules(mlir::func::FuncOp planned, const TuneSettings &settings,
              llvm::raw_ostream &log);

} // namespace mlir::bert

#endif // BERT_COMPILER_BERTC_TUNE_H
