/*===- safetensors.h - Validated view of a safetensors file ---------------===*\
|*                                                                            *|
|* Maps a safetensors file read-only and turns its header into a table of     *|
|* tensors whose every field has been checked against the file: dtype known,  *|
|* shape non-negative, offsets ordered, inside the data region and exactly    *|
|* dtype size x element count long, names unique, and the tensors tiling the  *|
|* data region exactly (no overlap, gap or trailing byte, as the reference    *|
|* implementation demands). After bert_st_open succeeds, a tensor's `data`   *|
|* can be read for `nbytes` without further checks. Also the one writer of   *|
|* safetensors headers (bertc init-weights, the tests).                       *|
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
  const char *name; /* points into the parsed header; NUL-terminated, but */
  size_t name_len;  /* a name may hold NULs (\u0000): compare with length */
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
  int *by_name; /* tensor indices sorted by name, for bert_st_find */
} bert_st_file;

/* Maps and validates `path`. On failure fills st (the message starts with
 * the path), leaves nothing mapped or allocated and returns the code. `path`
 * must outlive the file object. */
bert_status_code bert_st_open(const char *path, bert_st_file *f,
                              bert_status *st);

/* Validates a safetensors image held in memory (`size` bytes at `bytes`,
 * which must outlive the file object); `label` stands for the path in
 * messages. Nothing is mapped: bert_st_close frees the tables only. */
bert_status_code bert_st_open_buffer(const char *label, const void *bytes,
                                     size_t size, bert_st_file *f,
                                     bert_status *st);

/* Unmaps and frees; a zeroed or closed file is a no-op. */
void bert_st_close(bert_st_file *f);

/* The tensor called `name` (all of it: "a" does not find "a\0b"), or NULL.
 * O(log n). */
const bert_st_tensor *bert_st_find(const bert_st_file *f, const char *name);
/* The same for a name of `len` bytes that may contain NULs. */
const bert_st_tensor *bert_st_find_n(const bert_st_file *f, const char *name,
                                     size_t len);

/* IEEE half / bfloat16 bit patterns to float32 (exact). */
float bert_half_to_float(uint16_t bits);
float bert_bf16_to_float(uint16_t bits);

/* Converts elements [first, first + count) of an F32, F16 or BF16 tensor
 * to float32 in dst; 0, or -1 (dst untouched) for any other dtype. */
int bert_st_convert_f32(const bert_st_tensor *t, int64_t first, int64_t count,
                        float *dst);

/* Byte-wise order of two names with lengths (a prefix sorts first): how
 * names are compared, sorted and told apart everywhere. */
int bert_st_name_cmp(const char *a, size_t an, const char *b, size_t bn);

/* Bytes per element of `dtype`. */
size_t bert_st_dtype_size(bert_st_dtype dtype);
/* The dtype called `name` ("F32", ...); 0 and *dtype set, or -1. */
int bert_st_dtype_from_name(const char *name, bert_st_dtype *dtype);

/* One tensor of a file to write; its data is written by the caller. */
typedef struct {
  const char *name;
  size_t name_len;
  bert_st_dtype dtype;
  int rank;
  const int64_t *shape;
} bert_st_entry;

/* Formats the start of a safetensors file holding `entries` back to back
 * in the given order: the 8-byte length, then the JSON header
 * ({"__metadata__": {meta[0]: meta[1], ...}, name: {dtype, shape,
 * data_offsets}, ...}, metadata left out when n_meta is 0) padded with
 * spaces so that the data starts at a multiple of `align` bytes in the file
 * (the reference implementation uses 8). The caller then writes each
 * tensor's bytes in the same order, *data_bytes in all. Refuses duplicate
 * names, the name "__metadata__", more than BERT_MAX_TENSORS entries, a
 * rank above BERT_ST_MAX_RANK, a size that overflows and a header above
 * BERT_MAX_HEADER_BYTES. Returns 0 and a malloc'd buffer in *out (free it),
 * or -1 with a message naming the tensor in err. */
int bert_st_format_header(const bert_st_entry *entries, int n,
                          const char *const *meta, int n_meta, size_t align,
                          char **out, size_t *out_len, uint64_t *data_bytes,
                          char *err, size_t err_size);

/* "F32", "BF16", ... */
const char *bert_st_dtype_name(bert_st_dtype dtype);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_SAFETENSORS_H */
