/*===- HadamardRows.h - the int8 linear's rotation of X's rows -*- C -*-===
 *
 * `precision <i8>` with `hadamard B` (bert.linear): before the int8 linear
 * quantizes a row of X (QuantizeRows.h) it multiplies every block of B
 * channels by the Walsh-Hadamard matrix of order B (runtime/src/hadamard.h
 * defines the float arithmetic; the runtime rotates W the same way at load).
 *
 * C rather than Halide: the transform's butterflies pair lanes of one
 * vector (h < 16), which Halide 21 lowered to deinterleaving shuffles and
 * boundary cases (measured, M = 128, 2 threads: 450 us per call at K =
 * 3072 for a Halide FWHT over whole rows; these bodies take tens of us,
 * one permute per stage and vector).
 *===----------------------------------------------------------------------===*/
#ifndef BERT_COMPILER_BACKEND_CPU_QUANT_HADAMARDROWS_H
#define BERT_COMPILER_BACKEND_CPU_QUANT_HADAMARDROWS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The bodies a caller may cap the dispatch at (the tests run each one on a
 * host that has the wider ones). */
#define BERT_HADAMARD_PORTABLE 0
#define BERT_HADAMARD_AVX2 1
#define BERT_HADAMARD_AVX512 2

/* One row of k values (k % block == 0, block a power of 4) from src into
 * dst, every block of `block` times the Walsh-Hadamard matrix, with the
 * widest body up to `widest` that the CPU has. */
void bert_hadamard_row_into(const float *src, float *dst, int64_t k,
                            int32_t block, int widest);

#ifdef __cplusplus
}
#endif

#endif
