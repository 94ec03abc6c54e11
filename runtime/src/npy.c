/*===- npy.c - NumPy .npy reader and writer -------------------------------===*\
|*                                                                            *|
|* The .npy header is a Python dict literal such as                           *|
|*   {'descr': '<i8', 'fortran_order': False, 'shape': (2, 7), }              *|
|* padded with spaces to a 64-byte boundary. We parse exactly that grammar    *|
|* (quoted keys, a string, a bool, a tuple of integers) rather than scanning  *|
|* for substrings, so a damaged header is reported instead of misread.        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "npy.h"
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"

/* One row per bert_npy_dtype, in the enum's order: its name, its npy
 * descr (little-endian only) and its size in bytes. */
static const struct {
  const char *name, *descr;
  size_t size;
} dtypes[] = {{"int32", "<i4", 4}, {"int64", "<i8", 8}, {"float32", "<f4", 4}};
enum { NUM_DTYPES = sizeof(dtypes) / sizeof(dtypes[0]) };

const char *bert_npy_dtype_name(bert_npy_dtype dtype) {
  return (unsigned)dtype < NUM_DTYPES ? dtypes[dtype].name : "?";
}

/* A value outside the enum writes as float32. */
static size_t dtype_size(bert_npy_dtype d) {
  return dtypes[(unsigned)d < NUM_DTYPES ? d : BERT_NPY_F32].size;
}

static const char *dtype_descr(bert_npy_dtype d) {
  return dtypes[(unsigned)d < NUM_DTYPES ? d : BERT_NPY_F32].descr;
}

typedef struct {
  const char *s;
  size_t len, pos;
} cursor;

static void skip_ws(cursor *c) {
  while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\n' ||
                             c->s[c->pos] == '\t' || c->s[c->pos] == '\r'))
    ++c->pos;
}

static int accept(cursor *c, char ch) {
  skip_ws(c);
  if (c->pos < c->len && c->s[c->pos] == ch) {
    ++c->pos;
    return 1;
  }
  return 0;
}

/* A '...' or "..." literal without escapes (numpy never writes any). */
static int parse_str(cursor *c, char *out, size_t out_size) {
  char q;
  size_t n = 0;
  skip_ws(c);
  if (c->pos >= c->len || (c->s[c->pos] != '\'' && c->s[c->pos] != '"'))
    return -1;
  q = c->s[c->pos++];
  while (c->pos < c->len && c->s[c->pos] != q) {
    if (n + 1 >= out_size || c->s[c->pos] == '\\')
      return -1;
    out[n++] = c->s[c->pos++];
  }
  if (c->pos >= c->len)
    return -1;
  ++c->pos;
  out[n] = '\0';
  return 0;
}

static int parse_shape(cursor *c, bert_npy_array *a) {
  if (!accept(c, '('))
    return -1;
  a->rank = 0;
  while (!accept(c, ')')) {
    int64_t v = 0;
    int digits = 0;
    skip_ws(c);
    while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
      if (v > (INT64_MAX - 9) / 10)
        return -1;
      v = v * 10 + (c->s[c->pos++] - '0');
      ++digits;
    }
    if (!digits || a->rank == BERT_NPY_MAX_RANK)
      return -1;
    a->shape[a->rank++] = v;
    if (!accept(c, ',')) {
      if (!accept(c, ')'))
        return -1;
      break;
    }
  }
  return 0;
}

static int fail(char *err, size_t err_size, const char *fmt, const char *arg) {
  snprintf(err, err_size, fmt, arg);
  return -1;
}

/* Parses the dict; fills dtype, rank and shape of `a`. */
static int parse_header(const char *h, size_t len, bert_npy_array *a, char *err,
                        size_t err_size) {
  cursor c = {h, len, 0};
  char key[32], descr[32];
  int have_descr = 0, have_order = 0, have_shape = 0;
  unsigned i;
  if (!accept(&c, '{'))
    return fail(err, err_size, "bad npy header: expected '{'%s", "");
  while (!accept(&c, '}')) {
    if (parse_str(&c, key, sizeof(key)) || !accept(&c, ':'))
      return fail(err, err_size, "bad npy header: expected 'key': value%s", "");
    if (strcmp(key, "descr") == 0) {
      if (parse_str(&c, descr, sizeof(descr)))
        return fail(err, err_size, "bad npy header: bad 'descr'%s", "");
      have_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0) {
      skip_ws(&c);
      if (c.len - c.pos >= 5 && memcmp(h + c.pos, "False", 5) == 0)
        c.pos += 5;
      else if (c.len - c.pos >= 4 && memcmp(h + c.pos, "True", 4) == 0)
        return fail(err, err_size, "Fortran-order arrays are not supported%s",
                    "");
      else
        return fail(err, err_size, "bad npy header: bad 'fortran_order'%s", "");
      have_order = 1;
    } else if (strcmp(key, "shape") == 0) {
      if (parse_shape(&c, a))
        return fail(err, err_size, "bad npy header: bad 'shape'%s", "");
      have_shape = 1;
    } else {
      return fail(err, err_size, "bad npy header: unexpected key '%s'", key);
    }
    if (!accept(&c, ',')) {
      if (!accept(&c, '}'))
        return fail(err, err_size, "bad npy header: expected ',' or '}'%s", "");
      break;
    }
  }
  skip_ws(&c);
  if (c.pos != c.len)
    return fail(err, err_size, "bad npy header: trailing characters%s", "");
  if (!have_descr || !have_order || !have_shape)
    return fail(err, err_size,
                "bad npy header: 'descr', 'fortran_order' and 'shape' are "
                "required%s",
                "");
  for (i = 0; i < NUM_DTYPES; ++i)
    if (strcmp(descr, dtypes[i].descr) == 0) {
      a->dtype = (bert_npy_dtype)i;
      return 0;
    }
  return fail(err, err_size,
              "unsupported dtype '%s' (expected little-endian int32, int64 "
              "or float32)",
              descr);
}

int bert_npy_parse(const void *bytes, size_t size, bert_npy_array *out,
                   char *err, size_t err_size) {
  const unsigned char *b = bytes;
  size_t hlen, off, want;
  uint64_t numel = 1;
  int i;
  memset(out, 0, sizeof(*out));
  if (size < 10 || memcmp(b, NPY_MAGIC, 6) != 0)
    return fail(err, err_size, "not a .npy file (bad magic)%s", "");
  if (b[6] == 1) {
    hlen = (size_t)b[8] | (size_t)b[9] << 8;
    off = 10;
  } else if (b[6] == 2 || b[6] == 3) {
    if (size < 12)
      return fail(err, err_size, "truncated npy header%s", "");
    hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
           (size_t)b[11] << 24;
    off = 12;
  } else {
    return fail(err, err_size, "unsupported npy format version%s", "");
  }
  if (hlen > size - off)
    return fail(err, err_size, "truncated npy header%s", "");
  if (parse_header((const char *)b + off, hlen, out, err, err_size))
    return -1;
  off += hlen;
  for (i = 0; i < out->rank; ++i) {
    if (out->shape[i] != 0 && numel > (size + 1) / (uint64_t)out->shape[i])
      numel = size + 1; /* larger than the file: reported below */
    else
      numel *= (uint64_t)out->shape[i];
  }
  want = numel > size ? (size_t)-1 : (size_t)numel * dtype_size(out->dtype);
  if (want != size - off) {
    char msg[128];
    if (numel > size)
      snprintf(msg, sizeof(msg), "shape needs more data than the file holds");
    else
      snprintf(msg, sizeof(msg), "data is %zu bytes, shape and dtype need %zu",
               size - off, want);
    return fail(err, err_size, "%s", msg);
  }
  out->numel = (int64_t)numel;
  out->data = malloc(want ? want : 1);
  if (!out->data)
    return fail(err, err_size, "out of memory%s", "");
  memcpy(out->data, b + off, want);
  return 0;
}

int bert_npy_read(const char *path, bert_npy_array *out, char *err,
                  size_t err_size) {
  char *buf;
  size_t size;
  int rc;
  memset(out, 0, sizeof(*out));
  if (bert_file_read(path, BERT_NPY_MAX_BYTES, &buf, &size, err, err_size))
    return -1;
  rc = bert_npy_parse(buf, size, out, err, err_size);
  free(buf);
  return rc;
}

int bert_npy_write(const char *path, bert_npy_dtype dtype, int rank,
                   const int64_t *shape, const void *data, char *err,
                   size_t err_size) {
  char header[512];
  int n, i;
  size_t numel = 1, total;
  unsigned char pre[10];
  FILE *f;
  if (rank < 0 || rank > BERT_NPY_MAX_RANK)
    return fail(err, err_size, "bad rank%s", "");
  n = snprintf(header, sizeof(header),
               "{'descr': '%s', 'fortran_order': False, 'shape': (",
               dtype_descr(dtype));
  for (i = 0; i < rank; ++i) {
    n += snprintf(header + n, sizeof(header) - (size_t)n, "%s%lld",
                  i ? ", " : "", (long long)shape[i]);
    numel *= (size_t)shape[i];
  }
  n += snprintf(header + n, sizeof(header) - (size_t)n, "%s), }",
                rank == 1 ? "," : "");
  /* Pad with spaces and a final newline so data starts 64-byte aligned. */
  total = ((size_t)n + 10 + 1 + 63) / 64 * 64;
  while ((size_t)n + 10 + 1 < total)
    header[n++] = ' ';
  header[n++] = '\n';
  memcpy(pre, NPY_MAGIC, 6);
  pre[6] = 1;
  pre[7] = 0;
  pre[8] = (unsigned char)(n & 0xFF);
  pre[9] = (unsigned char)(n >> 8);
  f = fopen(path, "wb");
  if (!f)
    return fail(err, err_size, "cannot create: %s", strerror(errno));
  if (fwrite(pre, 1, 10, f) != 10 ||
      fwrite(header, 1, (size_t)n, f) != (size_t)n ||
      (numel && fwrite(data, dtype_size(dtype), numel, f) != numel)) {
    fclose(f);
    return fail(err, err_size, "write failed: %s", strerror(errno));
  }
  if (fclose(f) != 0)
    return fail(err, err_size, "write failed: %s", strerror(errno));
  return 0;
}

void bert_npy_free(bert_npy_array *a) {
  free(a->data);
  a->data = NULL;
}
