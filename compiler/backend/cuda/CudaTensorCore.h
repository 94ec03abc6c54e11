//===- CudaTensorCore.h - the tensor-core kernels' templates ----*- C++ -*-===//
//
// The CUDA C++ templates of the kernels that run on tensor cores (mma.sync
// m16n8k16 with fp32 accumulation): the GEMM of a bf16 or f16 linear and
// the FlashAttention-2 style attention. The operand type is a parameter
// ($HALF, $PACK, $MMA: CudaKernels.cpp MmaType), so both types share one
// template. Kept apart from CudaKernels.cpp, which checks the schedule,
// fills their placeholders and launches them.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CUDA_CUDATENSORCORE_H
#define BERT_COMPILER_BACKEND_CUDA_CUDATENSORCORE_H

namespace mlir::bert::cuda {

/// Y = act(X W^T + b), W bf16 or f16 rows (CudaTensorCore.cpp), X float32
/// or of W's type: its tile loads and A fragments ($A_TILE_LOAD, $A_FRAGMENT).
extern const char *const kGemmMMA;
extern const char *const kGemmXFloat[2], *const kGemmXHalf[2];
/// Attention over the packed QKV projection, a warp per 16 queries.
extern const char *const kAttentionMMA;

} // namespace mlir::bert::cuda

#endif // BERT_COMPILER_BACKEND_CUDA_CUDATENSORCORE_H
