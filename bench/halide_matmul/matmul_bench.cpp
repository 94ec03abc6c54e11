//===- matmul_bench.cpp - Halide 14 vs Halide 21 fp32 matmul benchmark ----===//
//
// One fp32 matmul pipeline, C[M,N] = A[M,K] * B[K,N] + bias[N], with one hand
// schedule, JIT-compiled for the host. The same source builds against Debian's
// Halide 14 and PyPI's Halide 21 (see run.sh) so that the two compilers are
// compared on identical input. Prints one line per (M,N,K) with GFLOP/s, the
// median and best time, and the JIT/AOT compile times.
//
// Usage: matmul_bench [M N K]...   (threads: HL_NUM_THREADS=1|2)
//===----------------------------------------------------------------------===//

#include "../RegisterTile.h"

#include "Halide.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace Halide;

#ifdef HALIDE_VERSION_MAJOR
static const int kHalideMajor = HALIDE_VERSION_MAJOR;
#else
static const int kHalideMajor = 14; // Halide 14 does not define the macro.
#endif

static double nowSec() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct MatmulPipeline {
  ImageParam a{Float(32), 2, "A"}; // a(k, m)
  ImageParam b{Float(32), 2, "B"}; // b(n, k)
  ImageParam bias{Float(32), 1, "bias"};
  Func prod{"prod"}, out{"C"};
  Var n{"n"}, m{"m"}, no{"no"}, mo{"mo"}, ni{"ni"}, mi{"mi"}, tile{"tile"};

  MatmulPipeline(int K, int rows, int vecs, const Target &t) {
    RDom k(0, K, "k");
    // Algorithm.
    prod(n, m) = bias(n);
    prod(n, m) += a(k, m) * b(n, k);
    out(n, m) = prod(n, m);
    // Schedule: register tile of `rows` rows x `vecs` native vectors; the
    // B panel (tileN x K) stays hot while all row tiles of A stream past it.
    const int vec = t.natural_vector_size<float>();
    const int tileN = vec * vecs;
    // ShiftInwards keeps the register tile a compile-time constant size (so
    // the accumulators live in registers); needs N >= tileN and M >= rows.
    out.split(n, no, ni, tileN, TailStrategy::ShiftInwards)
        .split(m, mo, mi, rows, TailStrategy::ShiftInwards)
        .reorder(ni, mi, mo, no)
        .vectorize(ni, vec)
        .unroll(mi)
        .parallel(no);
    bert::bench::accumulateInRegisters(prod, out, mo, n, m, k, vec);
    a.dim(0).set_min(0).set_extent(K);
    b.dim(1).set_min(0).set_extent(K);
    b.dim(0).set_min(0);
    a.dim(1).set_min(0);
  }
};

int main(int argc, char **argv) {
  std::vector<int> shapes;
  for (int i = 1; i < argc; ++i)
    shapes.push_back(std::atoi(argv[i]));
  if (shapes.empty())
    shapes = {128, 768, 768, 128, 3072, 768};
  const char *rowsEnv = std::getenv("TILE_ROWS");
  const char *vecsEnv = std::getenv("TILE_VECS");
  const int rows = rowsEnv ? std::atoi(rowsEnv) : 8;
  const int vecs = vecsEnv ? std::atoi(vecsEnv) : 2;
  const char *thr = std::getenv("HL_NUM_THREADS");
  Target target = get_host_target();
  std::printf("# halide %d target %s tile %dx%d threads %s\n", kHalideMajor,
              target.to_string().c_str(), rows, vecs, thr ? thr : "default");
  for (size_t s = 0; s + 2 < shapes.size(); s += 3) {
    const int M = shapes[s], N = shapes[s + 1], K = shapes[s + 2];
    MatmulPipeline p(K, rows, vecs, target);
    double t0 = nowSec();
    p.out.compile_jit(target);
    double jitSec = nowSec() - t0;
    // AOT compile time (object + no_runtime), what the bertc backend will do.
    t0 = nowSec();
    p.out.compile_to_object(
        "/tmp/hl_bench_mm_" + std::to_string(kHalideMajor) + ".o",
        {p.a, p.b, p.bias}, "mm", target.with_feature(Target::NoRuntime));
    double aotSec = nowSec() - t0;

    Buffer<float> A(K, M), B(N, K), bias(N), C(N, M);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> U(-1.f, 1.f);
    A.for_each_value([&](float &v) { v = U(rng); });
    B.for_each_value([&](float &v) { v = U(rng); });
    bias.for_each_value([&](float &v) { v = U(rng); });
    p.a.set(A);
    p.b.set(B);
    p.bias.set(bias);
    p.out.realize(C);
    // Spot-check a few outputs against a scalar loop.
    double maxErr = 0;
    for (int i = 0; i < 64; ++i) {
      int mm = (i * 37) % M, nn = (i * 101) % N;
      double ref = bias(nn);
      for (int k = 0; k < K; ++k)
        ref += double(A(k, mm)) * B(nn, k);
      maxErr = std::max(maxErr, std::abs(ref - C(nn, mm)));
    }
    const double flop = 2.0 * M * N * K;
    int iters = std::max(3, int(2e9 / flop));
    std::vector<double> samples;
    for (int rep = 0; rep < 15; ++rep) {
      t0 = nowSec();
      for (int it = 0; it < iters; ++it)
        p.out.realize(C);
      samples.push_back((nowSec() - t0) / iters);
    }
    std::sort(samples.begin(), samples.end());
    double med = samples[samples.size() / 2], best = samples.front();
    std::printf(
        "halide%d M=%d N=%d K=%d threads=%s  median %.1f us  best %.1f us  "
        "%.1f GFLOP/s (median) %.1f (best)  jit %.2fs aot %.2fs  maxerr %.1e\n",
        kHalideMajor, M, N, K, thr ? thr : "default", med * 1e6, best * 1e6,
        flop / med * 1e-9, flop / best * 1e-9, jitSec, aotSec, maxErr);
  }
  return 0;
}
