//===- BenchUtil.h - Inputs and checks the kernel benchmarks share --------===//
//
// The benchmark programs under bench/ (kernels, autoschedule) fill their
// buffers the same way, so that their figures are measured on the same data,
// and check a GEMM's output the same way before timing it.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_BENCH_BENCHUTIL_H
#define BERT_BENCH_BENCHUTIL_H

#include "Halide.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace bert::bench {

/// A buffer of `shape` with values uniform in [lo, hi), from `seed`.
template <typename T>
Halide::Buffer<T> filled(std::vector<int> shape, float lo, float hi,
                         unsigned seed = 7) {
  Halide::Buffer<T> b(shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  b.for_each_value([&](T &v) { v = T(u(rng)); });
  return b;
}

/// Largest |a - b| over two buffers of the same size.
inline double maxAbsDiff(const Halide::Buffer<const float> &a,
                         const Halide::Buffer<const float> &b) {
  double m = 0;
  const float *pa = a.data(), *pb = b.data();
  for (size_t i = 0, n = a.number_of_elements(); i < n; ++i)
    m = std::max(m, double(std::fabs(pa[i] - pb[i])));
  return m;
}

/// Largest error of a linear's output y (N, M) = x (K, M) times the row-major
/// [N, K] weights w (K, N), over `samples` entries drawn with `rng`, against
/// a plain dot product in double.
inline double linearSpotError(const Halide::Buffer<float> &x,
                              const Halide::Buffer<float> &w,
                              const Halide::Buffer<float> &y, int M, int N,
                              int K, int samples, std::mt19937 &rng) {
  double err = 0;
  for (int s = 0; s < samples; ++s) {
    int m = rng() % M, n = rng() % N;
    double ref = 0;
    for (int kk = 0; kk < K; ++kk)
      ref += double(x(kk, m)) * w(kk, n);
    err = std::max(err, std::fabs(ref - y(n, m)));
  }
  return err;
}

} // namespace bert::bench

#endif // BERT_BENCH_BENCHUTIL_H
