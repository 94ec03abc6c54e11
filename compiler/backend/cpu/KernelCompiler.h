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

#include "dialect/Schedules.h"

#include <cstdint>
#include <string>
#include <variant>

namespace bert::cpu {

/// Activation of a linear's epilogue (the backend's copy of the dialect's
/// enum, which the Halide side cannot include): the same values, in the
/// same order, so ModelPlan converts by value.
enum class Activation { None, Gelu, GeluTanh, Relu, Silu, QuickGelu, Tanh };

/// Y = act(X * W^T + b) (+ R); with `bf16`, bf16 operands and fp32 sums
/// (LinearBF16.cpp); with `f16`, IEEE half operands and fp32 sums (the CUDA
/// backend's only: bertc refuses it for a CPU target); with `int8`, int8
/// operands quantized per row of X and per column of W, int32 sums
/// (LinearInt8.cpp).
struct LinearSpec {
  int64_t N = 0, K = 0;
  Activation act = Activation::None;
  bool hasBias = true, hasResidual = false;
  /// X rows may have any pitch (pooler's CLS rows); otherwise pitch == K,
  /// which lets the kernel fold row addresses into constants.
  bool stridedX = false;
  bool bf16 = false;
  bool f16 = false;
  bool int8 = false;
  /// int8 only: 0, or B (a power of 4 dividing K): X and W rotated by the
  /// Walsh-Hadamard matrix of order B, block by block along K, before they
  /// are quantized (bert.linear `hadamard B`).
  int64_t hadamard = 0;
};

/// out = LN(x (+ r)) * gamma + beta over the last dim.
struct LayerNormSpec {
  int64_t H = 0;
  float eps = 1e-12f;
  bool hasResidual = false;
  /// x and r rows may have any pitch (the first token of each sequence,
  /// bert-prune-first-token); otherwise pitch == H.
  bool stridedRows = false;
};

/// Fused multi-head self-attention over a packed QKV activation.
struct AttentionSpec {
  int64_t hidden = 0, numHeads = 0;
  float scale = 0.f; ///< 0 = 1/sqrt(hidden/numHeads)
  /// Q.K^T and P.V on bf16 operands (Q, K, P, V rounded to nearest even),
  /// sums in fp32; the softmax stays fp32.
  bool bf16 = false;
  /// The same on IEEE half operands (CUDA only, as LinearSpec::f16).
  bool f16 = false;
};

/// XLNet's relative attention core over packed q, k, v
/// (bert.relative_attention; RelativeAttention.cpp).
struct RelativeAttentionSpec {
  int64_t hidden = 0, numHeads = 0;
};

/// XLNet's sinusoids of the 2S relative distances (bert.relative_positions;
/// RelativePositions.cpp), H wide.
struct RelativePositionsSpec {
  int64_t H = 0;
  /// Relative distances are clamped to [-clampLen, clampLen] when > 0.
  int64_t clampLen = -1;
};

/// out = LN(word[ids] + pos[p(b, s)] + type[tt]) * gamma + beta, with
/// p(b, s) = s, or RoBERTa's positions when paddingIdx >= 0 (see
/// bert.embeddings).
struct EmbeddingsSpec {
  int64_t H = 0, vocab = 0, maxPositions = 0;
  /// 0: no token types (no token_type_ids input, no table).
  int64_t typeVocab = 0;
  int64_t paddingIdx = -1;
  float eps = 1e-12f;
  /// XLM's languages: 0 without a langs input and table.
  int64_t numLangs = 0;
  /// XLNet's bert.embeddings: out = word[ids] alone (no position or type
  /// table, no LayerNorm); the other fields but H and vocab are unused.
  bool wordOnly = false;
};

/// out[b] = act(W * hidden[b, 0, :] + bias), W [N, H].
struct PoolerSpec {
  int64_t H = 0;
  Activation act = Activation::Tanh;
  /// Output features; 0: H (BertPooler's square dense layer).
  int64_t N = 0;
};

/// out_j[m] = in[m, j] for j < N: the innermost dimension of N columns
/// split into N outputs (bert.unstack).
struct UnstackSpec {
  int64_t N = 0;
};

/// out[m, :] = in[m, :] * mask[m] over M rows of H (bert.mask_rows).
struct MaskRowsSpec {
  int64_t H = 0;
};

/// out[m, :] = (a[m, :] + b[m, :]) [* mask[m]] over M rows of H: a residual
/// add no LayerNorm consumes (bert.add; bert.add_mask_rows when masked).
struct AddSpec {
  int64_t H = 0;
  bool masked = false;
};

/// What a kernel computes; the alternative names its family.
using KernelSpec =
    std::variant<LinearSpec, LayerNormSpec, AttentionSpec, EmbeddingsSpec,
                 PoolerSpec, UnstackSpec, MaskRowsSpec, AddSpec,
                 RelativeAttentionSpec, RelativePositionsSpec>;

/// Everything that determines one compiled kernel: what it computes and its
/// schedule (dialect/Schedules.h), read from the op. Equal requests compile
/// to the same object, so the emitter compiles each distinct request once
/// (all twelve layers of bert-base share five kernels).
struct KernelRequest {
  KernelSpec spec;
  ::bert::KernelSchedule schedule;

  /// A stable textual signature, used as the dedup and cache key and shown
  /// by profiles: the family's description, then the schedule's fields.
  std::string key() const;
};

/// Width of the weight panels a linear (or pooler) kernel reads: the
/// runtime repacks W[N, K] into ceil(N/nb) panels of [K][nb] at load time.
/// Returns 0 and sets `error` for an unknown target.
int64_t linearPanelWidth(const KernelRequest &req, const std::string &target,
                         std::string &error);

/// Weight layout of a bf16 linear on `target` (Kernels.h BF16Layout):
/// panels of `panelWidth` columns, k-pairs `rowStride` bf16 apart. False
/// and `error` for an unknown target.
struct BF16WeightLayout {
  int64_t panelWidth = 0, rowStride = 0, numPanels = 0;
};
bool linearBF16WeightLayout(const KernelRequest &req, const std::string &target,
                            BF16WeightLayout &layout, std::string &error);

/// Weight layout of an int8 linear (Kernels.h Int8Layout): panels of
/// `panelWidth` columns, k-quads `rowStride` bytes apart, the scales and
/// column sums from byte `scaleOffset`. False and `error` when the request
/// has no gemm schedule.
struct Int8WeightLayout {
  int64_t panelWidth = 0, rowStride = 0, numPanels = 0, scaleOffset = 0;
  int64_t hadamard = 0; ///< LinearSpec::hadamard: W rotated before quantizing
};
bool linearInt8WeightLayout(const KernelRequest &req, Int8WeightLayout &layout,
                            std::string &error);

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
