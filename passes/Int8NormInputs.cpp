//===- Int8NormInputs.cpp - int8 linears reading a LayerNorm go bf16 ------===//
//
// The mixed-precision rule of --precision int8 (see Passes.td for the
// measurements): the per-token activation scale of the int8 GEMM cannot
// represent a LayerNorm output's outlier channels without rounding the
// others coarsely, so those linears run in bf16. The rule looks at what
// produces the input, never at weight names, so it holds for every family.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/BertOps.h"

namespace mlir::bert {
#define GEN_PASS_DEF_INT8NORMINPUTSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

struct Int8NormInputsPass
    : public mlir::bert::impl::Int8NormInputsPassBase<Int8NormInputsPass> {
  void runOnOperation() override {
    getOperation().walk([](LinearOp linear) {
      if (linear.getPrecision() != Precision::i8)
        return;
      Operation *producer = linear.getInput().getDefiningOp();
      if (producer && isa<LayerNormOp, AddLayerNormOp>(producer))
        linear.setPrecision(Precision::bf16);
    });
  }
};

} // namespace
