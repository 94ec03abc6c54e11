/*===- HadamardRows.h - the int8 linear's X rotation (Halide extern) -*- C
 *-*-===
 *
 * `precision <i8>` with `hadamard B` (bert.linear): before the int8 linear
 * quantizes X per row it multiplies every block of B channels by the
 * Walsh-Hadamard matrix of order B (runtime/src/hadamard.h defines the
 * float arithmetic; the runtime rotates W the same way at load).
 *
 * A Halide extern stage in C rather than a Halide Func: the transform's
 * butterflies pair lanes of one vector (h < 16), which Halide 21 lowers to
 * deinterleaving shuffles and boundary cases (measured, M = 128, 2 threads:
 * 450 us per call at K = 3072, a Halide FWHT over whole rows; this routine
 * does the same call in tens of us with one permute per stage and vector).
 *
 * Linked into every CPU library (LibraryEmitter) and into the compiler,
 * whose JIT (tests, `bertc tune`) calls it by address.
 *===----------------------------------------------------------------------===*/
#ifndef BERT_COMPILER_BACKEND_CPU_HADAMARD_HADAMARDROWS_H
#define BERT_COMPILER_BACKEND_CPU_HADAMARD_HADAMARDROWS_H

#include "HalideRuntime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The extern stage's C name (LinearInt8.cpp names it in define_extern). */
#define BERT_HADAMARD_ROWS_NAME "bert_hadamard_rows"

/* out[m, k] = (X[m, :] rotated in blocks of `block`)[k] over out's region
 * (dims: k, m; float32). The region's k range must be whole blocks. In a
 * bounds query (x or out without host memory) it names the region of x it
 * reads where x is the query (the same rows and channels) and computes
 * nothing. Returns 0, or -1 for
 * a block that is not a power of 4 or a region of partial blocks. */
int bert_hadamard_rows(int32_t block, halide_buffer_t *x, halide_buffer_t *out);

/* The same with the widest body it may use (the tests run each body on a
 * host that has the wider ones): BERT_HADAMARD_PORTABLE, _AVX2 or _AVX512
 * (what bert_hadamard_rows passes). */
#define BERT_HADAMARD_PORTABLE 0
#define BERT_HADAMARD_AVX2 1
#define BERT_HADAMARD_AVX512 2
int bert_hadamard_rows_with(int32_t block, halide_buffer_t *x,
                            halide_buffer_t *out, int widest);

#ifdef __cplusplus
}
#endif

#endif
