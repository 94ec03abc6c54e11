//===- TargetInfo.h - machine descriptions for schedule choice --*- C++ -*-===//
//
// The few facts about a machine that `bert-tile` reasons with: how wide a
// vector is, how many vector registers hold a register tile, how many FMA
// pipes and cores there are, and how large each cache level is; for CUDA the
// SM version, warp size and per-block limits. Named presets describe the
// targets we ship schedules for; `host` is detected when the pass runs.
//
// This is a description for strategy code only: nothing here drives code
// generation directly (the backends read the resulting #bert.schedule).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_PASSES_TARGETINFO_H
#define BERT_PASSES_TARGETINFO_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::bert {

/// Instruction-set family: decides which strategy table a kernel uses.
enum class TargetISA { CPU, CUDA };

/// A machine description. Sizes are bytes; vector widths are f32 lanes.
struct TargetInfo {
  /// The name the schedule records in `target = "..."`.
  std::string name;
  TargetISA isa = TargetISA::CPU;

  /// f32 lanes of one vector register (CPU), or of the widest per-thread
  /// load (CUDA: 4, a 128-bit `ld.global.v4.f32`).
  int64_t vectorWidth = 4;
  /// Architectural vector registers (CPU: 16 ymm/xmm, 32 zmm), or the 32-bit
  /// registers one CUDA thread may use (255).
  int64_t numVectorRegs = 16;
  /// FMA pipes per core (CPU) or FP32 lanes per SM sub-partition (CUDA);
  /// with a 4-cycle FMA latency, 4 * fmaUnits independent accumulators keep
  /// every pipe busy.
  int64_t fmaUnits = 2;
  /// CPU: physical cores (threads we schedule). CUDA: streaming processors.
  int64_t cores = 1;
  /// Per-core L1 data and L2, and the shared L3 (CPU); per-SM L1/shared
  /// memory and the device L2 (CUDA; l3Bytes = 0).
  int64_t l1Bytes = 32 * 1024;
  int64_t l2Bytes = 1024 * 1024;
  int64_t l3Bytes = 8 * 1024 * 1024;
  bool hasBF16 = false;
  bool hasAMX = false;

  // CUDA only (0 on CPUs).
  int64_t smVersion = 0;
  int64_t warpSize = 0;
  int64_t maxThreadsPerBlock = 0;
  /// Static shared memory one block may use without an opt-in (48 KiB on
  /// every SM since sm_20); schedules stay under it so launches never need
  /// cudaFuncSetAttribute.
  int64_t sharedMemPerBlock = 0;

  bool isGPU() const { return isa == TargetISA::CUDA; }
};

/// The names `lookupTarget` accepts, in the order error messages list them.
llvm::ArrayRef<llvm::StringRef> knownTargetNames();

/// Returns the preset called `name`, or `host` detected on this machine;
/// std::nullopt for an unknown name.
std::optional<TargetInfo> lookupTarget(llvm::StringRef name);

/// The machine the compiler runs on, detected with llvm::sys (see the
/// definition for the rules and the defaults used when detection fails).
TargetInfo detectHostTarget();

} // namespace mlir::bert

#endif // BERT_PASSES_TARGETINFO_H
