//===- BertAttrs.td - bert dialect attributes --------------*- tablegen -*-===//
//
// Enums (activation, GELU form), the attributes the passes attach to
// kernels: the schedules, one per kernel family (strategy output), and the
// arena slot (buffer plan), and the model facts the frontend records on the
// module.
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
def Bert_ActivationRelu : I32EnumAttrCase<"relu", 3>;
def Bert_ActivationSilu : I32EnumAttrCase<"silu", 4>;
def Bert_ActivationQuickGelu : I32EnumAttrCase<"quick_gelu", 5>;
def Bert_ActivationTanh : I32EnumAttrCase<"tanh", 6>;
// The forms, as transformers' activations.py computes them:
//   gelu       x * 0.5 * (1 + erf(x / sqrt 2))          ("gelu")
//   gelu_tanh  0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
//              ("gelu_new", "gelu_pytorch_tanh", "gelu_fast": one function)
//   relu       max(x, 0)
//   silu       x * sigmoid(x)                           ("silu", "swish")
//   quick_gelu x * sigmoid(1.702 x)
//   tanh       tanh(x)                                  (the poolers)
def Bert_Activation : I32EnumAttr<"Activation",
    "activation applied elementwise or in a linear layer's epilogue",
    [Bert_ActivationNone, Bert_ActivationGelu, Bert_ActivationGeluTanh,
     Bert_ActivationRelu, Bert_ActivationSilu, Bert_ActivationQuickGelu,
     Bert_ActivationTanh]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::bert";
}
def Bert_ActivationAttr : EnumAttr<Bert_Dialect, Bert_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Bert_PrecisionF32 : I32EnumAttrCase<"f32", 0>;
def Bert_PrecisionBF16 : I32EnumAttrCase<"bf16", 1>;
def Bert_PrecisionI8 : I32EnumAttrCase<"i8", 2>;
def Bert_PrecisionF16 : I32EnumAttrCase<"f16", 3>;
def Bert_Precision : I32EnumAttr<"Precision",
    "arithmetic of a linear layer's products: f32; bf16 operands "
    "(rounded to nearest even) with f32 accumulation; f16 operands (IEEE "
    "half, rounded to nearest even, saturated to +-65504) with f32 "
    "accumulation; or i8 (linear only): "
    "weights symmetric per output channel, activations asymmetric (uint8 "
    "with a zero point) per row (token), quantized at run time, int32 "
    "accumulation",
    [Bert_PrecisionF32, Bert_PrecisionBF16, Bert_PrecisionI8,
     Bert_PrecisionF16]> {
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

/// What every schedule attribute offers: its fields as the plain struct the
/// backends read (dialect/Schedules.h) and the target it was chosen for.
def Bert_ScheduleAttrInterface : AttrInterface<"ScheduleAttrInterface"> {
  let cppNamespace = "::mlir::bert";
  let description = [{
    A kernel's `bert.schedule`: one attribute per kernel family, each storing
    the family's struct of dialect/Schedules.h. Passes and backends read the
    struct (`getSchedule()`), never positions in a list.
  }];
  let methods = [
    InterfaceMethod<"the schedule's fields", "::bert::KernelSchedule",
      "getSchedule", (ins), [{}],
      [{ return ::bert::KernelSchedule($_attr.getValue()); }]>,
    InterfaceMethod<"the target the schedule was chosen for",
      "::llvm::StringRef", "getScheduleTarget", (ins), [{}],
      [{ return $_attr.getTarget(); }]>
  ];
}

/// A schedule attribute over the struct `cppStruct` of dialect/Schedules.h:
/// `#bert.<mnemonic><field = value, ..., target = "...">`, the fields in the
/// struct's table order, verified by its verifySchedule.
class Bert_ScheduleAttrDef<string name, string attrMnemonic, string cppStruct,
                           string desc>
    : AttrDef<Bert_Dialect, name, [Bert_ScheduleAttrInterface]> {
  let mnemonic = attrMnemonic;
  let summary = desc;
  let parameters = (ins
    AttrParameter<cppStruct, "the fields (dialect/Schedules.h)">:$value,
    StringRefParameter<"the target it was chosen for", "\"\"">:$target
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Bert_GemmScheduleAttr : Bert_ScheduleAttrDef<"GemmSchedule",
    "gemm_schedule", "::bert::GemmSchedule",
    "register-tiled GEMM schedule (linear, pooler, batch_matmul)"> {
  let description = [{
    Chosen by `bert-tile` (strategy) and read by the backends (mechanism).
    Fields: see `bert::GemmSchedule` in dialect/Schedules.h.

    ```mlir
    #bert.gemm_schedule<rows = 8, cols = 48, k_unroll = 4, rows_per_task = 80,
                        vector_width = 16, target = "x86-64-avx512">
    ```
  }];
}

def Bert_AmxScheduleAttr : Bert_ScheduleAttrDef<"AmxSchedule",
    "amx_schedule", "::bert::AmxSchedule",
    "AMX tile schedule of a bf16 linear"> {
  let description = [{
    Fields: see `bert::AmxSchedule` in dialect/Schedules.h.

    ```mlir
    #bert.amx_schedule<rows_per_task = 128, cols_per_task = 128, dot_rows = 8,
                       dot_cols = 32, dot_k_unroll = 1, dot_rows_per_task = 64,
                       vector_width = 16, target = "x86-64-amx">
    ```
  }];
}

def Bert_AttentionScheduleAttr : Bert_ScheduleAttrDef<"AttentionSchedule",
    "attention_schedule", "::bert::AttentionSchedule",
    "flash-attention schedule"> {
  let description = [{
    Fields: see `bert::AttentionSchedule` in dialect/Schedules.h.

    ```mlir
    #bert.attention_schedule<queries_per_task = 64, key_tile = 64,
                             vector_width = 16, target = "x86-64-avx512">
    ```
  }];
}

def Bert_RowScheduleAttr : Bert_ScheduleAttrDef<"RowSchedule",
    "row_schedule", "::bert::RowSchedule",
    "row-wise / elementwise kernel schedule"> {
  let description = [{
    Fields: see `bert::RowSchedule` in dialect/Schedules.h.

    ```mlir
    #bert.row_schedule<rows_per_task = 64, vector_width = 16,
                       target = "x86-64-avx512">
    ```
  }];
}

def Bert_CudaScheduleAttr : Bert_ScheduleAttrDef<"CudaSchedule",
    "cuda_schedule", "::bert::CudaSchedule",
    "CUDA thread-block tile schedule (every kernel of the CUDA backend)"> {
  let description = [{
    Fields: see `bert::CudaSchedule` in dialect/Schedules.h.

    ```mlir
    #bert.cuda_schedule<tile_m = 64, tile_n = 64, tile_k = 16, stages = 2,
                        warps = 8, smem_bytes = 16384, vector_width = 4,
                        target = "cuda-sm90">
    ```
  }];
}

def Bert_BufferAttr : AttrDef<Bert_Dialect, "Buffer"> {
  let mnemonic = "buffer";
  let summary = "a result's slot in the activation arena";
  let description = [{
    Written by `bert-plan-buffers`: `offset` and `bytes` in the arena for the
    compile-time maximum batch and sequence length. Slots of values that are
    alive at the same time never overlap. `element`, when present, is the
    16-bit type (bf16 or f16) the value is stored as instead of its tensor's
    f32 (the CUDA backend's 16-bit activations, `activation-type`).

    ```mlir
    #bert.buffer<offset = 0, bytes = 393216>
    #bert.buffer<offset = 0, bytes = 196608, element = bf16>
    ```
  }];
  let parameters = (ins "int64_t":$offset, "int64_t":$bytes,
                        OptionalParameter<"::mlir::Type">:$element);
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
