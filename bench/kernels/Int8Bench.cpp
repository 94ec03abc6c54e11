//===- Int8Bench.cpp - int8 linear schedules timed side by side -----------===//
//
// Not a test: the tuning tool behind LinearInt8.cpp's schedule (as
// bert-gemm-variants is for the f32 linear). Every variant of the command
// line is compiled (JIT, HL_NUM_THREADS threads) on the same X and W, then
// timed in interleaved samples (A B C A B C ...), so a slow spell of a shared
// machine falls on every variant alike; the table gives each variant's
// median and minimum per call and GOP/s (2MNK / median).
//
//   bert-int8-bench M N K ROWSxCOLSxKUNROLLxROWS_PER_TASK... [--target T]
//                   [--samples S] [--asm DIR] [--cpu-time] [--gelu]
//   e.g. bert-int8-bench 128 768 3072 8x48x4x128 12x32x4x128
//
// A variant RxCxUxT+amxMCxNC is the AMX-INT8 kernel (LinearAMXInt8.cpp):
// TDPBUSD blocks in tasks of MC x NC outputs, RxCxUxT its VPDPBUSD tile for
// M < 16 and its panel width C; it needs an AMX target (--target host on
// an AMX CPU, or x86-64-amx), e.g. against the VNNI kernel on the same
// panels: bert-int8-bench 128 768 3072 8x48x4x128 8x48x4x128+amx128x64
//
// --gelu adds the erf GELU epilogue (the first feed-forward linear's), whose
// cost against the int8 dot products is 4x its share in the f32 kernel.
// --asm DIR writes each variant's Halide statement and assembly
// (DIR/vI.{stmt,s}): the inner loop should be one VPDPBUSD per accumulator
// and k-quad on AVX512-VNNI targets.
//===----------------------------------------------------------------------===//

#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "compiler/backend/cpu/kernels/Kernels.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

using namespace Halide;
namespace cpu = bert::cpu;

namespace {

/// Wall time, or with --cpu-time the process's CPU time (all threads): on
/// a machine shared with other work, the time this process was descheduled
/// does not count (cache pollution by the others still does).
bool cpuTime = false;

double nowMs() {
  if (cpuTime) {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
  }
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Variant {
  std::string name;
  cpu::GemmSchedule sched;
  cpu::Kernel kernel;
  std::vector<int8_t> wq;
  std::vector<double> ms;
};

int usage() {
  std::fprintf(stderr, "usage: bert-int8-bench M N K RxCxUxT[+amxMCxNC]... "
                       "[--target T] "
                       "[--samples S] [--asm DIR] [--cpu-time] [--gelu]\n");
  return 1;
}

} // namespace

int run(int argc, char **argv);

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bert-int8-bench: %s\n", e.what());
    return 1;
  }
}

int run(int argc, char **argv) {
  if (argc < 5)
    return usage();
  const int M = std::atoi(argv[1]), N = std::atoi(argv[2]),
            K = std::atoi(argv[3]);
  std::string target = "host", asmDir;
  int samples = 21;
  std::vector<std::string> specs;
  cpu::Activation act = cpu::Activation::None;
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--target" && i + 1 < argc)
      target = argv[++i];
    else if (a == "--samples" && i + 1 < argc)
      samples = std::max(1, std::atoi(argv[++i]));
    else if (a == "--gelu")
      act = cpu::Activation::Gelu;
    else if (a == "--cpu-time")
      cpuTime = true;
    else if (a == "--asm" && i + 1 < argc)
      asmDir = argv[++i];
    else
      specs.push_back(a);
  }
  if (M <= 0 || N <= 0 || K <= 0 || specs.empty())
    return usage();
  Target t = cpu::parseTarget(target);
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> x(size_t(M) * K), w(size_t(N) * K), b(N), y(size_t(M) * N);
  for (std::vector<float> *v : {&x, &w, &b})
    for (float &f : *v)
      f = dist(gen);
  cpu::LinearSpec spec{N, K, act, true, false, false, false, true};
  std::vector<Variant> vars;
  for (const std::string &s : specs) {
    long r = 0, c = 0, u = 0, task = 0, mc = 0, nc = 0;
    const int fields = std::sscanf(s.c_str(), "%ldx%ldx%ldx%ld+amx%ldx%ld", &r,
                                   &c, &u, &task, &mc, &nc);
    if (fields != 4 && fields != 6) {
      std::fprintf(stderr,
                   "bert-int8-bench: variant '%s' is not "
                   "ROWSxCOLSxKUNROLLxROWS_PER_TASK\n",
                   s.c_str());
      return 1;
    }
    Variant v;
    v.name = s;
    v.sched.vectorWidth = t.natural_vector_size<float>();
    v.sched.rows = r, v.sched.cols = c, v.sched.kUnroll = u;
    v.sched.rowsPerTask = task;
    if (fields == 6) {
      if (!t.has_feature(Target::AVX512_SapphireRapids) ||
          !cpu::requestAMXState()) {
        std::fprintf(stderr,
                     "bert-int8-bench: variant '%s' needs an AMX "
                     "target and CPU\n",
                     s.c_str());
        return 1;
      }
      cpu::AmxSchedule a;
      a.rowsPerTask = mc, a.colsPerTask = nc, a.dotRows = r, a.dotCols = c;
      a.dotKUnroll = u, a.dotRowsPerTask = task;
      a.vectorWidth = v.sched.vectorWidth;
      v.kernel = cpu::buildLinearInt8Amx(spec, a, t);
    } else {
      v.kernel = cpu::buildLinearInt8(spec, v.sched, t);
    }
    if (!asmDir.empty())
      cpu::emitStmtAndAssembly(v.kernel, "v" + std::to_string(vars.size()), t,
                               asmDir + "/v" + std::to_string(vars.size()));
    cpu::Int8Layout l = cpu::linearInt8Layout(spec, v.sched);
    v.wq.resize(size_t(l.bytes));
    cpu::packLinearWeightsInt8(w.data(), l, v.wq.data());
    std::vector<halide_dimension_t> wd = l.dims();
    int8_t *tail = v.wq.data() + l.scaleOffset;
    halide_dimension_t xd[2] = {{0, K, 1}, {0, M, K}}, nd[1] = {{0, N, 1}};
    v.kernel.inputs[0].set(Buffer<float>(x.data(), 2, xd));
    v.kernel.inputs[1].set(
        Buffer<int8_t>(v.wq.data(), int(wd.size()), wd.data()));
    v.kernel.inputs[2].set(
        Buffer<float>(reinterpret_cast<float *>(tail), 1, nd));
    v.kernel.inputs[3].set(
        Buffer<int32_t>(reinterpret_cast<int32_t *>(tail + 4 * N), 1, nd));
    v.kernel.inputs[4].set(Buffer<float>(b.data(), 1, nd));
    v.kernel.pipeline.compile_jit(t);
    vars.push_back(std::move(v));
  }
  halide_dimension_t yd[2] = {{0, N, 1}, {0, M, N}};
  Buffer<float> out(y.data(), 2, yd);
  // Calls per sample: about 20 ms of the first variant.
  double t0 = nowMs();
  for (int i = 0; i < 5; ++i)
    vars[0].kernel.pipeline.realize(out, t);
  const int iters = std::max(1, int(20.0 / ((nowMs() - t0) / 5)));
  for (Variant &v : vars)
    for (int i = 0; i < iters; ++i)
      v.kernel.pipeline.realize(out, t);
  for (int s = 0; s < samples; ++s)
    for (Variant &v : vars) {
      double a = nowMs();
      for (int i = 0; i < iters; ++i)
        v.kernel.pipeline.realize(out, t);
      v.ms.push_back((nowMs() - a) / iters);
    }
  std::printf("int8 linear M=%d N=%d K=%d, target %s, %d samples x %d calls, "
              "interleaved, %s\n",
              M, N, K, t.to_string().c_str(), samples, iters,
              cpuTime ? "process CPU time" : "wall time");
  for (Variant &v : vars) {
    std::sort(v.ms.begin(), v.ms.end());
    double med = v.ms[v.ms.size() / 2];
    std::printf("  %-16s median %8.4f ms  min %8.4f ms  %6.0f GOP/s (median) "
                "%6.0f (min)\n",
                v.name.c_str(), med, v.ms[0], 2e-6 * M * N * K / med,
                2e-6 * M * N * K / v.ms[0]);
  }
  return 0;
}
