//===- FmaProbe.h - the core's FMA latency and pipes, measured --*- C++ -*-===//
//
// How many independent FMA chains a register tile needs to keep the core's
// FMA pipes busy is latency x pipes, and both differ between CPU classes that
// report the same features: Sapphire Rapids and the newer EPYCs issue two
// 512-bit FMAs per cycle, Zen 4 one (it splits a zmm FMA over its two 256-bit
// pipes). No feature flag says which, so the host's figures are measured,
// once per process, by timing short loops of FMAs against a chain of integer
// adds (one cycle each on every x86 core), so the result is in core cycles
// whatever the clock.
//
// Plain C++ (no MLIR, no Halide), like TargetRegistry.h.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_SUPPORT_FMAPROBE_H
#define BERT_SUPPORT_FMAPROBE_H

#include <cstdint>

namespace mlir::bert {

/// FMA facts of one vector width: `latency` cycles from one FMA to the next
/// that depends on it, `pipes` FMAs of this width started per cycle.
/// `measured` is false when the probe could not run (not x86-64, no FMA of
/// this width, or a result outside what any core does); the figures are 0.
struct FmaFacts {
  int64_t latency = 0, pipes = 0;
  bool measured = false;
};

/// Measures the FMA of `lanes` f32 lanes (16: zmm, 8: ymm) on the calling
/// core. The caller checks that the core has the instructions (avx512f for
/// 16 lanes, fma for 8); other widths are not measured. Takes ~10 ms.
FmaFacts probeFma(int64_t lanes);

} // namespace mlir::bert

#endif // BERT_SUPPORT_FMAPROBE_H
