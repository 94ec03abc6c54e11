/*===- QuantizeRows.c - the int8 linear's activation pass (QuantizeRows.h) -===
 *
 * A row at a time: rotated (or copied) into a scratch row, its range, then
 * its bytes. The portable body and the AVX-512 one do the same float
 * operations (x * inv, round half to even, + z, clamp to [0, 255], all in
 * float; the range by min and max, which do not round), so the same bytes;
 * a NaN is skipped by the range and quantizes to 0 in both.
 *===----------------------------------------------------------------------===*/
#include "compiler/backend/cpu/quant/QuantizeRows.h"
#include "compiler/backend/cpu/quant/HadamardRows.h"
#include "runtime/src/hadamard.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void rangePortable(const float *v, int64_t k, float *lo, float *hi) {
  float a = 0.0f, b = 0.0f;
  int64_t i;
  for (i = 0; i < k; ++i) {
    a = v[i] < a ? v[i] : a;
    b = v[i] > b ? v[i] : b;
  }
  *lo = a;
  *hi = b;
}

static void bytesPortable(const float *v, int64_t k, float inv, float z,
                          uint8_t *u) {
  int64_t i;
  for (i = 0; i < k; ++i) {
    float t = nearbyintf(v[i] * inv) + z;
    t = t >= 0.0f ? t : 0.0f; /* NaN -> 0 */
    t = t <= 255.0f ? t : 255.0f;
    u[i] = (uint8_t)t;
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BERT_QUANTIZE_X86 1
#include <immintrin.h>

__attribute__((target("avx512f"))) static void
rangeAvx512(const float *v, int64_t k, float *lo, float *hi) {
  __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
  float ta, tb;
  int64_t i;
  /* min_ps(x, acc) returns acc where x is NaN: NaNs are skipped. */
  for (i = 0; i + 16 <= k; i += 16) {
    const __m512 x = _mm512_loadu_ps(v + i);
    a = _mm512_min_ps(x, a);
    b = _mm512_max_ps(x, b);
  }
  ta = _mm512_reduce_min_ps(a);
  tb = _mm512_reduce_max_ps(b);
  rangePortable(v + i, k - i, lo, hi);
  *lo = *lo < ta ? *lo : ta;
  *hi = *hi > tb ? *hi : tb;
}

__attribute__((target("avx512f"))) static void
bytesAvx512(const float *v, int64_t k, float inv, float z, uint8_t *u) {
  const __m512 vinv = _mm512_set1_ps(inv), vz = _mm512_set1_ps(z);
  const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.0f);
  int64_t i;
  for (i = 0; i + 16 <= k; i += 16) {
    __m512 t =
        _mm512_roundscale_ps(_mm512_mul_ps(_mm512_loadu_ps(v + i), vinv),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    t = _mm512_add_ps(t, vz);
    t = _mm512_max_ps(t, zero); /* the second operand where t is NaN */
    t = _mm512_min_ps(t, top);
    _mm_storeu_si128((__m128i *)(void *)(u + i),
                     _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(t)));
  }
  bytesPortable(v + i, k - i, inv, z, u + i);
}
#endif

int bert_quantize_rows(int32_t block, int32_t k, halide_buffer_t *x,
                       halide_buffer_t *out) {
  return bert_quantize_rows_with(block, k, x, out, BERT_HADAMARD_AVX512);
}

int bert_quantize_rows_with(int32_t block, int32_t k, halide_buffer_t *x,
                            halide_buffer_t *out, int widest) {
  const halide_dimension_t *ks = &out->dim[0], *ms = &out->dim[1];
  if (x->host == NULL || out->host == NULL) { /* a bounds query */
    if (x->host == NULL) {
      x->dim[0].min = 0;
      x->dim[0].extent = k;
      x->dim[1].min = ms->min;
      x->dim[1].extent = ms->extent;
    }
    return 0;
  }
  if (k <= 0 || ks->min != 0 || ks->extent != k + BERT_QUANTIZE_TAIL ||
      (block != 0 && (!bert_hadamard_block_ok(block) || k % block != 0)) ||
      x->dim[0].stride != 1 || out->dim[0].stride != 1)
    return -1;
  {
    /* Rows past X's end (a guarded last block) do not exist in the output's
     * storage either: only the rows X has are written. */
    const int64_t xEnd = (int64_t)x->dim[1].min + x->dim[1].extent;
    const int64_t rows =
        xEnd - ms->min < ms->extent ? xEnd - ms->min : ms->extent;
    float *scratch = malloc(sizeof(float) * (size_t)k + 64);
    int64_t r;
#ifdef BERT_QUANTIZE_X86
    const int wide =
        widest >= BERT_HADAMARD_AVX512 && __builtin_cpu_supports("avx512f");
#else
    const int wide = 0;
#endif
    if (!scratch)
      return -1;
    for (r = 0; r < rows; ++r) {
      const float *src =
          (const float *)(const void *)x->host +
          (ms->min + r - x->dim[1].min) * (int64_t)x->dim[1].stride -
          x->dim[0].min;
      uint8_t *dst = out->host + r * (int64_t)ms->stride;
      const float *v = src;
      float lo, hi, inv, z;
      if (block > 0) {
        bert_hadamard_row_into(src, scratch, k, block, widest);
        v = scratch;
      }
#ifdef BERT_QUANTIZE_X86
      if (wide)
        rangeAvx512(v, k, &lo, &hi);
      else
#endif
        rangePortable(v, k, &lo, &hi);
      inv = hi > lo ? 255.0f / (hi - lo) : 0.0f;
      z = nearbyintf(-lo * inv);
#ifdef BERT_QUANTIZE_X86
      if (wide)
        bytesAvx512(v, k, inv, z, dst);
      else
#endif
        bytesPortable(v, k, inv, z, dst);
      memset(dst + k, 0, BERT_QUANTIZE_TAIL);
      memcpy(dst + k, &lo, sizeof lo);
      memcpy(dst + k + sizeof lo, &hi, sizeof hi);
    }
    free(scratch);
  }
  return 0;
}
