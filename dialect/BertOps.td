//===- BertOps.td - bert dialect operations ----------------*- tablegen -*-===//
//
// High-level ops (what the frontend emits, one per idea of the model), then
// the kernel-level ops the passes produce. Every shape rule is checked by a
// verifier in BertOps.cpp; every message has a case in
// test/Dialect/invalid.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_OPS_TD
#define BERT_OPS_TD

include "dialect/BertDialect.td"
include "dialect/BertAttrs.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Bert_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Bert_IdTensor : RankedTensorOf<[I32]>;

def Bert_PositiveF64Attr : ConfinedAttr<F64Attr, [
    AttrConstraint<CPred<"::llvm::cast<::mlir::FloatAttr>($_self).getValueAsDouble() > 0.0">,
                   "whose value is positive">]>;
def Bert_PositiveI64Attr : ConfinedAttr<I64Attr, [IntPositive]>;

//===----------------------------------------------------------------------===//
// High-level ops
//===----------------------------------------------------------------------===//

def Bert_WeightOp : Bert_Op<"weight", [Pure]> {
  let summary = "a model weight, named by its Hugging Face tensor name";
  let description = [{
    Refers to a tensor of the weights file by its `state_dict` name. The data
    is never embedded in the IR: the runtime maps it from the safetensors file
    and checks its shape against this op's result type.

    ```mlir
    %w = bert.weight "encoder.layer.0.attention.self.query.weight" : tensor<768x768xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Bert_EmbeddingsOp : Bert_Op<"embeddings", [Pure, AttrSizedOperandSegments]> {
  let summary = "word (+ position) (+ token-type) embedding lookup, summed";
  let description = [{
    `result[b, s, :] = word[input_ids[b, s]] + position[pos(b, s)] + token_type[token_type_ids[b, s]]`.

    Positions: without `padding_idx`, `pos(b, s) = s` (BERT's default
    position ids). With `padding_idx = p` (RoBERTa, XLM-RoBERTa, CamemBERT),
    positions come from the ids as transformers'
    `create_position_ids_from_input_ids` makes them: a token whose id is not
    `p` gets `p` + the number of non-`p` ids up to and including it in its
    row, and a token whose id is `p` gets `p`.

    The token types are optional as a pair (`token_types %ids, %table`):
    DistilBERT has neither the input nor the table. XLM and FlauBERT look
    token types up in the word table: their pair is `token_types %tt,
    %word` with the same `bert.weight` as `word`, so the sharing is the IR.

    The position table is optional too: XLNet has none (its positions are
    relative, inside `bert.relative_attention`), so its embeddings are
    `bert.embeddings %ids, %word`, the word rows alone.

    XLM's language embeddings are a second optional pair (`langs %langs,
    %table`, `n_langs` rows): `+ lang[langs[b, s]]`.

    The LayerNorm that BertEmbeddings applies afterwards is a separate
    `bert.layer_norm` until `bert-fuse` merges them.

    ```mlir
    %e = bert.embeddings %ids, %word, %pos token_types %tt, %type
        : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<30522x768xf32>,
           tensor<512x768xf32>, tensor<2x768xf32>) -> tensor<?x?x768xf32>
    %r = bert.embeddings %ids, %word, %pos token_types %tt, %type padding_idx 1
        : (...) -> tensor<?x?x768xf32>
    ```
  }];
  // Declared in the order of the old fixed signature, so the functional
  // type lists (ids, [token type ids], word, position, [token type table],
  // [langs], [language table]).
  let arguments = (ins Bert_IdTensor:$input_ids,
                   Optional<Bert_IdTensor>:$token_type_ids,
                   Bert_FloatTensor:$word, Optional<Bert_FloatTensor>:$position,
                   Optional<Bert_FloatTensor>:$token_type,
                   Optional<Bert_IdTensor>:$langs,
                   Optional<Bert_FloatTensor>:$lang_table,
                   OptionalAttr<I64Attr>:$padding_idx);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input_ids `,` $word (`,` $position^)?
    (`token_types` $token_type_ids^ `,` $token_type)?
    (`langs` $langs^ `,` $lang_table)?
    (`padding_idx` $padding_idx^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_LayerNormOp : Bert_Op<"layer_norm", [Pure]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    `result = (x - mean) / sqrt(var + epsilon) * gamma + beta`, mean and
    (biased) variance taken over the last dimension.

    ```mlir
    %y = bert.layer_norm %x, %gamma, %beta {epsilon = 1.0e-12 : f64}
        : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_FloatTensor:$gamma,
                   Bert_FloatTensor:$beta, Bert_PositiveF64Attr:$epsilon);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_LinearOp : Bert_Op<"linear", [Pure]> {
  let summary = "dense layer x·Wᵀ + b with an optional activation epilogue";
  let description = [{
    `result[..., n] = act(sum_k input[..., k] * weight[n, k] + bias[n])`.
    The weight has PyTorch's `nn.Linear` layout `[out_features, in_features]`.
    The bias is optional; `activation` defaults to `none` (`bert-fuse` folds a
    following `bert.gelu` into it).

    `precision` defaults to `f32`. With `bf16` (`bertc --precision bf16`)
    `input` and `weight` are rounded to bfloat16 (nearest even) before the
    products, which are summed in f32; bias, activation and the result stay
    f32. Backends store such weights in bf16 and use bf16 matrix units
    (AMX, AVX512-BF16). `f16` (`bertc --precision f16`, CUDA targets) is
    the same with IEEE half operands: rounded to nearest even, and
    saturated to +-65504 (the largest half) rather than becoming inf, so an
    activation beyond fp16's range costs accuracy, not a NaN; the result
    stays f32 (the activations are not stored in f16).

    With `i8` (`bertc --precision int8`) the products are int8 ones: each
    output channel n of `weight` is quantized symmetrically,
    `qw[n, k] = round(weight[n, k] * 127 / max_k |weight[n, k]|)`, and each
    row (token) m of `input` asymmetrically at run time, over its range
    `[lo, hi]` widened to include 0: `s = (hi - lo) / 255`,
    `z = round(-lo / s)`, `qx[m, k] = clamp(round(input[m, k] / s) + z, 0,
    255) - z` (round half to even; a zero row or channel quantizes to 0).
    The sum of `qx * qw` is exact in int32 and scaled back by both scales;
    bias, activation and the result stay f32. `bert.attention`'s own
    products are bf16 ones (see there).

    `hadamard B` (i8 only; B a power of 4 dividing `in_features`, 0 or
    absent: none) rotates both operands before they are quantized: every
    block of B consecutive input channels of each row of `input` and of
    `weight` is multiplied by the orthonormal Walsh-Hadamard matrix of
    order B (Sylvester's order). The product is unchanged in real
    arithmetic, `(x H)(w H)^T = x w^T`, but an outlier channel is spread
    over its block, so the per-row range no longer rounds the other
    channels coarsely. The rotation's float arithmetic is fixed
    (runtime/src/hadamard.h: log2(B) butterfly stages of half-width 1, 2,
    4, ... in f32, then times 2^-(log2(B)/2), exact), so every
    implementation gets the same quantized values. `bertc --precision
    int8` rotates every i8 linear (`bert-int8-hadamard`, the default
    `--int8-scheme hadamard`); `--int8-scheme mixed` instead turns the
    linears that read a LayerNorm output to bf16 (`bert-int8-norm-inputs`).

    ```mlir
    %y = bert.linear %x, %w, %b activation <gelu>
        : (tensor<?x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
    %z = bert.linear %x, %w2, %b2 precision <bf16>
        : (tensor<?x?x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
    %q = bert.linear %x, %w2, %b2 precision <i8>
        : (tensor<?x?x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
    %r = bert.linear %x, %w2, %b2 precision <i8> hadamard 64
        : (tensor<?x?x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_FloatTensor:$weight,
                   Optional<Bert_FloatTensor>:$bias,
                   DefaultValuedAttr<Bert_ActivationAttr, "::mlir::bert::Activation::none">:$activation,
                   DefaultValuedAttr<Bert_PrecisionAttr, "::mlir::bert::Precision::f32">:$precision,
                   DefaultValuedAttr<I64Attr, "0">:$hadamard);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`activation` $activation^)?
    (`precision` $precision^)? (`hadamard` $hadamard^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_AttentionOp : Bert_Op<"attention", [Pure]> {
  let summary = "multi-head self-attention, projections included";
  let description = [{
    BertSelfAttention followed by BertSelfOutput's dense layer:
    `Q = x·Wqᵀ + bq`, `K`, `V` likewise, split into `num_heads` heads of size
    `d = H / num_heads`; per head `softmax(Q·Kᵀ / sqrt(d) + maskbias)·V`,
    heads merged, then `·Woᵀ + bo`. `mask[b, s]` is 1 for a token to attend
    and 0 for padding; padded keys get the lowest float as additive bias, as
    Hugging Face does. `bert-split-heads` expands this op.

    `precision <bf16>` makes all six products bf16 (as `bert.linear` and
    `bert.batch_matmul` define it): the four projections and the two
    attention matmuls (`Q·Kᵀ` on rounded Q and K, `P·V` on rounded
    probabilities and V); the softmax itself stays f32. `precision <f16>`
    is the same with IEEE half operands. `precision <i8>`
    quantizes the four projections (as `bert.linear` defines it) and makes
    the two attention matmuls bf16 ones, as `precision <bf16>` does; the
    softmax stays f32.

    ```mlir
    %a = bert.attention %x, %mask, %wq, %bq, %wk, %bk, %wv, %bv, %wo, %bo {num_heads = 12 : i64}
        : (tensor<?x?x768xf32>, tensor<?x?xi32>, tensor<768x768xf32>, tensor<768xf32>, ...)
        -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_IdTensor:$mask,
                   Bert_FloatTensor:$query_weight, Bert_FloatTensor:$query_bias,
                   Bert_FloatTensor:$key_weight, Bert_FloatTensor:$key_bias,
                   Bert_FloatTensor:$value_weight, Bert_FloatTensor:$value_bias,
                   Bert_FloatTensor:$output_weight, Bert_FloatTensor:$output_bias,
                   Bert_PositiveI64Attr:$num_heads,
                   DefaultValuedAttr<Bert_PrecisionAttr, "::mlir::bert::Precision::f32">:$precision);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $mask `,` $query_weight `,` $query_bias `,` $key_weight `,` $key_bias `,`
    $value_weight `,` $value_bias `,` $output_weight `,` $output_bias
    (`precision` $precision^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_WeightMatrixOp : Bert_Op<"weight_matrix", [Pure]> {
  let summary = "a weight of rank >= 2 as a 2-D matrix, optionally transposed";
  let description = [{
    The input `[d0, d1, ..., dk]` read row-major as the matrix
    `A[d0, d1 * ... * dk]`; the result is `A`, or with `transposed` its
    transpose `[d1 * ... * dk, d0]`. It moves no data in the IR's meaning of
    a weight: the runtime builds the matrix once, when it loads the weights
    (with `bert.concat` along dim 0 of such matrices, one packed slot).
    XLNet's einsum weights are `[d_model, n_head, d_head]`: `q`, `k`, `v`, `r`
    are `[in, out]` and become `nn.Linear` weights `[out, in]` transposed;
    `o` is `[out, n_head, d_head]` and only flattens.

    ```mlir
    %wq = bert.weight_matrix %q transposed : (tensor<768x12x64xf32>) -> tensor<768x768xf32>
    %wo = bert.weight_matrix %o : (tensor<768x12x64xf32>) -> tensor<768x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, UnitAttr:$transposed);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`transposed` $transposed^)? attr-dict `:` functional-type($input, results)
  }];
  let hasVerifier = 1;
}

def Bert_RelativePositionsOp : Bert_Op<"relative_positions", [Pure]> {
  let summary = "XLNet's sinusoidal relative position encodings";
  let description = [{
    transformers' `relative_positional_encoding` for bidirectional attention
    without memories (`bi_data` false): one row per relative distance, `S`
    down to `-(S - 1)` (`pos_seq = arange(S, -S, -1)`), `S` the sequence
    length of `mask` (`[B, S]`, read for its shape only). Row `p` of the
    `2S` rows, stored as `[2, S, H]` (`p = t * S + s`), is the encoding of
    distance `q = S - p`, clamped to `[-clamp_len, clamp_len]` when
    `clamp_len > 0`: `[sin(q f_k), cos(q f_k)]` for `k < H / 2`,
    `f_k = 1 / 10000^(2k / H)` (frequency and angle in f32, as transformers
    forms them). Shared by every layer and sequence; each layer's `kr` is a
    `bert.linear` of it.

    ```mlir
    %pos = bert.relative_positions %mask {clamp_len = -1 : i64}
        : (tensor<?x?xi32>) -> tensor<2x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_IdTensor:$mask, I64Attr:$clamp_len);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = "$mask attr-dict `:` functional-type($mask, results)";
  let hasVerifier = 1;
}

def Bert_RelativeAttentionOp : Bert_Op<"relative_attention", [Pure]> {
  let summary = "XLNet's relative positional attention core, between projections";
  let description = [{
    XLNetRelativeAttention's `rel_attn_core` for the content stream without
    memories, in bertc's `[B, S, H]` layout (transformers runs it
    time-major, `[S, B, H]`). `query`, `key` and `value` are the projected
    activations (`x · Wq` etc., `bert.linear`s of `bert.weight_matrix`
    weights), head `n` in columns `n * d .. n * d + d - 1` (`H = n_heads *
    d`, `n_heads = num_heads`); the output projection `o` is a
    `bert.linear` after this op. `position_keys` (`kr`, `[2, S, H]`) is the
    projection `r · Wr` of `bert.relative_positions`: row `p` (`p = t * S +
    s`) for the relative distance `S - p`. Per head, query `i` and key `j`:
      content  `(q_i + content_bias) · k_j`
      position `(q_i + position_bias) · kr[S - i + j]` (the row of
               distance `i - j`: transformers' rel_shift)
      segment  `(q_i + segment_bias) · segment_embed[t_i != t_j]`
    `score = (content + position + segment) / sqrt(d)`; a padded key
    (`mask[b, j] == 0`) is excluded unless `j == i` (transformers'
    `non_tgt_mask`); the result is `softmax(score) · v`, heads side by side.

    ```mlir
    %a = bert.relative_attention %q, %k, %v, %kr, %mask, %tt, %rw, %rr, %rs,
        %seg {num_heads = 12 : i64}
        : (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>,
           tensor<2x?x768xf32>, tensor<?x?xi32>, tensor<?x?xi32>,
           tensor<12x64xf32>, tensor<12x64xf32>, tensor<12x64xf32>,
           tensor<2x12x64xf32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$query, Bert_FloatTensor:$key,
                   Bert_FloatTensor:$value, Bert_FloatTensor:$position_keys,
                   Bert_IdTensor:$mask, Bert_IdTensor:$token_type_ids,
                   Bert_FloatTensor:$content_bias, Bert_FloatTensor:$position_bias,
                   Bert_FloatTensor:$segment_bias, Bert_FloatTensor:$segment_embed,
                   Bert_PositiveI64Attr:$num_heads);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $position_keys `,` $mask `,`
    $token_type_ids `,` $content_bias `,` $position_bias `,` $segment_bias `,`
    $segment_embed attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_GeluOp : Bert_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `exact`: `x * 0.5 * (1 + erf(x / sqrt(2)))` (config `gelu`);
    `tanh`: `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`
    (config `gelu_new`, `gelu_pytorch_tanh`).

    ```mlir
    %y = bert.gelu %x approximation <tanh> : tensor<?x?x3072xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input,
                   DefaultValuedAttr<Bert_GeluApproximationAttr,
                                     "::mlir::bert::GeluApproximation::exact">:$approximation);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`approximation` $approximation^)? attr-dict `:` type($result)
  }];
}

def Bert_AddOp : Bert_Op<"add", [Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "elementwise sum (the residual connection)";
  let description = [{
    ```mlir
    %y = bert.add %a, %b : tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$lhs, Bert_FloatTensor:$rhs);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Bert_PoolerOp : Bert_Op<"pooler", [Pure]> {
  let summary = "dense + activation on the first (or last) token of each sequence";
  let description = [{
    `result[b, :] = act(input[b, 0, :]·weightᵀ + bias)`, weight
    `[out_features, hidden]`: BertPooler (square) with
    `tanh` (the default), and the first-token dense layers of the
    classification heads: RoBERTa's `classifier.dense` + tanh, DistilBERT's
    `pre_classifier` + `relu`. With `last_token`, the row read is
    `input[b, S - 1, :]`: XLNet's sequence summary (`summary_type: last`),
    which transformers takes at the last position whatever the padding
    (XLNet's tokenizer pads on the left, so that is the last real token).

    ```mlir
    %p = bert.pooler %h, %w, %b
        : (tensor<?x?x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %c = bert.pooler %h, %w2, %b2 activation <relu> : (...) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_FloatTensor:$weight,
                   Bert_FloatTensor:$bias,
                   DefaultValuedAttr<Bert_ActivationAttr, "::mlir::bert::Activation::tanh">:$activation,
                   UnitAttr:$last_token);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias (`activation` $activation^)?
    (`last_token` $last_token^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_ActivationOp : Bert_Op<"activation", [Pure, SameOperandsAndResultType]> {
  let summary = "an elementwise activation other than GELU";
  let description = [{
    The feed-forward and head activations that are not a GELU form:
    `relu`, `silu` (config `silu` / `swish`), `quick_gelu`, `tanh` (forms in
    BertAttrs.td). GELU keeps its own op, `bert.gelu`. `bert-fuse` folds
    either into the epilogue of the `bert.linear` before it.

    ```mlir
    %y = bert.activation %x <relu> : tensor<?x?x3072xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_ActivationAttr:$kind);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = "$input $kind attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Bert_UnstackOp : Bert_Op<"unstack", [Pure]> {
  let summary = "splits the innermost dimension into one tensor per column";
  let description = [{
    `results[j][...] = input[..., j]`: the innermost dimension, of static
    size N, becomes N results one rank lower. Question answering splits its
    `[batch, seq, 2]` logits into `start_logits` and `end_logits` this way
    (transformers: `logits.split(1, dim=-1)` + `squeeze(-1)`).

    ```mlir
    %start, %end = bert.unstack %logits
        : tensor<?x?x2xf32> -> tensor<?x?xf32>, tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input);
  let results = (outs Variadic<Bert_FloatTensor>:$results);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($results)";
  let hasVerifier = 1;
}

def Bert_MaskRowsOp : Bert_Op<"mask_rows", [Pure]> {
  let summary = "zeroes the rows of padding tokens: x * mask[..., None]";
  let description = [{
    `result[b, s, :] = input[b, s, :] * mask[b, s]`, the mask converted to
    the input's float type: XLM's and FlauBERT's `tensor *= mask.unsqueeze(-1)`
    after the embeddings and after every layer. On real tokens (mask 1) it
    is the identity; padded rows become zeros. Graph op and kernel at once
    (an elementwise kernel of the row family).

    ```mlir
    %y = bert.mask_rows %x, %attention_mask
        : (tensor<?x?x768xf32>, tensor<?x?xi32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_IdTensor:$mask);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $mask attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

include "dialect/BertKernelOps.td"

#endif // BERT_OPS_TD
