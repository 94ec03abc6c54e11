/*===- fuzz_npy.c - libFuzzer target: the .npy reader ---------------------===*\
|*                                                                            *|
|* Any bytes as a .npy image: bert_npy_parse must refuse or return an array   *|
|* whose data holds exactly numel elements of its dtype (read whole here, so  *|
|* ASan sees any shortfall).                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "npy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bert_npy_array a;
  char err[200];
  int64_t numel = 1;
  size_t bytes, i;
  int k;
  volatile unsigned char sink = 0;
  unsigned char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);
  if (bert_npy_parse(copy, size, &a, err, sizeof(err)) == 0) {
    for (k = 0; k < a.rank; ++k)
      numel *= a.shape[k];
    if (numel != a.numel)
      abort();
    bytes = (size_t)a.numel * (a.dtype == BERT_NPY_I64 ? 8 : 4);
    for (i = 0; i < bytes; ++i)
      sink ^= ((const unsigned char *)a.data)[i];
    bert_npy_free(&a);
  }
  free(copy);
  return 0;
}
