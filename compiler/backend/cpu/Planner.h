//===- Planner.h - the CPU plan's builder, shared by its two files -*- C++
//-*-===//
//
// Private to compiler/backend/cpu: ModelPlan.cpp holds the planner's
// infrastructure (weight slots, activations, schedules, the walk over the
// function) and PlanKernels.cpp turns each kernel op into a kernel call.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_COMPILER_BACKEND_CPU_PLANNER_H
#define BERT_COMPILER_BACKEND_CPU_PLANNER_H

#include "compiler/backend/cpu/ModelPlan.h"

#include "dialect/BertOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <string>

namespace mlir::bert::planner {

using ::bert::cpu::KernelRequest;
namespace cpu = ::bert::cpu;

/// Where an activation lives: a buffer of its own, or a view (a slice)
/// into another activation.
struct Storage {
  BufferRef base; ///< unless a view
  // For views: the sliced value, and the column offset within it.
  Value sliceOf;
  int64_t sliceOffset = 0;
  /// A view of token 0 of each sequence (bert-prune-first-token): rows B,
  /// S rows apart, rather than columns.
  bool firstToken = false;
};

class Planner {
public:
  Planner(func::FuncOp func, ModelPlan &plan) : func(func), plan(plan) {}

  LogicalResult run();

private:
  FailureOr<BufferArg> packedWeight(Value weight, const KernelRequest &req,
                                    Operation *user);
  FailureOr<BufferRef> activation(Value v, Operation *user);
  /// The slot of weight `v` in a layout (0, 0: row-major; see WeightSlot).
  FailureOr<size_t>
  slotOf(Value v, Operation *user, int64_t panelWidth = 0,
         int64_t bf16Stride = 0, int64_t int8Stride = 0,
         WeightSlot::DeviceCopy deviceCopy = WeightSlot::DeviceCopy::Float32,
         int64_t int8Hadamard = 0);
  /// Appends a table lookup's two arguments to `call`: the int32 index rows
  /// `ids` ([B, S]) and the row-major `table` of `rows` x `h`.
  LogicalResult addLookupArgs(KernelCall &call, Value ids, Value table,
                              int64_t rows, int64_t h, Operation *user);
  LogicalResult setSchedule(Operation *op, KernelRequest &req);
  size_t kernelIndex(const KernelRequest &req);

  LogicalResult planEmbeddings(EmbeddingsLayerNormOp op);
  LogicalResult planWordEmbeddings(EmbeddingsOp op);
  LogicalResult planRelativeAttention(RelativeAttentionOp op);
  LogicalResult planRelativePositions(RelativePositionsOp op);
  /// The packed [B, S, 3H] projection that q, k, v are consecutive slices
  /// of, or an error on `op`.
  FailureOr<Value> packedQKV(Operation *op, Value q, Value k, Value v,
                             int64_t h);
  LogicalResult planLinear(LinearOp op);
  LogicalResult planLayerNorm(Operation *op, Value input, Value residual,
                              Value gamma, Value beta, double eps);
  LogicalResult planAttention(FusedAttentionOp op);
  LogicalResult planPooler(PoolerOp op);
  LogicalResult planUnstack(UnstackOp op);
  LogicalResult planRowsElementwise(Operation *op, Value input, Value residual,
                                    Value mask);
  LogicalResult setResult(Operation *op, unsigned index = 0);
  /// Types the arguments in 16-bit slots as such, and gives each
  /// combination of argument types of a request its own kernel.
  void splitKernelsByStorage();
  void setComputedResult(Operation *op);

  func::FuncOp func;
  ModelPlan &plan;
  DenseMap<Value, Storage> storage;
  /// Weights (bert.weight, bert.concat of weights) as the runtime would
  /// build them; a slot is made only when a kernel reads the value, so the
  /// sources of a packed weight get no slot of their own.
  DenseMap<Value, WeightSlot> weightDefs;
  /// Slot of each (sources, layout), and the slot names taken.
  llvm::StringMap<size_t> slotByKey;
  llvm::StringSet<> slotNames;
  llvm::StringMap<size_t> kernelByKey;
};

inline std::string locString(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  loc.print(os);
  return s;
}

inline std::string num(int64_t v) { return std::to_string(v); }

/// The module names in `loc`, outermost first ("encoder.layer.0.attention"
/// then "query"), joined with '.'; the names of a fused location joined with
/// ", ", each without the prefix it shares with the first.
inline std::string locNames(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    std::string first, out;
    for (Location part : fused.getLocations()) {
      std::string name = locNames(part);
      if (name.empty())
        continue;
      if (first.empty()) {
        first = out = name;
        continue;
      }
      size_t common = 0;
      while (common < name.size() && common < first.size() &&
             name[common] == first[common])
        ++common;
      // Cut at a '.' so that "key" does not lose the "k" it shares with
      // nothing but a prefix of "query".
      size_t dot = name.rfind('.', common ? common - 1 : 0);
      common = dot == std::string::npos || common == 0 ? 0 : dot + 1;
      out += ", " + name.substr(common);
    }
    return out;
  }
  if (auto named = dyn_cast<NameLoc>(loc)) {
    std::string inner = locNames(named.getChildLoc());
    std::string name = named.getName().str();
    return inner.empty() ? name : inner + "." + name;
  }
  return "";
}

/// The C expression of a row-wise kernel's row count over `v`: M (one row
/// per token: B * S, or T packed) when v is [batch, seq, ...], else B.
inline std::string rowsOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  // [n, S, ...] with a static n (XLNet's [2, S, H] relative positions).
  if (t.getRank() >= 2 && t.isDynamicDim(1) && !t.isDynamicDim(0))
    return "(" + num(t.getDimSize(0)) + " * S)";
  if (t.getRank() >= 2 && t.isDynamicDim(1))
    return "M";
  // [B, C] rows per sequence, or [B, 1, C] (the first token only).
  return "B";
}

/// A dense row-major [rows, cols] matrix as (cols, rows) innermost first.
inline BufferArg matrix(BufferRef base, std::string cols, std::string rows,
                        std::string rowStride, bool isInt = false) {
  return BufferArg{
      base, isInt, {{std::move(cols), "1"}, {std::move(rows), rowStride}}};
}

/// A dense [B, S, H] activation as (H, S, B) innermost first.
inline BufferArg tokenRows(BufferRef base, int64_t h) {
  return BufferArg{
      base, false, {{num(h), "1"}, {"S", num(h)}, {"B", num(h) + " * S"}}};
}

inline BufferArg vector1(BufferRef base, int64_t n) {
  return BufferArg{base, false, {{num(n), "1"}}};
}

/// The kernels' copy of the dialect's activation (KernelCompiler.h): the
/// same enumerators in the same order.
inline cpu::Activation cpuActivation(Activation act) {
  static_assert(int(Activation::tanh) == int(cpu::Activation::Tanh) &&
                    int(Activation::quick_gelu) ==
                        int(cpu::Activation::QuickGelu),
                "the two activation enums must list the same values");
  return cpu::Activation(int(act));
}

/// A weight in a "VNNI" layout (Kernels.h BF16Layout, Int8Layout): `group`
/// consecutive k of a column adjacent (2 for bf16, 4 for int8), k-groups
/// `rowStride` elements apart within a panel of nb columns, `numPanels`
/// panels.
inline BufferArg vnniWeight(size_t slot, int64_t group, int64_t nb, int64_t K,
                            int64_t rowStride, int64_t numPanels) {
  return {BufferRef::weight(slot),
          false,
          {{num(group), "1"},
           {num(nb), num(group)},
           {num(K / group), num(rowStride)},
           {num(numPanels), num(K / group * rowStride)}}};
}

} // namespace mlir::bert::planner

#endif // BERT_COMPILER_BACKEND_CPU_PLANNER_H
