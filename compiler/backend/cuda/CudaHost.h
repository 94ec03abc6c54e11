//===- CudaHost.h - the CUDA backend's host code and library -----*- C++
//-*-===//
//
// The CUDA implementation of Backend (CudaBackend.cpp) and the C host code
// of a CUDA model library (CudaHostCode.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CUDA_CUDAHOST_H
#define BERT_COMPILER_BACKEND_CUDA_CUDAHOST_H

#include "compiler/backend/Backend.h"
#include "compiler/backend/cpu/ModelPlan.h"

namespace mlir::bert {

std::unique_ptr<Backend> createCudaBackend();

namespace cuda {

/// The C99 host source of a CUDA library over `plan`, whose fatbin is the
/// byte array `fatbinSymbol`; "" with `error` when the plan holds what the
/// CUDA kernels cannot read (CPU weight panels).
std::string generateHostSource(const ModelPlan &plan,
                               const std::string &fatbinSymbol,
                               std::string &error);

} // namespace cuda
} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_CUDA_CUDAHOST_H
