//===- Tile.cpp - bert-tile: choose a schedule for every kernel -----------===//
//
// The strategy half of "strategy vs mechanism": for every runtime kernel op
// that has no `bert.schedule` yet, describe the kernel as a KernelProblem
// (family + the extents tiling cares about) and ask the family's strategy for
// the target (TileStrategiesCPU.cpp) to fill its family's schedule struct
// (dialect/Schedules.h). The result is only recorded, as the family's
// schedule attribute; the backends read it. A schedule already on an op is
// never touched, so tests and users can pin one by hand.
//
// With `schedules=FILE` (a cache written by `bertc tune`, ScheduleCache.h),
// a kernel whose signature and target have an entry gets the measured
// schedule instead of the strategy's; a miss falls back to the strategy, so
// a cache tuned for one model still helps a model that shares some kernels.
//
// Ops that are not runtime kernels get no schedule: bert.weight and
// bert.concat are evaluated when the weights are loaded, and bert.slice,
// bert.split_heads and bert.merge_heads are views (strided addressing of
// their operand folded into the neighbouring kernel).
//
//===----------------------------------------------------------------------===//

#include "passes/MaxShapes.h"
#include "passes/Passes.h"
#include "passes/TileStrategies.h"
#include "support/ScheduleCache.h"

#include "llvm/ADT/TypeSwitch.h"

#include <type_traits>

namespace mlir::bert {
#define GEN_PASS_DEF_TILEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::bert

using namespace mlir;
using namespace mlir::bert;

namespace {

/// The CPU strategy of each kernel family, indexed by KernelFamily.
const StrategyFn kStrategies[] = {
    /*Gemm=*/cpuGemmStrategy,
    /*Attention=*/cpuAttentionStrategy,
    /*RowWise=*/cpuRowWiseStrategy,
    /*Elementwise=*/cpuElementwiseStrategy,
};
/// The CUDA strategy of each kernel family, indexed by KernelFamily.
const StrategyFn kCudaStrategies[] = {
    /*Gemm=*/cudaGemmStrategy,
    /*Attention=*/cudaAttentionStrategy,
    /*RowWise=*/cudaRowWiseStrategy,
    /*Elementwise=*/cudaRowWiseStrategy,
};
static_assert(std::size(kStrategies) ==
                      static_cast<size_t>(KernelFamily::Elementwise) + 1 &&
                  std::size(kCudaStrategies) == std::size(kStrategies),
              "one strategy per kernel family");

/// Sizes assumed when the function records no maxima: one request of 128
/// tokens, the common serving case, so schedules favour latency.
constexpr MaxSizes kDefaultSizes{/*batch=*/1, /*seq=*/128};

/// The maxima the function is compiled for, else kDefaultSizes.
MaxSizes sizeHints(func::FuncOp func) {
  MaxSizes sizes = kDefaultSizes;
  if (auto b = func->getAttrOfType<IntegerAttr>("bert.max_batch"))
    sizes.batch = b.getInt();
  if (auto s = func->getAttrOfType<IntegerAttr>("bert.max_seq"))
    sizes.seq = s.getInt();
  return sizes;
}

/// A [rows..., cols] problem over `type`: every dim but the last is a row.
KernelProblem rowsByCols(StringRef kernel, KernelFamily family, Value v,
                         MaxSizes sizes) {
  auto type = cast<ShapedType>(v.getType());
  unsigned last = type.getRank() - 1;
  KernelProblem p;
  p.kernel = kernel;
  p.family = family;
  p.cols = dimAtMax(type, last, sizes);
  p.rows = numElementsAtMax(type, sizes) / std::max<int64_t>(1, p.cols);
  return p;
}

int64_t lastDim(Value v, MaxSizes sizes) {
  auto type = cast<ShapedType>(v.getType());
  return dimAtMax(type, type.getRank() - 1, sizes);
}

/// Describes `op` for the strategies; std::nullopt when it is not a runtime
/// kernel (load-time ops, views, ops of other dialects).
std::optional<KernelProblem> describeKernel(Operation *op, MaxSizes sizes) {
  using Family = KernelFamily;
  auto rowwise = [&](Operation *o) {
    return rowsByCols(o->getName().stripDialect(), Family::RowWise,
                      o->getResult(0), sizes);
  };
  return llvm::TypeSwitch<Operation *, std::optional<KernelProblem>>(op)
      .Case([&](LinearOp o) {
        KernelProblem p =
            rowsByCols("linear", Family::Gemm, o.getResult(), sizes);
        p.depth = lastDim(o.getInput(), sizes);
        p.bf16 = o.getPrecision() == Precision::bf16;
        p.f16 = o.getPrecision() == Precision::f16;
        p.int8 = o.getPrecision() == Precision::i8;
        return p;
      })
      .Case([&](PoolerOp o) {
        KernelProblem p =
            rowsByCols("pooler", Family::Gemm, o.getResult(), sizes);
        p.depth = lastDim(o.getInput(), sizes);
        p.rowsAreBatch = true;
        return p;
      })
      .Case([&](BatchMatmulOp o) {
        auto type = cast<ShapedType>(o.getResult().getType());
        unsigned rank = type.getRank();
        KernelProblem p;
        p.kernel = "batch_matmul";
        p.family = Family::Gemm;
        p.rows = dimAtMax(type, rank - 2, sizes);
        p.cols = dimAtMax(type, rank - 1, sizes);
        p.batch = numElementsAtMax(type, sizes) / (p.rows * p.cols);
        p.depth = lastDim(o.getLhs(), sizes);
        return p;
      })
      .Case<FusedAttentionOp, RelativeAttentionOp>([&](auto o) {
        KernelProblem p;
        p.kernel = o->getName().stripDialect();
        p.family = Family::Attention;
        int64_t heads = o.getNumHeads();
        p.depth = lastDim(o.getResult(), sizes) / heads;
        p.rows = sizes.seq;
        p.cols = sizes.seq;
        p.batch = sizes.batch * heads;
        if constexpr (std::is_same_v<decltype(o), FusedAttentionOp>) {
          p.bf16 = o.getPrecision() == Precision::bf16;
          p.f16 = o.getPrecision() == Precision::f16;
        }
        return p;
      })
      .Case<LayerNormOp, AddLayerNormOp, EmbeddingsLayerNormOp, EmbeddingsOp,
            MaskedSoftmaxOp>([&](Operation *o) { return rowwise(o); })
      .Case<GeluOp, ActivationOp, AddOp, MaskRowsOp, AddMaskRowsOp,
            RelativePositionsOp>([&](Operation *o) {
        return rowsByCols(o->getName().stripDialect(), Family::Elementwise,
                          o->getResult(0), sizes);
      })
      .Case([&](UnstackOp o) {
        return rowsByCols("unstack", Family::Elementwise, o.getInput(), sizes);
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// The facts the CPU strategies sized register tiles with, on the function,
/// so that an IR dump says why a tile is what it is (the FMA pipes of a
/// `host` are measured, and differ between machines of the same features),
/// and the class they put the machine in: the key its schedule-cache entries
/// go under, which the benchmarks also group their results by.
static void recordCoreFacts(func::FuncOp func, const TargetInfo &t) {
  Builder b(func.getContext());
  func->setAttr(
      BertDialect::getCoreAttrName(),
      b.getDictionaryAttr({
          b.getNamedAttr("fma_latency", b.getI64IntegerAttr(t.fmaLatency)),
          b.getNamedAttr("fma_measured", b.getBoolAttr(t.fmaMeasured)),
          b.getNamedAttr("fma_pipes", b.getI64IntegerAttr(t.fmaUnits)),
          b.getNamedAttr("target_class", b.getStringAttr(scheduleTargetKey(t))),
          b.getNamedAttr("vector_width", b.getI64IntegerAttr(t.vectorWidth)),
      }));
}

struct TilePass : mlir::bert::impl::TilePassBase<TilePass> {
  using TilePassBase::TilePassBase;

  /// The target is resolved once per pass instance (host detection reads
  /// sysfs); an unknown name is reported per function in runOnOperation,
  /// where there is a location to attach it to.
  LogicalResult initialize(MLIRContext *) override {
    targetInfo = lookupTarget(target);
    // The cache is read once here; an unreadable or invalid file is
    // reported in runOnOperation, which has a location for it.
    if (!schedules.empty()) {
      llvm::Expected<ScheduleCache> loaded = ScheduleCache::load(schedules);
      if (loaded)
        cache = std::make_shared<const ScheduleCache>(std::move(*loaded));
      else
        cacheError = llvm::toString(loaded.takeError());
    }
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!targetInfo) {
      func.emitError() << "bert-tile: unknown target '" << target
                       << "'; known targets: " << knownTargetNames();
      return signalPassFailure();
    }
    if (targetInfo->backend != "cpu" && !targetInfo->isGPU()) {
      func.emitError() << "bert-tile: target '" << target << "' is for the "
                       << targetInfo->backend
                       << " backend, which has no tile strategies yet; CPU "
                          "targets: "
                       << knownTargetNames("cpu");
      return signalPassFailure();
    }
    if (cudaGemm != "ours" && cudaGemm != "cublaslt") {
      func.emitError() << "bert-tile: cuda-gemm must be ours or cublaslt, got '"
                       << cudaGemm << "'";
      return signalPassFailure();
    }
    if (cudaGemm == "cublaslt" && !targetInfo->isGPU()) {
      func.emitError() << "bert-tile: cuda-gemm=cublaslt needs a CUDA target, "
                          "got '"
                       << target << "'";
      return signalPassFailure();
    }
    if (!cacheError.empty()) {
      func.emitError() << "bert-tile: schedule cache '" << schedules
                       << "': " << cacheError;
      return signalPassFailure();
    }
    if (!targetInfo->isGPU())
      recordCoreFacts(func, *targetInfo);
    std::string cacheTarget = scheduleTargetKey(*targetInfo);
    MaxSizes sizes = sizeHints(func);
    MLIRContext *ctx = &getContext();
    WalkResult walked = func.walk([&](Operation *op) {
      if (op->hasAttr(BertDialect::getScheduleAttrName()))
        return WalkResult::advance();
      std::optional<KernelProblem> problem = describeKernel(op, sizes);
      if (!problem)
        return WalkResult::advance();
      auto emitError = [&] { return op->emitError() << "bert-tile: "; };
      // A cuBLASLt linear's schedule sizes only our kernels around it: no
      // tuned GEMM tile applies to it.
      problem->cublasLt = cudaGemm == "cublaslt" && isa<LinearOp>(op);
      if (const CachedSchedule *hit =
              cache && !problem->cublasLt
                  ? cache->lookup(kernelSignature(op), cacheTarget, sizes.batch,
                                  sizes.seq)
                  : nullptr) {
        if (hit->kernel != problem->kernel) {
          op->emitError() << "bert-tile: schedule cache '" << schedules
                          << "' has kernel \"" << hit->kernel
                          << "\" for this op, expected \"" << problem->kernel
                          << "\"";
          return WalkResult::interrupt();
        }
        StringRef kinds = expectedScheduleKinds(op);
        StringRef kind = ::bert::scheduleKind(hit->schedule);
        if (!takesScheduleKind(op, kind)) {
          op->emitError() << "bert-tile: schedule cache '" << schedules
                          << "' has a schedule of kind " << kind
                          << " for this op, expected " << kinds;
          return WalkResult::interrupt();
        }
        ScheduleAttrInterface attr =
            getScheduleAttr(emitError, ctx, hit->schedule, targetInfo->name);
        if (!attr)
          return WalkResult::interrupt();
        op->setAttr(BertDialect::getScheduleAttrName(), attr);
        return WalkResult::advance();
      }
      StrategyFn strategy =
          (targetInfo->isGPU()
               ? kCudaStrategies
               : kStrategies)[static_cast<unsigned>(problem->family)];
      ScheduleAttrInterface attr = getScheduleAttr(
          emitError, ctx, strategy(*problem, *targetInfo), targetInfo->name);
      if (!attr)
        return WalkResult::interrupt();
      op->setAttr(BertDialect::getScheduleAttrName(), attr);
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      signalPassFailure();
  }

  std::optional<TargetInfo> targetInfo;
  /// Shared by the clones of this pass (one per thread); null without
  /// schedules=.
  std::shared_ptr<const ScheduleCache> cache;
  std::string cacheError;
};

} // namespace
