/*===- safetensors.h - Validated view of a safetensors file ---------------===*\
|*                                                                            *|
|* Maps a safetensors file read-only and turns its header into a table of     *|
|* tensors whose every field has been checked against the file: dtype known,  *|
|* shape non-negative, offsets ordered, inside the data region and exactly    *|
|* dtype size x element count long. After bert_st_open succeeds, a tensor's   *|
|* `data` can be read for `nbytes` without further checks.                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_SAFETENSORS_H
#define BERT_RUNTIME_SAFETENSORS_H

#include "bert_runtime.h"
#include "json.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ranks above this are refused (BERT tensors have rank 1 or 2). */
#define BERT_ST_MAX_RANK 8

typedef enum {
  BERT_ST_BOOL,
  BERT_ST_U8,
  BERT_ST_I8,
  BERT_ST_F8_E4M3,
  BERT_ST_F8_E5M2,
  BERT_ST_I16,
  BERT_ST_U16,
  BERT_ST_F16,
  BERT_ST_BF16,
  BERT_ST_I32,
  BERT_ST_U32,
  BERT_ST_F32,
  BERT_ST_I64,
  BERT_ST_U64,
  BERT_ST_F64
} bert_st_dtype;

typedef struct {
  const char *name; /* points into the parsed header */
  bert_st_dtype dtype;
  int rank;
  int64_t shape[BERT_ST_MAX_RANK];
  int64_t numel;
  const unsigned char *data; /* inside the mapping */
  size_t nbytes;
} bert_st_tensor;

typedef struct {
  const char *path;
  void *map;
  size_t map_size;
  bert_json_doc header;
  bert_st_tensor *tensors;
  int num_tensors;
} bert_st_file;

/* Maps and validates `path`. On failure fills st (the message starts with
 * the path), leaves nothing mapped or allocated and returns the code. `path`
 * must outlive the file object. */
bert_status_code bert_st_open(const char *path, bert_st_file *f,
                              bert_status *st);

/* Unmaps and frees; a zeroed or closed file is a no-op. */
void bert_st_close(bert_st_file *f);

/* The tensor called `name`, or NULL. */
const bert_st_tensor *bert_st_find(const bert_st_file *f, const char *name);

/* "F32", "BF16", ... */
const char *bert_st_dtype_name(bert_st_dtype dtype);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_SAFETENSORS_H */
