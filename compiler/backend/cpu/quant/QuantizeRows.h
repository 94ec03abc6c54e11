/*===- QuantizeRows.h - the int8 linear's activation pass (Halide extern) -*- C
 *-*-===
 *
 * `precision <i8>` (bert.linear) quantizes each row (token) of X at every
 * call. This extern stage does it in one pass per row:
 *   1. with `hadamard B` (block > 0), the row rotated block by block
 *      (HadamardRows.h; into a scratch row, X is not written);
 *   2. its range with 0 in it: lo = min(0, min v), hi = max(0, max v);
 *   3. u[k] = clamp(nearbyint(v[k] * inv) + z, 0, 255), inv = 255 / (hi -
 *      lo) (0 for hi == lo), z = nearbyint(-lo * inv): float products, round
 *      half to even (the evaluator's quantizeRowAsym, bit for bit).
 * Each output row is K bytes of u, then a tail of BERT_QUANTIZE_TAIL bytes:
 * lo and hi as float32 (bytes K .. K+7), zeros after (64 in all, so rows of
 * a K % 64 == 0 linear stay 64-byte aligned for the AMX tiles).
 *
 * Why C rather than Halide stages: the rotation's in-vector butterflies
 * (HadamardRows.h), and one pass over X instead of three (the range, the
 * bytes, and the rotation before them, each reading the fp32 rows).
 *
 * Linked into every CPU library (LibraryEmitter) and into the compiler,
 * whose JIT (tests, `bertc tune`) calls it by address.
 *===----------------------------------------------------------------------===*/
#ifndef BERT_COMPILER_BACKEND_CPU_QUANT_QUANTIZEROWS_H
#define BERT_COMPILER_BACKEND_CPU_QUANT_QUANTIZEROWS_H

#include "HalideRuntime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The extern stage's C name (LinearInt8.cpp names it in define_extern). */
#define BERT_QUANTIZE_ROWS_NAME "bert_quantize_rows"
/* Bytes after each row's K quantized values: lo, hi, zeros. */
#define BERT_QUANTIZE_TAIL 64

/* out (uint8, dims: k, m) over its region: the region's k range must be
 * [0, k + BERT_QUANTIZE_TAIL); rows past X's end are left alone (the kernel
 * asks in blocks of 16 rows guarded at M). x: float32 (k, M), any row
 * pitch. block: 0 (no rotation) or a power of 4 dividing k. In a bounds
 * query (x or out without host memory) it names the region of x it reads
 * where x is the query. Returns 0, or -1 for a bad block or region, or when
 * its scratch row cannot be allocated. */
int bert_quantize_rows(int32_t block, int32_t k, halide_buffer_t *x,
                       halide_buffer_t *out);

/* The same with the widest body it may use (BERT_HADAMARD_PORTABLE, _AVX2
 * or _AVX512 of HadamardRows.h), for the tests. */
int bert_quantize_rows_with(int32_t block, int32_t k, halide_buffer_t *x,
                            halide_buffer_t *out, int widest);

#ifdef __cplusplus
}
#endif

#endif
