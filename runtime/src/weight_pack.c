/*===- weight_pack.c - The kernels' weight layouts (weight_pack.h) --------===*/

#include "weight_pack.h"

#include "hadamard.h"

#include "bert_model_abi.h"

#include <string.h>

void bert_pack_panel(const float *src, int64_t rows, int64_t k, int64_t nb,
                     float *panel) {
  int64_t kk, j;
  for (kk = 0; kk < k; ++kk)
    for (j = 0; j < nb; ++j)
      panel[kk * nb + j] = j < rows ? src[j * k + kk] : 0.0f;
}

void bert_transpose_segment(const float *seg, int64_t count, int64_t k,
                            int64_t kk, float *dst) {
  int64_t r;
  for (r = 0; r < count; ++r)
    dst[r * k + kk] = seg[r];
}

uint16_t bert_float_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return (uint16_t)((u + ((u >> 16) & 1u) + 0x7fffu) >> 16);
}

void bert_floats_to_bf16(uint16_t *dst, const float *src, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i)
    dst[i] = bert_float_to_bf16(src[i]);
}

uint16_t bert_float_to_f16(float f) {
  uint32_t u, a, e, shift, m, q, rest, half;
  uint16_t sign;
  memcpy(&u, &f, 4);
  sign = (uint16_t)((u >> 16) & 0x8000u);
  a = u & 0x7fffffffu;
  if (a > 0x7f800000u)
    return (uint16_t)(sign | 0x7e00u); /* NaN stays NaN (quiet) */
  if (a >= 0x477fe000u)                /* 65504, the largest half, or more */
    return (uint16_t)(sign | 0x7bffu); /* saturate, inf included */
  if (a >= 0x38800000u) {              /* 2^-14 and up: a normal half */
    /* Round the 23-bit mantissa to 10 bits (nearest even), then rebias
     * the exponent from 127 to 15; a carry moves into the exponent. */
    a += 0xfffu + ((a >> 13) & 1u);
    return (uint16_t)(sign | ((a >> 13) - (112u << 10)));
  }
  /* A subnormal half: |f| / 2^-24 rounded to an integer (nearest even);
   * 1024 is the smallest normal half, which the encoding gives as is. */
  e = a >> 23;
  if (e < 102) /* below 2^-25: rounds to zero */
    return sign;
  shift = 126 - e; /* 14 .. 24 */
  m = (a & 0x7fffffu) | 0x800000u;
  q = m >> shift;
  rest = m & ((1u << shift) - 1u);
  half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (q & 1u)))
    ++q;
  return (uint16_t)(sign | q);
}

void bert_floats_to_f16(uint16_t *dst, const float *src, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i)
    dst[i] = bert_float_to_f16(src[i]);
}

void bert_pack_bf16_rows(const float *src, int64_t first, int64_t rows,
                         int64_t k, int64_t nb, int64_t stride,
                         uint16_t *packed) {
  int64_t r, kk;
  for (r = 0; r < rows; ++r) {
    int64_t col = first + r;
    uint16_t *dst = packed + (col / nb) * (k / 2) * stride + 2 * (col % nb);
    for (kk = 0; kk < k; ++kk)
      dst[kk / 2 * stride + kk % 2] = bert_float_to_bf16(src[r * k + kk]);
  }
}

float bert_s8_inverse_scale(float absmax) {
  return absmax > 0.0f ? 127.0f / absmax : 0.0f;
}

int8_t bert_quantize_s8(float v, float inv) {
  /* Round half to even, as Halide's round() does in the kernels; written
   * out so that the runtime needs no libm. Clamped first, so the integer
   * conversions stay in range (a NaN quantizes to 0). */
  float x = v * inv, frac;
  int i;
  if (!(x == x))
    return 0;
  x = x > 127.0f ? 127.0f : x < -127.0f ? -127.0f : x;
  i = (int)x; /* toward zero; x - i is exact */
  frac = x - (float)i;
  if (frac > 0.5f || (frac == 0.5f && (i & 1)))
    ++i;
  else if (frac < -0.5f || (frac == -0.5f && (i & 1)))
    --i;
  return (int8_t)i;
}

void bert_pack_s8_rows(float *src, int64_t first, int64_t rows, int64_t k,
                       int64_t hadamard, int64_t nb, int64_t stride,
                       int8_t *packed, float *scale, int32_t *colsum) {
  int64_t r, kk;
  for (r = 0; r < rows; ++r) {
    float *w = src + r * k;
    int64_t col = first + r;
    int8_t *dst = packed + (col / nb) * (k / 4) * stride + 4 * (col % nb);
    float absmax = 0.0f, inv;
    int32_t sum = 0;
    if (hadamard > 0)
      bert_hadamard_row(w, k, hadamard);
    for (kk = 0; kk < k; ++kk) {
      float a = w[kk] < 0.0f ? -w[kk] : w[kk];
      absmax = a > absmax ? a : absmax;
    }
    inv = bert_s8_inverse_scale(absmax);
    for (kk = 0; kk < k; ++kk) {
      int8_t q = bert_quantize_s8(w[kk], inv);
      dst[kk / 4 * stride + kk % 4] = q;
      sum += q;
    }
    scale[col] = absmax / 127.0f;
    colsum[col] = sum;
  }
}

int64_t bert_s8_weight_bytes(int64_t n, int64_t k, int64_t nb, int64_t stride,
                             int64_t *scale_offset) {
  int64_t panels = (n + nb - 1) / nb;
  int64_t off = (panels * (k / 4) * stride + 63) / 64 * 64;
  *scale_offset = off;
  return off + n * (int64_t)(sizeof(float) + sizeof(int32_t));
}
