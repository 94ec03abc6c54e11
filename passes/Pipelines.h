//===- Pipelines.h - named bert pass pipelines ------------------*- C++ -*-===//
//
// The pipelines `bert-cpu-pipeline` and `bert-fusion-pipeline` and their stage
// sub-pipelines. The driver calls the same build functions that bert-opt
// registers, so there is one source of truth for the pass order.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_PASSES_PIPELINES_H
#define BERT_PASSES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::bert {

/// Stages a pipeline can stop after; each is `bertc --emit <stage>`.
enum class Stage { Split, Fused, Tiled, Planned };

struct BertPipelineOptions : public PassPipelineOptions<BertPipelineOptions> {
  PassOptions::Option<std::string> target{
      *this, "target", llvm::cl::desc("Target for bert-tile"),
      llvm::cl::init("host")};
  PassOptions::Option<std::string> splitMode{
      *this, "split-mode",
      llvm::cl::desc("bert-split-heads mode: batched or per-head"),
      llvm::cl::init("batched")};
  PassOptions::Option<bool> packQKV{*this, "pack-qkv",
                                    llvm::cl::desc("Pack Q, K, V projections"),
                                    llvm::cl::init(true)};
  PassOptions::Option<bool> pruneFirstToken{
      *this, "prune-first-token",
      llvm::cl::desc("End the encoder on the first token when only poolers "
                     "read it (bert-prune-first-token)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> int8NormInputs{
      *this, "int8-norm-inputs",
      llvm::cl::desc("Run the i8 linears reading a LayerNorm output in bf16 "
                     "(bert-int8-norm-inputs: int8's mixed scheme)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> int8Hadamard{
      *this, "int8-hadamard",
      llvm::cl::desc("Rotate every i8 linear's operands in Hadamard blocks of "
                     "up to this size (bert-int8-hadamard: int8's default "
                     "scheme); 0: no rotation"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> maxBatch{
      *this, "max-batch",
      llvm::cl::desc("Largest batch (0: the function's bert.max_batch)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> maxSeq{
      *this, "max-seq",
      llvm::cl::desc("Longest sequence (0: the function's bert.max_seq)"),
      llvm::cl::init(0)};
  PassOptions::Option<std::string> activationType{
      *this, "activation-type",
      llvm::cl::desc("bert-plan-buffers' element type of the arena's f32 "
                     "activations: f32, bf16 or f16"),
      llvm::cl::init("f32")};
  // Autotuning: bert-tile's schedule cache (empty: strategies only).
  PassOptions::Option<std::string> schedules{
      *this, "schedules",
      llvm::cl::desc("Schedule cache from `bertc tune` for bert-tile"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> cudaGemm{
      *this, "cuda-gemm",
      llvm::cl::desc("CUDA linears: ours or cublaslt (bert-tile cuda-gemm=)"),
      llvm::cl::init("ours")};
};

/// Adds the passes of the CPU pipeline up to and including `last`.
void buildBertCPUPipeline(OpPassManager &pm, const BertPipelineOptions &opts,
                          Stage last = Stage::Planned);

/// Registers bert-cpu-pipeline and bert-fusion-pipeline.
void registerBertPipelines();

} // namespace mlir::bert

#endif // BERT_PASSES_PIPELINES_H
