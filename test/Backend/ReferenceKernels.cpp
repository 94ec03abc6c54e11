//===- ReferenceKernels.cpp - plain C++ reference kernels -----------------===//

#include "ReferenceKernels.h"

#include <cfloat>
#include <cmath>

namespace bert::ref {

static double applyAct(Act act, double v) {
  switch (act) {
  case Act::None:
    return v;
  case Act::Gelu:
    return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  case Act::GeluTanh:
    return 0.5 * v *
           (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  case Act::Tanh:
    return std::tanh(v);
  }
  return v;
}

void linear(const float *x, const float *w, const float *b, const float *r,
            float *y, int64_t M, int64_t N, int64_t K, Act act) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = b ? b[n] : 0.0;
      for (int64_t k = 0; k < K; ++k)
        acc += double(x[m * K + k]) * double(w[n * K + k]);
      double v = applyAct(act, acc);
      if (r)
        v += r[m * N + n];
      y[m * N + n] = float(v);
    }
}

void layerNorm(const float *x, const float *r, const float *gamma,
               const float *beta, float *out, int64_t M, int64_t H, float eps) {
  std::vector<double> v(H);
  for (int64_t m = 0; m < M; ++m) {
    double mean = 0;
    for (int64_t c = 0; c < H; ++c) {
      v[c] = double(x[m * H + c]) + (r ? double(r[m * H + c]) : 0.0);
      mean += v[c];
    }
    mean /= double(H);
    double var = 0;
    for (int64_t c = 0; c < H; ++c)
      var += (v[c] - mean) * (v[c] - mean);
    var /= double(H);
    const double inv = 1.0 / std::sqrt(var + double(eps));
    for (int64_t c = 0; c < H; ++c)
      out[m * H + c] = float((v[c] - mean) * inv * gamma[c] + beta[c]);
  }
}

void attention(const float *qkv, const int32_t *mask, float *out, int64_t B,
               int64_t S, int64_t H, int64_t heads, float scale) {
  const int64_t d = H / heads;
  std::vector<double> p(S);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < S; ++i) {
        const float *q = qkv + (b * S + i) * 3 * H + h * d;
        // Scores in fp32 with the additive mask, exactly as HF does it.
        double mx = -INFINITY;
        for (int64_t j = 0; j < S; ++j) {
          const float *k = qkv + (b * S + j) * 3 * H + H + h * d;
          double dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += double(q[c]) * double(k[c]);
          float s = float(dot) * scale;
          if (mask[b * S + j] == 0)
            s = s + (-FLT_MAX);
          p[j] = s;
          mx = std::max(mx, p[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < S; ++j) {
          p[j] = std::exp(p[j] - mx);
          sum += p[j];
        }
        for (int64_t c = 0; c < d; ++c) {
          double acc = 0;
          for (int64_t j = 0; j < S; ++j)
            acc += p[j] / sum * qkv[(b * S + j) * 3 * H + 2 * H + h * d + c];
          out[(b * S + i) * H + h * d + c] = float(acc);
        }
      }
}

void embeddings(const int32_t *ids, const int32_t *tt, const float *word,
                const float *pos, const float *type, const float *gamma,
                const float *beta, float *out, int64_t B, int64_t S,
                int64_t H, int64_t positionOffset, float eps) {
  std::vector<float> sum(H);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s) {
      const int64_t t = b * S + s;
      for (int64_t c = 0; c < H; ++c)
        sum[c] = word[ids[t] * H + c] + pos[(s + positionOffset) * H + c] +
                 type[tt[t] * H + c];
      layerNorm(sum.data(), nullptr, gamma, beta, out + t * H, 1, H, eps);
    }
}

void pooler(const float *hidden, const float *w, const float *bias, float *out,
            int64_t B, int64_t S, int64_t H) {
  for (int64_t b = 0; b < B; ++b)
    linear(hidden + b * S * H, w, bias, nullptr, out + b * H, 1, H, H,
           Act::Tanh);
}

} // namespace bert::ref
