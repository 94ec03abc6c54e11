/*===- file.h - Opening untrusted input files -----------------------------===*\
|*                                                                            *|
|* Every file a bertc tool reads is named by a user, who may name a FIFO, a   *|
|* directory or /dev/zero. A plain open() of a FIFO blocks until a writer     *|
|* appears, and reading a device never ends, so each open goes through here:  *|
|* O_NONBLOCK (a FIFO or device open returns at once), then fstat, and only a *|
|* regular file no larger than the caller's cap is accepted. Messages do not  *|
|* start with the path; callers prefix it.                                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_FILE_H
#define BERT_RUNTIME_FILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens `path` read-only if it is a regular file of at most `max_bytes`
 * bytes (0: no cap). Returns the descriptor (close it) and the size in
 * *size, or -1 with a message such as "is a directory, not a regular file"
 * or "is 2000 bytes, more than the 1000-byte limit" in err. */
int bert_file_open(const char *path, uint64_t max_bytes, uint64_t *size,
                   char *err, size_t err_size);

/* Reads a whole regular file (as bert_file_open) into a malloc'd buffer
 * with a NUL after the last byte. 0, or -1 with a message in err and
 * *data NULL. */
int bert_file_read(const char *path, uint64_t max_bytes, char **data,
                   size_t *size, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_FILE_H */
