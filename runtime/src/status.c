/*===- status.c - Status codes, messages and small helpers ----------------===*\
|*                                                                            *|
|* The one table of status codes and their descriptions (DESIGN.md: "one      *|
|* table of error codes with messages"), plus the formatting helpers that     *|
|* every error message goes through.                                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bert_version(void) { return BERT_RUNTIME_VERSION; }

const char *bert_status_string(bert_status_code code) {
  switch (code) {
  case BERT_OK:
    return "ok";
  case BERT_ERR_IO:
    return "I/O error";
  case BERT_ERR_BAD_FORMAT:
    return "bad file format";
  case BERT_ERR_MISSING_TENSOR:
    return "missing tensor";
  case BERT_ERR_SHAPE_MISMATCH:
    return "shape mismatch";
  case BERT_ERR_DTYPE_MISMATCH:
    return "dtype mismatch";
  case BERT_ERR_BAD_ARGUMENT:
    return "bad argument";
  case BERT_ERR_OUT_OF_MEMORY:
    return "out of memory";
  case BERT_ERR_KERNEL:
    return "kernel failure";
  case BERT_ERR_ABI_MISMATCH:
    return "model ABI mismatch";
  case BERT_ERR_UNSUPPORTED_CPU:
    return "unsupported CPU";
  }
  return "unknown status code";
}

bert_status_code bert_status_set(bert_status *st, bert_status_code code,
                                 const char *fmt, ...) {
  if (st) {
    va_list ap;
    st->code = code;
    va_start(ap, fmt);
    /* vsnprintf truncates long messages (e.g. a huge tensor name); that is
     * fine, the start of a message names what failed. */
    vsnprintf(st->message, sizeof(st->message), fmt, ap);
    va_end(ap);
  }
  return code;
}

bert_status_code bert_status_ok(bert_status *st) {
  if (st) {
    st->code = BERT_OK;
    st->message[0] = '\0';
  }
  return BERT_OK;
}

void bert_format_shape(char *buf, size_t size, int rank, const int64_t *shape) {
  size_t used = 0;
  int i;
  if (size == 0)
    return;
  buf[0] = '\0';
  used += (size_t)snprintf(buf, size, "[");
  for (i = 0; i < rank && used < size; ++i)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "",
                             (long long)shape[i]);
  if (used < size)
    snprintf(buf + used, size - used, "]");
}

void *bert_aligned_alloc(size_t alignment, size_t size) {
  void *p = NULL;
  if (posix_memalign(&p, alignment, size ? size : 1) != 0)
    return NULL;
  return p;
}

void bert_aligned_free(void *p) { free(p); }
