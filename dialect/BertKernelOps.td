//===- BertKernelOps.td - kernel-level bert ops ------------*- tablegen -*-===//
//
// Ops produced by the passes: explicit attention heads (bert-split-heads),
// slices and concatenation (per-head mode, bert-pack-qkv), and the fused
// kernels of bert-fuse. Included from BertOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_KERNEL_OPS_TD
#define BERT_KERNEL_OPS_TD

//===----------------------------------------------------------------------===//
// Head layout, slicing and batched matmul
//===----------------------------------------------------------------------===//

def Bert_SplitHeadsOp : Bert_Op<"split_heads", [Pure]> {
  let summary = "[B, S, H] -> [B, heads, S, H / heads]";
  let description = [{
    `result[b, h, s, i] = input[b, s, h * d + i]` with `d = H / num_heads`
    (Hugging Face's `view(B, S, heads, d).permute(0, 2, 1, 3)`).

    ```mlir
    %q4 = bert.split_heads %q {num_heads = 12 : i64}
        : tensor<?x?x768xf32> -> tensor<?x12x?x64xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_PositiveI64Attr:$num_heads);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Bert_MergeHeadsOp : Bert_Op<"merge_heads", [Pure]> {
  let summary = "[B, heads, S, d] -> [B, S, heads * d]";
  let description = [{
    The inverse of `bert.split_heads`: `result[b, s, h * d + i] = input[b, h, s, i]`.

    ```mlir
    %c = bert.merge_heads %c4 : tensor<?x12x?x64xf32> -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Bert_BatchMatmulOp : Bert_Op<"batch_matmul", [Pure]> {
  let summary = "batched matrix product with optional transposed rhs and scale";
  let description = [{
    Over leading batch dimensions that must agree:
    `result[..., m, n] = scale * sum_k lhs[..., m, k] * rhs[..., k, n]`, or
    with `transpose_rhs`, `rhs[..., n, k]`. Attention scores are
    `batch_matmul(Q, K) {transpose_rhs, scale = 1/sqrt(d)}`. With
    `precision <bf16>` both operands are rounded to bfloat16 (nearest even)
    and the products summed in f32, as for `bert.linear`; `f16` likewise to
    IEEE half. `i8` is a linear layer's precision only (the verifier
    refuses it here).

    ```mlir
    %s = bert.batch_matmul %q, %k {transpose_rhs, scale = 0.125 : f64}
        : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x?xf32>
    %c = bert.batch_matmul %p, %v precision <bf16>
        : (tensor<?x12x?x?xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$lhs, Bert_FloatTensor:$rhs,
                   UnitAttr:$transpose_rhs,
                   DefaultValuedAttr<F64Attr, "1.0">:$scale,
                   DefaultValuedAttr<Bert_PrecisionAttr, "::mlir::bert::Precision::f32">:$precision);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`precision` $precision^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_MaskedSoftmaxOp : Bert_Op<"masked_softmax", [Pure]> {
  let summary = "softmax over keys with padded keys masked out";
  let description = [{
    `scores` is `[B, heads, S, S]` (or `[B, S, S]` for one head);
    `mask` is `[B, S]` holding only 1 (attend) or 0 (padding).
    `result = softmax_k(scores[..., q, k] + (1 - mask[b, k]) * lowest)`,
    `lowest` being the dtype's lowest finite value, added in the scores'
    own precision exactly as Hugging Face adds it: a padded key then
    contributes exp(lowest - max) = 0, and a row whose keys are all padded
    becomes a uniform average.

    ```mlir
    %p = bert.masked_softmax %s, %mask
        : (tensor<?x12x?x?xf32>, tensor<?x?xi32>) -> tensor<?x12x?x?xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$scores, Bert_IdTensor:$mask);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $scores `,` $mask attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_SliceOp : Bert_Op<"slice", [Pure]> {
  let summary = "a contiguous static slice along one dimension";
  let description = [{
    `result = input[..., offset : offset + size, ...]` along `dim`, whose
    extent must be static. Used for one head's columns (per-head mode) and
    for Q, K, V out of a packed projection.

    ```mlir
    %q = bert.slice %qkv {dim = 2 : i64, offset = 0 : i64, size = 768 : i64}
        : tensor<?x?x2304xf32> -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, I64Attr:$dim, I64Attr:$offset,
                   Bert_PositiveI64Attr:$size);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Bert_ConcatOp : Bert_Op<"concat", [Pure]> {
  let summary = "concatenation along one static dimension";
  let description = [{
    Joins inputs along `dim`; all other dimensions agree. On weights it is
    evaluated once when the model is loaded (packed QKV weights); on
    activations it merges per-head results.

    ```mlir
    %w = bert.concat %wq, %wk, %wv {dim = 0 : i64}
        : (tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<2304x768xf32>
    ```
  }];
  let arguments = (ins Variadic<Bert_FloatTensor>:$inputs, I64Attr:$dim);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused kernels (bert-fuse)
//===----------------------------------------------------------------------===//

def Bert_AddLayerNormOp : Bert_Op<"add_layer_norm", [Pure]> {
  let summary = "residual add followed by layer normalization";
  let description = [{
    Exactly `bert.layer_norm(bert.add(input, residual), gamma, beta)`:
    `t = input + residual`, `result = (t - mean(t)) / sqrt(var(t) + epsilon) * gamma + beta`,
    statistics over the last dimension; `t` is never stored.

    ```mlir
    %y = bert.add_layer_norm %x, %r, %gamma, %beta {epsilon = 1.0e-12 : f64}
        : (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>)
        -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_FloatTensor:$residual,
                   Bert_FloatTensor:$gamma, Bert_FloatTensor:$beta,
                   Bert_PositiveF64Attr:$epsilon);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $residual `,` $gamma `,` $beta attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_AddMaskRowsOp : Bert_Op<"add_mask_rows", [Pure]> {
  let summary = "residual add whose padded rows are then zeroed";
  let description = [{
    Exactly `bert.mask_rows(bert.add(input, residual), mask)`:
    `result[b, s, :] = (input[b, s, :] + residual[b, s, :]) * mask[b, s]`;
    the sum is never stored. FlauBERT's pre-norm layers end so
    (`tensor = tensor + ffn(...)`, then `tensor *= mask`), with no LayerNorm
    after the add to fuse it into.

    ```mlir
    %y = bert.add_mask_rows %x, %r, %attention_mask
        : (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?xi32>)
        -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$input, Bert_FloatTensor:$residual,
                   Bert_IdTensor:$mask);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $residual `,` $mask attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_FusedAttentionOp : Bert_Op<"fused_attention", [Pure]> {
  let summary = "split heads, scaled masked softmax(Q·Kᵀ)·V, merge heads, in one kernel";
  let description = [{
    Exactly `merge_heads(batch_matmul(masked_softmax(batch_matmul(split_heads(query),
    split_heads(key)) {transpose_rhs, scale}, mask), split_heads(value)))`.
    `query`, `key`, `value` are `[B, S, H]` with heads interleaved as Hugging
    Face lays them out; `H = num_heads * d`. The kernel walks the keys in
    tiles with an online softmax (running max `m`, running sum `l`, rescaled
    accumulator), so `[B, heads, S, S]` is never stored:
    `m' = max(m, max_j s_j)`, `l' = l·e^(m-m') + sum_j e^(s_j-m')`,
    `acc' = acc·e^(m-m') + sum_j e^(s_j-m')·v_j`, `result = acc / l`.
    `precision <bf16>`: both matmuls are bf16 ones (`bert.batch_matmul`);
    the probabilities are rounded per key tile, before the rescale, so the
    result matches the unfused bf16 chain to bf16 rounding, not bit for bit.
    `f16` is the same with IEEE half operands. `i8` is refused, as for
    `bert.batch_matmul`.

    ```mlir
    %c = bert.fused_attention %q, %k, %v, %mask {num_heads = 12 : i64, scale = 0.125 : f64}
        : (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?xi32>)
        -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_FloatTensor:$query, Bert_FloatTensor:$key,
                   Bert_FloatTensor:$value, Bert_IdTensor:$mask,
                   Bert_PositiveI64Attr:$num_heads, F64Attr:$scale,
                   DefaultValuedAttr<Bert_PrecisionAttr, "::mlir::bert::Precision::f32">:$precision);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $mask (`precision` $precision^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Bert_EmbeddingsLayerNormOp : Bert_Op<"embeddings_layer_norm", [Pure, AttrSizedOperandSegments]> {
  let summary = "embedding gather + sum + layer normalization in one kernel";
  let description = [{
    Exactly `bert.layer_norm(bert.embeddings(...), gamma, beta)`, with the
    embeddings' optional token types, languages and `padding_idx` positions: each row
    is gathered, summed and normalized in registers; the sum is never
    stored.

    ```mlir
    %e = bert.embeddings_layer_norm %ids, %word, %pos, %gamma, %beta
        token_types %tt, %type {epsilon = 1.0e-12 : f64}
        : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<30522x768xf32>,
           tensor<512x768xf32>, tensor<2x768xf32>, tensor<768xf32>, tensor<768xf32>)
        -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Bert_IdTensor:$input_ids,
                   Optional<Bert_IdTensor>:$token_type_ids,
                   Bert_FloatTensor:$word, Bert_FloatTensor:$position,
                   Optional<Bert_FloatTensor>:$token_type,
                   Bert_FloatTensor:$gamma, Bert_FloatTensor:$beta,
                   Optional<Bert_IdTensor>:$langs,
                   Optional<Bert_FloatTensor>:$lang_table,
                   Bert_PositiveF64Attr:$epsilon,
                   OptionalAttr<I64Attr>:$padding_idx);
  let results = (outs Bert_FloatTensor:$result);
  let assemblyFormat = [{
    $input_ids `,` $word `,` $position `,` $gamma `,` $beta
    (`token_types` $token_type_ids^ `,` $token_type)?
    (`langs` $langs^ `,` $lang_table)?
    (`padding_idx` $padding_idx^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // BERT_KERNEL_OPS_TD
