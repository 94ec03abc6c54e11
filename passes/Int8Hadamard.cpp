//===- Int8Hadamard.cpp - rotate every int8 linear's operands -------------===//
//
// The rule of `--precision int8`'s default scheme: every `bert.linear` of
// precision i8 gets `hadamard B`, B the largest power of 4 up to max-block
// that divides its in_features, so its X and W are multiplied by the
// Walsh-Hadamard matrix of order B, block by block, before they are
// quantized (Passes.td says why and what it measured). The rule looks only
// at the linear's precision and shape, so it holds for every family.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/BertOps.h"

namespace mlir::bert {
#define GEN_PASS_DEF_INT8HADAMARDPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

struct Int8HadamardPass
    : public mlir::bert::impl::Int8HadamardPassBase<Int8HadamardPass> {
  using Int8HadamardPassBase::Int8HadamardPassBase;

  void runOnOperation() override {
    if (maxBlock < 0) {
      getOperation().emitError()
          << "bert-int8-hadamard: max-block must be >= 0, got "
          << static_cast<int64_t>(maxBlock);
      return signalPassFailure();
    }
    getOperation().walk([&](LinearOp linear) {
      if (linear.getPrecision() != Precision::i8 || linear.getHadamard() != 0)
        return;
      int64_t k =
          cast<RankedTensorType>(linear.getWeight().getType()).getDimSize(1);
      if (ShapedType::isDynamic(k))
        return;
      int64_t block = 0;
      for (int64_t b = 4; b <= maxBlock && k % b == 0; b *= 4)
        block = b;
      if (block)
        linear.setHadamard(block);
    });
  }
};

} // namespace
