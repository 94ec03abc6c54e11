/*===- cuda_driver.c - libcuda through dlopen and cuGetProcAddress -------===*\
|*                                                                            *|
|* Fills the bert_cuda_driver table (bert_cuda_driver.h) once per process:    *|
|* dlopen the driver, resolve cuGetProcAddress, ask it for every entry, then  *|
|* cuInit and count the devices. Any failure leaves no table and a reason     *|
|* that names the library and the call, so bert_model_load can report         *|
|* BERT_ERR_NO_DEVICE on a machine without an NVIDIA driver or GPU.           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "bert_cuda_driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*get_proc_fn)(const char *symbol, void **pfn, int version,
                           uint64_t flags, int *status);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bert_cuda_driver table;
static int loaded;
static char reason[256];

/* Entry name and where its pointer goes, in table order. */
#define BERT_CUDA_ENTRY(name)                                                  \
  { #name, (void **)&table.name }
static const struct {
  const char *name;
  void **slot;
} entries[] = {
    BERT_CUDA_ENTRY(cuInit),
    BERT_CUDA_ENTRY(cuDeviceGetCount),
    BERT_CUDA_ENTRY(cuDeviceGet),
    BERT_CUDA_ENTRY(cuDevicePrimaryCtxRetain),
    BERT_CUDA_ENTRY(cuCtxSetCurrent),
    BERT_CUDA_ENTRY(cuModuleLoadData),
    BERT_CUDA_ENTRY(cuModuleGetFunction),
    BERT_CUDA_ENTRY(cuFuncSetAttribute),
    BERT_CUDA_ENTRY(cuMemAlloc),
    BERT_CUDA_ENTRY(cuMemFree),
    BERT_CUDA_ENTRY(cuMemcpyHtoDAsync),
    BERT_CUDA_ENTRY(cuMemcpyDtoHAsync),
    BERT_CUDA_ENTRY(cuLaunchKernel),
    BERT_CUDA_ENTRY(cuStreamCreate),
    BERT_CUDA_ENTRY(cuStreamSynchronize),
    BERT_CUDA_ENTRY(cuGetErrorString),
    BERT_CUDA_ENTRY(cuModuleUnload),
    BERT_CUDA_ENTRY(cuStreamDestroy),
    BERT_CUDA_ENTRY(cuDevicePrimaryCtxRelease),
    BERT_CUDA_ENTRY(cuStreamBeginCapture),
    BERT_CUDA_ENTRY(cuStreamEndCapture),
    BERT_CUDA_ENTRY(cuGraphInstantiateWithFlags),
    BERT_CUDA_ENTRY(cuGraphLaunch),
    BERT_CUDA_ENTRY(cuGraphExecDestroy),
    BERT_CUDA_ENTRY(cuGraphDestroy),
};
#undef BERT_CUDA_ENTRY

static const char *error_text(int rc) {
  const char *text = NULL;
  if (table.cuGetErrorString && table.cuGetErrorString(rc, &text) == 0 && text)
    return text;
  return "unknown error";
}

static void load(void) {
  const char *env = getenv("BERT_LIBCUDA");
  const char *path = env && *env ? env : "libcuda.so.1";
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  get_proc_fn get_proc;
  size_t i;
  int rc, count = 0;
  if (!lib) {
    const char *e = dlerror();
    snprintf(reason, sizeof reason,
             "cannot load the CUDA driver %s (%s): no NVIDIA driver on this "
             "machine",
             path, e ? e : "dlopen failed");
    return;
  }
  /* cuGetProcAddress is the versioned lookup (the _v2 form since CUDA 12). */
  *(void **)&get_proc = dlsym(lib, "cuGetProcAddress_v2");
  if (!get_proc) {
    snprintf(reason, sizeof reason,
             "the CUDA driver %s has no cuGetProcAddress_v2 (a driver for "
             "CUDA 12 or newer is needed)",
             path);
    return;
  }
  for (i = 0; i < sizeof entries / sizeof entries[0]; ++i) {
    int status = 0;
    rc = get_proc(entries[i].name, entries[i].slot, BERT_CUDA_API_VERSION, 0,
                  &status);
    if (rc != 0 || !*entries[i].slot) {
      snprintf(reason, sizeof reason,
               "the CUDA driver %s has no %s (cuGetProcAddress error %d)", path,
               entries[i].name, rc);
      return;
    }
  }
  if ((rc = table.cuInit(0)) != 0) {
    snprintf(reason, sizeof reason, "cuInit failed in %s: %s (error %d)", path,
             error_text(rc), rc);
    return;
  }
  if ((rc = table.cuDeviceGetCount(&count)) != 0 || count < 1) {
    snprintf(reason, sizeof reason, "no CUDA device (%s: %s)", path,
             rc ? error_text(rc) : "cuDeviceGetCount found none");
    return;
  }
  loaded = 1;
}

const bert_cuda_driver *bert_cuda_driver_get(char *why, size_t size) {
  pthread_once(&once, load);
  if (loaded)
    return &table;
  if (why && size)
    snprintf(why, size, "%s", reason);
  return NULL;
}
