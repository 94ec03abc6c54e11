//===- VerifyBuffers.cpp - bert-verify-buffers: check an arena plan -------===//
//
// The arena plan is the one place where a compiler bug silently corrupts
// activations at run time (two live values sharing bytes), so it is checked
// mechanically rather than by reading offsets: this pass recomputes every
// live range from the IR and rejects slots that overlap while both values
// are live, slots smaller than their value, slots past the arena, missing
// slots and slots on values that own no memory. It accepts plans written by
// bert-plan-buffers or pinned by hand, and changes nothing.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "support/BufferLiveness.h"

namespace mlir::bert {
#define GEN_PASS_DEF_VERIFYBUFFERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

struct VerifyBuffersPass
    : mlir::bert::impl::VerifyBuffersPassBase<VerifyBuffersPass> {
  using VerifyBuffersPassBase::VerifyBuffersPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    FailureOr<MaxSizes> max = resolveMaxSizes(func, "bert-verify-buffers");
    if (failed(max) || failed(verifyBufferPlan(func, *max)))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};

} // namespace
