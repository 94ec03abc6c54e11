/*===- bert_cuda_driver.h - the CUDA driver as a table of functions ------===*\
|*                                                                            *|
|* How a CUDA model library reaches the GPU: only through this table, which   *|
|* the runtime fills at model load by dlopen("libcuda.so.1") and              *|
|* cuGetProcAddress (as IREE's CUDA HAL does). No CUDA header is included and *|
|* nothing links against libcuda, so a CUDA library loads on any machine and  *|
|* a machine without a driver or GPU gets BERT_ERR_NO_DEVICE with a message.  *|
|* The types are the driver API's, spelled without its header: CUresult is    *|
|* int, CUdevice int, CUdeviceptr uint64_t, and the handles (context, module, *|
|* function, stream) opaque pointers; each entry has exactly the signature of *|
|* the driver function it names. $BERT_LIBCUDA names another library to load  *|
|* (tests load a mock device this way).                                       *|
|*                                                                            *|
|* Internal, like bert_model_abi.h: applications never include it.            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_CUDA_DRIVER_H
#define BERT_CUDA_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cuGetProcAddress's version argument: the driver API as of CUDA 12.0
 * (cuMemAlloc_v2, cuLaunchKernel, ...), which every sm_80/sm_90 driver has. */
#define BERT_CUDA_API_VERSION 12000

/* CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: the opt-in above 48 KiB. */
#define BERT_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES 8

/* CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: a capture refuses unsafe calls made
 * by the capturing thread only, so other threads' models are unaffected. */
#define BERT_CU_STREAM_CAPTURE_MODE_THREAD_LOCAL 1

typedef struct {
  int (*cuInit)(unsigned int flags);
  int (*cuDeviceGetCount)(int *count);
  int (*cuDeviceGet)(int *device, int ordinal);
  int (*cuDevicePrimaryCtxRetain)(void **ctx, int device);
  int (*cuCtxSetCurrent)(void *ctx);
  int (*cuModuleLoadData)(void **module, const void *image);
  int (*cuModuleGetFunction)(void **fn, void *module, const char *name);
  int (*cuFuncSetAttribute)(void *fn, int attribute, int value);
  int (*cuMemAlloc)(uint64_t *dptr, size_t bytes);
  int (*cuMemFree)(uint64_t dptr);
  int (*cuMemcpyHtoDAsync)(uint64_t dst, const void *src, size_t bytes,
                           void *stream);
  int (*cuMemcpyDtoHAsync)(void *dst, uint64_t src, size_t bytes, void *stream);
  int (*cuLaunchKernel)(void *fn, unsigned int gridX, unsigned int gridY,
                        unsigned int gridZ, unsigned int blockX,
                        unsigned int blockY, unsigned int blockZ,
                        unsigned int sharedMemBytes, void *stream,
                        void **kernelParams, void **extra);
  int (*cuStreamCreate)(void **stream, unsigned int flags);
  int (*cuStreamSynchronize)(void *stream);
  int (*cuGetErrorString)(int error, const char **text);
  /* Release (bert_model_free of a library's last model). */
  int (*cuModuleUnload)(void *module);
  int (*cuStreamDestroy)(void *stream);
  int (*cuDevicePrimaryCtxRelease)(int device);
  /* CUDA graphs: a run's launches captured once per (batch, seq). */
  int (*cuStreamBeginCapture)(void *stream, int mode);
  int (*cuStreamEndCapture)(void *stream, void **graph);
  int (*cuGraphInstantiateWithFlags)(void **exec, void *graph,
                                     unsigned long long flags);
  int (*cuGraphLaunch)(void *exec, void *stream);
  int (*cuGraphExecDestroy)(void *exec);
  int (*cuGraphDestroy)(void *graph);
} bert_cuda_driver;

/* The driver table, loaded once per process (thread-safe); NULL when no
 * library, driver or device is there, with the reason in `why` (at least
 * 256 bytes). Implemented by the runtime (cuda_driver.c). */
#if defined(__GNUC__)
__attribute__((visibility("hidden")))
#endif
const bert_cuda_driver *
bert_cuda_driver_get(char *why, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BERT_CUDA_DRIVER_H */
