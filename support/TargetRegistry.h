//===- TargetRegistry.h - the one table of compilation targets --*- C++ -*-===//
//
// Every target bertc knows, in one table: its name (what `--target` and the
// schedules' `target = "..."` say), the backend that compiles for it, the
// Halide target string the CPU kernels are compiled with, and the few
// machine facts the tile strategies reason with: vector width, vector
// registers, FMA pipes, cores, cache sizes, bf16 and AMX; for CUDA the SM
// version, warp size and per-block limits. The driver, the strategies and
// the Halide side all read this table; `host` is detected on this machine.
//
// The header is plain C++ (no MLIR, no Halide) so that both sides of the
// CPU backend can include it.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_SUPPORT_TARGETREGISTRY_H
#define BERT_SUPPORT_TARGETREGISTRY_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::bert {

/// Instruction-set family: decides which strategy table a kernel uses.
enum class TargetISA { CPU, CUDA };

/// A machine description. Sizes are bytes; vector widths are f32 lanes.
struct TargetInfo {
  /// The name the schedule records in `target = "..."`.
  std::string name;
  /// One line for --help and error messages.
  std::string summary;
  TargetISA isa = TargetISA::CPU;
  /// The backend that compiles for this target ("cpu", "cuda").
  std::string backend = "cpu";
  /// CPU: the Halide target string the kernels are compiled for ("host":
  /// Halide's own detection of this machine).
  std::string halideTarget;

  /// f32 lanes of one vector register (CPU), or of the widest per-thread
  /// load (CUDA: 4, a 128-bit `ld.global.v4.f32`).
  int64_t vectorWidth = 4;
  /// Architectural vector registers (CPU: 16 ymm/xmm, 32 zmm), or the 32-bit
  /// registers one CUDA thread may use (255).
  int64_t numVectorRegs = 16;
  /// CPU: FMAs of vectorWidth lanes the core starts per cycle (2 on
  /// Sapphire Rapids and Zen 5, 1 on Zen 4, which splits a zmm FMA over its
  /// two 256-bit pipes); CUDA: FP32 lanes per SM sub-partition.
  int64_t fmaUnits = 2;
  /// CPU: cycles from an FMA to one that depends on it. A register tile
  /// needs fmaLatency * fmaUnits independent accumulators to keep every
  /// pipe busy (fmaChains()).
  int64_t fmaLatency = 4;
  /// CPU: fmaUnits and fmaLatency were measured on this machine
  /// (support/FmaProbe.h; `host`), or are the preset's class figures. False
  /// for a `host` the probe could not measure, which then takes the
  /// conservative AVX-512 server figures (4 cycles, 2 pipes).
  bool fmaMeasured = false;
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
  /// Independent FMA chains that keep the CPU's FMA pipes busy.
  int64_t fmaChains() const { return fmaLatency * fmaUnits; }
};

/// The target `cuda` names (a synonym, like `cpu` for `host`).
extern const std::string kDefaultCudaTarget;

/// Every target, in the order messages list them (`host` first).
const std::vector<TargetInfo> &targetRegistry();

/// The names `lookupTarget` accepts, in registry order, with `cpu` (a
/// synonym of `host`) after `host` and `cuda` after its target:
/// "host, cpu, x86-64-avx512, ..., cuda-sm90, cuda".
/// With `backend` set, only that backend's targets.
std::string knownTargetNames(const std::string &backend = "");

/// The target called `name` (`host` and `cpu` detected on this machine);
/// std::nullopt for an unknown name.
std::optional<TargetInfo> lookupTarget(const std::string &name);

/// The machine the compiler runs on, detected with llvm::sys (see the
/// definition for the rules and the defaults used when detection fails).
TargetInfo detectHostTarget();

} // namespace mlir::bert

#endif // BERT_SUPPORT_TARGETREGISTRY_H
