/*===- HadamardRows.c - the int8 linear's X rotation (HadamardRows.h) ------===
 *
 * Bodies with the same float operations, so the same bits: the portable
 * one of runtime/src/hadamard.h, and AVX-512 and AVX2 ones for blocks of 16
 * and 64, picked once per call by the CPU's features (the library may be
 * built for any x86-64 target; AVX-512 hosts are the ones the int8 kernels
 * are fast on). In the AVX-512 body a block is B / 16 vectors: the four
 * stages of h < 16 pair lanes of one vector (a permute, then a + b in the
 * lanes whose bit h is clear and a - b, from the partner's side, where it is
 * set: exactly the scalar stage's two results), the stages of h >= 16 pair
 * whole vectors (for 64: h = 16 gives a+b, a-b, c+e, c-e; h = 32 their sums
 * and differences, the same operations as the scalar stages).
 *===----------------------------------------------------------------------===*/
#include "compiler/backend/cpu/quant/HadamardRows.h"
#include "runtime/src/hadamard.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BERT_HADAMARD_X86 1
#include <immintrin.h>

/* The four stages of h < 16 on one vector: lanes j whose bit h is set
 * take partner - self, the others self + partner. */
#define BFLY(v, p, set) _mm512_mask_sub_ps(_mm512_add_ps(v, p), set, p, v)

__attribute__((target("avx512f"))) static inline __m512 lanes16(__m512 x) {
  x = BFLY(x, _mm512_permute_ps(x, 0xB1), 0xAAAA);
  x = BFLY(x, _mm512_permute_ps(x, 0x4E), 0xCCCC);
  x = BFLY(x, _mm512_shuffle_f32x4(x, x, 0xB1), 0xF0F0);
  return BFLY(x, _mm512_shuffle_f32x4(x, x, 0x4E), 0xFF00);
}

/* Blocks of 64: four vectors, the two stages across them in registers. */
__attribute__((target("avx512f"))) static void
rows64(const float *src, int64_t srcPitch, float *dst, int64_t dstPitch,
       int64_t rows, int64_t k) {
  const __m512 scale = _mm512_set1_ps(0.125f);
  int64_t r, i;
  for (r = 0; r < rows; ++r) {
    const float *s = src + r * srcPitch;
    float *d = dst + r * dstPitch;
    for (i = 0; i < k; i += 64) {
      __m512 a = lanes16(_mm512_loadu_ps(s + i));
      __m512 b = lanes16(_mm512_loadu_ps(s + i + 16));
      __m512 c = lanes16(_mm512_loadu_ps(s + i + 32));
      __m512 e = lanes16(_mm512_loadu_ps(s + i + 48));
      __m512 ab = _mm512_add_ps(a, b), a_b = _mm512_sub_ps(a, b);
      __m512 ce = _mm512_add_ps(c, e), c_e = _mm512_sub_ps(c, e);
      _mm512_storeu_ps(d + i, _mm512_mul_ps(_mm512_add_ps(ab, ce), scale));
      _mm512_storeu_ps(d + i + 16,
                       _mm512_mul_ps(_mm512_add_ps(a_b, c_e), scale));
      _mm512_storeu_ps(d + i + 32, _mm512_mul_ps(_mm512_sub_ps(ab, ce), scale));
      _mm512_storeu_ps(d + i + 48,
                       _mm512_mul_ps(_mm512_sub_ps(a_b, c_e), scale));
    }
  }
}

/* Blocks of 16: one vector. */
__attribute__((target("avx512f"))) static void
rows16(const float *src, int64_t srcPitch, float *dst, int64_t dstPitch,
       int64_t rows, int64_t k) {
  const __m512 scale = _mm512_set1_ps(0.25f);
  int64_t r, i;
  for (r = 0; r < rows; ++r)
    for (i = 0; i < k; i += 16)
      _mm512_storeu_ps(
          dst + r * dstPitch + i,
          _mm512_mul_ps(lanes16(_mm512_loadu_ps(src + r * srcPitch + i)),
                        scale));
}
/* AVX2 hosts (no AVX-512): vectors of 8, the three in-vector stages by
 * permutes and blends, the others on whole vectors; blocks of 16 and 64. */
#define BFLY8(v, p, set)                                                       \
  _mm256_blend_ps(_mm256_add_ps(v, p), _mm256_sub_ps(p, v), set)

__attribute__((target("avx2"))) static void
rowsAvx2(const float *src, int64_t srcPitch, float *dst, int64_t dstPitch,
         int64_t rows, int64_t k, int64_t b) {
  const int64_t nv = b / 8;
  const __m256 scale = _mm256_set1_ps(b == 64 ? 0.125f : 0.25f);
  int64_t r, i, j, g, q;
  for (r = 0; r < rows; ++r)
    for (i = 0; i < k; i += b) {
      __m256 v[8];
      for (j = 0; j < nv; ++j) {
        __m256 x = _mm256_loadu_ps(src + r * srcPitch + i + 8 * j);
        x = BFLY8(x, _mm256_permute_ps(x, 0xB1), 0xAA);
        x = BFLY8(x, _mm256_permute_ps(x, 0x4E), 0xCC);
        v[j] = BFLY8(x, _mm256_permute2f128_ps(x, x, 0x01), 0xF0);
      }
      for (g = 1; g < nv; g *= 2)
        for (j = 0; j < nv; j += 2 * g)
          for (q = j; q < j + g; ++q) {
            const __m256 a = v[q], c = v[q + g];
            v[q] = _mm256_add_ps(a, c);
            v[q + g] = _mm256_sub_ps(a, c);
          }
      for (j = 0; j < nv; ++j)
        _mm256_storeu_ps(dst + r * dstPitch + i + 8 * j,
                         _mm256_mul_ps(v[j], scale));
    }
}
#endif

static void rowsPortable(const float *src, int64_t srcPitch, float *dst,
                         int64_t dstPitch, int64_t rows, int64_t k, int64_t b) {
  int64_t r;
  for (r = 0; r < rows; ++r) {
    float *d = dst + r * dstPitch;
    memmove(d, src + r * srcPitch, (size_t)k * sizeof(float));
    bert_hadamard_row(d, k, b);
  }
}

/* Rows of k values, rotated in blocks of b, with the widest body allowed
 * that the CPU has. */
static void rotateRows(const float *src, int64_t srcPitch, float *dst,
                       int64_t dstPitch, int64_t rows, int64_t k, int64_t b,
                       int widest) {
#ifdef BERT_HADAMARD_X86
  if ((b == 16 || b == 64) && widest >= BERT_HADAMARD_AVX512 &&
      __builtin_cpu_supports("avx512f")) {
    (b == 64 ? rows64 : rows16)(src, srcPitch, dst, dstPitch, rows, k);
    return;
  }
  if ((b == 16 || b == 64) && widest >= BERT_HADAMARD_AVX2 &&
      __builtin_cpu_supports("avx2")) {
    rowsAvx2(src, srcPitch, dst, dstPitch, rows, k, b);
    return;
  }
#endif
  rowsPortable(src, srcPitch, dst, dstPitch, rows, k, b);
}

void bert_hadamard_row_into(const float *src, float *dst, int64_t k,
                            int32_t block, int widest) {
  rotateRows(src, k, dst, k, 1, k, block, widest);
}
