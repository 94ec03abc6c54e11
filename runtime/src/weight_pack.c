/*===- weight_pack.c - The kernels' weight layouts (weight_pack.h) --------===*/

#include "weight_pack.h"

#include <string.h>

void bert_pack_panel(const float *src, int64_t rows, int64_t k, int64_t nb,
                     float *panel) {
  int64_t kk, j;
  for (kk = 0; kk < k; ++kk)
    for (j = 0; j < nb; ++j)
      panel[kk * nb + j] = j < rows ? src[j * k + kk] : 0.0f;
}

uint16_t bert_float_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return (uint16_t)((u + ((u >> 16) & 1u) + 0x7fffu) >> 16);
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
