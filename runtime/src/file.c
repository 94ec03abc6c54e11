/*===- file.c - Opening untrusted input files -----------------------------===*\
|*                                                                            *|
|* See file.h. The check runs on the opened descriptor (fstat), not on the    *|
|* name, so the file cannot be swapped between check and use.                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a plain file";
}

int bert_file_open(const char *path, uint64_t max_bytes, uint64_t *size,
                   char *err, size_t err_size) {
  struct stat sb;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, err_size, "cannot open: %s", strerror(errno));
    return -1;
  }
  if (fstat(fd, &sb) != 0) {
    snprintf(err, err_size, "cannot stat: %s", strerror(errno));
    close(fd);
    return -1;
  }
  if (!S_ISREG(sb.st_mode)) {
    snprintf(err, err_size, "is %s, not a regular file", kind_of(sb.st_mode));
    close(fd);
    return -1;
  }
  if (max_bytes && (uint64_t)sb.st_size > max_bytes) {
    snprintf(err, err_size, "is %llu bytes, more than the %llu-byte limit",
             (unsigned long long)sb.st_size, (unsigned long long)max_bytes);
    close(fd);
    return -1;
  }
  *size = (uint64_t)sb.st_size;
  return fd;
}

int bert_file_read(const char *path, uint64_t max_bytes, char **data,
                   size_t *size, char *err, size_t err_size) {
  uint64_t n = 0;
  size_t got = 0;
  int fd = bert_file_open(path, max_bytes, &n, err, err_size);
  *data = NULL;
  *size = 0;
  if (fd < 0)
    return -1;
  if (n >= (uint64_t)SIZE_MAX || !(*data = malloc((size_t)n + 1))) {
    snprintf(err, err_size, "out of memory reading %llu bytes",
             (unsigned long long)n);
    close(fd);
    return -1;
  }
  /* A file that shrinks under us ends early; one that grows is cut at the
   * size fstat gave, so the cap holds. */
  while (got < (size_t)n) {
    ssize_t r = read(fd, *data + got, (size_t)n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      snprintf(err, err_size, "cannot read: %s",
               r < 0 ? strerror(errno) : "file shrank while reading");
      free(*data);
      *data = NULL;
      close(fd);
      return -1;
    }
    got += (size_t)r;
  }
  close(fd);
  (*data)[got] = '\0';
  *size = got;
  return 0;
}
