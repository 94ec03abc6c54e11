//===- BertDialect.td - The bert dialect -------------------*- tablegen -*-===//
//
// The `bert` dialect describes BERT-family encoders at two levels: the
// high-level ops the frontend emits from a Hugging Face config (one op per
// idea of the model), and the kernel-level ops the passes produce (explicit
// heads, packed projections, fused kernels) that the backends lower one to one.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_DIALECT_TD
#define BERT_DIALECT_TD

include "mlir/IR/OpBase.td"

def Bert_Dialect : Dialect {
  let name = "bert";
  let cppNamespace = "::mlir::bert";
  let summary = "BERT-family encoder graphs, from model ideas down to kernels";
  let description = [{
    Activations are ranked tensors with dynamic batch and sequence dimensions
    and static hidden dimensions (`tensor<?x?x768xf32>`). Weights are never
    embedded: `bert.weight` names the Hugging Face tensor that the runtime
    maps from the safetensors file.

    Discardable attributes owned by the dialect:
    - `bert.schedule = #bert.schedule<...>` on a kernel op: the schedule chosen
      by `bert-tile` (or pinned by hand); backends only read it.
    - `bert.buffer = #bert.buffer<...>` on a kernel op: the arena slot of its
      result, chosen by `bert-plan-buffers`.
    - `bert.model_facts = #bert.model_facts<...>` on the module: the model's
      family and sizes from its config, set by the frontend and read by the
      backends.
    - `bert.core = {fma_latency = 4, fma_pipes = 2, fma_measured = true,
      vector_width = 16}` on a function: the CPU core facts `bert-tile`'s
      strategies sized the register tiles with (support/TargetRegistry.h);
      informational, no pass reads it.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let extraClassDeclaration = [{
    /// Name of the discardable attribute holding a kernel's schedule.
    static constexpr ::llvm::StringLiteral getScheduleAttrName() {
      return ::llvm::StringLiteral("bert.schedule");
    }
    /// Name of the discardable attribute holding a result's arena slot.
    static constexpr ::llvm::StringLiteral getBufferAttrName() {
      return ::llvm::StringLiteral("bert.buffer");
    }
    /// Name of the function attribute recording the CPU core's facts.
    static constexpr ::llvm::StringLiteral getCoreAttrName() {
      return ::llvm::StringLiteral("bert.core");
    }
    /// Name of the module attribute holding the model's facts.
    static constexpr ::llvm::StringLiteral getModelFactsAttrName() {
      return ::llvm::StringLiteral("bert.model_facts");
    }
  }];
}

class Bert_Op<string mnemonic, list<Trait> traits = []>
    : Op<Bert_Dialect, mnemonic, traits>;

#endif // BERT_DIALECT_TD
