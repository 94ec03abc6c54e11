//===- ModelPlan.h - what the generated host code must do -------*- C++ -*-===//
//
// A ModelPlan is the planned bert function flattened into what a C host
// program needs: the weight slots the runtime fills (with their load-time
// packing), the distinct kernels to compile, and the ordered kernel calls.
// Each buffer of a call names where its data lives by role (a caller's input
// or output, an arena slot, a weight slot), never by C text, so code
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

#include <string>
#include <vector>

namespace mlir::bert {

/// One weight pointer the kernels receive (bert_weight_spec in the ABI).
struct WeightSlot {
  std::string name;                 ///< HF name, or a chosen packed name
  std::vector<std::string> sources; ///< >1: concatenated along dim 0
  std::vector<int64_t> shape;       ///< logical shape after concatenation
  /// >0: repacked into panels of this many output columns: [N/nb][K][nb]
  /// (f32), or the bf16 layout below.
  int64_t panelWidth = 0;
  /// >0: stored as bf16 in the VNNI layout of a bf16 linear, k-pairs this
  /// many elements apart within a panel (bert_weight_spec.bf16_row_stride).
  int64_t bf16RowStride = 0;
};

/// The caller's arrays of bert_model_desc::run, in its argument order.
enum class ModelInput { InputIds, TokenTypeIds, AttentionMask };
enum class ModelOutput { LastHiddenState, PoolerOutput };

/// Where a buffer's data starts, by role.
struct BufferRef {
  enum class Role {
    Input,  ///< a caller's input array (`input`)
    Output, ///< a caller's output array (`output`)
    Arena,  ///< the activation arena, `arenaOffset` bytes in
    Weight, ///< weight slot `weightSlot` (ModelPlan::slots)
  };
  Role role = Role::Arena;
  ModelInput input = ModelInput::InputIds;
  ModelOutput output = ModelOutput::LastHiddenState;
  int64_t arenaOffset = 0;
  size_t weightSlot = 0;

  static BufferRef of(ModelInput in) {
    BufferRef r;
    r.role = Role::Input;
    r.input = in;
    return r;
  }
  static BufferRef of(ModelOutput out) {
    BufferRef r;
    r.role = Role::Output;
    r.output = out;
    return r;
  }
  static BufferRef arena(int64_t offset) {
    BufferRef r;
    r.arenaOffset = offset;
    return r;
  }
  static BufferRef weight(size_t slot) {
    BufferRef r;
    r.role = Role::Weight;
    r.weightSlot = slot;
    return r;
  }

  bool is(ModelInput in) const { return role == Role::Input && input == in; }
  bool is(ModelOutput out) const {
    return role == Role::Output && output == out;
  }
};

/// One halide_buffer_t argument of a kernel call.
struct BufferArg {
  BufferRef base;       ///< where element (0, ..., 0) is
  bool isInt32 = false; ///< int32 (ids, mask) rather than float32
  /// (extent, stride) C expressions, innermost dimension first.
  std::vector<std::pair<std::string, std::string>> dims;
  bool isBF16 = false; ///< bfloat16 (bf16 linear weights)
};

struct KernelCall {
  size_t kernel;               ///< index into ModelPlan::kernels
  std::vector<BufferArg> args; ///< in the kernel's argument order
  std::string comment;         ///< op name and location, for readers
  std::string name;            ///< short: op and module names (profiles)
  /// C expression of the call's floating-point operations over B, S and M
  /// (GEMMs and attention; empty for the memory-bound kernels).
  std::string flops;
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
  std::vector<WeightSlot> slots;
  std::vector<::bert::cpu::KernelRequest> kernels; ///< distinct, in first use
  std::vector<KernelCall> calls;                   ///< in execution order
  std::string target;

  /// C symbol of kernel `i`.
  std::string kernelSymbol(size_t i) const;
};

/// Flattens a planned function. `target` picks the weight panel widths.
FailureOr<ModelPlan> planModel(func::FuncOp func, const std::string &name,
                               const std::string &target);

/// The C99 host source: kernel prototypes, the weight table, run(), and the
/// `bert_generated_model` descriptor of runtime/include/bert_model_abi.h.
std::string generateHostSource(const ModelPlan &plan);

/// The public header <name>.h: the model's shapes, maxima and arena size,
/// on top of bert_runtime.h.
std::string generateHeader(const ModelPlan &plan);

} // namespace mlir::bert

#endif // BERT_COMPILER_BACKEND_CPU_MODELPLAN_H
