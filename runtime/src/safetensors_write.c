/*===- safetensors_write.c - The one safetensors header writer ------------===*\
|*                                                                            *|
|* bertc init-weights, bert-eval --save-weights and the runtime tests all     *|
|* produce files through bert_st_format_header, so every file they write is   *|
|* one the reader accepts: names escaped as JSON, offsets back to back, the   *|
|* header padded with spaces (valid JSON whitespace) to the data alignment.   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "safetensors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *buf;
  size_t len, cap;
  int failed; /* out of memory or over the header cap */
} out_buf;

static void put(out_buf *o, const char *s, size_t n) {
  if (o->failed)
    return;
  if (o->len + n > o->cap) {
    size_t cap = o->cap ? o->cap : 256;
    char *b;
    while (cap < o->len + n)
      cap *= 2;
    /* The header cap bounds the buffer (plus the 8 length bytes and up to
     * one alignment's padding, which are added separately). */
    if (o->len + n > (size_t)BERT_MAX_HEADER_BYTES + 8 ||
        !(b = realloc(o->buf, cap))) {
      o->failed = 1;
      return;
    }
    o->buf = b;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

static void putf(out_buf *o, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  put(o, tmp, (size_t)n);
}

/* A JSON string: quotes, backslashes and control bytes escaped; other bytes
 * (UTF-8) as they are. */
static void put_string(out_buf *o, const char *s, size_t n) {
  size_t i;
  put(o, "\"", 1);
  for (i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      put(o, e, 2);
    } else if (c < 0x20) {
      putf(o, "\\u%04x", c);
    } else {
      put(o, (const char *)&s[i], 1);
    }
  }
  put(o, "\"", 1);
}

static int cmp_entry_name(const void *x, const void *y) {
  const bert_st_entry *a = *(const bert_st_entry *const *)x;
  const bert_st_entry *b = *(const bert_st_entry *const *)y;
  return bert_st_name_cmp(a->name, a->name_len, b->name, b->name_len);
}

/* Refuses what the reader would refuse about the table itself. */
static int check_entries(const bert_st_entry *e, int n, char *err,
                         size_t err_size) {
  const bert_st_entry **sorted;
  int i, rc = 0;
  if (n < 0 || n > BERT_MAX_TENSORS) {
    snprintf(err, err_size, "%d tensors, more than BERT_MAX_TENSORS (%d)", n,
             BERT_MAX_TENSORS);
    return -1;
  }
  for (i = 0; i < n; ++i) {
    if (e[i].name_len == 12 && memcmp(e[i].name, "__metadata__", 12) == 0) {
      snprintf(err, err_size, "'__metadata__' is not a valid tensor name");
      return -1;
    }
    if (e[i].rank < 0 || e[i].rank > BERT_ST_MAX_RANK) {
      snprintf(err, err_size, "tensor '%s': rank %d outside [0, %d]", e[i].name,
               e[i].rank, BERT_ST_MAX_RANK);
      return -1;
    }
  }
  sorted = malloc(((size_t)n + 1) * sizeof(*sorted));
  if (!sorted) {
    snprintf(err, err_size, "out of memory");
    return -1;
  }
  for (i = 0; i < n; ++i)
    sorted[i] = &e[i];
  qsort(sorted, (size_t)n, sizeof(*sorted), cmp_entry_name);
  for (i = 1; i < n && rc == 0; ++i)
    if (cmp_entry_name(&sorted[i - 1], &sorted[i]) == 0) {
      snprintf(err, err_size, "duplicate tensor '%s'", sorted[i]->name);
      rc = -1;
    }
  free(sorted);
  return rc;
}

int bert_st_format_header(const bert_st_entry *entries, int n,
                          const char *const *meta, int n_meta, size_t align,
                          char **out, size_t *out_len, uint64_t *data_bytes,
                          char *err, size_t err_size) {
  out_buf o = {NULL, 0, 0, 0};
  uint64_t offset = 0, numel, bytes, json_len;
  int i, k;
  *out = NULL;
  *out_len = 0;
  if (align == 0 || align > 4096) {
    snprintf(err, err_size, "alignment %zu outside [1, 4096]", align);
    return -1;
  }
  if (check_entries(entries, n, err, err_size) != 0)
    return -1;
  put(&o, "\0\0\0\0\0\0\0\0{", 9);
  if (n_meta > 0) {
    put(&o, "\"__metadata__\":{", 16);
    for (i = 0; i < n_meta; ++i) {
      put_string(&o, meta[2 * i], strlen(meta[2 * i]));
      put(&o, ":", 1);
      put_string(&o, meta[2 * i + 1], strlen(meta[2 * i + 1]));
      put(&o, i + 1 < n_meta ? "," : "}", 1);
    }
    if (n > 0)
      put(&o, ",", 1);
  }
  for (i = 0; i < n; ++i) {
    const bert_st_entry *e = &entries[i];
    numel = 1;
    for (k = 0; k < e->rank; ++k) {
      if (e->shape[k] < 0 ||
          (e->shape[k] && numel > UINT64_MAX / 16 / (uint64_t)e->shape[k])) {
        snprintf(err, err_size,
                 "tensor '%s': shape entry %lld is negative or too large",
                 e->name, (long long)e->shape[k]);
        free(o.buf);
        return -1;
      }
      numel *= (uint64_t)e->shape[k];
    }
    bytes = numel * bert_st_dtype_size(e->dtype);
    if (bytes > UINT64_MAX / 4 - offset) {
      snprintf(err, err_size, "tensor '%s': data size overflows", e->name);
      free(o.buf);
      return -1;
    }
    put_string(&o, e->name, e->name_len);
    put(&o, ":{\"dtype\":\"", 11);
    put(&o, bert_st_dtype_name(e->dtype), strlen(bert_st_dtype_name(e->dtype)));
    put(&o, "\",\"shape\":[", 11);
    for (k = 0; k < e->rank; ++k)
      putf(&o, k ? ",%lld" : "%lld", (long long)e->shape[k]);
    putf(&o, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
         (unsigned long long)(offset + bytes));
    if (i + 1 < n)
      put(&o, ",", 1);
    offset += bytes;
  }
  put(&o, "}", 1);
  while (!o.failed && o.len % align != 0)
    put(&o, " ", 1);
  json_len = o.len - 8;
  if (o.failed || json_len > (uint64_t)BERT_MAX_HEADER_BYTES) {
    if (o.failed && o.len <= (size_t)BERT_MAX_HEADER_BYTES)
      snprintf(err, err_size, "out of memory formatting the header");
    else
      snprintf(err, err_size, "header longer than BERT_MAX_HEADER_BYTES (%d)",
               BERT_MAX_HEADER_BYTES);
    free(o.buf);
    return -1;
  }
  for (i = 0; i < 8; ++i)
    o.buf[i] = (char)((json_len >> (8 * i)) & 0xFF);
  *out = o.buf;
  *out_len = o.len;
  *data_bytes = offset;
  return 0;
}
