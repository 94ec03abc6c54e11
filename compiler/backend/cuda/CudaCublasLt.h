//===- CudaCublasLt.h - linears on cuBLASLt (--cuda-gemm=cublaslt) -*- C++ -*-//
//
// A linear whose CudaSchedule has `cublaslt = 1` (bert-tile
// cuda-gemm=cublaslt) computes its product with cuBLASLt rather than the
// backend's GEMM: one matmul descriptor per call site (fp32 compute, the
// precision's operand types, epilogue BIAS or DEFAULT), the heuristics'
// algorithm cached per (kernel, rows, leading dimensions) on first use, the
// workspace in the lane's arena. The backend's own kernels do the rest, a
// warp per row as the schedule says: `<symbol>_round` rounds X to the 16-bit
// operand type (bf16, f16: cuBLASLt takes both operands of one type, and the
// activations are fp32 in memory) into the arena, and `<symbol>_act` applies
// the activation in place. GELU stays ours until the device has shown which
// form cuBLASLt's GELU_BIAS computes (erf or tanh; scripts/gpu-check.sh
// probes it).
//
// The library reaches cuBLASLt through the runtime's table
// (bert_cublaslt_driver.h: dlopen, no link-time dependency) and defines
// `bert_needs_cublaslt`, so the runtime refuses to load it where cuBLASLt is
// missing.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CUDA_CUDACUBLASLT_H
#define BERT_COMPILER_BACKEND_CUDA_CUDACUBLASLT_H

#include "compiler/backend/cpu/ModelPlan.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::bert::cuda {

/// Whether `req` is a linear whose product cuBLASLt computes.
bool isCublasLt(const ::bert::cpu::KernelRequest &req);
/// Whether any kernel of `plan` is.
bool usesCublasLt(const ModelPlan &plan);

/// The CUDA source of cuBLASLt linear `req`'s own kernels (`symbol`_round
/// for 16-bit operands, `symbol`_act for an activation), or a comment when
/// it needs neither; `prelude` is the backend's helpers and `activation`
/// the activation as a C expression of `v`. "" with `error` when the spec
/// or schedule is not one this path runs.
std::string cublasLtKernelSource(const ::bert::cpu::KernelRequest &req,
                                 const std::string &symbol,
                                 const std::string &prelude,
                                 const std::string &activation,
                                 std::string &error);

/// Bytes each lane's arena holds past the plan's activations (aligned):
/// the rounded X of the widest 16-bit linear, then cuBLASLt's workspace; 0
/// without cuBLASLt linears.
int64_t cublasLtArenaBytes(const ModelPlan &plan);

/// The host code's cuBLASLt state and its functions (after bert_cuda_state
/// and BERT_CU), the call in bert_cuda_init once the weights are allocated
/// and the module loaded, and the one in bert_cuda_teardown before the
/// module goes. Each emits nothing without cuBLASLt linears.
void emitCublasLtState(llvm::raw_ostream &os, const ModelPlan &plan);
void emitCublasLtInit(llvm::raw_ostream &os, const ModelPlan &plan);
void emitCublasLtTeardown(llvm::raw_ostream &os, const ModelPlan &plan);

/// `call` of a cuBLASLt linear inside a launch function (locals arena,
/// stream, g): rounding, the matmul, the activation; its buffers at
/// `pointers` as in emitLaunch.
void emitCublasLtCall(llvm::raw_ostream &os, const ModelPlan &plan,
                      const KernelCall &call,
                      const std::vector<std::string> &pointers);

} // namespace mlir::bert::cuda

#endif // BERT_COMPILER_BACKEND_CUDA_CUDACUBLASLT_H
