//===- FmaProbe.cpp - the core's FMA latency and pipes, measured ----------===//
//
// Three loops in inline assembly, so that no compiler reorders, vectorizes
// or folds them: a chain of dependent integer adds (the cycle), a chain of
// dependent FMAs (latency) and 14 independent FMA chains (pipes; enough for
// latency x pipes up to 14, twice what any x86 core needs today). The
// assembly is only assembled, not enabled by compiler flags, so a generic
// x86-64 build carries it and runs it only where the caller found the
// instructions. Each loop runs several times, interleaved, and the fastest
// run counts: another process preempting one run makes it slower, never
// faster.
//
//===----------------------------------------------------------------------===//

#include "support/FmaProbe.h"

#include <algorithm>
#include <chrono>
#include <cmath>

using namespace mlir::bert;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

namespace {

constexpr int64_t kAddIters = 100000;    // x 16 adds: ~1.6 M cycles
constexpr int64_t kLatencyIters = 25000; // x 16 FMAs x latency
constexpr int64_t kPipeIters = 50000;    // x 28 FMAs / pipes
constexpr int kRuns = 11;
constexpr int kChains = 14;

// clang-format off
#define BERT_XMM_CLOBBERS                                                      \
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",      \
  "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc"

// Zeroing through the xmm form clears the whole zmm/ymm register and needs
// only AVX, so the FMAs multiply zeros: no denormal or NaN assists.
#define BERT_ZERO(i) "vxorps %%xmm" #i ", %%xmm" #i ", %%xmm" #i "\n\t"
#define BERT_FMA(R, i) "vfmadd231ps %%" R "14, %%" R "15, %%" R #i "\n\t"
#define BERT_FMA14(R)                                                          \
  BERT_FMA(R, 0) BERT_FMA(R, 1) BERT_FMA(R, 2) BERT_FMA(R, 3) BERT_FMA(R, 4)   \
  BERT_FMA(R, 5) BERT_FMA(R, 6) BERT_FMA(R, 7) BERT_FMA(R, 8) BERT_FMA(R, 9)   \
  BERT_FMA(R, 10) BERT_FMA(R, 11) BERT_FMA(R, 12) BERT_FMA(R, 13)
#define BERT_ZERO16                                                            \
  BERT_ZERO(0) BERT_ZERO(1) BERT_ZERO(2) BERT_ZERO(3) BERT_ZERO(4)             \
  BERT_ZERO(5) BERT_ZERO(6) BERT_ZERO(7) BERT_ZERO(8) BERT_ZERO(9)             \
  BERT_ZERO(10) BERT_ZERO(11) BERT_ZERO(12) BERT_ZERO(13) BERT_ZERO(14)        \
  BERT_ZERO(15)
// clang-format on

/// 16 dependent register-register adds per iteration: 16 cycles on every
/// x86 core. (Not `add $1`: Golden Cove and later fold immediate adds at
/// rename, several per cycle.)
__attribute__((noinline)) void addChain(int64_t iters) {
  uint64_t x = 0, one = 1;
  asm volatile("1:\n\t.rept 16\n\tadd %2, %0\n\t.endr\n\t"
               "dec %1\n\tjnz 1b"
               : "+r"(x), "+r"(iters)
               : "r"(one)
               : "cc");
}

// 16 dependent FMAs per iteration; then 2 x 14 independent ones. vzeroupper
// afterwards, so later SSE code pays no transition penalty.
#define BERT_PROBE_LOOPS(R, suffix)                                            \
  __attribute__((noinline)) void latency##suffix(int64_t iters) {              \
    asm volatile(BERT_ZERO16 "1:\n\t.rept 16\n\t"                              \
                             "vfmadd231ps %%" R "15, %%" R "14, %%" R "0\n\t"  \
                             ".endr\n\tdec %0\n\tjnz 1b\n\tvzeroupper"         \
                 : "+r"(iters)                                                 \
                 :                                                             \
                 : BERT_XMM_CLOBBERS);                                         \
  }                                                                            \
  __attribute__((noinline)) void pipes##suffix(int64_t iters) {                \
    asm volatile(BERT_ZERO16 "1:\n\t" BERT_FMA14(R)                            \
                     BERT_FMA14(R) "dec %0\n\tjnz 1b\n\tvzeroupper"            \
                 : "+r"(iters)                                                 \
                 :                                                             \
                 : BERT_XMM_CLOBBERS);                                         \
  }
BERT_PROBE_LOOPS("zmm", Zmm)
BERT_PROBE_LOOPS("ymm", Ymm)

double secondsOf(void (*loop)(int64_t), int64_t iters) {
  auto t0 = std::chrono::steady_clock::now();
  loop(iters);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

} // namespace

FmaFacts mlir::bert::probeFma(int64_t lanes) {
  if (lanes != 16 && lanes != 8)
    return {};
  void (*latency)(int64_t) = lanes == 16 ? latencyZmm : latencyYmm;
  void (*pipes)(int64_t) = lanes == 16 ? pipesZmm : pipesYmm;
  double add = 1e30, lat = 1e30, thr = 1e30;
  // A first untimed round raises the clock and, on cores that power the
  // upper vector lanes on demand, wakes them.
  pipes(kPipeIters);
  for (int run = 0; run < kRuns; ++run) {
    add = std::min(add, secondsOf(addChain, kAddIters));
    lat = std::min(lat, secondsOf(latency, kLatencyIters));
    thr = std::min(thr, secondsOf(pipes, kPipeIters));
  }
  double cycle = add / (16.0 * kAddIters);
  double latencyCycles = lat / cycle / (16.0 * kLatencyIters);
  double perCycle = 2.0 * kChains * kPipeIters / (thr / cycle);
  FmaFacts f;
  f.latency = std::lround(latencyCycles);
  f.pipes = std::lround(perCycle);
  // Outside these bounds the timing was disturbed (or the core is one no
  // schedule here was reasoned for): report nothing rather than a guess.
  f.measured = f.latency >= 2 && f.latency <= 8 && f.pipes >= 1 &&
               f.pipes <= 4 && f.latency * f.pipes <= kChains;
  if (!f.measured)
    f = {};
  return f;
}

#else

FmaFacts mlir::bert::probeFma(int64_t) { return {}; }

#endif
