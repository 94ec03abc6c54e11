/*===- safetensors.c - Validated view of a safetensors file ---------------===*\
|*                                                                            *|
|* Layout (https://github.com/huggingface/safetensors): 8 bytes little-endian *|
|* header length N, N bytes of JSON, then the data region. The JSON maps each *|
|* tensor name to {"dtype", "shape", "data_offsets": [begin, end]} with       *|
|* offsets relative to the data region; "__metadata__" is a string map we     *|
|* skip. The file is untrusted: each number is checked before it is used in   *|
|* arithmetic, so a hostile header yields an error, never an out-of-bounds    *|
|* read.                                                                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "safetensors.h"
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference implementation refuses headers above 100 MB; so do we. */
#define BERT_ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)

static const struct {
  const char *name;
  bert_st_dtype dtype;
  size_t size;
} dtype_table[] = {
    {"BOOL", BERT_ST_BOOL, 1},       {"U8", BERT_ST_U8, 1},
    {"I8", BERT_ST_I8, 1},           {"F8_E4M3", BERT_ST_F8_E4M3, 1},
    {"F8_E5M2", BERT_ST_F8_E5M2, 1}, {"I16", BERT_ST_I16, 2},
    {"U16", BERT_ST_U16, 2},         {"F16", BERT_ST_F16, 2},
    {"BF16", BERT_ST_BF16, 2},       {"I32", BERT_ST_I32, 4},
    {"U32", BERT_ST_U32, 4},         {"F32", BERT_ST_F32, 4},
    {"I64", BERT_ST_I64, 8},         {"U64", BERT_ST_U64, 8},
    {"F64", BERT_ST_F64, 8},
};
#define NUM_DTYPES (sizeof(dtype_table) / sizeof(dtype_table[0]))

const char *bert_st_dtype_name(bert_st_dtype dtype) {
  size_t i;
  for (i = 0; i < NUM_DTYPES; ++i)
    if (dtype_table[i].dtype == dtype)
      return dtype_table[i].name;
  return "?";
}

/* Reads one tensor entry `v` (named v->key) into `t`; data_size is the size
 * of the data region starting at `data`. */
static bert_status_code parse_entry(const bert_st_file *f,
                                    const bert_json_value *v,
                                    const unsigned char *data,
                                    uint64_t data_size, bert_st_tensor *t,
                                    bert_status *st) {
  const bert_json_doc *doc = &f->header;
  const bert_json_value *dtype, *shape, *offsets, *e;
  uint64_t elem_size = 0, numel = 1, begin, end;
  size_t i;
  const char *name = v->key;

  if (v->type != BERT_JSON_OBJECT)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': header entry is not an object",
                           f->path, name);
  dtype = bert_json_get(doc, v, "dtype");
  shape = bert_json_get(doc, v, "shape");
  offsets = bert_json_get(doc, v, "data_offsets");
  if (!dtype || dtype->type != BERT_JSON_STRING || !shape ||
      shape->type != BERT_JSON_ARRAY || !offsets ||
      offsets->type != BERT_JSON_ARRAY)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': expected \"dtype\" (string), "
                           "\"shape\" (array) and \"data_offsets\" (array)",
                           f->path, name);
  for (i = 0; i < NUM_DTYPES; ++i)
    if (strcmp(dtype->str, dtype_table[i].name) == 0)
      break;
  if (i == NUM_DTYPES)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': unknown dtype '%s'", f->path, name,
                           dtype->str);
  t->name = name;
  t->dtype = dtype_table[i].dtype;
  elem_size = dtype_table[i].size;

  if (shape->count > BERT_ST_MAX_RANK)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': rank %lld exceeds %d", f->path,
                           name, (long long)shape->count, BERT_ST_MAX_RANK);
  t->rank = (int)shape->count;
  for (i = 0, e = bert_json_first(doc, shape); e; e = bert_json_next(doc, e)) {
    if (e->type != BERT_JSON_NUMBER || !e->is_int || e->ival < 0)
      return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                             "%s: tensor '%s': shape entries must be "
                             "non-negative integers",
                             f->path, name);
    t->shape[i++] = e->ival;
    /* Any product above the data size is an error anyway; stop there so
     * the multiplication cannot overflow. */
    if (e->ival != 0 && numel > (data_size + 1) / (uint64_t)e->ival)
      numel = data_size + 1;
    else
      numel *= (uint64_t)e->ival;
  }

  if (offsets->count != 2)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': data_offsets must be [begin, end]",
                           f->path, name);
  e = bert_json_first(doc, offsets);
  if (e->type != BERT_JSON_NUMBER || !e->is_int || e->ival < 0 ||
      bert_json_next(doc, e)->type != BERT_JSON_NUMBER ||
      !bert_json_next(doc, e)->is_int || bert_json_next(doc, e)->ival < 0)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': data_offsets must be "
                           "non-negative integers",
                           f->path, name);
  begin = (uint64_t)e->ival;
  end = (uint64_t)bert_json_next(doc, e)->ival;
  if (begin > end || end > data_size)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': data_offsets [%llu, %llu] outside "
                           "the data region of %llu bytes",
                           f->path, name, (unsigned long long)begin,
                           (unsigned long long)end,
                           (unsigned long long)data_size);
  if (numel > data_size || end - begin != numel * elem_size) {
    char buf[160], need[64];
    bert_format_shape(buf, sizeof(buf), t->rank, t->shape);
    if (numel > data_size)
      snprintf(need, sizeof(need), "more than the data region holds");
    else
      snprintf(need, sizeof(need), "%llu",
               (unsigned long long)(numel * elem_size));
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': data_offsets span %llu bytes, "
                           "but %s %s needs %s",
                           f->path, name, (unsigned long long)(end - begin),
                           dtype->str, buf, need);
  }
  t->numel = (int64_t)numel;
  t->data = data + begin;
  t->nbytes = (size_t)(end - begin);
  return BERT_OK;
}

/* Parses the header JSON (already mapped) and fills the tensor table. */
static bert_status_code parse_header(bert_st_file *f, const char *json,
                                     uint64_t json_len,
                                     const unsigned char *data,
                                     uint64_t data_size, bert_status *st) {
  char err[160];
  const bert_json_value *root, *v, *w;
  bert_status_code code;
  int n = 0;

  if (bert_json_parse(json, (size_t)json_len, &f->header, err, sizeof(err)))
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: malformed JSON header %s", f->path, err);
  root = &f->header.nodes[0];
  if (root->type != BERT_JSON_OBJECT)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: JSON header is not an object", f->path);
  f->tensors = calloc((size_t)root->count + 1, sizeof(*f->tensors));
  if (!f->tensors)
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "%s: out of memory reading the header", f->path);
  for (v = bert_json_first(&f->header, root); v;
       v = bert_json_next(&f->header, v)) {
    if (strcmp(v->key, "__metadata__") == 0) {
      if (v->type != BERT_JSON_OBJECT)
        return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                               "%s: __metadata__ is not an object", f->path);
      continue;
    }
    /* Names must be unique, or "which tensor is it" has no answer. */
    for (w = bert_json_first(&f->header, root); w != v;
         w = bert_json_next(&f->header, w))
      if (w->key_len == v->key_len && memcmp(w->key, v->key, v->key_len) == 0)
        return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                               "%s: tensor '%s' appears twice in the header",
                               f->path, v->key);
    code = parse_entry(f, v, data, data_size, &f->tensors[n], st);
    if (code != BERT_OK)
      return code;
    ++n;
  }
  f->num_tensors = n;
  return BERT_OK;
}

bert_status_code bert_st_open(const char *path, bert_st_file *f,
                              bert_status *st) {
  struct stat sb;
  int fd;
  const unsigned char *bytes;
  uint64_t header_len = 0, file_size;
  bert_status_code code;
  int i;

  memset(f, 0, sizeof(*f));
  f->path = path;
  fd = open(path, O_RDONLY);
  if (fd < 0)
    return bert_status_set(st, BERT_ERR_IO, "%s: cannot open: %s", path,
                           strerror(errno));
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return bert_status_set(st, BERT_ERR_IO, "%s: not a regular file", path);
  }
  file_size = (uint64_t)sb.st_size;
  if (file_size < 8) {
    close(fd);
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: file is %llu bytes, too short for the 8-byte "
                           "header length",
                           path, (unsigned long long)file_size);
  }
  f->map = mmap(NULL, (size_t)file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd); /* the mapping keeps the file alive */
  if (f->map == MAP_FAILED) {
    f->map = NULL;
    return bert_status_set(st, BERT_ERR_IO, "%s: mmap failed: %s", path,
                           strerror(errno));
  }
  f->map_size = (size_t)file_size;
  bytes = f->map;
  for (i = 7; i >= 0; --i)
    header_len = (header_len << 8) | bytes[i];
  if (header_len > file_size - 8 || header_len > BERT_ST_MAX_HEADER) {
    code = bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: header length %llu exceeds the file (%llu "
                           "bytes after the length field)",
                           path, (unsigned long long)header_len,
                           (unsigned long long)(file_size - 8));
    goto error;
  }
  code = parse_header(f, (const char *)bytes + 8, header_len,
                      bytes + 8 + header_len, file_size - 8 - header_len, st);
  if (code != BERT_OK)
    goto error;
  return bert_status_ok(st);
error:
  bert_st_close(f);
  f->path = path;
  return code;
}

void bert_st_close(bert_st_file *f) {
  if (f->map)
    munmap(f->map, f->map_size);
  bert_json_free(&f->header);
  free(f->tensors);
  memset(f, 0, sizeof(*f));
}

const bert_st_tensor *bert_st_find(const bert_st_file *f, const char *name) {
  int i;
  for (i = 0; i < f->num_tensors; ++i)
    if (strcmp(f->tensors[i].name, name) == 0)
      return &f->tensors[i];
  return NULL;
}
