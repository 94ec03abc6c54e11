//===- CudaKernels.h - CUDA C++ source for each kernel family ---*- C++ -*-===//
//
// The CUDA backend's mechanism: from a kernel's spec (what it computes, read
// from the op by the shared planner, ModelPlan) and its CudaSchedule (how,
// chosen by bert-tile), the CUDA C++ of one `extern "C" __global__` kernel,
// and how a call of it is launched. Every kernel takes its buffers the way
// a planned call describes them: per buffer a pointer, then per dimension
// (innermost first) an int64 extent and stride, so one host-side loop
// passes any call's arguments.
//
// The fp32 reference path: SIMT GEMMs (a 4 x 4 register tile per thread, K
// staged through `stages` cp.async buffers) with bias and activation
// epilogues, an online-softmax attention (a query per thread), and
// warp-per-row layer norms and embeddings. `precision <bf16>` linears run on
// tensor cores (mma.sync m16n8k16 bf16 with fp32 accumulation, ldmatrix for
// the bf16 weight rows, the same cp.async stages and epilogues), and so
// does a bf16 attention with a head dim that is a multiple of 16
// (FlashAttention-2 style); a bf16 attention rounds its operands as the
// CPU's does. A schedule a kernel
// cannot honour is an error naming the field.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CUDA_CUDAKERNELS_H
#define BERT_COMPILER_BACKEND_CUDA_CUDAKERNELS_H

#include "compiler/backend/cpu/ModelPlan.h"

#include <string>

namespace mlir::bert::cuda {

/// The launch of one call: grid dims as C expressions over the call's
/// argument extents (host code locals), threads and dynamic shared memory.
struct Launch {
  std::string gridX, gridY = "1", gridZ = "1";
  int64_t threads = 0, smemBytes = 0;
};

/// The kernel `symbol` for `req`, its parameters those of `call` (any call
/// of it: they share their buffers' ranks); "" and `error` set when the
/// spec or the schedule is not one this backend compiles.
std::string kernelSource(const ::bert::cpu::KernelRequest &req,
                         const KernelCall &call, const std::string &symbol,
                         std::string &error);

/// How `call` of `req` (which kernelSource accepted) is launched.
Launch launchOf(const ::bert::cpu::KernelRequest &req, const KernelCall &call);

} // namespace mlir::bert::cuda

#endif // BERT_COMPILER_BACKEND_CUDA_CUDAKERNELS_H
