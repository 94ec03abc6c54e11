/*===- npy.h - NumPy .npy reader and writer -------------------------------===*\
|*                                                                            *|
|* bert-run exchanges tensors with Python as .npy files (format 1.0-3.0,      *|
|* https://numpy.org/neps/nep-0001-npy-format.html). Only what BERT I/O       *|
|* needs: little-endian int32, int64 and float32, C order. Errors describe    *|
|* the problem without the file name; callers prefix it.                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_NPY_H
#define BERT_RUNTIME_NPY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BERT_NPY_MAX_RANK 8
/* Largest .npy file bert_npy_read takes (2 GiB: token ids and a bert-eval
 * result are far smaller). */
#define BERT_NPY_MAX_BYTES ((uint64_t)1 << 31)

typedef enum { BERT_NPY_I32, BERT_NPY_I64, BERT_NPY_F32 } bert_npy_dtype;

typedef struct {
  bert_npy_dtype dtype;
  int rank;
  int64_t shape[BERT_NPY_MAX_RANK];
  int64_t numel;
  void *data; /* malloc'ed, numel elements */
} bert_npy_array;

/* Parses a whole .npy image held in memory. Returns 0 and fills `out`
 * (free with bert_npy_free), or -1 with a message in err. */
int bert_npy_parse(const void *bytes, size_t size, bert_npy_array *out,
                   char *err, size_t err_size);

/* Reads a .npy file; as bert_npy_parse, with I/O errors reported too. */
int bert_npy_read(const char *path, bert_npy_array *out, char *err,
                  size_t err_size);

/* Writes a version 1.0 .npy file. Returns 0 or -1 with a message. */
int bert_npy_write(const char *path, bert_npy_dtype dtype, int rank,
                   const int64_t *shape, const void *data, char *err,
                   size_t err_size);

void bert_npy_free(bert_npy_array *a);

/* "int32", "int64", "float32". */
const char *bert_npy_dtype_name(bert_npy_dtype dtype);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_NPY_H */
