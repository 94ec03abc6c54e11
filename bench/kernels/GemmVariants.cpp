//===- GemmVariants.cpp - linear schedule variants, timed side by side ----===//
//
// Not a test: the tool used to tune Linear.cpp's schedule and the gemm
// strategy (passes/TileStrategiesCPU.cpp). The machine is shared and noisy,
// so variants are compared in one process with interleaved samples
// (A B C A B C ...): a change in load hits every variant alike, and the
// minimum per call is the figure to compare.
//
//   bert-gemm-variants [--samples N] [--sample-ms MS] [--shape M,N,K]...
//                      [--sched rows,cols,k_unroll,rows_per_task]...
//
// Each --sched is one GemmSchedule (0 = the default of KernelDefaults.h for
// that knob; "default" = all zero); each --shape one problem (default: the BERT
// shapes at M = 1024). Threads: HL_NUM_THREADS. Prints, per shape and
// variant, the median and min ms per call and GFLOP/s at the min, and the
// min process CPU time per call (the figure least disturbed by other load
// at 1 thread).
//===----------------------------------------------------------------------===//

#include "bench/BenchUtil.h"
#include "compiler/backend/cpu/kernels/HalideCommon.h"
#include "compiler/backend/cpu/kernels/Kernels.h"
#include "test/Backend/KernelDefaults.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace Halide;
namespace cpu = bert::cpu;
namespace bench = bert::bench;

namespace {

/// CPU time of this process: on a shared machine, the time the kernel ran
/// rather than the time it waited for a core (at 1 thread; at T threads it
/// also counts the workers' idle spinning).
double cpuSec() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double nowSec() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Variant {
  std::string label;
  cpu::GemmSchedule sched;
  Callable fn;
  Buffer<float> wp;
  int iters = 1;
  std::vector<double> ms, cpuMs;
};

/// "rows,cols,k_unroll,rows_per_task" (0 or absent: the default of
/// test/Backend/KernelDefaults.h), or "default".
cpu::GemmSchedule parseSched(const std::string &s, int N,
                             const Halide::Target &t) {
  int v[4] = {0, 0, 0, 0};
  std::istringstream in(s == "default" ? "" : s);
  std::string tok;
  for (int i = 0; i < 4 && std::getline(in, tok, ','); ++i)
    v[i] = std::atoi(tok.c_str());
  return cpu::defaults::gemm(N, t, v[0], v[1], v[2], v[3]);
}

} // namespace

int main(int argc, char **argv) {
  int samples = 9;
  double sampleMs = 40;
  std::vector<std::string> scheds;
  std::vector<std::array<int, 3>> shapes;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--samples" && i + 1 < argc)
      samples = std::atoi(argv[++i]);
    else if (a == "--sample-ms" && i + 1 < argc)
      sampleMs = std::atof(argv[++i]);
    else if (a == "--sched" && i + 1 < argc)
      scheds.push_back(argv[++i]);
    else if (a == "--shape" && i + 1 < argc) {
      std::array<int, 3> s{};
      if (std::sscanf(argv[++i], "%d,%d,%d", &s[0], &s[1], &s[2]) != 3)
        return std::fprintf(stderr, "bad --shape %s\n", argv[i]), 2;
      shapes.push_back(s);
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--samples N] [--sample-ms MS] [--shape M,N,K]... "
          "[--sched rows,cols,k_unroll,rows_per_task|default]...\n",
          argv[0]);
      return 2;
    }
  }
  if (scheds.empty())
    scheds.push_back("default");
  if (shapes.empty())
    shapes = {{1024, 768, 768},
              {1024, 2304, 768},
              {1024, 3072, 768},
              {1024, 768, 3072}};
  Target t = cpu::parseTarget("host");
  double la[1] = {0};
  getloadavg(la, 1);
  std::printf(
      "# target %s, HL_NUM_THREADS=%s, load %.2f, %d samples x ~%.0f ms\n",
      t.to_string().c_str(), getenv("HL_NUM_THREADS") ?: "(all)", la[0],
      samples, sampleMs);
  for (auto [M, N, K] : shapes) {
    cpu::LinearSpec spec{N, K, cpu::Activation::None, false, false};
    Buffer<float> w(K, N), x(K, M), y(N, M);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1, 1);
    w.for_each_value([&](float &v) { v = 0.05f * u(rng); });
    x.for_each_value([&](float &v) { v = u(rng); });
    std::vector<Variant> vs;
    for (const std::string &s : scheds) {
      Variant v;
      v.label = s;
      v.sched = parseSched(s, N, t);
      try {
        cpu::Kernel k = cpu::buildLinear(spec, v.sched, t);
        v.fn = k.pipeline.compile_to_callable(k.args, t);
      } catch (const Halide::Error &e) {
        return std::fprintf(stderr, "%s: %s\n", s.c_str(), e.what()), 1;
      }
      cpu::PackedLayout l = cpu::linearPackedLayout(spec, v.sched);
      v.wp = Buffer<float>(int(l.nb), K, int(l.numPanels));
      cpu::packLinearWeights(w.data(), l, v.wp.data());
      // Correctness first: a few dot products against the plain loop.
      if (v.fn(x, v.wp, y) != 0)
        return std::fprintf(stderr, "%s failed\n", s.c_str()), 1;
      double err = bench::linearSpotError(x, w, y, M, N, K, 32, rng);
      if (err > 1e-3)
        return std::fprintf(stderr, "%s: max|err| %g\n", s.c_str(), err), 1;
      double t0 = nowSec();
      int n = 0;
      while (n < 2 || nowSec() - t0 < 0.1)
        v.fn(x, v.wp, y), ++n;
      v.iters = std::max(1, int(sampleMs * 1e-3 * n / (nowSec() - t0)));
      vs.push_back(std::move(v));
    }
    for (int s = 0; s < samples; ++s)
      for (Variant &v : vs) {
        double t0 = nowSec(), c0 = cpuSec();
        for (int i = 0; i < v.iters; ++i)
          v.fn(x, v.wp, y);
        v.ms.push_back((nowSec() - t0) / v.iters * 1e3);
        v.cpuMs.push_back((cpuSec() - c0) / v.iters * 1e3);
      }
    const double gflop = 2.0 * M * N * K * 1e-9;
    getloadavg(la, 1);
    std::printf("M=%d N=%d K=%d (load %.2f)\n", M, N, K, la[0]);
    for (Variant &v : vs) {
      std::sort(v.ms.begin(), v.ms.end());
      std::sort(v.cpuMs.begin(), v.cpuMs.end());
      std::printf("  %-22s median %8.3f ms  min %8.3f ms  %6.1f GFLOP/s at min"
                  "  | cpu min %8.3f ms %6.1f GFLOP/s\n",
                  v.label.c_str(), v.ms[v.ms.size() / 2], v.ms[0],
                  gflop / v.ms[0] * 1e3, v.cpuMs[0], gflop / v.cpuMs[0] * 1e3);
    }
    std::fflush(stdout);
  }
  return 0;
}
