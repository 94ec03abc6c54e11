//===- ModelPlan.h - what the generated host code must do -------*- C++ -*-===//
//
// A ModelPlan is the planned bert function flattened into what a C host
// program needs: the weight slots the runtime fills (with their load-time
// packing), the distinct kernels to compile, and the ordered kernel calls
// with every buffer's base pointer, extents and strides written as C
// expressions over `batch`/`seq`. planModel() builds it from the IR (and
// reports unsupported IR on the op); HostCodeGen turns it into C text.
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

/// One halide_buffer_t argument of a kernel call.
struct BufferArg {
  std::string pointer;  ///< C expression of the base address
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
