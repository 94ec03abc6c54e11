/*===- cublaslt_driver.c - cuBLASLt through dlopen ------------------------===*\
|*                                                                            *|
|* Fills the bert_cublaslt_driver table (bert_cublaslt_driver.h) once per     *|
|* process: dlopen libcublasLt.so.13 (or $BERT_LIBCUBLASLT) and dlsym every   *|
|* entry. cuBLASLt exports its functions by name, so no versioned lookup is   *|
|* needed (the soname pins the major version whose enums the header copies).  *|
|* Any failure leaves no table and a reason naming the library and the        *|
|* entry, which bert_model_load reports as BERT_ERR_NO_DEVICE.                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_cublaslt_driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bert_cublaslt_driver table;
static int loaded;
static char reason[256];

#define BERT_CUBLASLT_ENTRY(name)                                              \
  { #name, (void **)&table.name }
static const struct {
  const char *name;
  void **slot;
} entries[] = {
    BERT_CUBLASLT_ENTRY(cublasLtCreate),
    BERT_CUBLASLT_ENTRY(cublasLtDestroy),
    BERT_CUBLASLT_ENTRY(cublasLtMatmulDescCreate),
    BERT_CUBLASLT_ENTRY(cublasLtMatmulDescDestroy),
    BERT_CUBLASLT_ENTRY(cublasLtMatmulDescSetAttribute),
    BERT_CUBLASLT_ENTRY(cublasLtMatrixLayoutCreate),
    BERT_CUBLASLT_ENTRY(cublasLtMatrixLayoutDestroy),
    BERT_CUBLASLT_ENTRY(cublasLtMatmulPreferenceCreate),
    BERT_CUBLASLT_ENTRY(cublasLtMatmulPreferenceDestroy),
    BERT_CUBLASLT_ENTRY(cublasLtMatmulPreferenceSetAttribute),
    BERT_CUBLASLT_ENTRY(cublasLtMatmulAlgoGetHeuristic),
    BERT_CUBLASLT_ENTRY(cublasLtMatmul),
    BERT_CUBLASLT_ENTRY(cublasLtGetStatusString),
};
#undef BERT_CUBLASLT_ENTRY

static void load(void) {
  const char *env = getenv("BERT_LIBCUBLASLT");
  const char *path = env && *env ? env : "libcublasLt.so.13";
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  size_t i;
  if (!lib) {
    const char *e = dlerror();
    snprintf(reason, sizeof reason,
             "cannot load cuBLASLt %s (%s): the library's linears need "
             "cuBLASLt 13 (set $BERT_LIBCUBLASLT, or compile with "
             "--cuda-gemm=ours)",
             path, e ? e : "dlopen failed");
    return;
  }
  for (i = 0; i < sizeof entries / sizeof entries[0]; ++i) {
    *entries[i].slot = dlsym(lib, entries[i].name);
    if (!*entries[i].slot) {
      snprintf(reason, sizeof reason, "cuBLASLt %s has no %s", path,
               entries[i].name);
      return;
    }
  }
  loaded = 1;
}

const bert_cublaslt_driver *bert_cublaslt_driver_get(char *why, size_t size) {
  pthread_once(&once, load);
  if (loaded)
    return &table;
  if (why && size)
    snprintf(why, size, "%s", reason);
  return NULL;
}
