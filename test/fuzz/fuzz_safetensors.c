/*===- fuzz_safetensors.c - libFuzzer target: safetensors header + table --===*\
|*                                                                            *|
|* Any bytes as a whole safetensors file (bert_st_open_buffer: the same       *|
|* validation as bert_st_open, without a temporary file per input). When it   *|
|* accepts, every promise of safetensors.h is checked: each tensor's bytes    *|
|* lie inside the data region and are read whole (ASan catches a read        *|
|* outside), sizes agree with shape and dtype, names are unique and found,    *|
|* and the tensors tile the data region.                                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "safetensors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bert_st_file f;
  bert_status st;
  uint64_t covered = 0, header = 0;
  int i, k;
  unsigned char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);
  if (bert_st_open_buffer("fuzz.safetensors", copy, size, &f, &st) != BERT_OK) {
    if (strncmp(st.message, "fuzz.safetensors: ", 18) != 0)
      abort(); /* every message names the file */
    free(copy);
    return 0;
  }
  for (i = 7; i >= 0; --i)
    header = (header << 8) | copy[i];
  for (i = 0; i < f.num_tensors; ++i) {
    const bert_st_tensor *t = &f.tensors[i];
    int64_t numel = 1;
    volatile unsigned char sink = 0;
    size_t b;
    for (k = 0; k < t->rank; ++k)
      numel *= t->shape[k];
    if (numel != t->numel ||
        (uint64_t)t->numel * bert_st_dtype_size(t->dtype) != t->nbytes ||
        t->data < copy + 8 + header || t->data + t->nbytes > copy + size)
      abort();
    for (b = 0; b < t->nbytes; ++b)
      sink ^= t->data[b];
    if (bert_st_find_n(&f, t->name, t->name_len) != t)
      abort();
    if (t->numel <= 4096 &&
        (t->dtype == BERT_ST_F32 || t->dtype == BERT_ST_F16 ||
         t->dtype == BERT_ST_BF16)) {
      float *out = malloc((size_t)t->numel * sizeof(float) + 1);
      if (out && bert_st_convert_f32(t, 0, t->numel, out) != 0)
        abort();
      free(out);
    }
    covered += t->nbytes;
  }
  if (covered != size - 8 - header)
    abort(); /* tensors must tile the data region */
  bert_st_close(&f);
  free(copy);
  return 0;
}
