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
/// `varlen`: an attention's variant for the packed path, which takes the
/// sequences' cumulative row offsets (`const int32_t *cu`, B + 1 of them)
/// first and the packed rows' mask, and is launched as the padded one.
std::string kernelSource(const ::bert::cpu::KernelRequest &req,
                         const KernelCall &call, const std::string &symbol,
                         std::string &error, bool varlen = false);

/// How `call` of `req` (which kernelSource accepted) is launched (`varlen`:
/// an attention's varlen variant, whose grid has one z past the sequences).
Launch launchOf(const ::bert::cpu::KernelRequest &req, const KernelCall &call,
                bool varlen = false);

/// The symbol of kernel `symbol`'s varlen variant.
std::string varlenSymbol(const std::string &symbol);

/// The packed path's row copy, `bert_copy_rows(idx, src, dst)`: dst row r
/// = src row idx[r], or zeros where idx[r] < 0 (each buffer: pointer, then
/// (extent, stride) per dim; idx 1-D, src and dst [rows][width]), of
/// elements `type`: "" float32, or "bf16" / "f16" (16-bit activations).
std::string copyRowsSource(const std::string &type = "");
/// Its symbol: bert_copy_rows, bert_copy_rows_bf16, bert_copy_rows_f16.
std::string copyRowsSymbol(const std::string &type = "");
/// Its launch over `rows` (a C expression) rows of dst.
Launch copyRowsLaunch(const std::string &rows);

} // namespace mlir::bert::cuda

#endif // BERT_COMPILER_BACKEND_CUDA_CUDAKERNELS_H
