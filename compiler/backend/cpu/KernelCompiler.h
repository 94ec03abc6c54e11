//===- KernelCompiler.h - Halide-free facade of the CPU kernels -*- C++ -*-===//
//
// The MLIR side of the CPU backend (LibraryEmitter) describes each kernel it
// needs as a plain KernelRequest and asks this facade to compile it. Only
// KernelCompiler.cpp includes Halide.h: Halide needs RTTI and exceptions,
// MLIR is built without RTTI, and a translation unit that mixes both headers
// would produce classes whose type info cannot link. Keeping the two apart
// behind this header is the whole point of the file.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CPU_KERNELCOMPILER_H
#define BERT_COMPILER_BACKEND_CPU_KERNELCOMPILER_H

#include <cstdint>
#include <string>

namespace bert::cpu {

enum class KernelKind { Linear, LayerNorm, Attention, Embeddings, Pooler };

/// Activation of a linear's epilogue (mirrors bert::Activation).
enum class KernelActivation { None, Gelu, GeluTanh };

/// Everything that determines one compiled kernel: equal requests compile to
/// the same object, so the emitter compiles each distinct request once (all
/// twelve layers of bert-base share five kernels).
struct KernelRequest {
  KernelKind kind = KernelKind::Linear;
  // Linear: out = act(x·Wᵀ + b); n = out features, k = in features.
  int64_t n = 0, k = 0;
  KernelActivation activation = KernelActivation::None;
  bool hasBias = false;
  // Layer norm: hidden size and residual input; attention: hidden + heads.
  int64_t hidden = 0, numHeads = 0;
  bool hasResidual = false;
  double scale = 0.0, epsilon = 0.0;
  // Embeddings: table sizes.
  int64_t vocab = 0, maxPositions = 0, typeVocab = 0;
  // Schedule knobs from #bert.schedule (0 = the kernel's default).
  int tileM = 0, tileN = 0, tileK = 0, vectorWidth = 0, unroll = 0,
      parallelSplit = 0;
  // `precision = bf16`: a linear with bf16 weights (linearBF16WeightLayout)
  // and bf16 products, or an attention with bf16 Q.K^T and P.V;
  // colsPerTask is the AMX schedule's column
  // block (#bert.schedule tile[4]).
  bool bf16 = false;
  int colsPerTask = 0;

  /// A stable textual signature, used as the dedup and cache key.
  std::string key() const;
};

/// Width of the weight panels a linear (or pooler) kernel reads: the
/// runtime repacks W[N, K] into ceil(N/nb) panels of [K][nb] at load time.
/// Returns 0 and sets `error` for an unknown target.
int64_t linearPanelWidth(const KernelRequest &req, const std::string &target,
                         std::string &error);

/// Weight layout of a bf16 linear on `target` (Kernels.h BF16Layout):
/// panels of `panelWidth` columns, k-pairs `rowStride` bf16 apart, and
/// whether the kernel reads it as one 3-D panel. False and `error` for an
/// unknown target.
struct BF16WeightLayout {
  int64_t panelWidth = 0, rowStride = 0, numPanels = 0;
  bool singlePanel = false;
};
bool linearBF16WeightLayout(const KernelRequest &req, const std::string &target,
                            BF16WeightLayout &layout, std::string &error);

/// Compiles one kernel to an object file (no Halide runtime inside) with the
/// C symbol `fnName`. When `debugBase` is not empty, also writes
/// `<debugBase>.stmt` and `<debugBase>.s`. Returns false and sets `error`.
bool compileKernel(const KernelRequest &req, const std::string &fnName,
                   const std::string &target, const std::string &objPath,
                   const std::string &debugBase, std::string &error);

/// Compiles the single Halide runtime object that a library links.
bool compileHalideRuntime(const std::string &target, const std::string &objPath,
                          std::string &error);

/// True when `target` (a bertc target name) has AMX tiles; false for
/// unknown names.
bool targetHasAMX(const std::string &target);

/// The full Halide target string `target` resolves to (for messages).
std::string describeTarget(const std::string &target, std::string &error);

/// What, besides a request and its target, decides a compiled object's bytes:
/// the Halide version this bertc was built with and the hash of the kernel
/// sources (generated at build time by HashKernelSources.cmake). The kernel
/// cache puts it into every key.
std::string kernelCompilerIdentity();

} // namespace bert::cpu

#endif // BERT_COMPILER_BACKEND_CPU_KERNELCOMPILER_H
