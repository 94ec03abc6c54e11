//===- fma_peak.cpp - measured fp32 FMA peak at native vector width -------===//
// A loop of independent FMAs (AVX-512: 24 zmm accumulators, 2 FMA ports with
// 4-cycle latency need >= 8 in flight) run on 1..T threads. Prints GFLOP/s.
// Build: g++ -O2 -march=native -pthread fma_peak.cpp -o fma_peak
//===----------------------------------------------------------------------===//
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <immintrin.h>
#include <thread>
#include <vector>

#ifdef __AVX512F__
typedef __m512 V;
#define FMA _mm512_fmadd_ps
#define SET1 _mm512_set1_ps
#define ADD _mm512_add_ps
static float hsum(V v) { return _mm512_reduce_add_ps(v); }
static const int kLanes = 16;
#else
typedef __m256 V;
#define FMA _mm256_fmadd_ps
#define SET1 _mm256_set1_ps
#define ADD _mm256_add_ps
static float hsum(V v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  float s = 0;
  for (float x : t)
    s += x;
  return s;
}
static const int kLanes = 8;
#endif

static float kernel(long iters) {
  V acc[24];
  for (int i = 0; i < 24; ++i)
    acc[i] = SET1(0.001f * i);
  V x = SET1(0.999999f), y = SET1(1e-7f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i)
      acc[i] = FMA(acc[i], x, y);
  }
  V s = acc[0];
  for (int i = 1; i < 24; ++i)
    s = ADD(s, acc[i]);
  return hsum(s);
}

int main(int argc, char **argv) {
  int maxThreads = argc > 1 ? std::atoi(argv[1]) : 2;
  const long iters = 50000000;
  for (int T = 1; T <= maxThreads; ++T) {
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<std::thread> th;
      std::vector<float> sink(T);
      for (int t = 0; t < T; ++t)
        th.emplace_back([&, t] { sink[t] = kernel(iters); });
      for (auto &t : th)
        t.join();
      double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      double gf = 2.0 * kLanes * 24 * iters * T / s * 1e-9;
      if (gf > best)
        best = gf;
      if (sink[0] == 12345.f)
        std::puts("");
    }
    std::printf("fma_peak threads=%d lanes=%d  %.1f GFLOP/s (best of 5)\n", T,
                kLanes, best);
  }
}
