/*===- bert_cublaslt_driver.h - cuBLASLt as a table of functions ---------===*\
|*                                                                            *|
|* How a CUDA model library compiled with `bertc --cuda-gemm=cublaslt`        *|
|* reaches cuBLASLt: only through this table, which the runtime fills at      *|
|* model load by dlopen("libcublasLt.so.13") (or $BERT_LIBCUBLASLT; tests     *|
|* load the mock device, test/Cuda) and dlsym, as bert_cuda_driver.h does     *|
|* for libcuda. No cuBLAS header is included and nothing links against it,    *|
|* so such a library loads on any machine and one without cuBLASLt gets       *|
|* BERT_ERR_NO_DEVICE naming the library. The types are cublasLt.h's (13.x),  *|
|* spelled without its header: cublasStatus_t, cudaDataType_t and the enums   *|
|* are int, the handles and descriptors opaque pointers, cudaStream_t a       *|
|* CUstream; each entry has exactly the signature of the function it names.  *|
|* The constants below are the values of cublasLt.h, cublas_api.h and         *|
|* library_types.h of CUDA 13.0 (cuBLAS 13.1).                                *|
|*                                                                            *|
|* Internal, like bert_model_abi.h: applications never include it.            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_CUBLASLT_DRIVER_H
#define BERT_CUBLASLT_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cublasStatus_t */
#define BERT_CUBLAS_STATUS_SUCCESS 0
#define BERT_CUBLAS_STATUS_INVALID_VALUE 7
#define BERT_CUBLAS_STATUS_NOT_SUPPORTED 15
/* cublasComputeType_t, cudaDataType_t, cublasOperation_t */
#define BERT_CUBLAS_COMPUTE_32F 68
#define BERT_CUDA_R_32F 0
#define BERT_CUDA_R_16F 2
#define BERT_CUDA_R_16BF 14
#define BERT_CUBLAS_OP_N 0
#define BERT_CUBLAS_OP_T 1
/* cublasLtMatmulDescAttributes_t: TRANSA/TRANSB int32_t, EPILOGUE
 * uint32_t, BIAS_POINTER a device pointer, BIAS_DATA_TYPE int32_t. */
#define BERT_CUBLASLT_MATMUL_DESC_TRANSA 3
#define BERT_CUBLASLT_MATMUL_DESC_TRANSB 4
#define BERT_CUBLASLT_MATMUL_DESC_EPILOGUE 7
#define BERT_CUBLASLT_MATMUL_DESC_BIAS_POINTER 8
#define BERT_CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE 26
/* cublasLtEpilogue_t */
#define BERT_CUBLASLT_EPILOGUE_DEFAULT 1
#define BERT_CUBLASLT_EPILOGUE_BIAS 4
#define BERT_CUBLASLT_EPILOGUE_GELU_BIAS 36
/* cublasLtMatmulPreferenceAttributes_t: MAX_WORKSPACE_BYTES uint64_t, the
 * MIN_ALIGNMENT_*_BYTES uint32_t (default 256). */
#define BERT_CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES 1
#define BERT_CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES 5
#define BERT_CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES 6
#define BERT_CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES 7
#define BERT_CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES 8

/* cublasLtMatmulAlgo_t and cublasLtMatmulHeuristicResult_t, as laid out by
 * cublasLt.h. */
typedef struct {
  uint64_t data[8];
} bert_cublaslt_algo;
typedef struct {
  bert_cublaslt_algo algo;
  size_t workspaceSize;
  int state;
  float wavesCount;
  int reserved[4];
} bert_cublaslt_heuristic;

typedef struct {
  int (*cublasLtCreate)(void **handle);
  int (*cublasLtDestroy)(void *handle);
  int (*cublasLtMatmulDescCreate)(void **desc, int computeType, int scaleType);
  int (*cublasLtMatmulDescDestroy)(void *desc);
  int (*cublasLtMatmulDescSetAttribute)(void *desc, int attr, const void *buf,
                                        size_t sizeInBytes);
  int (*cublasLtMatrixLayoutCreate)(void **layout, int type, uint64_t rows,
                                    uint64_t cols, int64_t ld);
  int (*cublasLtMatrixLayoutDestroy)(void *layout);
  int (*cublasLtMatmulPreferenceCreate)(void **pref);
  int (*cublasLtMatmulPreferenceDestroy)(void *pref);
  int (*cublasLtMatmulPreferenceSetAttribute)(void *pref, int attr,
                                              const void *buf,
                                              size_t sizeInBytes);
  int (*cublasLtMatmulAlgoGetHeuristic)(
      void *handle, void *operationDesc, void *Adesc, void *Bdesc, void *Cdesc,
      void *Ddesc, void *preference, int requestedAlgoCount,
      bert_cublaslt_heuristic *heuristicResultsArray, int *returnAlgoCount);
  int (*cublasLtMatmul)(void *handle, void *computeDesc, const void *alpha,
                        const void *A, void *Adesc, const void *B, void *Bdesc,
                        const void *beta, const void *C, void *Cdesc, void *D,
                        void *Ddesc, const bert_cublaslt_algo *algo,
                        void *workspace, size_t workspaceSizeInBytes,
                        void *stream);
  const char *(*cublasLtGetStatusString)(int status);
} bert_cublaslt_driver;

/* The table, loaded once per process (thread-safe); NULL when the library
 * or an entry is missing, with the reason in `why` (at least 256 bytes).
 * Implemented by the runtime (cublaslt_driver.c). */
#if defined(__GNUC__)
__attribute__((visibility("hidden")))
#endif
const bert_cublaslt_driver *
bert_cublaslt_driver_get(char *why, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BERT_CUBLASLT_DRIVER_H */
