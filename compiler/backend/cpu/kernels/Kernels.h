//===- Kernels.h - Halide CPU kernel library for bertc ----------*- C++ -*-===//
//
// The CPU backend's kernel interface. The MLIR backend maps each planned
// `bert.*` kernel op to one build*() call, compiles the pipeline to an AOT
// object with compileToObject() (always `no_runtime`), emits the single Halide
// runtime object once per library with compileRuntime(), and generates C host
// code that calls every AOT function with halide_buffer_t's built over arena
// offsets.
//
// Conventions (all kernels):
//  * fp32, row-major. Halide lists dimensions innermost first, so a row-major
//    [rows, cols] tensor is the halide_buffer_t {dim0 = cols (stride 1),
//    dim1 = rows (stride = row pitch)}. Every buffer has min 0 in every dim.
//  * Hidden sizes are static (from the spec, checked by the pipeline);
//    batch B and sequence S are runtime extents taken from the buffers.
//  * The AOT function signature is `int fn(halide_buffer_t *in0, ...,
//    halide_buffer_t *out)`, in exactly the order Kernel::args lists; the
//    output buffer is always last. Return 0 on success (Halide error codes
//    otherwise).
//  * Buffer shapes per kernel are written next to each build*() below, as
//    "(dim0, dim1, ...)" = innermost first, with strides when they are not
//    dense.
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CPU_KERNELS_H
#define BERT_COMPILER_BACKEND_CPU_KERNELS_H

#include "Halide.h"
#include "compiler/backend/cpu/KernelCompiler.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bert::cpu {

using ::bert::AmxSchedule;
using ::bert::AttentionSchedule;
using ::bert::GemmSchedule;
using ::bert::KernelSchedule;
using ::bert::RowSchedule;

/// A built kernel: the pipeline, its inputs (bind them for JIT tests) and
/// the AOT argument list in call order (output last).
struct Kernel {
  Halide::Pipeline pipeline;
  std::vector<Halide::ImageParam> inputs;
  std::vector<Halide::Argument> args;
  std::string name; ///< kernel family, for diagnostics
};

//===----------------------------------------------------------------------===//
// Targets and compilation
//===----------------------------------------------------------------------===//

/// "host" (detected), "x86-64-avx512", "x86-64-avx2", "x86-64-sse41", or any
/// full Halide target string. Throws std::invalid_argument when unknown.
Halide::Target parseTarget(const std::string &name);

/// Asks Linux for the AMX tile state for this process (what the runtime does
/// at load for AMX libraries), so JIT-compiled AMX kernels can run in tests
/// and benchmarks. False where it is refused or not Linux x86-64.
bool requestAMXState();

/// AOT object for one kernel, compiled `no_runtime` with C name `fnName`.
void compileToObject(const Kernel &k, const std::string &fnName,
                     const Halide::Target &target, const std::string &objPath);

/// The one Halide runtime object a library links (halide_malloc, thread pool,
/// error reporting) for `target`.
void compileRuntime(const Halide::Target &target, const std::string &objPath);

/// Debug output: `<basePath>.stmt` (lowered loop nest) and `<basePath>.s`.
void emitStmtAndAssembly(const Kernel &k, const std::string &fnName,
                         const Halide::Target &target,
                         const std::string &basePath);

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// Packed weight layout of `linear`: the HF weight W[N, K] is cut into
/// ceil(N/nb) panels of nb output columns; panel p holds, for k = 0..K-1, the
/// nb weights W[p*nb + j, k] (j = 0..nb-1) contiguously, i.e. a row-major
/// [N/nb][K][nb] array. Columns past N are zero. As a Halide buffer:
/// (nb, K, numPanels), dense.
struct PackedLayout {
  int64_t N = 0, K = 0, nb = 0, numPanels = 0;
  int64_t numFloats() const { return numPanels * K * nb; }
};
/// The layout of a linear with register tiles of sched.cols columns.
PackedLayout linearPackedLayout(const LinearSpec &spec,
                                const GemmSchedule &sched);
/// Plain C++ repacking, W row-major [N, K] -> `out` (layout.numFloats()).
void packLinearWeights(const float *w, const PackedLayout &layout, float *out);

/// The last row tile is shifted inwards (rows recomputed), so R must not
/// alias Y (no in-place residual); M >= 1 any value.
/// args: X (K, M) [row pitch K, or any if stridedX], Wp (nb, K, numPanels),
///       [bias (N)], [R (N, M) dense], out Y (N, M) dense.  M is dynamic.
/// `autoschedule`: Halide's Adams2019 instead of `sched` (estimates only;
/// the caller loads the plugin; bench/autoschedule).
Kernel buildLinear(const LinearSpec &spec, const GemmSchedule &sched,
                   const Halide::Target &target, bool autoschedule = false);

/// Weight layout of the bf16 linear ("VNNI"): W[N, K] in bf16, cut into
/// numPanels panels of nb output columns; in panel p, k-pair row j holds
/// (W[n, 2j], W[n, 2j+1]) for the panel's columns, rowStride elements after
/// row j-1, so W[n, k] is element index(n, k). Entries past N are zero. As
/// a Halide buffer: (2, nb, K/2, numPanels) with strides (1, 2, rowStride,
/// K/2 * rowStride); rowStride = 2 nb (LinearBF16.cpp says why).
struct BF16Layout {
  int64_t N = 0, K = 0, nb = 0, rowStride = 0, numPanels = 0;
  int64_t numElements() const { return numPanels * (K / 2) * rowStride; }
  int64_t index(int64_t n, int64_t k) const;
  /// The kernel's buffer shape: (min, extent, stride) innermost first.
  std::vector<halide_dimension_t> dims() const;
};
/// `sched`: an AmxSchedule (AMX tiles) or a GemmSchedule (dot products).
BF16Layout linearBF16Layout(const LinearSpec &spec, const KernelSchedule &sched,
                            const Halide::Target &target);

/// bf16 linear (`--precision bf16`): Y = act(bf16(X) * Wb^T + b), products
/// of bf16 values summed in fp32; AMX tiles where the target has them,
/// VDPBF16PS dot products (or their emulation) elsewhere. See
/// LinearBF16.cpp. Needs an even K and no residual.
/// args: X (K, M) f32 [row pitch K, or any if stridedX],
///       Wb bfloat16 in the linearBF16Layout (above),
///       [bias (N)], out Y (N, M) dense.  M is dynamic.
Kernel buildLinearBF16(const LinearSpec &spec, const KernelSchedule &sched,
                       const Halide::Target &target);
/// fp32 -> bf16 bits, round to nearest even (what the kernel does to X).
uint16_t floatToBF16(float f);
/// Plain C++ repacking, W row-major [N, K] -> `out` in `layout`
/// (layout.numElements() entries, pads zero).
void packLinearWeightsBF16(const float *w, const BF16Layout &layout,
                           uint16_t *out);

/// Weight layout of the int8 linear (bert_model_abi.h int8_row_stride):
/// W[N, K] quantized per output channel, cut into numPanels panels of nb
/// output columns; in panel p, k-quad row j holds W[n, 4j..4j+3] for the
/// panel's columns, rowStride (= 4 nb) bytes after row j-1. As a Halide
/// buffer: (4, nb, K/4, numPanels) with strides (1, 4, rowStride,
/// K/4 * rowStride). From byte scaleOffset: N float scales, N int32 column
/// sums; `bytes` in all.
struct Int8Layout {
  int64_t N = 0, K = 0, nb = 0, rowStride = 0, numPanels = 0;
  int64_t scaleOffset = 0, bytes = 0;
  /// LinearSpec::hadamard: each row of W rotated before it is quantized.
  int64_t hadamard = 0;
  /// The kernel's weight buffer shape: (min, extent, stride) innermost first.
  std::vector<halide_dimension_t> dims() const;
};
Int8Layout linearInt8Layout(const LinearSpec &spec, const GemmSchedule &sched);

/// int8 linear (`--precision int8`): Y = act(sx * sw * (qx . qw) + b), X
/// quantized per row inside the kernel, int32 sums (VPDPBUSD where the
/// target has AVX512-VNNI); see LinearInt8.cpp. Needs K % 4 == 0 and no
/// residual.
/// args: X (K, M) f32 [row pitch K, or any if stridedX],
///       Wq int8 (4, nb, K/4, numPanels) in the linearInt8Layout,
///       scales f32 (N), column sums int32 (N), [bias (N)],
///       out Y (N, M) dense.  M is dynamic.
Kernel buildLinearInt8(const LinearSpec &spec, const GemmSchedule &sched,
                       const Halide::Target &target);
/// The int8 linear under an amx schedule (LinearAMXInt8.cpp): the same
/// kernel, arguments and weight panels, its int32 sums from TDPBUSD tiles
/// (the AMX block) when M >= 16 and from the dot path's tile
/// (int8DotSchedule) below. Needs N % 16 == 0 and K % 64 == 0.
Kernel buildLinearInt8Amx(const LinearSpec &spec, const AmxSchedule &sched,
                          const Halide::Target &target);
/// The VPDPBUSD register tile of an int8 linear's schedule: a gemm
/// schedule itself, or an amx schedule's dot_* fields (whose dot_cols is
/// also the weights' panel width).
GemmSchedule int8DotSchedule(const KernelSchedule &sched);
/// The runtime's packer on a whole matrix: W row-major [N, K] -> `out`
/// (layout.bytes bytes: panels, scales, column sums).
void packLinearWeightsInt8(const float *w, const Int8Layout &layout,
                           int8_t *out);

/// args: x (H, M) dense, [r (H, M) dense], gamma (H), beta (H), out (H, M).
Kernel buildLayerNorm(const LayerNormSpec &spec, const RowSchedule &sched,
                      const Halide::Target &target, bool autoschedule = false);

/// args: qkv as a 5-D view of the [B*S, 3H] activation:
///         (d, heads, 3, S, B) with strides (1, d, H, 3H, 3H*S);
///       mask int32 (S, B) dense (1 = attend, 0 = padding);
///       out as a 4-D view of [B*S, H]: (d, heads, S, B) with strides
///         (1, d, H, H*S).
/// Masked keys get scores + lowest float (HF); a fully masked row becomes a
/// uniform average, as in HF. Flash-attention form: keys in tiles of
/// AttentionSchedule::keyTile with an online softmax (with bf16 the
/// probabilities are rounded per key tile, so a reference needs it); memory
/// per task is O(queriesPerTask * (keyTile + d)) whatever S is.
Kernel buildAttention(const AttentionSpec &spec, const AttentionSchedule &sched,
                      const Halide::Target &target, bool autoschedule = false);
/// args: qkv (3H, S, B) dense (q, k, v side by side); kr (H, 2S) dense
///       (row p: relative distance S - p); mask, token types int32 (S, B)
///       dense; r_w_bias, r_r_bias, r_s_bias (H); seg_embed (H, 2); out
///       (d, heads, S, B) dense (the [B, S, H] rows, heads side by side).
Kernel buildRelativeAttention(const RelativeAttentionSpec &spec,
                              const AttentionSchedule &sched,
                              const Halide::Target &target);
/// args: mask int32 (S, B) dense (its shape only); out (H, 2S) dense: row p
///       the sinusoids of relative distance S - p.
Kernel buildRelativePositions(const RelativePositionsSpec &spec,
                              const RowSchedule &sched,
                              const Halide::Target &target);
/// args: ids int32 (S, B), tokenTypes int32 (S, B), word (H, vocab),
///       pos (H, maxPositions), type (H, typeVocab), gamma (H), beta (H),
///       out as a 3-D view of [B*S, H]: (H, S, B) strides (1, H, H*S).
///       wordOnly: ids, word, out.
/// Indices are clamped into range (the runtime rejects bad ids earlier).
Kernel buildEmbeddings(const EmbeddingsSpec &spec, const RowSchedule &sched,
                       const Halide::Target &target, bool autoschedule = false);

/// Pooler = linear with tanh over the CLS rows: X is the 2-D view
/// (H, B) with row stride S*H of the [B*S, H] hidden state (row b*S, or
/// b*S + S - 1 for a last-token pooler: the caller offsets the base); W is
/// packed with linearPackedLayout({H, H, Tanh}, sched, target).
/// args: X (H, B) [stride S*H], Wp, bias (H), out (H, B).
Kernel buildPooler(const PoolerSpec &spec, const GemmSchedule &sched,
                   const Halide::Target &target);
Kernel buildUnstack(const UnstackSpec &spec, const RowSchedule &sched,
                    const Halide::Target &target);
/// bert.mask_rows: in (H, M) [row stride H], mask (M) int32, out (H, M).
Kernel buildMaskRows(const MaskRowsSpec &spec, const RowSchedule &sched,
                     const Halide::Target &target);
/// bert.add, bert.add_mask_rows: input (H, M), residual (H, M) [row
/// stride H], mask (M) int32 when spec.masked, out (H, M).
Kernel buildAdd(const AddSpec &spec, const RowSchedule &sched,
                const Halide::Target &target);
LinearSpec poolerAsLinear(const PoolerSpec &spec);

//===----------------------------------------------------------------------===//
// Kernel families
//===----------------------------------------------------------------------===//

/// One schedule field the tuner searches and the values it tries.
struct TuneKnob {
  const char *field; ///< a field name of the family's schedule struct
  std::vector<int64_t> values;
};

/// One argument of a kernel as the tuner builds it for a shape, in the
/// kernel's argument order (output last).
struct TuneArg {
  enum class Kind {
    Floats,  ///< float32, seeded uniform values in [-1, 1]
    Ids,     ///< int32, seeded uniform values in [0, bound)
    Ones,    ///< int32, all 1 (an attention mask with no padding)
    Weights, ///< the linear's W[N, K], packed per candidate (its layout
             ///< follows the candidate's schedule); dims unused. For an
             ///< int8 linear, three kernel arguments: panels, channel
             ///< scales, column sums
  } kind = Kind::Floats;
  /// (extent, stride), innermost first.
  std::vector<std::pair<int, int>> dims;
  int64_t bound = 0;
};

/// Everything the backend does with one family of kernels, defined beside
/// its Halide code (Linear.cpp, LayerNorm.cpp, ...): adding a family adds a
/// KernelSpec alternative and one of these, and no case anywhere else.
struct KernelFamily {
  const char *name;
  /// The spec part of KernelRequest::key ("linear n=768 k=768 act=0 ...").
  std::string (*describe)(const KernelRequest &req);
  /// The Halide pipeline for `req` (its schedule is the family's struct;
  /// another one is an error).
  Kernel (*build)(const KernelRequest &req, const Halide::Target &target);
  /// The schedule fields worth searching, in the order the tuner visits them
  /// (the register tile first: it moves the others' best).
  std::vector<TuneKnob> (*tuningSpace)(const KernelRequest &req,
                                       const Halide::Target &target);
  /// Whether a candidate can be good at all (a register tile that fits the
  /// register file): the tuner skips others. Null: every candidate.
  bool (*plausible)(const KernelRequest &req, const Halide::Target &target);
  /// Relative difference from the default schedule's output a candidate
  /// may show (tile shapes reorder sums; bf16 rounds per tile).
  float (*tolerance)(const KernelRequest &req);
  /// The kernel's arguments for `batch` sequences of `seq` tokens (row
  /// kernels see batch * seq rows, attention batch x heads x seq x seq).
  std::vector<TuneArg> (*tuneArgs)(const KernelRequest &req, int batch,
                                   int seq);
};

extern const KernelFamily kLinearFamily, kLayerNormFamily, kAttentionFamily,
    kEmbeddingsFamily, kPoolerFamily, kUnstackFamily, kMaskRowsFamily,
    kAddFamily, kRelativeAttentionFamily, kRelativePositionsFamily;
/// The bf16 and int8 linears under an amx schedule (LinearAMX.cpp): a
/// LinearSpec whose schedule, not spec, names the family.
extern const KernelFamily kLinearAmxFamily;

/// The linear a weight-reading request (linear, pooler) packs its weights
/// for.
LinearSpec weightSpecOf(const KernelRequest &req);

/// The family of `req` (by its spec's alternative; an amx schedule's linear
/// is kLinearAmxFamily).
const KernelFamily &familyOf(const KernelRequest &req);

/// The kernel `req` describes, as compileKernel builds it; the autotuner
/// (KernelTuner.cpp) JIT-compiles it.
inline Kernel buildRequestKernel(const KernelRequest &req,
                                 const Halide::Target &target) {
  return familyOf(req).build(req, target);
}

/// The schedule of `req` as family struct S, or a std::invalid_argument
/// naming the family and the kind it got.
template <typename S> const S &scheduleAs(const KernelRequest &req) {
  if (const S *s = std::get_if<S>(&req.schedule))
    return *s;
  throw std::invalid_argument(
      std::string(familyOf(req).name) + " kernel: expected a " + S::kind +
      " schedule, got " + ::bert::scheduleKind(req.schedule));
}

} // namespace bert::cpu

#endif // BERT_COMPILER_BACKEND_CPU_KERNELS_H
