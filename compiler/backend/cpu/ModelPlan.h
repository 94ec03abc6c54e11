//===- ModelPlan.h - what the generated host code must do -------*- C++ -*-===//
//
// A ModelPlan is the planned bert function flattened into what a C host
// program needs: the named inputs and outputs of run(), the weight slots the
// runtime fills (with their load-time packing), the distinct kernels to
// compile, and the ordered kernel calls. Each buffer of a call names where
// its data lives by role (a caller's input or output by its index in those
// tables, an arena slot, a weight slot), never by C text, so code
// generation decides by comparing roles; only HostCodeGen writes C. Extents
// and strides stay C expressions over the run() locals B, S and M: they are
// only ever printed, and the packed path rebinds those names per sequence.
// planModel() builds the plan from the IR (and reports unsupported IR on the
// op).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CPU_MODELPLAN_H
#define BERT_COMPILER_BACKEND_CPU_MODELPLAN_H

#include "compiler/backend/cpu/KernelCompiler.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

#include <string>
#include <vector>

namespace mlir::bert {

/// One weight pointer the kernels receive (bert_weight_spec in the ABI).
struct WeightSlot {
  std::string name;                 ///< HF name, or a chosen packed name
  std::vector<std::string> sources; ///< >1: concatenated along dim 0
  std::vector<int64_t> shape;       ///< logical shape after concatenation
  /// How the sources become the slot (bert_weight_kind): as stored (one
  /// source; several concatenated along dim 0), one source of rank > 2
  /// flattened to the 2-D slot, or each source read as [K, rest] and
  /// transposed, then concatenated (bert.weight_matrix; XLNet's einsum
  /// weights); or no source: computed once at load by the load-time calls
  /// (bert.load_time), row-major float32 of `shape`.
  enum class From {
    Stored,
    Flattened,
    Transposed,
    Computed
  } from = From::Stored;
  /// >0: repacked into panels of this many output columns: [N/nb][K][nb]
  /// (f32), or the bf16 layout below.
  int64_t panelWidth = 0;
  /// >0: stored as bf16 in the VNNI layout of a bf16 linear, k-pairs this
  /// many elements apart within a panel (bert_weight_spec.bf16_row_stride).
  int64_t bf16RowStride = 0;
  /// >0: quantized to int8 per output channel in the VNNI layout of an int8
  /// linear, k-quads this many bytes apart, followed by the scales and
  /// column sums (bert_weight_spec.int8_row_stride).
  int64_t int8RowStride = 0;
  /// int8 slots: 0, or B: each row rotated by the Walsh-Hadamard matrix of
  /// order B before it is quantized (bert_weight_spec.int8_hadamard_block).
  int64_t int8Hadamard = 0;
  /// CUDA: the runtime hands the slot as float32 rows, and the library keeps
  /// its device copy as float32, or as bf16 or f16 rows [N][K] (rounded to
  /// nearest even once, at upload) for a tensor-core linear of that type.
  enum class DeviceCopy { Float32, BF16, F16 } deviceCopy = DeviceCopy::Float32;
};

/// A dim of a model input or output that is not static (bert_model_abi.h's
/// BERT_DIM_BATCH and BERT_DIM_SEQ).
constexpr int64_t kDimBatch = -1, kDimSeq = -2;

/// One input or output of bert_model_desc::run (a bert_io_spec): the
/// function's arguments in order, then its results in order.
struct IOTensor {
  std::string name;          ///< Hugging Face name ("input_ids", "logits")
  bool isInt32 = false;      ///< inputs int32, outputs float32
  std::vector<int64_t> dims; ///< > 0 static, or kDimBatch / kDimSeq
  int64_t upperBound = 0;    ///< inputs: values in [0, n); 0 unchecked
  bool required = false;     ///< inputs: no default (input_ids)
  int32_t defaultValue = 0;  ///< inputs: the value when not given
  /// [batch, seq, ...]: one row per token (scattered by the packed path).
  bool perToken() const { return dims.size() >= 2 && dims[1] == kDimSeq; }
  /// Elements per token (perToken) or per batch row (otherwise).
  int64_t rowWidth() const;
};

/// Where a buffer's data starts, by role.
struct BufferRef {
  enum class Role {
    Input,  ///< the caller's input `index` (ModelPlan::inputs)
    Output, ///< the caller's output `index` (ModelPlan::outputs)
    Arena,  ///< the activation arena, `arenaOffset` bytes in
    Weight, ///< weight slot `weightSlot` (ModelPlan::slots)
  };
  Role role = Role::Arena;
  size_t index = 0;
  int64_t arenaOffset = 0;
  size_t weightSlot = 0;
  /// Weight: bytes past the slot's start (an int8 slot's scales and sums).
  int64_t byteOffset = 0;
  /// Arena: the value is stored as bf16 or IEEE half (bert.buffer's
  /// element, CUDA's 16-bit activations) rather than float32.
  bool isBF16 = false, isF16 = false;

  static BufferRef input(size_t i) { return make(Role::Input, i); }
  static BufferRef output(size_t i) { return make(Role::Output, i); }
  static BufferRef arena(int64_t offset) {
    BufferRef r = make(Role::Arena);
    r.arenaOffset = offset;
    return r;
  }
  static BufferRef weight(size_t slot, int64_t byteOffset = 0) {
    BufferRef r = make(Role::Weight);
    r.weightSlot = slot;
    r.byteOffset = byteOffset;
    return r;
  }
  static BufferRef make(Role role, size_t index = 0) {
    BufferRef r;
    r.role = role;
    r.index = index;
    return r;
  }

  /// Whether this is input (output) `i`; never for a negative `i`, so
  /// `isInput(plan.findInput("langs"))` is false when there is none.
  bool isInput(int i) const {
    return role == Role::Input && i >= 0 && index == size_t(i);
  }
  bool isOutput(int i) const {
    return role == Role::Output && i >= 0 && index == size_t(i);
  }
  bool operator==(const BufferRef &o) const {
    return role == o.role && index == o.index && arenaOffset == o.arenaOffset &&
           weightSlot == o.weightSlot && byteOffset == o.byteOffset;
  }
};

/// One halide_buffer_t argument of a kernel call.
struct BufferArg {
  BufferRef base;       ///< where element (0, ..., 0) is
  bool isInt32 = false; ///< int32 (ids, mask) rather than float32
  /// (extent, stride) C expressions, innermost dimension first.
  std::vector<std::pair<std::string, std::string>> dims;
  /// bfloat16 (bf16 linear weights; CUDA: activations in a bf16 slot)
  bool isBF16 = false;
  /// IEEE half (f16 linear weights and activations in an f16 slot, CUDA)
  bool isF16 = false;
  bool isInt8 = false; ///< int8 (int8 linear weights)
  /// C expression of elements past `base` where element (0, ..., 0) is
  /// (a last-token pooler's row S - 1); empty: none.
  std::string elementOffset;
};

struct KernelCall {
  size_t kernel;               ///< index into ModelPlan::kernels
  std::vector<BufferArg> args; ///< in the kernel's argument order
  std::string comment;         ///< op name and location, for readers
  std::string name;            ///< short: op and module names (profiles)
  /// C expression of the call's floating-point operations over B, S and M
  /// (GEMMs and attention; empty for the memory-bound kernels).
  std::string flops;
  /// The call computes one row per token (M rows: T in the packed path),
  /// rather than one per sequence (B rows: pooler, first-token heads).
  bool perToken = true;
  /// Floats per row of its result (the last argument), for the packed
  /// path's scatter.
  int64_t resultWidth = 0;
};

struct ModelPlan {
  std::string name;
  /// Facts from the module's bert.model_facts (the config), as published in
  /// the descriptor and header.
  std::string family;
  int64_t hidden = 0, layers = 0, heads = 0, intermediate = 0, vocab = 0,
          typeVocab = 0, maxBatch = 0, maxSeq = 0, arenaBytes = 0;
  /// Some kernel uses AMX tiles: the runtime must ask Linux for the AMX
  /// state before the first call (bert_model_desc.needs_amx).
  bool needsAMX = false;
  /// run()'s inputs (the function's named arguments) and outputs (its
  /// results, named by bert.output_names), in the descriptor's order.
  std::vector<IOTensor> inputs, outputs;
  std::vector<WeightSlot> slots;
  std::vector<::bert::cpu::KernelRequest> kernels; ///< distinct, in first use
  std::vector<KernelCall> calls;                   ///< in execution order
  /// The bert.load_time calls, in order: run once at load (bert_prepare,
  /// B = 1, S = maxSeq) into their Computed slots, never by run().
  std::vector<KernelCall> loadCalls;
  std::string target;

  /// C symbol of kernel `i`.
  std::string kernelSymbol(size_t i) const;
  /// Index of the input (output) called `name`, or -1.
  int findInput(llvm::StringRef name) const;
  int findOutput(llvm::StringRef name) const;
};

/// The input table from the function's named arguments, and the output
/// table from its results and bert.output_names (ModelIO.cpp); planModel
/// calls both after reading the model facts they bound inputs by.
LogicalResult planInputs(func::FuncOp func, ModelPlan &plan);
LogicalResult planOutputs(func::FuncOp func, ModelPlan &plan);

/// Flattens a planned function. `target` picks the weight panel widths.
FailureOr<ModelPlan> planModel(func::FuncOp func, const std::string &name,
                               const std::string &target);

/// How the packed (no padding) variant of run() reuses the planned calls.
/// The calls come in two phases: per-token calls (embeddings, linears and
/// layer norms over [B, S, ...], attention), then per-sequence calls
/// (poolers and the heads over their [B, ...] results). The embeddings run
/// padded and are gathered into their slot: padded into a per-token output
/// wide enough (last_hidden_state for BertModel), else into their own slot
/// and gathered in place. The other per-token calls run on the T packed
/// rows (M = T); attention runs once per sequence over its packed rows.
/// After the last per-token call, every per-token output, and every
/// per-token arena value a per-sequence call reads (a pooler's input), is
/// scattered in place from its T packed rows to the padded layout, which
/// the per-sequence calls then read as run() does. (A CUDA library's
/// packed path, CudaPackedHost.cpp, takes the same shape but moves rows
/// between distinct device buffers rather than in place.)
struct PackedShape {
  bool ok = false;
  size_t embeddings = 0; ///< index of the embeddings call
  size_t lastToken = 0;  ///< index of the last per-token call
  /// Where the embeddings run padded: a per-token output, or (when no
  /// output is wide enough) their own slot, gathered in place.
  std::optional<BufferRef> paddedInto;
  /// Buffers scattered after lastToken, with their row widths.
  std::vector<std::pair<BufferRef, int64_t>> scatter;
  /// XLNet's relative attention: only real tokens are packed (a padded
  /// position 0 would sit at the wrong distances), their token types are
  /// gathered too, and a batch the packed rows cannot reproduce runs
  /// padded (see emitRunPacked).
  bool relative = false;
  /// A per-sequence call reads each sequence's last position (XLNet's
  /// sequence summary): a row padded on the right then runs padded.
  bool readsLastToken = false;
  /// The token types the relative attention reads (an input).
  std::optional<BufferRef> types;
};

/// The packed shape of `plan`'s calls; `ok` false when the plan has no
/// packed path (no attention_mask input, or calls it cannot reorder).
PackedShape analyzePacked(const ModelPlan &plan);

/// Which argument of `call` is the attention mask, for the kernels that
/// read it per row (mask_rows, add_mask_rows): the packed path passes its
/// own mask of the T packed rows there. -1 for the others.
int rowMaskArgument(const ModelPlan &plan, const KernelCall &call);

/// The C99 host source: kernel prototypes, the weight table, run(), and the
/// `bert_generated_model` descriptor of runtime/include/bert_model_abi.h.
std::string generateHostSource(const ModelPlan &plan);

/// Pieces of the host source every backend's generated code shares
/// (HostCodeGen.cpp). A C string literal for `s`; `s` safe inside a C
/// comment.
std::string cString(llvm::StringRef s);
std::string commentSafe(std::string s);

/// The tables bert_generated_model points to: weight slots, profile names,
/// bert_arena_bytes (returning `arenaBytes`), the input and output tables.
void emitModelTables(llvm::raw_ostream &os, const ModelPlan &plan,
                     int64_t arenaBytes);

/// The functions and device of the descriptor (bert_model_abi.h).
struct DescriptorFunctions {
  std::string run, runPacked, setNumThreads, device;
  /// CUDA libraries: the device-pointer run and its workspace size.
  std::string runDevice = "NULL", deviceWorkspaceBytes = "NULL";
  /// CUDA libraries: the per-library user count of the device state.
  std::string deviceAcquire = "NULL", deviceRelease = "NULL";
  /// The load-time calls' function (bert_prepare), if any.
  std::string prepare = "NULL";
  /// run_packed computes only the positions with mask 1 (XLNet's).
  bool packsRealTokens = false;
};

/// The bert_generated_model descriptor, over emitModelTables' tables.
void emitModelDescriptor(llvm::raw_ostream &os, const ModelPlan &plan,
                         const DescriptorFunctions &fns);

/// The signature of run() / run_packed() (bert_model_desc::run) named
/// `fn`, with the caller's arrays bound to locals named after the inputs
/// and outputs, and the locals every kernel call may use: arena_base, the
/// int32 B and S, and rc.
void emitRunHead(llvm::raw_ostream &os, const ModelPlan &plan,
                 const std::string &fn);

/// The profile mark after call `index` (bert_model_abi.h), with `flops`
/// (a C expression) or the call's own count.
void emitMark(llvm::raw_ostream &os, const KernelCall &call, size_t index,
              const std::string &indent, const std::string &flops = "");

/// The public header <name>.h: the model's inputs and outputs (names,
/// types, shapes), sizes, maxima and arena size, on top of bert_runtime.h.
std::string generateHeader(const ModelPlan &plan);
/// Bytes of arena a run allocates at the maxima: the plan's, plus the
/// packed path's index tables where it applies (the header states it).
int64_t totalArenaBytes(const ModelPlan &plan);

} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_CPU_MODELPLAN_H
