/*===- status.h - Internal status and memory helpers ----------------------===*\
|*                                                                            *|
|* Every fallible runtime function reports through a bert_status that may be  *|
|* NULL; these helpers keep that rule (fill it when given, always return the  *|
|* code) in one place so call sites stay one line. Also the aligned           *|
|* allocation used for weights and arenas.                                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_STATUS_H
#define BERT_RUNTIME_STATUS_H

#include "bert_runtime.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define BERT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BERT_PRINTF(a, b)
#endif

/* Number of elements of the array a. */
#define BERT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Fails to compile unless cond, a constant expression, holds (C99 has no
 * static_assert); name says what must hold. */
#define BERT_STATIC_ASSERT(cond, name) typedef char name[(cond) ? 1 : -1]

/* table[code] for the n strings of a status enum numbered densely from 0,
 * or `unknown` when code is none of them. */
const char *bert_code_string(const char *const *table, size_t n, long code,
                             const char *unknown);

/* Fills `st` (if non-NULL) with `code` and a formatted message; returns code.
 */
bert_status_code bert_status_set(bert_status *st, bert_status_code code,
                                 const char *fmt, ...) BERT_PRINTF(3, 4);

/* Fills `st` (if non-NULL) with BERT_OK and an empty message; returns BERT_OK.
 */
bert_status_code bert_status_ok(bert_status *st);

/* Formats a shape as "[a, b, c]" into buf (always NUL-terminated). */
void bert_format_shape(char *buf, size_t size, int rank, const int64_t *shape);

/* Allocates `size` bytes (at least 1) aligned to `alignment` (a power of two,
 * multiple of sizeof(void *)); NULL on failure. Free with bert_aligned_free. */
void *bert_aligned_alloc(size_t alignment, size_t size);
void bert_aligned_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_STATUS_H */
