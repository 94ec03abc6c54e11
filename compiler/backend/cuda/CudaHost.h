//===- CudaHost.h - the CUDA backend's host code and library ---*- C++ -*-===//
//
// The CUDA implementation of Backend (CudaBackend.cpp) and the C host code
// of a CUDA model library (CudaHostCode.cpp; its packed path,
// CudaPackedHost.cpp).
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

/// The device address of `ref` inside the generated launch functions
/// (their locals in, out, arena and g).
std::string devicePointer(const BufferRef &ref);
/// The device address of argument `a` of `call`: `pointers[a]` where that
/// is given and not "", else the planned one (devicePointer).
std::string callPointer(const KernelCall &call, size_t a,
                        const std::vector<std::string> &pointers);
/// Elements of `t` at `b` x `s` (C expressions).
std::string elements(const IOTensor &t, const std::string &b,
                     const std::string &s);
/// Device buffers are 256-byte aligned, as cudaMalloc's are.
int64_t align256(int64_t n);

/// The copies of a synchronous run's inputs (`inputs`, the caller's host
/// buffers at B x S) to lane l's device buffers, on its stream.
void emitInputUploads(llvm::raw_ostream &os, const ModelPlan &plan);

/// One launch of `call` as kernel g->fn[`fn`] on `stream`: its buffers at
/// `pointers` (C expressions; "" or missing: the planned ones), after the
/// pointer parameter `offsets` when that is not empty (a varlen attention's
/// cu).
void emitLaunch(llvm::raw_ostream &os, const ModelPlan &plan,
                const KernelCall &call, size_t fn,
                const std::vector<std::string> &pointers = {},
                const std::string &offsets = "");

/// The packed path of a CUDA library (CudaPackedHost.cpp): the CPU's
/// PackedShape, plus where its bookkeeping lives on the device and which
/// kernels it adds to the plan's.
struct PackedLayout {
  bool ok = false; ///< the library has a packed path
  PackedShape shape;
  /// Cells of [max_batch, max_seq]; int32 bookkeeping per lane, one block
  /// on the host and on the device: cu[cuLen] (B + 1 used), tok[cells],
  /// pmask[cells], inv[cells] (the packed row of each padded row, or -1).
  int64_t cells = 0, cuLen = 0;
  /// Packed rows are rounded up to this (the GEMMs' largest row tile).
  int64_t rowTile = 1;
  /// Float staging per lane: first the padded embeddings, then (after the
  /// last per-token call) each scattered value's padded rows, at
  /// scatterOffset[k] floats for shape.scatter[k].
  std::vector<int64_t> scatterOffset;
  int64_t stagingFloats = 0;
  /// Kernels past the plan's: the varlen variant of each attention kernel
  /// (plan kernel -> function index), then bert_copy_rows, then (when
  /// some gathered or scattered value is stored in 16 bits, of type
  /// `halfType`) its 16-bit form.
  std::vector<std::pair<size_t, size_t>> varlen;
  size_t copyRows = 0, copyRowsHalf = 0;
  std::string halfType;    ///< "bf16", "f16", or "" (no 16-bit copy)
  size_t numFunctions = 0; ///< plan kernels + the above
  int64_t intBytes() const { return 4 * (cuLen + 3 * cells); }
  /// The copy kernel of a buffer stored as `arg` says.
  size_t copyRowsOf(bool half) const { return half ? copyRowsHalf : copyRows; }
};
PackedLayout packedLayout(const ModelPlan &plan);

/// The packed path's launches (bert_cuda_launch_packed) and synchronous
/// run on a lane (bert_cuda_forward_packed).
void emitPackedLaunch(llvm::raw_ostream &os, const ModelPlan &plan,
                      const PackedLayout &layout);
void emitPackedForward(llvm::raw_ostream &os, const ModelPlan &plan,
                       const PackedLayout &layout);

} // namespace cuda
} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_CUDA_CUDAHOST_H
