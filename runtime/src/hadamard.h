/*===- hadamard.h - The Walsh-Hadamard rotation of int8 linears -*- C -*-===*\
|*                                                                            *|
|* `precision <i8>` with `hadamard B` (bert.linear): X and W are multiplied,  *|
|* along K, by the orthonormal Walsh-Hadamard matrix of order B (Sylvester's *|
|* order, B a power of 4) on each block of B consecutive channels before     *|
|* they are quantized; (X H)(W H)^T = X W^T, while one channel's outlier is  *|
|* spread over the B channels of its block, so the per-row and per-channel   *|
|* int8 ranges fit the rest of the row far better.                           *|
|*                                                                            *|
|* The one definition of that transform's arithmetic, which the runtime's   *|
|* weight packer, the kernels' activation pass (compiler/backend/cpu/quant)  *|
|* and the evaluator all follow so that their float results agree bit for    *|
|* bit: log2(B) butterfly stages, half-width h = 1, 2, 4, ... in that order, *|
|* each turning the pair (a, b) = (v[j], v[j + h]) (bit h of j clear) into  *|
|* (a + b, a - b) in float32; then every value times 2^-(log2(B) / 2), which *|
|* is exact (B a power of 4). Header-only: each user compiles its own copy,  *|
|* a vectorized one must reproduce these float operations exactly.          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_HADAMARD_H
#define BERT_RUNTIME_HADAMARD_H

#include <stdint.h>

/* True for the block sizes the transform allows: 4, 16, 64, 256, ... */
static inline int bert_hadamard_block_ok(int64_t b) {
  return b >= 4 && (b & (b - 1)) == 0 && (b & 0x5555555555555555LL) != 0;
}

/* v[0 .. b) in place (b a power of 4; see above). */
static inline void bert_hadamard_block(float *v, int64_t b) {
  int64_t h, i, j, half = 1;
  float scale;
  for (h = 1; h < b; h *= 2)
    for (i = 0; i < b; i += 2 * h)
      for (j = i; j < i + h; ++j) {
        float a = v[j], c = v[j + h];
        v[j] = a + c;
        v[j + h] = a - c;
      }
  for (h = 4; h <= b; h *= 4)
    half *= 2;
  scale = 1.0f / (float)half;
  for (j = 0; j < b; ++j)
    v[j] *= scale;
}

/* Every block of b of a row of k values (k % b == 0), in place. */
static inline void bert_hadamard_row(float *v, int64_t k, int64_t b) {
  int64_t i;
  for (i = 0; i + b <= k; i += b)
    bert_hadamard_block(v + i, b);
}

#endif /* BERT_RUNTIME_HADAMARD_H */
