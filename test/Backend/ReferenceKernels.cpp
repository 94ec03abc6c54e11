//===- ReferenceKernels.cpp - plain C++ reference kernels -----------------===//

#include "ReferenceKernels.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

namespace bert::ref {

static double applyAct(Act act, double v) {
  switch (act) {
  case Act::None:
    return v;
  case Act::Gelu:
    return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  case Act::GeluTanh:
    return 0.5 * v *
           (1.0 +
            std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  case Act::Tanh:
    return std::tanh(v);
  case Act::Relu:
    return v > 0 ? v : 0.0;
  case Act::Silu:
    return v / (1.0 + std::exp(-v));
  case Act::QuickGelu:
    return v / (1.0 + std::exp(-1.702 * v));
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

/// Quantizes `n` values into q and returns their scale (0 for all zeros).
static double quantizeSymmetric(const float *v, int64_t n,
                                std::vector<int64_t> &q) {
  float big = 0.f;
  for (int64_t i = 0; i < n; ++i)
    big = std::max(big, std::abs(v[i]));
  const float inv = big == 0.f ? 0.f : 127.f / big;
  q.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    // std::nearbyint: the current rounding mode, to nearest even by default.
    float t = std::nearbyint(v[i] * inv);
    q[size_t(i)] = int64_t(std::min(127.f, std::max(-127.f, t)));
  }
  return double(big) / 127.0;
}

void hadamard(float *v, int64_t b) {
  for (int64_t h = 1; h < b; h <<= 1)
    for (int64_t j = 0; j < b; ++j)
      if (!(j & h)) {
        const float lo = v[j], hi = v[j + h];
        v[j] = lo + hi;
        v[j + h] = lo - hi;
      }
  float scale = 1.f;
  for (int64_t q = 4; q <= b; q *= 4)
    scale *= .5f;
  for (int64_t j = 0; j < b; ++j)
    v[j] *= scale;
}

int64_t quantizeRowU8(const float *v, int64_t K, uint8_t *u, float &lo,
                      float &hi) {
  // The row's range with 0 in it, 256 levels, zero point z.
  lo = std::min(0.f, *std::min_element(v, v + K));
  hi = std::max(0.f, *std::max_element(v, v + K));
  const float inv = hi == lo ? 0.f : 255.f / (hi - lo);
  const float z = std::nearbyint(-lo * inv);
  for (int64_t k = 0; k < K; ++k)
    u[k] =
        uint8_t(std::max(0.f, std::min(255.f, std::nearbyint(v[k] * inv) + z)));
  return int64_t(z);
}

void linearInt8(const float *x, const float *w, const float *b, float *y,
                int64_t M, int64_t N, int64_t K, Act act, int64_t blockB) {
  // A rotated copy of one row (every block of blockB), or the row itself.
  std::vector<float> copy(static_cast<size_t>(K));
  auto rotated = [&](const float *v) {
    if (blockB <= 0)
      return v;
    std::copy(v, v + K, copy.begin());
    for (int64_t i = 0; i < K; i += blockB)
      hadamard(copy.data() + i, blockB);
    return static_cast<const float *>(copy.data());
  };
  std::vector<std::vector<int64_t>> qw(static_cast<size_t>(N));
  std::vector<double> sw(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n)
    sw[size_t(n)] = quantizeSymmetric(rotated(w + n * K), K, qw[size_t(n)]);
  std::vector<int64_t> qx(static_cast<size_t>(K));
  std::vector<uint8_t> u(static_cast<size_t>(K));
  for (int64_t m = 0; m < M; ++m) {
    float lo, hi;
    const int64_t z = quantizeRowU8(rotated(x + m * K), K, u.data(), lo, hi);
    for (int64_t k = 0; k < K; ++k)
      qx[size_t(k)] = int64_t(u[size_t(k)]) - z;
    double sx = (double(hi) - double(lo)) / 255.0;
    for (int64_t n = 0; n < N; ++n) {
      int64_t dot = 0;
      for (int64_t k = 0; k < K; ++k)
        dot += qx[size_t(k)] * qw[size_t(n)][size_t(k)];
      double v = double(dot) * sx * sw[size_t(n)] + (b ? b[n] : 0.0);
      y[m * N + n] = float(applyAct(act, v));
    }
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

/// Query i's scores against every key of (b, h) into s[0..S), in fp32 with
/// the additive mask, exactly as HF computes them (operands rounded to bf16
/// first when `bf16`); returns their maximum.
static double scoreRow(const float *qkv, const int32_t *mask, int64_t b,
                       int64_t h, int64_t i, int64_t S, int64_t H, int64_t d,
                       float scale, bool bf16, std::vector<double> &s) {
  auto operand = [&](int64_t row, int64_t part, int64_t c) {
    float v = qkv[(b * S + row) * 3 * H + part * H + h * d + c];
    return double(bf16 ? roundBF16(v) : v);
  };
  double mx = -INFINITY;
  for (int64_t j = 0; j < S; ++j) {
    double dot = 0;
    for (int64_t c = 0; c < d; ++c)
      dot += operand(i, 0, c) * operand(j, 1, c);
    float v = float(dot) * scale;
    if (mask[b * S + j] == 0)
      v = v + (-FLT_MAX);
    s[j] = v;
    mx = std::max(mx, s[j]);
  }
  return mx;
}

void attention(const float *qkv, const int32_t *mask, float *out, int64_t B,
               int64_t S, int64_t H, int64_t heads, float scale) {
  const int64_t d = H / heads;
  std::vector<double> p(S);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < S; ++i) {
        double mx = scoreRow(qkv, mask, b, h, i, S, H, d, scale, false, p);
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

float roundBF16(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

void attentionBF16(const float *qkv, const int32_t *mask, float *out, int64_t B,
                   int64_t S, int64_t H, int64_t heads, float scale,
                   int64_t keyTile) {
  const int64_t d = H / heads;
  std::vector<double> s(S), acc(d);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < S; ++i) {
        double mx = scoreRow(qkv, mask, b, h, i, S, H, d, scale, true, s);
        double sum = 0;
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t t0 = 0; t0 < S; t0 += keyTile) {
          int64_t t1 = std::min(S, t0 + keyTile);
          double tileMax = -INFINITY;
          for (int64_t j = t0; j < t1; ++j)
            tileMax = std::max(tileMax, s[j]);
          const double rescale = std::exp(tileMax - mx);
          for (int64_t j = t0; j < t1; ++j) {
            double pj = std::exp(s[j] - tileMax);
            sum += pj * rescale;
            double rounded = roundBF16(float(pj));
            for (int64_t c = 0; c < d; ++c)
              acc[c] += rounded * rescale *
                        double(roundBF16(
                            qkv[(b * S + j) * 3 * H + 2 * H + h * d + c]));
          }
        }
        for (int64_t c = 0; c < d; ++c)
          out[(b * S + i) * H + h * d + c] = float(acc[c] / sum);
      }
}

void embeddings(const int32_t *ids, const int32_t *tt, const float *word,
                const float *pos, const float *type, const float *gamma,
                const float *beta, float *out, int64_t B, int64_t S, int64_t H,
                int64_t paddingIdx, float eps) {
  std::vector<float> sum(H);
  for (int64_t b = 0; b < B; ++b) {
    int64_t real = 0; // non-padding ids so far in the row
    for (int64_t s = 0; s < S; ++s) {
      const int64_t t = b * S + s;
      int64_t p = s;
      if (paddingIdx >= 0)
        p = ids[t] == paddingIdx ? paddingIdx : paddingIdx + ++real;
      for (int64_t c = 0; c < H; ++c)
        sum[c] = word[ids[t] * H + c] + pos[p * H + c] +
                 (type ? type[tt[t] * H + c] : 0.f);
      layerNorm(sum.data(), nullptr, gamma, beta, out + t * H, 1, H, eps);
    }
  }
}

void pooler(const float *hidden, const float *w, const float *bias, float *out,
            int64_t B, int64_t S, int64_t H) {
  for (int64_t b = 0; b < B; ++b)
    linear(hidden + b * S * H, w, bias, nullptr, out + b * H, 1, H, H,
           Act::Tanh);
}

void relativePositions(float *out, int64_t S, int64_t H, int64_t clampLen) {
  const int64_t half = H / 2;
  for (int64_t p = 0; p < 2 * S; ++p) {
    int64_t rel = S - p;
    if (clampLen > 0)
      rel = std::max(-clampLen, std::min(clampLen, rel));
    for (int64_t k = 0; k < half; ++k) {
      float f = 1.0f / std::pow(10000.0f, float(2 * k) / float(H));
      out[p * H + k] = float(std::sin(double(float(rel) * f)));
      out[p * H + half + k] = float(std::cos(double(float(rel) * f)));
    }
  }
}

void relativeAttention(const float *qkv, const float *kr, const int32_t *mask,
                       const int32_t *types, const float *const bias[3],
                       const float *seg, float *out, int64_t B, int64_t S,
                       int64_t H, int64_t heads) {
  const int64_t d = H / heads, P = 2 * S, W = 3 * H;
  std::vector<double> bd(S * P);
  for (int64_t b = 0; b < B; ++b) {
    const float *q = qkv + b * S * W, *k = q + H, *v = q + 2 * H;
    for (int64_t n = 0; n < heads; ++n) {
      const int64_t o = n * d;
      // bd[i, p]: query i against every relative distance (transformers'
      // [S, 2S] position scores before rel_shift).
      for (int64_t i = 0; i < S; ++i)
        for (int64_t p = 0; p < P; ++p) {
          double acc = 0;
          for (int64_t e = 0; e < d; ++e)
            acc +=
                (double(q[i * W + o + e]) + bias[1][o + e]) * kr[p * H + o + e];
          bd[i * P + p] = acc;
        }
      for (int64_t i = 0; i < S; ++i) {
        std::vector<double> score(S);
        double mx = -INFINITY;
        for (int64_t j = 0; j < S; ++j) {
          double ac = 0, ef = 0;
          const float *sj =
              seg + (types[b * S + i] == types[b * S + j] ? 0 : H);
          for (int64_t e = 0; e < d; ++e) {
            ac +=
                (double(q[i * W + o + e]) + bias[0][o + e]) * k[j * W + o + e];
            ef += (double(q[i * W + o + e]) + bias[2][o + e]) * sj[o + e];
          }
          score[j] = (ac + bd[i * P + j + S - i] + ef) / std::sqrt(double(d));
          if (mask[b * S + j] == 0 && j != i) // non_tgt_mask
            score[j] = -INFINITY;
          mx = std::max(mx, score[j]);
        }
        double den = 0;
        for (double &sc : score)
          den += sc = std::exp(sc - mx);
        for (int64_t e = 0; e < d; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < S; ++j)
            acc += score[j] * v[j * W + o + e];
          out[(b * S + i) * H + o + e] = float(acc / den);
        }
      }
    }
  }
}

} // namespace bert::ref
