//===- BackendBench.cpp - timing harness for the Halide CPU kernels -------===//
//
// Not a test: prints GFLOP/s of `linear` at the BERT shapes and times of the
// other kernels, JIT-compiled for the host with the default schedules.
//   HL_NUM_THREADS=1 bert-backend-bench            # all kernels
//   ONLY=linear|linear-large|bf16|bf16-large|others|attention|
//        relative_attention
//   bert-backend-bench bert-backend-bench --emit DIR [target]         # AOT .o
//   + runtime + .stmt/.s
// ONLY=bf16 on AMX hosts also prints the TDPBF16PS peak of one core after
// each linear (AmxPeak.c). Tile overrides for linear: TILE_M, TILE_N, UNROLL,
// SPLIT environment vars; COLD=1 times linears with weights that come from
// DRAM, as in a model run; for attention (ONLY=attention): TILE_M (queries per
// task), TILE_N (key tile).
// CPU_TIME=1: samples in process CPU time (a machine shared with others).
//===----------------------------------------------------------------------===//

#include "bench/BenchUtil.h"
#include "compiler/backend/cpu/kernels/Kernels.h"
#include "test/Backend/KernelDefaults.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <time.h>

using namespace bert;
namespace dflt = bert::cpu::defaults;
using bert::bench::filled;
using Halide::Buffer;

extern "C" double bert_amx_peak_gflops(long iters);

namespace {

double nowSec() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// CPU_TIME=1: samples in this process's CPU time instead of wall time. On a
/// shared machine whose other tenants hold the cores, the time this process
/// waited for a core is then left out (at 1 thread, HL_NUM_THREADS=1, it is
/// the kernel's own time; at more threads, the sum over threads).
double sampleSec() {
  static const bool cpu = getenv("CPU_TIME") && atoi(getenv("CPU_TIME"));
  if (!cpu)
    return nowSec();
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

/// Median and best seconds per call over 9 samples of `iters` calls.
std::pair<double, double> timeIt(const std::function<void()> &fn, double work) {
  fn();
  int iters = std::max(2, int(0.05 / std::max(work, 1e-6)));
  std::vector<double> s;
  for (int rep = 0; rep < 9; ++rep) {
    double t0 = sampleSec();
    for (int i = 0; i < iters; ++i)
      fn();
    s.push_back((sampleSec() - t0) / iters);
  }
  std::sort(s.begin(), s.end());
  return {s[s.size() / 2], s.front()};
}

int envInt(const char *n) { return getenv(n) ? atoi(getenv(n)) : 0; }

/// Binds X (M x K), the weights `w` in the kernel's layout and a bias to a
/// linear kernel, JIT-compiles it and prints its GFLOP/s after `label`.
/// COLD=1: every call reads a different copy of the weights (copies
/// totalling >= 256 MiB), so they come from DRAM as in a model run, where
/// each layer's weights are read once per batch.
template <typename W>
void timeLinear(cpu::Kernel &k, const Halide::Target &t, int M, int N, int K,
                const Buffer<W> &w, const std::string &label) {
  auto x = filled<float>({K, M}, -1, 1);
  auto b = filled<float>({N}, -1, 1);
  Buffer<float> y(N, M);
  std::vector<Buffer<W>> copies{w};
  if (envInt("COLD"))
    while (copies.size() * w.size_in_bytes() < (256u << 20))
      copies.push_back(w.copy());
  k.inputs[0].set(x);
  k.inputs[1].set(w);
  k.inputs[2].set(b);
  double t0 = nowSec();
  k.pipeline.compile_jit(t);
  double jit = nowSec() - t0;
  const double flop = 2.0 * M * N * K;
  size_t next = 0;
  auto [med, best] = timeIt(
      [&] {
        k.inputs[1].set(copies[next++ % copies.size()]);
        k.pipeline.realize(y, t);
      },
      flop / 1e11);
  std::printf("%-12s M=%-5d N=%-5d K=%-5d  median %8.1f us  %7.1f GFLOP/s"
              "  best %7.1f GFLOP/s  (jit %.2fs)\n",
              label.c_str(), M, N, K, med * 1e6, flop / med * 1e-9,
              flop / best * 1e-9, jit);
}

/// The linear kernels' schedule overrides from the environment: TILE_M,
/// TILE_N (register tile), UNROLL (k unroll), SPLIT (rows per task).
cpu::GemmSchedule linearScheduleFromEnv(int N, const Halide::Target &t) {
  return dflt::gemm(N, t, envInt("TILE_M"), envInt("TILE_N"), envInt("UNROLL"),
                    envInt("SPLIT"));
}

void benchLinear(const Halide::Target &t, int M, int N, int K) {
  cpu::GemmSchedule sched = linearScheduleFromEnv(N, t);
  cpu::LinearSpec spec{N, K, cpu::Activation::None, true, false};
  cpu::Kernel k = cpu::buildLinear(spec, sched, t);
  cpu::PackedLayout l = cpu::linearPackedLayout(spec, sched);
  auto wp = filled<float>({int(l.nb), K, int(l.numPanels)}, -.05f, .05f);
  timeLinear(k, t, M, N, K, wp, "linear nb=" + std::to_string(l.nb));
}

/// bf16 linear (AMX on AMX hosts; NO_AMX=1 forces the dot-product path).
/// Overrides: linearScheduleFromEnv's (the dot-product tile, k-pair unroll),
/// COLS (AMX columns per task).
void benchLinearBF16(const Halide::Target &t, int M, int N, int K) {
  cpu::KernelSchedule sched = dflt::bf16(N, K, t);
  if (envInt("NO_AMX") != 0)
    sched = dflt::bf16Dot(N, t);
  if (auto *amx = std::get_if<cpu::AmxSchedule>(&sched)) {
    if (envInt("COLS"))
      amx->colsPerTask = envInt("COLS");
    if (envInt("SPLIT"))
      amx->rowsPerTask = envInt("SPLIT");
  } else {
    auto &dot = std::get<cpu::GemmSchedule>(sched);
    cpu::GemmSchedule env = linearScheduleFromEnv(N, t);
    dot.rows = envInt("TILE_M") ? env.rows : dot.rows;
    dot.cols = envInt("TILE_N") ? env.cols : dot.cols;
    dot.kUnroll = envInt("UNROLL") ? env.kUnroll : dot.kUnroll;
    dot.rowsPerTask =
        std::max(dot.rows, (envInt("SPLIT") ? envInt("SPLIT") : 64) / dot.rows *
                               dot.rows);
  }
  cpu::LinearSpec spec{N, K, cpu::Activation::None, true, false, false, true};
  cpu::Kernel k = cpu::buildLinearBF16(spec, sched, t);
  cpu::BF16Layout l = cpu::linearBF16Layout(spec, sched, t);
  // 64-byte aligned, as the runtime allocates it: AMX tile rows that
  // straddle cache lines load at half speed.
  Buffer<Halide::bfloat16_t> wmem(int(l.numElements()));
  wmem.fill(Halide::bfloat16_t(0.01f));
  std::vector<halide_dimension_t> wdims = l.dims();
  Buffer<Halide::bfloat16_t> wb(wmem.data(), int(wdims.size()), wdims.data());
  timeLinear(k, t, M, N, K, wb, "linear bf16");
  // The tile peak of one core right after (AMX schedules only): a loaded
  // machine moves both alike, so their ratio is the figure to read.
  if (std::holds_alternative<cpu::AmxSchedule>(sched))
    std::printf("%-12s TDPBF16PS peak of one core now: %7.1f GFLOP/s\n", "",
                bert_amx_peak_gflops(2000000));
}

/// Fused attention at BERT-base heads (H=768, 12 x d=64). Flops count the
/// two GEMMs only: 4 * B * S^2 * H. Tile overrides: TILE_M (queries per
/// task), TILE_N (key tile); BF16=1: the bf16-operand kernel.
void benchAttention(const Halide::Target &t) {
  const int H = 768, heads = 12, d = H / heads;
  cpu::AttentionSchedule sched =
      dflt::attention(t, envInt("TILE_M"), envInt("TILE_N"));
  cpu::Kernel k =
      cpu::buildAttention({H, heads, 0.f, envInt("BF16") != 0}, sched, t);
  double t0 = nowSec();
  k.pipeline.compile_jit(t);
  double jit = nowSec() - t0;
  for (auto [B, S] : {std::pair{1, 128}, {8, 128}, {1, 512}}) {
    Buffer<float> qkv = filled<float>({d, heads, 3, S, B}, -1, 1);
    Buffer<int32_t> mask(S, B);
    mask.fill(1);
    Buffer<float> y(d, heads, S, B);
    k.inputs[0].set(qkv), k.inputs[1].set(mask);
    const double flop = 4.0 * B * heads * S * S * d;
    auto [med, best] = timeIt([&] { k.pipeline.realize(y, t); }, flop / 5e10);
    std::printf("attention B=%d S=%-4d H=%d  median %8.1f us  %6.1f GFLOP/s"
                "  best %8.1f us  %6.1f GFLOP/s  (jit %.2fs)\n",
                B, S, H, med * 1e6, flop / med * 1e-9, best * 1e6,
                flop / best * 1e-9, jit);
  }
}

/// XLNet's relative attention core and its sinusoids at xlnet-base heads
/// (H=768, 12 x d=64). Flops count the three products (content and
/// position scores, P.V): 6 * B * S^2 * H. TILE_M: queries per task.
void benchRelativeAttention(const Halide::Target &t) {
  const int H = 768, heads = 12;
  cpu::AttentionSchedule sched = dflt::attention(t, envInt("TILE_M"), 0);
  cpu::Kernel k = cpu::buildRelativeAttention({H, heads}, sched, t);
  cpu::Kernel pos = cpu::buildRelativePositions({H, -1}, dflt::rows(t), t);
  k.pipeline.compile_jit(t);
  pos.pipeline.compile_jit(t);
  for (auto [B, S] : {std::pair{1, 128}, {8, 128}, {1, 512}}) {
    Buffer<float> qkv = filled<float>({3 * H, S, B}, -1, 1),
                  kr = filled<float>({H, 2 * S}, -1, 1);
    Buffer<int32_t> mask(S, B), types(S, B);
    mask.fill(1);
    types.fill(0);
    Buffer<float> bias = filled<float>({H}, -.5f, .5f),
                  seg = filled<float>({H, 2}, -.5f, .5f),
                  y(H / heads, heads, S, B);
    k.inputs[0].set(qkv), k.inputs[1].set(kr), k.inputs[2].set(mask);
    k.inputs[3].set(types), k.inputs[7].set(seg);
    for (int i = 4; i < 7; ++i)
      k.inputs[i].set(bias);
    const double flop = 6.0 * B * S * S * H;
    auto [med, best] = timeIt([&] { k.pipeline.realize(y, t); }, flop / 5e10);
    pos.inputs[0].set(mask);
    auto [posMed, posBest] =
        timeIt([&] { pos.pipeline.realize(kr, t); }, 2.0 * S * H * 1e-8);
    std::printf("relative_attention B=%d S=%-4d H=%d  median %8.1f us  %6.1f "
                "GFLOP/s  best %6.1f GFLOP/s  (queries %d); "
                "relative_positions median %7.1f us\n",
                B, S, H, med * 1e6, flop / med * 1e-9, flop / best * 1e-9,
                int(sched.queriesPerTask), posMed * 1e6);
  }
}

void benchOthers(const Halide::Target &t) {
  const int H = 768;
  for (int M : {128, 1024}) {
    cpu::Kernel k = cpu::buildLayerNorm({H, 1e-12f, true}, dflt::rows(t), t);
    auto x = filled<float>({H, M}, -1, 1), r = filled<float>({H, M}, -1, 1);
    auto g = filled<float>({H}, 0, 1), be = filled<float>({H}, 0, 1);
    Buffer<float> y(H, M);
    k.inputs[0].set(x), k.inputs[1].set(r), k.inputs[2].set(g),
        k.inputs[3].set(be);
    auto [med, best] = timeIt([&] { k.pipeline.realize(y, t); }, M * H * 1e-9);
    std::printf(
        "layer_norm+res M=%-5d H=%d  median %8.1f us  (%.1f GB/s moved)\n", M,
        H, med * 1e6, 3.0 * M * H * 4 / med * 1e-9);
  }
  benchAttention(t);
  {
    const int B = 8, S = 128, V = 30522, P = 512;
    cpu::Kernel k =
        cpu::buildEmbeddings({H, V, P, 2, 0, 1e-12f}, dflt::rows(t), t);
    Buffer<int32_t> ids(S, B), tt(S, B);
    ids.for_each_element(
        [&](int s, int b) { ids(s, b) = (s * 131 + b * 7) % V; });
    tt.fill(0);
    auto w = filled<float>({H, V}, -1, 1), p = filled<float>({H, P}, -1, 1),
         ty = filled<float>({H, 2}, -1, 1), g = filled<float>({H}, 0, 1),
         be = filled<float>({H}, 0, 1);
    Buffer<float> y(H, S, B);
    k.inputs[0].set(ids), k.inputs[1].set(tt), k.inputs[2].set(w),
        k.inputs[3].set(p);
    k.inputs[4].set(ty), k.inputs[5].set(g), k.inputs[6].set(be);
    auto [med, best] =
        timeIt([&] { k.pipeline.realize(y, t); }, B * S * H * 1e-9);
    std::printf("embeddings B=%d S=%d H=%d  median %8.1f us\n", B, S, H,
                med * 1e6);
  }
}

void emitAll(const std::string &dir, const Halide::Target &t) {
  auto emit = [&](const cpu::Kernel &k, const std::string &fn) {
    double t0 = nowSec();
    cpu::compileToObject(k, fn, t, dir + "/" + fn + ".o");
    double t1 = nowSec();
    cpu::emitStmtAndAssembly(k, fn, t, dir + "/" + fn);
    std::printf("%-28s AOT %.2fs  -> %s/%s.{o,stmt,s}\n", fn.c_str(), t1 - t0,
                dir.c_str(), fn.c_str());
  };
  // ONLY=relative_attention: XLNet's two kernels alone.
  const bool xlnetOnly =
      getenv("ONLY") && std::string(getenv("ONLY")) == "relative_attention";
  if (!xlnetOnly) {
    emit(cpu::buildLinear({768, 768, cpu::Activation::None, true, true},
                          dflt::gemm(768, t), t),
         "bert_linear_768x768_res");
    emit(cpu::buildLinear({3072, 768, cpu::Activation::Gelu, true, false},
                          dflt::gemm(3072, t), t),
         "bert_linear_3072x768_gelu");
    emit(cpu::buildLayerNorm({768, 1e-12f, true}, dflt::rows(t), t),
         "bert_layer_norm_768");
    emit(cpu::buildAttention({768, 12, 0.f}, dflt::attention(t), t),
         "bert_attention_768_12");
    emit(cpu::buildAttention({768, 12, 0.f, true}, dflt::attention(t), t),
         "bert_attention_768_12_bf16");
    emit(
        cpu::buildEmbeddings({768, 30522, 512, 2, 0, 1e-12f}, dflt::rows(t), t),
        "bert_embeddings");
    emit(cpu::buildPooler({768}, dflt::gemm(768, t), t), "bert_pooler");
  }
  emit(cpu::buildRelativeAttention({768, 12}, dflt::attention(t), t),
       "xlnet_relative_attention_768_12");
  emit(cpu::buildRelativePositions({768, -1}, dflt::rows(t), t),
       "xlnet_relative_positions_768");
  cpu::compileRuntime(t, dir + "/halide_runtime.o");
  std::printf("runtime -> %s/halide_runtime.o\n", dir.c_str());
}

} // namespace

int main(int argc, char **argv) {
  if (argc >= 3 && std::string(argv[1]) == "--emit") {
    emitAll(argv[2], cpu::parseTarget(argc > 3 ? argv[3] : "host"));
    return 0;
  }
  cpu::requestAMXState(); // for the bf16 kernels on AMX hosts
  Halide::Target t = cpu::parseTarget("host");
  std::printf("# target %s threads %s\n", t.to_string().c_str(),
              getenv("HL_NUM_THREADS") ? getenv("HL_NUM_THREADS") : "default");
  const char *only = getenv("ONLY");
  if (!only || std::string(only) == "linear")
    for (int M : {128, 1024})
      for (auto [N, K] :
           {std::pair{768, 768}, {2304, 768}, {3072, 768}, {768, 3072}})
        benchLinear(t, M, N, K);
  if (!only || std::string(only) == "bf16")
    for (int M : {128, 1024})
      for (auto [N, K] :
           {std::pair{768, 768}, {2304, 768}, {3072, 768}, {768, 3072}})
        benchLinearBF16(t, M, N, K);
  if (only && std::string(only) == "linear-large") // bert-large's shapes
    for (int M : {128, 1024})
      for (auto [N, K] :
           {std::pair{1024, 1024}, {3072, 1024}, {4096, 1024}, {1024, 4096}})
        benchLinear(t, M, N, K);
  if (only && std::string(only) == "bf16-large")
    for (int M : {128, 1024})
      for (auto [N, K] :
           {std::pair{1024, 1024}, {3072, 1024}, {4096, 1024}, {1024, 4096}})
        benchLinearBF16(t, M, N, K);
  if (!only || std::string(only) == "others")
    benchOthers(t);
  else if (std::string(only) == "attention")
    benchAttention(t);
  else if (std::string(only) == "relative_attention") {
    try {
      benchRelativeAttention(t);
    } catch (const Halide::Error &e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
  }
  return 0;
}
