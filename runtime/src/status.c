/*===- status.c - Status codes, messages and small helpers ----------------===*\
|*                                                                            *|
|* The one table of status codes and their descriptions (DESIGN.md: "one      *|
|* table of error codes with messages"), plus the formatting helpers that     *|
|* every error message goes through.                                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

/* madvise and MADV_HUGEPAGE are not POSIX; the build defines
 * _POSIX_C_SOURCE for everything else. */
#define _DEFAULT_SOURCE 1

#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *bert_version(void) { return BERT_RUNTIME_VERSION; }

/* Indexed by bert_status_code, whose numbers are stable and dense from
 * BERT_OK to BERT_ERR_NO_DEVICE (bert_runtime.h). */
static const char *const status_strings[] = {
    [BERT_OK] = "ok",
    [BERT_ERR_IO] = "I/O error",
    [BERT_ERR_BAD_FORMAT] = "bad file format",
    [BERT_ERR_MISSING_TENSOR] = "missing tensor",
    [BERT_ERR_SHAPE_MISMATCH] = "shape mismatch",
    [BERT_ERR_DTYPE_MISMATCH] = "dtype mismatch",
    [BERT_ERR_BAD_ARGUMENT] = "bad argument",
    [BERT_ERR_OUT_OF_MEMORY] = "out of memory",
    [BERT_ERR_KERNEL] = "kernel failure",
    [BERT_ERR_ABI_MISMATCH] = "model ABI mismatch",
    [BERT_ERR_UNSUPPORTED_CPU] = "unsupported CPU",
    [BERT_ERR_NO_DEVICE] = "no CUDA device",
};
BERT_STATIC_ASSERT(BERT_COUNT(status_strings) == BERT_ERR_NO_DEVICE + 1,
                   status_strings_cover_every_code);

const char *bert_status_string(bert_status_code code) {
  return bert_code_string(status_strings, BERT_COUNT(status_strings), code,
                          "unknown status code");
}

const char *bert_code_string(const char *const *table, size_t n, long code,
                             const char *unknown) {
  return code >= 0 && (unsigned long)code < n ? table[code] : unknown;
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

/* Buffers of 2 MiB and more (weights, arenas) are 2 MiB aligned and asked
 * for transparent huge pages: a bert-base run streams 340 MB of weights,
 * 83,000 4-KiB pages. Measured 1.0-1.5% faster at 1 thread (bert-base b1
 * s128 fp32, Zen 4, interleaved runs) where THP is "madvise", as on this
 * machine; a no-op where THP is "never" or "always". */
void *bert_aligned_alloc(size_t alignment, size_t size) {
  void *p = NULL;
#ifdef MADV_HUGEPAGE
  const size_t huge = (size_t)2 << 20;
  if (size >= huge && alignment < huge)
    alignment = huge;
#endif
  if (posix_memalign(&p, alignment, size ? size : 1) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  if (size >= huge)
    (void)madvise(p, size, MADV_HUGEPAGE);
#endif
  return p;
}

void bert_aligned_free(void *p) { free(p); }
