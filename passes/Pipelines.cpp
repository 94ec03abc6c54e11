//===- Pipelines.cpp - named bert pass pipelines --------------------------===//
//
// Pass order and why:
//   split-heads  makes heads explicit, so pack-qkv sees three plain linears;
//   pack-qkv     before fusion, so the fused attention reads one packed QKV;
//   int8-norm-inputs  on the plain linears and LayerNorms (before fusion
//                merges them): the i8 linears reading a LayerNorm go bf16
//                (only `bertc --int8-scheme mixed`);
//   int8-hadamard  likewise on the plain linears (packed Q/K/V included;
//                fuse keeps the attribute): every i8 one rotated (the
//                default `bertc --int8-scheme hadamard`), so that the split
//                IR the evaluator reads already has it;
//   canonicalize/cse tidy the rewritten graph before pattern matching;
//   fuse         needs the explicit attention chain that split-heads made;
//   prune-first-token  on the fused kernels, whose row-wise ops it narrows
//                (a pooler-only head: the last layer's FFN on token 0);
//   tile         chooses schedules for the final kernels (strategy only);
//   mark-load-time  on the final kernels: those that depend only on the
//                weights and max_seq run once, at load (XLNet's kr);
//   plan-buffers runs last, on exactly the values the backend will allocate.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::bert;

static void buildPipeline(OpPassManager &pm, const BertPipelineOptions &opts,
                          StringRef target, Stage last) {
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createSplitHeadsPass(SplitHeadsPassOptions{opts.splitMode}));
  if (opts.packQKV)
    fpm.addPass(createPackQKVPass());
  if (opts.int8NormInputs)
    fpm.addPass(createInt8NormInputsPass());
  if (opts.int8Hadamard)
    fpm.addPass(createInt8HadamardPass(
        Int8HadamardPassOptions{opts.int8Hadamard.getValue()}));
  fpm.addPass(createCSEPass());
  if (last == Stage::Split)
    return;
  fpm.addPass(createFusePass());
  fpm.addPass(createCSEPass());
  if (opts.pruneFirstToken)
    fpm.addPass(createPruneFirstTokenPass());
  if (last == Stage::Fused)
    return;
  TilePassOptions tile;
  tile.target = target.str();
  tile.schedules = opts.schedules;
  tile.cudaGemm = opts.cudaGemm;
  fpm.addPass(createTilePass(tile));
  if (last == Stage::Tiled)
    return;
  fpm.addPass(createMarkLoadTimePass());
  PlanBuffersPassOptions plan;
  plan.maxBatch = opts.maxBatch;
  plan.maxSeq = opts.maxSeq;
  plan.activationType = opts.activationType;
  fpm.addPass(createPlanBuffersPass(plan));
}

void mlir::bert::buildBertCPUPipeline(OpPassManager &pm,
                                      const BertPipelineOptions &opts,
                                      Stage last) {
  buildPipeline(pm, opts, opts.target, last);
}

void mlir::bert::registerBertPipelines() {
  PassPipelineRegistration<BertPipelineOptions>(
      "bert-cpu-pipeline",
      "Split heads, pack QKV, fuse, choose CPU schedules, plan buffers",
      [](OpPassManager &pm, const BertPipelineOptions &opts) {
        buildBertCPUPipeline(pm, opts);
      });
  PassPipelineRegistration<BertPipelineOptions>(
      "bert-fusion-pipeline",
      "The graph stages only: split heads, pack QKV, fuse",
      [](OpPassManager &pm, const BertPipelineOptions &opts) {
        buildBertCPUPipeline(pm, opts, Stage::Fused);
      });
}
