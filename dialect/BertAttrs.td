//===- BertAttrs.td - bert dialect attributes --------------*- tablegen -*-===//
//
// Enums (activation, GELU form), the two attributes the passes attach to
// kernels: the schedule (strategy output) and the arena slot (buffer plan),
// and the model facts the frontend records on the module.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_ATTRS_TD
#define BERT_ATTRS_TD

include "dialect/BertDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Bert_ActivationNone : I32EnumAttrCase<"none", 0>;
def Bert_ActivationGelu : I32EnumAttrCase<"gelu", 1>;
def Bert_ActivationGeluTanh : I32EnumAttrCase<"gelu_tanh", 2>;
def Bert_Activation : I32EnumAttr<"Activation",
    "activation applied in a linear layer's epilogue",
    [Bert_ActivationNone, Bert_ActivationGelu, Bert_ActivationGeluTanh]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::bert";
}
def Bert_ActivationAttr : EnumAttr<Bert_Dialect, Bert_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Bert_PrecisionF32 : I32EnumAttrCase<"f32", 0>;
def Bert_PrecisionBF16 : I32EnumAttrCase<"bf16", 1>;
def Bert_Precision : I32EnumAttr<"Precision",
    "arithmetic of a linear layer's products: f32, or bf16 operands "
    "(rounded to nearest even) with f32 accumulation",
    [Bert_PrecisionF32, Bert_PrecisionBF16]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::bert";
}
def Bert_PrecisionAttr : EnumAttr<Bert_Dialect, Bert_Precision, "precision"> {
  let assemblyFormat = "`<` $value `>`";
}

def Bert_GeluExact : I32EnumAttrCase<"exact", 0>;
def Bert_GeluTanh : I32EnumAttrCase<"tanh", 1>;
def Bert_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "form of GELU: exact erf, or the tanh approximation (gelu_new)",
    [Bert_GeluExact, Bert_GeluTanh]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::bert";
}
def Bert_GeluApproximationAttr
    : EnumAttr<Bert_Dialect, Bert_GeluApproximation, "gelu_approximation"> {
  let assemblyFormat = "`<` $value `>`";
}

/// An optional list of integers written in brackets (`[8, 64]`), so that it
/// reads unambiguously inside a struct-like attribute.
class Bert_IntListParameter<string desc>
    : OptionalArrayRefParameter<"int64_t", desc> {
  let parser = [{ parseBracketedIntList($_parser) }];
  let printer = [{ printBracketedIntList($_printer, $_self) }];
}

def Bert_ScheduleAttr : AttrDef<Bert_Dialect, "Schedule"> {
  let mnemonic = "schedule";
  let summary = "how a kernel is tiled, vectorized and parallelized";
  let description = [{
    Chosen by `bert-tile` (strategy) and read by the backends (mechanism), so
    a test can pin a schedule by hand and test the lowering alone.

    - `kernel`: the kernel family (`linear`, `attention`, `layer_norm`, ...).
    - `tile`: tile sizes of the kernel's loop nest, outermost first (for a
      linear: rows of M, columns of N, depth of K).
    - `vector_width`: lanes of the innermost vectorized loop (f32 elements).
    - `unroll`: unroll factor of the register tile.
    - `parallel`: indices of the loops (into `tile`) that run in parallel.
    - `threads`: CPU threads, or for GPU the block shape `[x, y, z]`.
    - `target`: the target description the schedule was chosen for.

    ```mlir
    #bert.schedule<kernel = "linear", tile = [8, 64, 256], vector_width = 16,
                   unroll = 8, parallel = [0], threads = [2],
                   target = "x86-64-avx512">
    ```
  }];
  let parameters = (ins
    StringRefParameter<"kernel family">:$kernel,
    Bert_IntListParameter<"tile sizes">:$tile,
    DefaultValuedParameter<"int64_t", "1">:$vector_width,
    DefaultValuedParameter<"int64_t", "1">:$unroll,
    Bert_IntListParameter<"parallel loops">:$parallel,
    Bert_IntListParameter<"threads or GPU block">:$threads,
    StringRefParameter<"target description", "\"\"">:$target
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Bert_BufferAttr : AttrDef<Bert_Dialect, "Buffer"> {
  let mnemonic = "buffer";
  let summary = "a result's slot in the activation arena";
  let description = [{
    Written by `bert-plan-buffers`: `offset` and `bytes` in the arena for the
    compile-time maximum batch and sequence length. Slots of values that are
    alive at the same time never overlap.

    ```mlir
    #bert.buffer<offset = 0, bytes = 393216>
    ```
  }];
  let parameters = (ins "int64_t":$offset, "int64_t":$bytes);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Bert_ModelFactsAttr : AttrDef<Bert_Dialect, "ModelFacts"> {
  let mnemonic = "model_facts";
  let summary = "what the model is, as its config said";
  let description = [{
    Set by the frontend on the module (`bert.model_facts`) from the Hugging
    Face config, so that backends publish the model's sizes (the descriptor
    and header of a CPU library) without recovering them from the ops, which
    the passes rewrite.

    - `family`: the config's `model_type` (`bert`, ...).
    - `layers`, `hidden`, `heads`, `intermediate`: encoder layers, hidden
      size, attention heads, feed-forward width.
    - `vocab`, `type_vocab`: rows of the word and token type embeddings.

    ```mlir
    #bert.model_facts<family = "bert", layers = 12, hidden = 768, heads = 12,
                      intermediate = 3072, vocab = 30522, type_vocab = 2>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"model family">:$family,
    "int64_t":$layers,
    "int64_t":$hidden,
    "int64_t":$heads,
    "int64_t":$intermediate,
    "int64_t":$vocab,
    "int64_t":$type_vocab
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // BERT_ATTRS_TD
