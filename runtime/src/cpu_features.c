/*===- cpu_features.c - CPU state a model library needs -------------------===*\

|*                                                                            *|
|* AMX's tile registers are 8 KiB of extra per-thread state, so Linux (5.16+) *|
|* gives them only to processes that ask: a TILELOADD before the request      *|
|* raises SIGILL. The request is per process and idempotent.                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

/* syscall() is a glibc extension, hidden by _POSIX_C_SOURCE alone. */
#define _DEFAULT_SOURCE 1

#include "model.h"
#include "status.h"

#if defined(__linux__) && defined(__x86_64__)
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* From <asm/prctl.h> and the kernel's xstate numbering; spelled out because
 * older headers lack them. */
#define BERT_ARCH_REQ_XCOMP_PERM 0x1023
#define BERT_XFEATURE_XTILEDATA 18

bert_status_code bert_request_amx(const char *what, bert_status *st) {
#if defined(__linux__) && defined(__x86_64__)
  if (syscall(SYS_arch_prctl, BERT_ARCH_REQ_XCOMP_PERM,
              BERT_XFEATURE_XTILEDATA) == 0)
    return BERT_OK;
  return bert_status_set(
      st, BERT_ERR_UNSUPPORTED_CPU,
      "%s: the model library was compiled for AMX (--target host on an AMX "
      "machine, or x86-64-amx) but this CPU or kernel does not grant AMX "
      "state (arch_prctl XTILEDATA: %s); recompile with --target x86-64-avx512 "
      "or --precision f32",
      what, strerror(errno));
#else
  return bert_status_set(st, BERT_ERR_UNSUPPORTED_CPU,
                         "%s: the model library uses AMX, which needs Linux "
                         "on x86-64",
                         what);
#endif
}
