/*===- safetensors.c - Validated view of a safetensors file ---------------===*\
|*                                                                            *|
|* Layout (https://github.com/huggingface/safetensors): 8 bytes little-endian *|
|* header length N, N bytes of JSON, then the data region. The JSON maps each *|
|* tensor name to {"dtype", "shape", "data_offsets": [begin, end]} with       *|
|* offsets relative to the data region; "__metadata__" is a string map we     *|
|* skip. The file is untrusted: each number is checked before it is used in   *|
|* arithmetic, so a hostile header yields an error, never an out-of-bounds    *|
|* read. Sorting (names, offsets) keeps every check O(n log n) in the number  *|
|* of tensors, so a header at the size cap costs seconds, not hours.          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "safetensors.h"
#include "file.h"
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
#define BERT_ST_MAX_HEADER ((uint64_t)BERT_MAX_HEADER_BYTES)

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

size_t bert_st_dtype_size(bert_st_dtype dtype) {
  size_t i;
  for (i = 0; i < NUM_DTYPES; ++i)
    if (dtype_table[i].dtype == dtype)
      return dtype_table[i].size;
  return 0;
}

int bert_st_dtype_from_name(const char *name, bert_st_dtype *dtype) {
  size_t i;
  for (i = 0; i < NUM_DTYPES; ++i)
    if (strcmp(name, dtype_table[i].name) == 0) {
      *dtype = dtype_table[i].dtype;
      return 0;
    }
  return -1;
}

int bert_st_name_cmp(const char *a, size_t an, const char *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  if (c != 0)
    return c;
  return an < bn ? -1 : an > bn;
}

static int cmp_tensor_name(const void *x, const void *y) {
  const bert_st_tensor *a = *(const bert_st_tensor *const *)x;
  const bert_st_tensor *b = *(const bert_st_tensor *const *)y;
  return bert_st_name_cmp(a->name, a->name_len, b->name, b->name_len);
}

static int cmp_tensor_offsets(const void *x, const void *y) {
  const bert_st_tensor *a = *(const bert_st_tensor *const *)x;
  const bert_st_tensor *b = *(const bert_st_tensor *const *)y;
  const unsigned char *ae = a->data + a->nbytes, *be = b->data + b->nbytes;
  if (a->data != b->data)
    return a->data < b->data ? -1 : 1;
  return ae < be ? -1 : ae > be;
}

/* Reads one tensor entry `v` (named `name`) into `t`; data_size is the size
 * of the data region starting at `data`. */
static bert_status_code parse_entry(const bert_st_file *f,
                                    const bert_json_value *v, const char *name,
                                    const unsigned char *data,
                                    uint64_t data_size, bert_st_tensor *t,
                                    bert_status *st) {
  const bert_json_doc *doc = &f->header;
  const bert_json_value *dtype, *shape, *offsets, *e, *e2;
  uint64_t elem_size = 0, numel = 1, begin, end;
  int64_t d;
  size_t i;
  const char *dtype_name;

  if (bert_json_type_of(v) != BERT_JSON_OBJECT)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': header entry is not an object",
                           f->path, name);
  dtype = bert_json_get(doc, v, "dtype");
  shape = bert_json_get(doc, v, "shape");
  offsets = bert_json_get(doc, v, "data_offsets");
  if (!dtype || bert_json_type_of(dtype) != BERT_JSON_STRING || !shape ||
      bert_json_type_of(shape) != BERT_JSON_ARRAY || !offsets ||
      bert_json_type_of(offsets) != BERT_JSON_ARRAY)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': expected \"dtype\" (string), "
                           "\"shape\" (array) and \"data_offsets\" (array)",
                           f->path, name);
  dtype_name = bert_json_string(doc, dtype, NULL);
  if (bert_st_dtype_from_name(dtype_name, &t->dtype) != 0)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': unknown dtype '%s'", f->path, name,
                           dtype_name);
  elem_size = bert_st_dtype_size(t->dtype);

  if (bert_json_count(shape) > BERT_ST_MAX_RANK)
    return bert_status_set(
        st, BERT_ERR_BAD_FORMAT, "%s: tensor '%s': rank %lld exceeds %d",
        f->path, name, (long long)bert_json_count(shape), BERT_ST_MAX_RANK);
  t->rank = (int)bert_json_count(shape);
  for (i = 0, e = bert_json_first(doc, shape); e; e = bert_json_next(doc, e)) {
    if (bert_json_type_of(e) != BERT_JSON_NUMBER || !bert_json_is_int(e) ||
        bert_json_int(e) < 0)
      return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                             "%s: tensor '%s': shape entries must be "
                             "non-negative integers",
                             f->path, name);
    d = bert_json_int(e);
    t->shape[i++] = d;
    /* Any product above the data size is an error anyway; stop there so
     * the multiplication cannot overflow. */
    if (d != 0 && numel > (data_size + 1) / (uint64_t)d)
      numel = data_size + 1;
    else
      numel *= (uint64_t)d;
  }

  if (bert_json_count(offsets) != 2)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': data_offsets must be [begin, end]",
                           f->path, name);
  e = bert_json_first(doc, offsets);
  e2 = bert_json_next(doc, e);
  if (bert_json_type_of(e) != BERT_JSON_NUMBER || !bert_json_is_int(e) ||
      bert_json_int(e) < 0 || bert_json_type_of(e2) != BERT_JSON_NUMBER ||
      !bert_json_is_int(e2) || bert_json_int(e2) < 0)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: tensor '%s': data_offsets must be "
                           "non-negative integers",
                           f->path, name);
  begin = (uint64_t)bert_json_int(e);
  end = (uint64_t)bert_json_int(e2);
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
                           dtype_name, buf, need);
  }
  t->numel = (int64_t)numel;
  t->data = data + begin;
  t->nbytes = (size_t)(end - begin);
  return BERT_OK;
}

/* Names unique (compared as whole byte strings, so "a\0x" is not "a") and
 * tensors tiling [0, data_size) exactly. Fills f->by_name. */
static bert_status_code check_table(bert_st_file *f, const unsigned char *data,
                                    uint64_t data_size, bert_status *st) {
  const bert_st_tensor **order;
  uint64_t next = 0, b;
  int i, n = f->num_tensors;

  f->by_name = malloc(((size_t)n + 1) * sizeof(*f->by_name));
  order = malloc(((size_t)n + 1) * sizeof(*order));
  if (!f->by_name || !order) {
    free(order);
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "%s: out of memory reading the header", f->path);
  }
  for (i = 0; i < n; ++i)
    order[i] = &f->tensors[i];
  qsort(order, (size_t)n, sizeof(*order), cmp_tensor_name);
  for (i = 0; i < n; ++i) {
    if (i > 0 && cmp_tensor_name(&order[i - 1], &order[i]) == 0) {
      bert_status_set(st, BERT_ERR_BAD_FORMAT,
                      "%s: tensor '%s' appears twice in the header", f->path,
                      order[i]->name);
      free(order);
      return BERT_ERR_BAD_FORMAT;
    }
    f->by_name[i] = (int)(order[i] - f->tensors);
  }

  /* As the reference implementation: sorted by offset, each tensor starts
   * where the previous one ends and the last ends at the end of the file.
   * Overlapping tensors would alias each other's bytes; gaps and trailing
   * bytes are data no tensor accounts for. */
  qsort(order, (size_t)n, sizeof(*order), cmp_tensor_offsets);
  for (i = 0; i < n; ++i) {
    b = (uint64_t)(order[i]->data - data);
    if (b != next) {
      bert_status_set(st, BERT_ERR_BAD_FORMAT,
                      "%s: tensor '%s': data_offsets begin at byte %llu, "
                      "but the tensors before it end at byte %llu (%s)",
                      f->path, order[i]->name, (unsigned long long)b,
                      (unsigned long long)next, b < next ? "overlap" : "gap");
      free(order);
      return BERT_ERR_BAD_FORMAT;
    }
    next = b + order[i]->nbytes;
  }
  free(order);
  if (next != data_size)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: %llu trailing bytes after the last tensor "
                           "(data region of %llu bytes, tensors end at %llu)",
                           f->path, (unsigned long long)(data_size - next),
                           (unsigned long long)data_size,
                           (unsigned long long)next);
  return BERT_OK;
}

/* Parses the header JSON (already mapped) and fills the tensor table. */
static bert_status_code parse_header(bert_st_file *f, const char *json,
                                     uint64_t json_len,
                                     const unsigned char *data,
                                     uint64_t data_size, bert_status *st) {
  char err[160];
  const bert_json_value *root, *v;
  bert_status_code code;
  const char *key;
  size_t key_len;
  int n = 0, metadata = 0;

  if (bert_json_parse(json, (size_t)json_len, &f->header, err, sizeof(err)))
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: malformed JSON header %s", f->path, err);
  root = &f->header.nodes[0];
  if (bert_json_type_of(root) != BERT_JSON_OBJECT)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: JSON header is not an object", f->path);
  /* Up front, before anything is allocated per entry (the parsed JSON is
   * already bounded by the header cap). */
  if (bert_json_count(root) > (int64_t)BERT_MAX_TENSORS + 1)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: header lists %lld entries, more than "
                           "BERT_MAX_TENSORS (%d) tensors and __metadata__",
                           f->path, (long long)bert_json_count(root),
                           BERT_MAX_TENSORS);
  f->tensors = calloc((size_t)bert_json_count(root) + 1, sizeof(*f->tensors));
  if (!f->tensors)
    return bert_status_set(st, BERT_ERR_OUT_OF_MEMORY,
                           "%s: out of memory reading the header", f->path);
  for (v = bert_json_first(&f->header, root); v;
       v = bert_json_next(&f->header, v)) {
    key = bert_json_key(&f->header, v, &key_len);
    if (key_len == 12 && memcmp(key, "__metadata__", 12) == 0) {
      if (bert_json_type_of(v) != BERT_JSON_OBJECT)
        return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                               "%s: __metadata__ is not an object", f->path);
      if (metadata++)
        return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                               "%s: __metadata__ appears twice in the header",
                               f->path);
      continue;
    }
    if (n == BERT_MAX_TENSORS)
      return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                             "%s: header lists more than BERT_MAX_TENSORS "
                             "(%d) tensors",
                             f->path, BERT_MAX_TENSORS);
    f->tensors[n].name = key;
    f->tensors[n].name_len = key_len;
    code = parse_entry(f, v, key, data, data_size, &f->tensors[n], st);
    if (code != BERT_OK)
      return code;
    ++n;
  }
  f->num_tensors = n;
  return check_table(f, data, data_size, st);
}

/* Validates the file image bytes[0, size) into f (whose path is set). */
static bert_status_code parse_image(bert_st_file *f, const unsigned char *bytes,
                                    uint64_t size, bert_status *st) {
  uint64_t header_len = 0;
  int i;
  if (size < 8)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: file is %llu bytes, too short for the 8-byte "
                           "header length",
                           f->path, (unsigned long long)size);
  for (i = 7; i >= 0; --i)
    header_len = (header_len << 8) | bytes[i];
  if (header_len > size - 8)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: truncated: header length %llu exceeds the "
                           "%llu bytes after the length field",
                           f->path, (unsigned long long)header_len,
                           (unsigned long long)(size - 8));
  if (header_len > BERT_ST_MAX_HEADER)
    return bert_status_set(st, BERT_ERR_BAD_FORMAT,
                           "%s: header length %llu exceeds the limit of %llu "
                           "bytes (BERT_MAX_HEADER_BYTES)",
                           f->path, (unsigned long long)header_len,
                           (unsigned long long)BERT_ST_MAX_HEADER);
  return parse_header(f, (const char *)bytes + 8, header_len,
                      bytes + 8 + header_len, size - 8 - header_len, st);
}

bert_status_code bert_st_open(const char *path, bert_st_file *f,
                              bert_status *st) {
  char err[160];
  int fd;
  uint64_t file_size = 0;
  bert_status_code code;

  memset(f, 0, sizeof(*f));
  f->path = path;
  fd = bert_file_open(path, 0, &file_size, err, sizeof(err));
  if (fd < 0)
    return bert_status_set(st, BERT_ERR_IO, "%s: %s", path, err);
  if (file_size < 8) {
    close(fd);
    return parse_image(f, (const unsigned char *)"", file_size, st);
  }
  f->map = mmap(NULL, (size_t)file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd); /* the mapping keeps the file alive */
  if (f->map == MAP_FAILED) {
    f->map = NULL;
    return bert_status_set(st, BERT_ERR_IO, "%s: mmap failed: %s", path,
                           strerror(errno));
  }
  f->map_size = (size_t)file_size;
  code = parse_image(f, f->map, file_size, st);
  if (code != BERT_OK) {
    bert_st_close(f);
    f->path = path;
    return code;
  }
  return bert_status_ok(st);
}

bert_status_code bert_st_open_buffer(const char *label, const void *bytes,
                                     size_t size, bert_st_file *f,
                                     bert_status *st) {
  bert_status_code code;
  memset(f, 0, sizeof(*f));
  f->path = label;
  code = parse_image(f, bytes, size, st);
  if (code != BERT_OK) {
    bert_st_close(f);
    f->path = label;
    return code;
  }
  return bert_status_ok(st);
}

void bert_st_close(bert_st_file *f) {
  if (f->map)
    munmap(f->map, f->map_size);
  bert_json_free(&f->header);
  free(f->tensors);
  free(f->by_name);
  memset(f, 0, sizeof(*f));
}

const bert_st_tensor *bert_st_find_n(const bert_st_file *f, const char *name,
                                     size_t len) {
  int lo = 0, hi = f->num_tensors, mid, c;
  while (lo < hi) {
    const bert_st_tensor *t;
    mid = lo + (hi - lo) / 2;
    t = &f->tensors[f->by_name[mid]];
    c = bert_st_name_cmp(t->name, t->name_len, name, len);
    if (c == 0)
      return t;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const bert_st_tensor *bert_st_find(const bert_st_file *f, const char *name) {
  return bert_st_find_n(f, name, strlen(name));
}
