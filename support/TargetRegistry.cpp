//===- TargetRegistry.cpp - target presets and host detection -------------===//
//
// The presets are representative machines, not exact SKUs: a schedule chosen
// for `x86-64-avx512` must run well on any AVX-512 server core, so the preset
// takes the conservative value of each fact (the smaller cache, no bf16/AMX,
// which not every AVX-512 part has). `host` is what llvm::sys reports for the
// machine the compiler runs on; facts it cannot report fall back to the
// defaults documented on detectHostTarget().
//
//===----------------------------------------------------------------------===//

#include "support/TargetRegistry.h"
#include "support/FmaProbe.h"

#include "llvm/ADT/StringRef.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Threading.h"
#include "llvm/TargetParser/Host.h"

#include <fstream>

using namespace mlir::bert;

//===----------------------------------------------------------------------===//
// Presets
//===----------------------------------------------------------------------===//

/// An x86 preset: two FMA pipes of the preset's width with a 4-cycle latency
/// (Skylake-SP and Sapphire Rapids; the classes that differ say so); the
/// vector registers, cores and caches (L1d and L2 per core, L3 shared) given.
static TargetInfo x86Preset(const char *name, const char *summary,
                            const char *halideTarget, int64_t vectorWidth,
                            int64_t numVectorRegs, int64_t cores, int64_t l1KiB,
                            int64_t l2KiB, int64_t l3MiB) {
  TargetInfo t;
  t.name = name;
  t.summary = summary;
  t.halideTarget = halideTarget;
  t.vectorWidth = vectorWidth;
  t.numVectorRegs = numVectorRegs;
  t.fmaUnits = 2;
  t.fmaLatency = 4;
  t.fmaMeasured = true;
  t.cores = cores;
  t.l1Bytes = l1KiB * 1024;
  t.l2Bytes = l2KiB * 1024;
  t.l3Bytes = l3MiB * 1024 * 1024;
  return t;
}

/// Skylake-SP class: 32 zmm, two FMA pipes, 32 KiB L1d, 1 MiB L2 per core
/// (Ice Lake and Sapphire Rapids have more; schedules sized for the smaller
/// caches still fit there).
static TargetInfo avx512Preset() {
  return x86Preset(
      "x86-64-avx512", "AVX-512 server cores (Skylake-SP and later)",
      "x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-avx512_skylake",
      /*vectorWidth=*/16, /*numVectorRegs=*/32, /*cores=*/16, /*l1KiB=*/32,
      /*l2KiB=*/1024, /*l3MiB=*/22);
}

/// Zen 4 class: AVX-512 with AVX512-BF16 (VDPBF16PS), no AMX; one zmm FMA
/// per cycle (two 256-bit pipes take one zmm FMA together), 4 cycles.
static TargetInfo avx512BF16Preset() {
  TargetInfo t = avx512Preset();
  t.name = "x86-64-avx512-bf16";
  t.summary = "AVX-512 with AVX512-BF16, no AMX (Zen 4 class)";
  t.halideTarget = "x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-"
                   "avx512_skylake-avx512_cannonlake-avx512_zen4";
  t.hasBF16 = true;
  t.fmaUnits = 1;
  return t;
}

/// Zen 5 class (the newer EPYCs): Zen 4's features with two full 512-bit
/// FMA pipes, so twice its FMA limit per core; a host of this class is told
/// apart from Zen 4 only by the FMA probe.
static TargetInfo avx512BF16TwoPipePreset() {
  TargetInfo t = avx512BF16Preset();
  t.name = "x86-64-avx512-bf16-2fma";
  t.summary = "AVX-512 with AVX512-BF16, two 512-bit FMA pipes, no AMX "
              "(Zen 5 class)";
  t.fmaUnits = 2;
  return t;
}

/// Sapphire Rapids class: AVX512-BF16 and AMX tiles, 2 MiB L2 per core.
static TargetInfo amxPreset() {
  TargetInfo t = avx512BF16Preset();
  t.name = "x86-64-amx";
  t.summary = "AVX512-BF16 and AMX tiles (Sapphire Rapids class)";
  // (parseTarget adds avx512_zen4 to any target with sapphirerapids.)
  t.halideTarget += "-avx512_sapphirerapids";
  t.hasAMX = true;
  // Two zmm FMAs per cycle, 4 cycles: support/FmaProbe.h on a Sapphire
  // Rapids-class Xeon (KVM guest, 2026-12-05).
  t.fmaUnits = 2;
  t.l1Bytes = 48 * 1024;
  t.l2Bytes = 2 * 1024 * 1024;
  return t;
}

/// Haswell / Zen class: 16 ymm, two FMA pipes, 32 KiB L1d, 256 KiB L2; the
/// FMA latency of Haswell and Zen 2 (5 cycles; Skylake's 4 needs fewer
/// accumulators, so 5 covers both).
static TargetInfo avx2Preset() {
  TargetInfo t =
      x86Preset("x86-64-avx2", "AVX2 + FMA (Haswell / Zen class)",
                "x86-64-linux-sse41-avx-f16c-fma-avx2", /*vectorWidth=*/8,
                /*numVectorRegs=*/16, /*cores=*/8, /*l1KiB=*/32,
                /*l2KiB=*/256, /*l3MiB=*/8);
  t.fmaLatency = 5;
  return t;
}

/// A CUDA preset: the facts common to every one, and the given SM version,
/// SM count (cores), per-SM L1/shared memory and device L2.
static TargetInfo cudaPreset(const char *name, const char *summary,
                             int64_t smVersion, int64_t sms, int64_t l1KiB,
                             int64_t l2MiB) {
  TargetInfo t;
  t.name = name;
  t.summary = summary;
  t.isa = TargetISA::CUDA;
  t.backend = "cuda";
  t.vectorWidth = 4;     // float4 loads, 128 bits per thread
  t.numVectorRegs = 255; // 32-bit registers per thread
  t.fmaUnits = 16;       // FP32 lanes per SM sub-partition
  t.l3Bytes = 0;
  t.warpSize = 32;
  t.maxThreadsPerBlock = 1024;
  t.sharedMemPerBlock = 48 * 1024;
  t.hasBF16 = true;
  t.smVersion = smVersion;
  t.cores = sms;
  t.l1Bytes = l1KiB * 1024;
  t.l2Bytes = l2MiB * 1024 * 1024;
  return t;
}

/// A100: 108 SMs, 192 KiB L1/shared per SM, 40 MiB L2.
static TargetInfo cudaSM80Preset() {
  return cudaPreset("cuda-sm80", "NVIDIA Ampere (A100)", /*smVersion=*/80,
                    /*sms=*/108, /*l1KiB=*/192, /*l2MiB=*/40);
}

/// H100 SXM: 132 SMs, 256 KiB L1/shared per SM, 50 MiB L2.
static TargetInfo cudaSM90Preset() {
  return cudaPreset("cuda-sm90", "NVIDIA Hopper (H100, H200)",
                    /*smVersion=*/90, /*sms=*/132, /*l1KiB=*/256,
                    /*l2MiB=*/50);
}

//===----------------------------------------------------------------------===//
// Host detection
//===----------------------------------------------------------------------===//

/// Parses a sysfs cache size ("48K", "2048K", "300M"); 0 when malformed.
static int64_t parseCacheSize(llvm::StringRef text) {
  text = text.trim();
  int64_t scale = 1;
  if (text.consume_back("K"))
    scale = 1024;
  else if (text.consume_back("M"))
    scale = 1024 * 1024;
  int64_t value = 0;
  if (text.getAsInteger(10, value) || value <= 0)
    return 0;
  return value * scale;
}

static std::string readSmallFile(const std::string &path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// Reads cpu0's data/unified cache sizes from Linux sysfs. Levels that are
/// not readable (other OSes, containers hiding sysfs) keep their defaults.
static void readHostCaches(TargetInfo &t) {
  const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index";
  for (int index = 0; index < 8; ++index) {
    std::string base = dir + std::to_string(index) + "/";
    std::string level = readSmallFile(base + "level");
    std::string type = readSmallFile(base + "type");
    int64_t size = parseCacheSize(readSmallFile(base + "size"));
    if (level.empty() || size == 0 || type == "Instruction")
      continue;
    if (level == "1")
      t.l1Bytes = size;
    else if (level == "2")
      t.l2Bytes = size;
    else if (level == "3")
      t.l3Bytes = size;
  }
}

/// Detection rules:
/// - vector width from the features llvm::sys reports: avx512f -> 16 lanes
///   and 32 registers; avx2 + fma -> 8 lanes, 16 registers; NEON (AArch64)
///   -> 4 lanes, 32 registers; anything else SSE-class, 4 lanes, 16 registers.
/// - FMA pipes and latency at that width measured by support/FmaProbe.h,
///   once per process (Zen 4 and Zen 5, or AVX-512 SKUs with one or two
///   ports, report the same features); where it cannot measure (not x86,
///   no FMA), 4 cycles and 2 pipes, with fmaMeasured false.
/// - cores: physical cores (llvm::heavyweight_hardware_concurrency, which
///   counts physical cores where the OS says, hyperthreads add little to
///   FMA-bound kernels); at least 1.
/// - bf16 from avx512bf16 or amx-bf16; AMX from amx-tile.
/// - caches from sysfs (readHostCaches), else 32 KiB / 1 MiB / 8 MiB.
/// The registry's `host` entry: what it is before detection fills the facts
/// (Halide detects the machine on its side).
static TargetInfo hostEntry() {
  TargetInfo t;
  t.name = "host";
  t.summary = "this machine, features detected";
  t.halideTarget = "host";
  return t;
}

TargetInfo mlir::bert::detectHostTarget() {
  TargetInfo t = hostEntry();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto has = [&](llvm::StringRef f) { return features.lookup(f); };
  if (has("avx512f")) {
    t.vectorWidth = 16;
    t.numVectorRegs = 32;
  } else if (has("avx2") && has("fma")) {
    t.vectorWidth = 8;
    t.numVectorRegs = 16;
  } else if (has("neon")) {
    t.vectorWidth = 4;
    t.numVectorRegs = 32;
  } else {
    t.vectorWidth = 4;
    t.numVectorRegs = 16;
  }
  t.fmaUnits = 2;
  t.fmaLatency = 4;
  if (t.vectorWidth == 16 || (t.vectorWidth == 8 && has("fma"))) {
    // The probe takes ~10 ms; a process asks once.
    static const FmaFacts fma = probeFma(t.vectorWidth);
    if (fma.measured) {
      t.fmaUnits = fma.pipes;
      t.fmaLatency = fma.latency;
      t.fmaMeasured = true;
    }
  }
  t.hasBF16 = has("avx512bf16") || has("amx-bf16");
  t.hasAMX = has("amx-tile");
  t.cores = std::max<int64_t>(
      1, llvm::heavyweight_hardware_concurrency().compute_thread_count());
  readHostCaches(t);
  return t;
}

//===----------------------------------------------------------------------===//
// Lookup
//===----------------------------------------------------------------------===//

const std::vector<TargetInfo> &mlir::bert::targetRegistry() {
  static const std::vector<TargetInfo> registry = {
      hostEntry(),        avx512Preset(),
      avx512BF16Preset(), avx512BF16TwoPipePreset(),
      amxPreset(),        avx2Preset(),
      cudaSM80Preset(),   cudaSM90Preset()};
  return registry;
}

const std::string mlir::bert::kDefaultCudaTarget = "cuda-sm90";

std::string mlir::bert::knownTargetNames(const std::string &backend) {
  std::string s;
  for (const TargetInfo &t : targetRegistry()) {
    if (!backend.empty() && t.backend != backend)
      continue;
    s += (s.empty() ? "" : ", ") + t.name;
    if (t.name == "host")
      s += ", cpu";
    if (t.name == kDefaultCudaTarget)
      s += ", cuda";
  }
  return s;
}

std::optional<TargetInfo> mlir::bert::lookupTarget(const std::string &name) {
  // `cpu` is a synonym of `host` (the brief's `--target cpu`).
  if (name == "host" || name == "cpu")
    return detectHostTarget();
  // `cuda` is the newest SM preset (what `--target cuda` means).
  const std::string &wanted = name == "cuda" ? kDefaultCudaTarget : name;
  for (const TargetInfo &t : targetRegistry())
    if (t.name == wanted)
      return t;
  return std::nullopt;
}
