//===- KernelTuner.h - measure schedules of one kernel (Halide-free) -*- C++
//-*-===//
//
// The measuring half of `bertc tune`. Given a KernelRequest whose schedule
// knobs are the strategy's choice (the default), tuneKernel JIT-compiles
// variants of those knobs, runs each on random inputs of one shape, checks
// that its output matches the default's, and returns the fastest. Like
// KernelCompiler.h this header keeps Halide (RTTI, exceptions) out of the
// MLIR side.
//
// Measuring on a shared machine: a candidate is always timed in alternating
// samples with the default (D C D C ...), and each side keeps its fastest
// sample, so a burst of load from another process slows both or is dropped;
// the winner is re-measured the same way before it is accepted, and it must
// beat the default by kMinGain there. The default is therefore always the
// fallback: tuning never makes a kernel slower than the strategy, up to
// measurement noise.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CPU_KERNELTUNER_H
#define BERT_COMPILER_BACKEND_CPU_KERNELTUNER_H

#include "compiler/backend/cpu/KernelCompiler.h"

#include <functional>
#include <string>
#include <vector>

namespace bert::cpu {

/// The inputs a kernel is timed on: `batch` sequences of `seq` tokens (row
/// kernels see batch * seq rows, attention batch x heads x seq x seq, the
/// pooler batch rows).
struct TuneShape {
  int64_t batch = 1, seq = 128;
};

struct TuneResult {
  KernelRequest best;   ///< the default when nothing beat it
  double bestMs = 0;    ///< per call, fastest sample
  double defaultMs = 0; ///< same window as bestMs
  int candidates = 0;   ///< variants compiled and timed
  int rejected = 0;     ///< failed to compile or gave other outputs
  double seconds = 0;   ///< wall time spent
};

/// Times `req` alone (compile + a few samples): for sharing out a budget.
/// Returns < 0 and sets `error` on failure.
double timeKernel(const KernelRequest &req, const std::string &target,
                  TuneShape shape, std::string &error);

/// Searches `req`'s schedule fields (its family's tuning space, Kernels.h
/// KernelFamily::tuningSpace) by coordinate descent (each knob in
/// turn over its values, keeping the best; repeated while it improves),
/// then random points of the whole space (a better one restarts the
/// descent), within `budgetSeconds` of wall time (compilation included). `log`
/// gets one line per candidate when set. Returns false and sets `error` when
/// the default itself cannot be compiled or run.
bool tuneKernel(const KernelRequest &req, const std::string &target,
                TuneShape shape, double budgetSeconds, TuneResult &result,
                std::string &error,
                const std::function<void(const std::string &)> &log = {});

} // namespace bert::cpu

#endif // BERT_COMPILER_BACKEND_CPU_KERNELTUNER_H
