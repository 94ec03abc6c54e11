/*===- weight_pack.h - The kernels' weight layouts, built from rows of W
---===*\
|*                                                                            *|
|* The one implementation of the two load-time weight layouts of *|
|* bert_model_abi.h (bert_weight_spec): float32 panels of nb output columns  *|
|* and the bf16 "VNNI" layout. The loader calls these while it gathers rows  *|
|* of W from the file; the compiler's tuner, kernel tests and benchmarks     *|
|* call them on a whole matrix (compiler/backend/cpu/kernels).               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_WEIGHT_PACK_H
#define BERT_RUNTIME_WEIGHT_PACK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One float32 panel: `rows` (<= nb) rows of W, row-major [rows][k] in
 * `src`, transposed into `panel` ([k][nb]); columns past `rows` are zero. */
void bert_pack_panel(const float *src, int64_t rows, int64_t k, int64_t nb,
                     float *panel);

/* float32 -> bfloat16 bits, rounded to nearest even (the kernels round
 * activations the same way). */
uint16_t bert_float_to_bf16(float f);

/* Rows [first, first + rows) of W ([rows][k] in `src`) into a bf16 weight
 * whose element [n][kk] is at
 *   (n / nb) * (k / 2) * stride + (kk / 2) * stride + 2 * (n % nb) + kk % 2;
 * entries no element maps to are left as they are (zero them first). */
void bert_pack_bf16_rows(const float *src, int64_t first, int64_t rows,
                         int64_t k, int64_t nb, int64_t stride,
                         uint16_t *packed);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_WEIGHT_PACK_H */
