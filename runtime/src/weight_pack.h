/*===- weight_pack.h - The kernels' weight layouts, built from rows of W
---===*\
|*                                                                            *|
|* The one implementation of the load-time weight layouts of                  *|
|* bert_model_abi.h (bert_weight_spec): float32 panels of nb output columns, *|
|* the bf16 "VNNI" layout and the int8 one (with its scales). The loader calls
these while it gathers rows  *|
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

/* One segment of row kk of a [K, M] matrix (XLNet's einsum weights,
 * [in, out]): `count` consecutive columns in `seg`, written transposed into
 * rows of the [M, K] matrix a linear reads: dst[r * k + kk] = seg[r]. */
void bert_transpose_segment(const float *seg, int64_t count, int64_t k,
                            int64_t kk, float *dst);

/* float32 -> bfloat16 bits, rounded to nearest even (the kernels round
 * activations the same way). */
uint16_t bert_float_to_bf16(float f);

/* float32 -> IEEE half bits, rounded to nearest even, saturated to +-65504
 * (inf included; NaN stays NaN): `precision <f16>`'s operand rounding
 * (bert.linear), which the CUDA kernels' cvt.rn.satfinite also does. */
uint16_t bert_float_to_f16(float f);

/* Rows [first, first + rows) of W ([rows][k] in `src`) into a bf16 weight
 * whose element [n][kk] is at
 *   (n / nb) * (k / 2) * stride + (kk / 2) * stride + 2 * (n % nb) + kk % 2;
 * entries no element maps to are left as they are (zero them first). */
void bert_pack_bf16_rows(const float *src, int64_t first, int64_t rows,
                         int64_t k, int64_t nb, int64_t stride,
                         uint16_t *packed);

/* The symmetric int8 quantization of `precision <i8>`'s weights
 * (bert.linear): round(v * inv) clamped to [-127, 127], with
 * inv = 127 / max |v| over the output channel (0 for an all-zero one),
 * rounding half to even. (The kernels quantize activations per row, with a
 * zero point, at run time.) */
float bert_s8_inverse_scale(float absmax);
int8_t bert_quantize_s8(float v, float inv);

/* Rows [first, first + rows) of W ([rows][k] in `src`, k % 4 == 0), each
 * first rotated in place when `hadamard` > 0 (every block of `hadamard`
 * channels times the Walsh-Hadamard matrix, hadamard.h; `src` is the
 * caller's scratch), then quantized per output channel, into an int8 weight
 * whose element [n][kk] is at
 *   (n / nb) * (k / 4) * stride + (kk / 4) * stride + 4 * (n % nb) + kk % 4
 * ("VNNI": four consecutive k of a column are adjacent, what VPDPBUSD
 * reads); scale[n] = max_kk |W[n][kk]| / 127 and colsum[n] = the sum of the
 * column's int8 values (the kernels' activations are unsigned bytes with a
 * zero point z per row; they subtract z * colsum). Entries no element maps to
 * are left as they are (zero them first). */
void bert_pack_s8_rows(float *src, int64_t first, int64_t rows, int64_t k,
                       int64_t hadamard, int64_t nb, int64_t stride,
                       int8_t *packed, float *scale, int32_t *colsum);

/* Bytes of an int8 weight of `n` columns in panels of nb (see
 * bert_weight_spec.int8_row_stride): the panels, then, from the returned
 * *scale_offset (a multiple of 64), n float32 scales and n int32 column
 * sums. */
int64_t bert_s8_weight_bytes(int64_t n, int64_t k, int64_t nb, int64_t stride,
                             int64_t *scale_offset);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_WEIGHT_PACK_H */
