/*===- HadamardRows.c - the int8 linear's X rotation (HadamardRows.h) ------===
 *
 * Bodies with the same float operations, so the same bits: the portable
 * one of runtime/src/hadamard.h, and AVX-512 and AVX2 ones for blocks of 16
 * and 64, picked per row by the CPU's features (the library may be
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
__attribute__((target("avx512f"))) static void row64(const float *s, float *d,
                                                     int64_t k) {
  const __m512 scale = _mm512_set1_ps(0.125f);
  int64_t i;
  for (i = 0; i < k; i += 64) {
    __m512 a = lanes16(_mm512_loadu_ps(s + i));
    __m512 b = lanes16(_mm512_loadu_ps(s + i + 16));
    __m512 c = lanes16(_mm512_loadu_ps(s + i + 32));
    __m512 e = lanes16(_mm512_loadu_ps(s + i + 48));
    __m512 ab = _mm512_add_ps(a, b), a_b = _mm512_sub_ps(a, b);
    __m512 ce = _mm512_add_ps(c, e), c_e = _mm512_sub_ps(c, e);
    _mm512_storeu_ps(d + i, _mm512_mul_ps(_mm512_add_ps(ab, ce), scale));
    _mm512_storeu_ps(d + i + 16, _mm512_mul_ps(_mm512_add_ps(a_b, c_e), scale));
    _mm512_storeu_ps(d + i + 32, _mm512_mul_ps(_mm512_sub_ps(ab, ce), scale));
    _mm512_storeu_ps(d + i + 48, _mm512_mul_ps(_mm512_sub_ps(a_b, c_e), scale));
  }
}

/* Blocks of 16: one vector. */
__attribute__((target("avx512f"))) static void row16(const float *s, float *d,
                                                     int64_t k) {
  const __m512 scale = _mm512_set1_ps(0.25f);
  int64_t i;
  for (i = 0; i < k; i += 16)
    _mm512_storeu_ps(d + i,
                     _mm512_mul_ps(lanes16(_mm512_loadu_ps(s + i)), scale));
}

/* AVX2 hosts (no AVX-512): vectors of 8, the three in-vector stages by
 * permutes and blends, the others on whole vectors; blocks of 16 and 64. */
#define BFLY8(v, p, set)                                                       \
  _mm256_blend_ps(_mm256_add_ps(v, p), _mm256_sub_ps(p, v), set)

__attribute__((target("avx2"))) static void rowAvx2(const float *s, float *d,
                                                    int64_t k, int64_t b) {
  const int64_t nv = b / 8;
  const __m256 scale = _mm256_set1_ps(b == 64 ? 0.125f : 0.25f);
  int64_t i, j, g, q;
  for (i = 0; i < k; i += b) {
    __m256 v[8];
    for (j = 0; j < nv; ++j) {
      __m256 x = _mm256_loadu_ps(s + i + 8 * j);
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
      _mm256_storeu_ps(d + i + 8 * j, _mm256_mul_ps(v[j], scale));
  }
}
#endif

void bert_hadamard_row_into(const float *src, float *dst, int64_t k,
                            int32_t block, int widest) {
#ifdef BERT_HADAMARD_X86
  if ((block == 16 || block == 64) && widest >= BERT_HADAMARD_AVX512 &&
      __builtin_cpu_supports("avx512f")) {
    (block == 64 ? row64 : row16)(src, dst, k);
    return;
  }
  if ((block == 16 || block == 64) && widest >= BERT_HADAMARD_AVX2 &&
      __builtin_cpu_supports("avx2")) {
    rowAvx2(src, dst, k, block);
    return;
  }
#endif
  memmove(dst, src, (size_t)k * sizeof(float));
  bert_hadamard_row(dst, k, block);
}
