/*===- packing.c - Padding removal for run_packed -------------------------===*\
|*                                                                            *|
|* The three steps around the kernels of bert_model_desc::run_packed that    *|
|* are the same for every model: choose the tokens to compute, gather their  *|
|* rows, and scatter the results back to the padded layout. They live here,  *|
|* tested on their own (test/Runtime/PackingTest.cpp), so the generated host *|
|* code holds only the kernel calls between them. Declared in               *|
|* bert_model_abi.h.                                                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_model_abi.h"

#include <string.h>

/* The tokens of bert_pack_tokens, or with real_only those of
 * bert_pack_real_tokens (-1 for a row whose real tokens have a hole). */
static int32_t pack_tokens(const int32_t *attention_mask, int64_t batch,
                           int64_t seq, int32_t *tok, int32_t *tok_mask,
                           int32_t *cu, int real_only) {
  int32_t t = 0;
  int64_t b, s;
  for (b = 0; b < batch; ++b) {
    int64_t first = -1, last = -1;
    cu[b] = t;
    for (s = 0; s < seq; ++s) {
      int32_t m = attention_mask[b * seq + s];
      /* Position 0 is always computed (the pooler reads it), except for
       * relative attention, where it would sit at the wrong distances. */
      if (!m && (real_only || s != 0))
        continue;
      if (m && first < 0)
        first = s;
      if (m)
        last = s;
      tok[t] = (int32_t)(b * seq + s);
      tok_mask[t] = m;
      ++t;
    }
    /* A hole between real tokens: packing would change their distances. */
    if (real_only && first >= 0 && last - first + 1 != t - cu[b])
      return -1;
  }
  cu[batch] = t;
  return t;
}

int32_t bert_pack_tokens(const int32_t *attention_mask, int64_t batch,
                         int64_t seq, int32_t *tok, int32_t *tok_mask,
                         int32_t *cu) {
  return pack_tokens(attention_mask, batch, seq, tok, tok_mask, cu, 0);
}

int32_t bert_pack_real_tokens(const int32_t *attention_mask, int64_t batch,
                              int64_t seq, int32_t *tok, int32_t *tok_mask,
                              int32_t *cu) {
  return pack_tokens(attention_mask, batch, seq, tok, tok_mask, cu, 1);
}

void bert_gather_rows(float *dst, const float *src, const int32_t *tok,
                      int32_t num_tokens, int64_t width) {
  int32_t t;
  /* In place (dst == src), a row that stays put is not copied onto itself;
   * any other source row lies past every row written so far. */
  for (t = 0; t < num_tokens; ++t)
    if (dst != src || tok[t] != t)
      memcpy(dst + (size_t)t * (size_t)width,
             src + (size_t)tok[t] * (size_t)width,
             (size_t)width * sizeof(float));
}

void bert_scatter_rows(float *data, const int32_t *tok, int32_t num_tokens,
                       int64_t num_rows, int64_t width) {
  /* Down from the last row: when row r is written, the packed rows still
   * unread are 0..t, and t <= tok[t] <= r (tok is increasing, one row per
   * token), so only row r == t itself can be both, and it stays put. */
  int32_t t = num_tokens - 1;
  int64_t r;
  const size_t bytes = (size_t)width * sizeof(float);
  for (r = num_rows - 1; r >= 0; --r) {
    float *row = data + (size_t)r * (size_t)width;
    if (t >= 0 && tok[t] == r) {
      if ((int64_t)t != r)
        memcpy(row, data + (size_t)t * (size_t)width, bytes);
      --t;
    } else {
      memset(row, 0, bytes);
    }
  }
}
