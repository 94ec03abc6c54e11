// RUN: bert-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the bert dialect (BertOps.cpp, BertDialect.cpp, and
// the ODS attribute constraints).

func.func @weight_empty_name() {
  // expected-error @+1 {{'bert.weight' op needs a non-empty tensor name}}
  %w = bert.weight "" : tensor<8xf32>
  return
}

// -----

func.func @weight_dynamic() {
  // expected-error @+1 {{'bert.weight' op weight 'w' must have a static shape}}
  %w = bert.weight "w" : tensor<?x8xf32>
  return
}

// -----

func.func @weight_integer() {
  // expected-error @+1 {{'bert.weight' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %w = bert.weight "w" : tensor<8xi32>
  return
}

// -----

func.func @embeddings_ids_rank(%ids: tensor<?xi32>, %tt: tensor<?x?xi32>) {
  %word = bert.weight "word" : tensor<100x8xf32>
  %pos = bert.weight "pos" : tensor<16x8xf32>
  %type = bert.weight "type" : tensor<2x8xf32>
  // expected-error @+1 {{'bert.embeddings' op input_ids must have rank 2, got [?]}}
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type : (tensor<?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @embeddings_tt_shape(%ids: tensor<2x?xi32>, %tt: tensor<3x?xi32>) {
  %word = bert.weight "word" : tensor<100x8xf32>
  %pos = bert.weight "pos" : tensor<16x8xf32>
  %type = bert.weight "type" : tensor<2x8xf32>
  // expected-error @+1 {{'bert.embeddings' op token_type_ids shape [3, ?] must match input_ids shape [2, ?]}}
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type : (tensor<2x?xi32>, tensor<3x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @embeddings_hidden(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>) {
  %word = bert.weight "word" : tensor<100x8xf32>
  %pos = bert.weight "pos" : tensor<16x4xf32>
  %type = bert.weight "type" : tensor<2x8xf32>
  // expected-error @+1 {{'bert.embeddings' op embedding tables must share the hidden size 8}}
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x4xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @embeddings_result(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>) {
  %word = bert.weight "word" : tensor<100x8xf32>
  %pos = bert.weight "pos" : tensor<16x8xf32>
  %type = bert.weight "type" : tensor<2x8xf32>
  // expected-error @+1 {{'bert.embeddings' op result shape [?, ?, 4] must be [batch, seq, 8]}}
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>) -> tensor<?x?x4xf32>
  return
}

// -----

func.func @embeddings_ln_gamma(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>) {
  %word = bert.weight "word" : tensor<100x8xf32>
  %pos = bert.weight "pos" : tensor<16x8xf32>
  %type = bert.weight "type" : tensor<2x8xf32>
  %g = bert.weight "g" : tensor<4xf32>
  // expected-error @+1 {{'bert.embeddings_layer_norm' op gamma must have shape [8], got [4]}}
  %e = bert.embeddings_layer_norm %ids, %word, %pos, %g, %g token_types %tt, %type {epsilon = 1.0e-12 : f64} : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @layer_norm_dynamic_hidden(%x: tensor<?x?x?xf32>) {
  %g = bert.weight "g" : tensor<8xf32>
  // expected-error @+1 {{'bert.layer_norm' op input must have a static innermost dimension, got [?, ?, ?]}}
  %y = bert.layer_norm %x, %g, %g {epsilon = 1.0e-12 : f64} : (tensor<?x?x?xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x?xf32>
  return
}

// -----

func.func @layer_norm_beta(%x: tensor<?x?x8xf32>) {
  %g = bert.weight "g" : tensor<8xf32>
  %b = bert.weight "b" : tensor<6xf32>
  // expected-error @+1 {{'bert.layer_norm' op beta must have shape [8], got [6]}}
  %y = bert.layer_norm %x, %g, %b {epsilon = 1.0e-12 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<6xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<?x?x8xf32>) {
  %g = bert.weight "g" : tensor<8xf32>
  // expected-error @+1 {{'bert.layer_norm' op attribute 'epsilon' failed to satisfy constraint: 64-bit float attribute whose value is positive}}
  %y = bert.layer_norm %x, %g, %g {epsilon = 0.0 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @layer_norm_result(%x: tensor<?x?x8xf32>) {
  %g = bert.weight "g" : tensor<8xf32>
  // expected-error @+1 {{'bert.layer_norm' op result shape [?, 8] must equal the input shape [?, ?, 8]}}
  %y = bert.layer_norm %x, %g, %g {epsilon = 1.0e-12 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<8xf32>
  // expected-error @+1 {{'bert.linear' op weight must have rank 2, got [8]}}
  %y = bert.linear %x, %w : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @linear_weight_in(%x: tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<16x4xf32>
  // expected-error @+1 {{'bert.linear' op weight shape [16, 4] must be [out_features, 8] to match the input}}
  %y = bert.linear %x, %w : (tensor<?x?x8xf32>, tensor<16x4xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<16x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  // expected-error @+1 {{'bert.linear' op bias must have shape [16], got [8]}}
  %y = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<16x8xf32>, tensor<8xf32>) -> tensor<?x?x16xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<16x8xf32>
  // expected-error @+1 {{'bert.linear' op result shape [?, ?, 8] must be the input shape with innermost 16}}
  %y = bert.linear %x, %w : (tensor<?x?x8xf32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @attention_heads(%x: tensor<?x?x8xf32>, %m: tensor<?x?xi32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  // expected-error @+1 {{'bert.attention' op hidden size 8 is not divisible by num_heads 3}}
  %a = bert.attention %x, %m, %w, %b, %w, %b, %w, %b, %w, %b {num_heads = 3 : i64} : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @attention_zero_heads(%x: tensor<?x?x8xf32>, %m: tensor<?x?xi32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  // expected-error @+1 {{'bert.attention' op attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %a = bert.attention %x, %m, %w, %b, %w, %b, %w, %b, %w, %b {num_heads = 0 : i64} : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @attention_mask_rank(%x: tensor<?x?x8xf32>, %m: tensor<?xi32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  // expected-error @+1 {{'bert.attention' op mask must have rank 2 [batch, seq], got [?]}}
  %a = bert.attention %x, %m, %w, %b, %w, %b, %w, %b, %w, %b {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @attention_mask_shape(%x: tensor<2x5x8xf32>, %m: tensor<2x6xi32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  // expected-error @+1 {{'bert.attention' op mask shape [2, 6] does not match batch and sequence of the activations}}
  %a = bert.attention %x, %m, %w, %b, %w, %b, %w, %b, %w, %b {num_heads = 2 : i64} : (tensor<2x5x8xf32>, tensor<2x6xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  return
}

// -----

func.func @attention_key_weight(%x: tensor<?x?x8xf32>, %m: tensor<?x?xi32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  %k = bert.weight "k" : tensor<8x4xf32>
  // expected-error @+1 {{'bert.attention' op key weight must have shape [8, 8], got [8, 4]}}
  %a = bert.attention %x, %m, %w, %b, %k, %b, %w, %b, %w, %b {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @attention_rank(%x: tensor<?x8xf32>, %m: tensor<?x?xi32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  // expected-error @+1 {{'bert.attention' op input must have rank 3, got [?, 8]}}
  %a = bert.attention %x, %m, %w, %b, %w, %b, %w, %b, %w, %b {num_heads = 2 : i64} : (tensor<?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @gelu_type(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.gelu' op requires the same type for all operands and results}}
  %y = "bert.gelu"(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32>
  return
}

// -----

func.func @add_type(%x: tensor<?x?x8xf32>, %y: tensor<?x?x4xf32>) {
  // expected-error @+1 {{'bert.add' op requires the same type for all operands and results}}
  %z = "bert.add"(%x, %y) : (tensor<?x?x8xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @pooler_result(%x: tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  // expected-error @+1 {{'bert.pooler' op result shape [?, ?, 8] must be [batch, 8]}}
  %p = bert.pooler %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @pooler_weight(%x: tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<8x6xf32>
  %b = bert.weight "b" : tensor<8xf32>
  // expected-error @+1 {{'bert.pooler' op weight shape [8, 6] must be [out_features, 8] to match the input}}
  %p = bert.pooler %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x6xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @split_heads_divisible(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.split_heads' op hidden size 8 is not divisible by num_heads 3}}
  %y = bert.split_heads %x {num_heads = 3 : i64} : tensor<?x?x8xf32> -> tensor<?x3x?x2xf32>
  return
}

// -----

func.func @split_heads_result(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.split_heads' op result shape [?, 2, ?, 8] must be [batch, 2, seq, 4]}}
  %y = bert.split_heads %x {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x8xf32>
  return
}

// -----

func.func @merge_heads_dynamic(%x: tensor<?x?x?x4xf32>) {
  // expected-error @+1 {{'bert.merge_heads' op input must have static heads and head size, got [?, ?, ?, 4]}}
  %y = bert.merge_heads %x : tensor<?x?x?x4xf32> -> tensor<?x?x8xf32>
  return
}

// -----

func.func @merge_heads_result(%x: tensor<?x2x?x4xf32>) {
  // expected-error @+1 {{'bert.merge_heads' op result shape [?, ?, 4] must be [batch, seq, 8]}}
  %y = bert.merge_heads %x : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
  return
}

// -----

func.func @merge_heads_rank(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.merge_heads' op input must have rank 4, got [?, ?, 8]}}
  %y = bert.merge_heads %x : tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  return
}

// -----

func.func @bmm_rank(%a: tensor<?x2x?x4xf32>, %b: tensor<?x?x4xf32>) {
  // expected-error @+1 {{'bert.batch_matmul' op operands and result must have the same rank >= 2, got [?, 2, ?, 4], [?, ?, 4] and [?, 2, ?, ?]}}
  %y = bert.batch_matmul %a, %b {transpose_rhs} : (tensor<?x2x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x2x?x?xf32>
  return
}

// -----

func.func @bmm_batch(%a: tensor<?x2x?x4xf32>, %b: tensor<?x3x?x4xf32>) {
  // expected-error @+1 {{'bert.batch_matmul' op batch dimension 1 differs between [?, 2, ?, 4], [?, 3, ?, 4] and [?, 2, ?, ?]}}
  %y = bert.batch_matmul %a, %b {transpose_rhs} : (tensor<?x2x?x4xf32>, tensor<?x3x?x4xf32>) -> tensor<?x2x?x?xf32>
  return
}

// -----

func.func @bmm_i8(%a: tensor<?x2x?x4xf32>) {
  // expected-error @+1 {{'bert.batch_matmul' op precision i8 applies to linear layers only; expected f32, bf16 or f16}}
  %y = bert.batch_matmul %a, %a precision <i8> {transpose_rhs} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  return
}

// -----

func.func @bmm_contraction(%a: tensor<?x2x?x4xf32>, %b: tensor<?x2x?x8xf32>) {
  // expected-error @+1 {{'bert.batch_matmul' op contraction sizes differ: lhs [?, 2, ?, 4], rhs [?, 2, ?, 8] (transposed)}}
  %y = bert.batch_matmul %a, %b {transpose_rhs} : (tensor<?x2x?x4xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x?xf32>
  return
}

// -----

func.func @bmm_result(%a: tensor<?x2x?x?xf32>, %b: tensor<?x2x?x4xf32>) {
  // expected-error @+1 {{'bert.batch_matmul' op result shape [?, 2, ?, 8] does not match the product of [?, 2, ?, ?] and [?, 2, ?, 4]}}
  %y = bert.batch_matmul %a, %b : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x8xf32>
  return
}

// -----

func.func @softmax_rank(%s: tensor<?x?xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.masked_softmax' op scores must be [batch, heads, seq, seq] or [batch, seq, seq], got [?, ?]}}
  %p = bert.masked_softmax %s, %m : (tensor<?x?xf32>, tensor<?x?xi32>) -> tensor<?x?xf32>
  return
}

// -----

func.func @softmax_mask(%s: tensor<2x2x5x5xf32>, %m: tensor<2x4xi32>) {
  // expected-error @+1 {{'bert.masked_softmax' op mask shape [2, 4] does not match batch and sequence of the activations}}
  %p = bert.masked_softmax %s, %m : (tensor<2x2x5x5xf32>, tensor<2x4xi32>) -> tensor<2x2x5x5xf32>
  return
}

// -----

func.func @softmax_result(%s: tensor<?x2x?x?xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.masked_softmax' op result shape [?, 3, ?, ?] must equal the scores shape [?, 2, ?, ?]}}
  %p = bert.masked_softmax %s, %m : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x3x?x?xf32>
  return
}

// -----

func.func @slice_dim(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.slice' op dim 3 is out of range for [?, ?, 8]}}
  %y = bert.slice %x {dim = 3 : i64, offset = 0 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
  return
}

// -----

func.func @slice_dynamic(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.slice' op dim 1 of [?, ?, 8] is dynamic: only its first element (offset 0, size 1) can be sliced}}
  %y = bert.slice %x {dim = 1 : i64, offset = 0 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x4x8xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.slice' op slice [6, 10) is out of bounds of extent 8}}
  %y = bert.slice %x {dim = 2 : i64, offset = 6 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
  return
}

// -----

func.func @slice_result(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.slice' op result shape [?, ?, 2] must be the input shape with extent 4 at dim 2}}
  %y = bert.slice %x {dim = 2 : i64, offset = 0 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x?x2xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+1 {{'bert.concat' op needs at least one input}}
  %y = bert.concat {dim = 0 : i64} : () -> tensor<8xf32>
  return
}

// -----

func.func @concat_dim(%a: tensor<4xf32>) {
  // expected-error @+1 {{'bert.concat' op dim 1 is out of range for rank 1}}
  %y = bert.concat %a {dim = 1 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<4x8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'bert.concat' op inputs must have rank 2 and a static extent at dim 0, got [4]}}
  %y = bert.concat %a, %b {dim = 0 : i64} : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<8x8xf32>
  return
}

// -----

func.func @concat_other_dims(%a: tensor<4x8xf32>, %b: tensor<4x6xf32>) {
  // expected-error @+1 {{'bert.concat' op input shapes [4, 8] and [4, 6] differ outside dim 0}}
  %y = bert.concat %a, %b {dim = 0 : i64} : (tensor<4x8xf32>, tensor<4x6xf32>) -> tensor<8x8xf32>
  return
}

// -----

func.func @concat_result(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+1 {{'bert.concat' op result shape [12, 8] must have extent 8 at dim 0}}
  %y = bert.concat %a, %b {dim = 0 : i64} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<12x8xf32>
  return
}

// -----

func.func @add_layer_norm_residual(%x: tensor<?x?x8xf32>, %r: tensor<?x8xf32>) {
  %g = bert.weight "g" : tensor<8xf32>
  // expected-error @+1 {{'bert.add_layer_norm' op residual type 'tensor<?x8xf32>' must equal the input type 'tensor<?x?x8xf32>'}}
  %y = bert.add_layer_norm %x, %r, %g, %g {epsilon = 1.0e-12 : f64} : (tensor<?x?x8xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @fused_attention_i8(%q: tensor<?x?x8xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.fused_attention' op precision i8 applies to linear layers only; expected f32, bf16 or f16}}
  %y = bert.fused_attention %q, %q, %q, %m precision <i8> {num_heads = 2 : i64, scale = 0.5 : f64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @fused_attention_types(%q: tensor<?x?x8xf32>, %k: tensor<?x?x4xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.fused_attention' op query, key and value must have the same type}}
  %y = bert.fused_attention %q, %k, %q, %m {num_heads = 2 : i64, scale = 0.5 : f64} : (tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @fused_attention_heads(%q: tensor<?x?x8xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.fused_attention' op hidden size 8 is not divisible by num_heads 3}}
  %y = bert.fused_attention %q, %q, %q, %m {num_heads = 3 : i64, scale = 0.5 : f64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @schedule_range(%x: tensor<?x?x32xf32>) {
  %w = bert.weight "w" : tensor<32x32xf32>
  // expected-error @+1 {{gemm schedule: rows must be in [1, 1048576], got 0}}
  %y = bert.linear %x, %w {bert.schedule = #bert.gemm_schedule<rows = 0, cols = 16, k_unroll = 4, rows_per_task = 8, vector_width = 16>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_vector(%x: tensor<?x?x32xf32>) {
  // expected-error @+1 {{row schedule: vector_width must be a power of two, got 12}}
  %y = bert.gelu %x {bert.schedule = #bert.row_schedule<rows_per_task = 8, vector_width = 12>} : tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_cols(%x: tensor<?x?x32xf32>) {
  %w = bert.weight "w" : tensor<32x32xf32>
  // expected-error @+1 {{gemm schedule: cols (20) must be a multiple of vector_width (16)}}
  %y = bert.linear %x, %w {bert.schedule = #bert.gemm_schedule<rows = 8, cols = 20, k_unroll = 4, rows_per_task = 8, vector_width = 16>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_rows_per_task(%x: tensor<?x?x32xf32>) {
  %w = bert.weight "w" : tensor<32x32xf32>
  // expected-error @+1 {{gemm schedule: rows_per_task (12) must be a multiple of rows (8)}}
  %y = bert.linear %x, %w {bert.schedule = #bert.gemm_schedule<rows = 8, cols = 16, k_unroll = 4, rows_per_task = 12, vector_width = 16>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_amx_rows(%x: tensor<?x?x32xf32>) {
  %w = bert.weight "w" : tensor<32x32xf32>
  // expected-error @+1 {{amx schedule: rows_per_task (24) must be a multiple of the AMX tile (16)}}
  %y = bert.linear %x, %w {bert.schedule = #bert.amx_schedule<rows_per_task = 24, cols_per_task = 32, dot_rows = 8, dot_cols = 32, dot_k_unroll = 1, dot_rows_per_task = 64, vector_width = 16>, precision = #bert.precision<bf16>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_amx_cols(%x: tensor<?x?x32xf32>) {
  %w = bert.weight "w" : tensor<32x32xf32>
  // expected-error @+1 {{amx schedule: cols_per_task (24) must be a multiple of the AMX tile (16)}}
  %y = bert.linear %x, %w {bert.schedule = #bert.amx_schedule<rows_per_task = 32, cols_per_task = 24, dot_rows = 8, dot_cols = 32, dot_k_unroll = 1, dot_rows_per_task = 64, vector_width = 16>, precision = #bert.precision<bf16>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_amx_dot_cols(%x: tensor<?x?x32xf32>) {
  %w = bert.weight "w" : tensor<32x32xf32>
  // expected-error @+1 {{amx schedule: dot_cols (20) must be a multiple of vector_width (16)}}
  %y = bert.linear %x, %w {bert.schedule = #bert.amx_schedule<rows_per_task = 32, cols_per_task = 32, dot_rows = 8, dot_cols = 20, dot_k_unroll = 1, dot_rows_per_task = 64, vector_width = 16>, precision = #bert.precision<bf16>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_amx_dot_rows(%x: tensor<?x?x32xf32>) {
  %w = bert.weight "w" : tensor<32x32xf32>
  // expected-error @+1 {{amx schedule: dot_rows_per_task (60) must be a multiple of dot_rows (8)}}
  %y = bert.linear %x, %w {bert.schedule = #bert.amx_schedule<rows_per_task = 32, cols_per_task = 32, dot_rows = 8, dot_cols = 32, dot_k_unroll = 1, dot_rows_per_task = 60, vector_width = 16>, precision = #bert.precision<bf16>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_kind_for_op(%x: tensor<?x?x32xf32>) {
  // expected-error @+1 {{'bert.schedule' is a schedule of kind gemm; this op takes row}}
  %y = bert.gelu %x {bert.schedule = #bert.gemm_schedule<rows = 8, cols = 16, k_unroll = 4, rows_per_task = 8, vector_width = 16>} : tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_amx_on_f32(%x: tensor<?x?x32xf32>) {
  %w = bert.weight "w" : tensor<32x32xf32>
  // expected-error @+1 {{'bert.schedule' is a schedule of kind amx; this op takes gemm}}
  %y = bert.linear %x, %w {bert.schedule = #bert.amx_schedule<rows_per_task = 32, cols_per_task = 32, dot_rows = 8, dot_cols = 32, dot_k_unroll = 1, dot_rows_per_task = 64, vector_width = 16>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return
}

// -----

func.func @cuda_schedule_warps(%x: tensor<?x?x32xf32>) {
  // expected-error @+1 {{cuda schedule: warps must be at most 32 (1024 threads per block), got 33}}
  %y = bert.gelu %x {bert.schedule = #bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1, stages = 1, warps = 33, smem_bytes = 0, vector_width = 4, cublaslt = 0>} : tensor<?x?x32xf32>
  return
}

// -----

func.func @cuda_schedule_smem(%x: tensor<?x?x32xf32>) {
  // expected-error @+1 {{cuda schedule: smem_bytes must be at most 232448 (227 KiB per block), got 232449}}
  %y = bert.gelu %x {bert.schedule = #bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1, stages = 1, warps = 8, smem_bytes = 232449, vector_width = 4, cublaslt = 0>} : tensor<?x?x32xf32>
  return
}

// -----

func.func @cuda_schedule_stages(%x: tensor<?x?x32xf32>) {
  // expected-error @+1 {{cuda schedule: stages must be at most 8, got 9}}
  %y = bert.gelu %x {bert.schedule = #bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1, stages = 9, warps = 8, smem_bytes = 0, vector_width = 4, cublaslt = 0>} : tensor<?x?x32xf32>
  return
}

// -----

func.func @cuda_schedule_vector(%x: tensor<?x?x32xf32>) {
  // expected-error @+1 {{cuda schedule: vector_width must be at most 8 (a 128-bit access of 16-bit elements), got 16}}
  %y = bert.gelu %x {bert.schedule = #bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1, stages = 1, warps = 8, smem_bytes = 0, vector_width = 16, cublaslt = 0>} : tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_field_order(%x: tensor<?x?x32xf32>) {
  // expected-error @+1 {{expected 'rows_per_task'}}
  %y = bert.gelu %x {bert.schedule = #bert.row_schedule<vector_width = 16, rows_per_task = 8>} : tensor<?x?x32xf32>
  return
}

// -----

func.func @schedule_not_a_kernel() {
  // expected-error @+1 {{'bert.schedule' on an op that is not a runtime kernel}}
  %w = bert.weight "w" {bert.schedule = #bert.row_schedule<rows_per_task = 8, vector_width = 16>} : tensor<32x32xf32>
  return
}

// -----

func.func @buffer_offset(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{buffer offset must be a non-negative multiple of 64 bytes, got 32}}
  %y = bert.gelu %x {bert.buffer = #bert.buffer<offset = 32, bytes = 64>} : tensor<?x?x8xf32>
  return
}

// -----

func.func @buffer_bytes(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{buffer size must be positive, got 0}}
  %y = bert.gelu %x {bert.buffer = #bert.buffer<offset = 0, bytes = 0>} : tensor<?x?x8xf32>
  return
}

// -----

func.func @buffer_element(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{buffer element must be bf16 or f16 (absent: the tensor's own type), got 'f32'}}
  %y = bert.gelu %x {bert.buffer = #bert.buffer<offset = 0, bytes = 64, element = f32>} : tensor<?x?x8xf32>
  return
}

// -----

func.func @schedule_attr_kind(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.schedule' must be a schedule attribute (#bert.gemm_schedule, ...)}}
  %y = bert.gelu %x {bert.schedule = 3 : i64} : tensor<?x?x8xf32>
  return
}

// -----

func.func @buffer_attr_kind(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.buffer' must be a #bert.buffer attribute}}
  %y = bert.gelu %x {bert.buffer = "slot"} : tensor<?x?x8xf32>
  return
}

// -----

func.func @buffer_no_result() {
  // expected-error @+1 {{'bert.buffer' needs an op with exactly one result}}
  return {bert.buffer = #bert.buffer<offset = 0, bytes = 64>}
}

// -----

// expected-error @+1 {{'bert.max_seq' must be a positive integer attribute}}
func.func @max_seq_zero() attributes {bert.max_seq = 0 : i64} {
  return
}

// -----

// expected-error @+1 {{'bert.model' must be a string attribute}}
func.func @model_name() attributes {bert.model = 3 : i64} {
  return
}

// -----

// expected-error @+1 {{'bert.model_facts' must be a #bert.model_facts attribute}}
module attributes {bert.model_facts = "bert"} {
}

// -----

// expected-error @+1 {{'bert.model_facts' belongs on the module}}
func.func @facts_on_func() attributes {bert.model_facts = #bert.model_facts<family = "bert",
    layers = 2, hidden = 8, heads = 2, intermediate = 16, vocab = 10, type_vocab = 2>} {
  return
}

// -----

// expected-error @+1 {{model facts need a family}}
module attributes {bert.model_facts = #bert.model_facts<family = "", layers = 2, hidden = 8,
    heads = 2, intermediate = 16, vocab = 10, type_vocab = 2>} {
}

// -----

// expected-error @+1 {{model facts: type_vocab must be 0 or more, got -1}}
module attributes {bert.model_facts = #bert.model_facts<family = "bert", layers = 2, hidden = 8,
    heads = 2, intermediate = 16, vocab = 10, type_vocab = -1>} {
}

// -----

// expected-error @+1 {{model facts: heads (3) must divide hidden (8)}}
module attributes {bert.model_facts = #bert.model_facts<family = "bert", layers = 2, hidden = 8,
    heads = 3, intermediate = 16, vocab = 10, type_vocab = 2>} {
}

// -----

// expected-error @+1 {{'bert.core' must be {fma_latency, fma_pipes, vector_width: positive integers; fma_measured: bool; target_class: a non-empty string} on a function}}
func.func @core_zero_pipes() attributes {bert.core = {fma_latency = 4 : i64,
    fma_measured = true, fma_pipes = 0 : i64, target_class = "x86-64-avx512",
    vector_width = 16 : i64}} {
  return
}

// -----

// expected-error @+1 {{'bert.core' must be {fma_latency, fma_pipes, vector_width: positive integers; fma_measured: bool; target_class: a non-empty string} on a function}}
func.func @core_no_class() attributes {bert.core = {fma_latency = 4 : i64,
    fma_measured = true, fma_pipes = 2 : i64, vector_width = 16 : i64}} {
  return
}

// -----

// expected-error @+1 {{'bert.core' must be {fma_latency, fma_pipes, vector_width: positive integers; fma_measured: bool; target_class: a non-empty string} on a function}}
func.func @core_empty_class() attributes {bert.core = {fma_latency = 4 : i64,
    fma_measured = true, fma_pipes = 2 : i64, target_class = "",
    vector_width = 16 : i64}} {
  return
}

// -----

// expected-error @+1 {{'bert.core' must be {fma_latency, fma_pipes, vector_width: positive integers; fma_measured: bool; target_class: a non-empty string} on a function}}
module attributes {bert.core = {fma_latency = 4 : i64, fma_measured = true,
    fma_pipes = 2 : i64, target_class = "x86-64-avx512", vector_width = 16 : i64}} {
}

// -----

// expected-error @+1 {{unknown bert dialect attribute 'bert.tiles'}}
func.func @unknown_attr() attributes {bert.tiles = 3 : i64} {
  return
}

// -----

func.func @embeddings_types_unpaired(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>) {
  %word = bert.weight "w" : tensor<100x8xf32>
  %pos = bert.weight "p" : tensor<16x8xf32>
  // expected-error @+1 {{'bert.embeddings' op token_type_ids and the token type table go together}}
  %e = "bert.embeddings"(%ids, %tt, %word, %pos) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0>}>
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @embeddings_padding_idx(%ids: tensor<?x?xi32>) {
  %word = bert.weight "w" : tensor<100x8xf32>
  %pos = bert.weight "p" : tensor<16x8xf32>
  // expected-error @+1 {{'bert.embeddings' op padding_idx 16 must index the position table of 16 rows}}
  %e = bert.embeddings %ids, %word, %pos padding_idx 16
      : (tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @pooler_activation(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'bert.pooler' op activation must be tanh, relu or none}}
  %p = bert.pooler %x, %w, %b activation <gelu> : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @activation_gelu(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'bert.activation' op kind must be relu, silu, quick_gelu or tanh (GELU forms are bert.gelu)}}
  %y = bert.activation %x <gelu> : tensor<?x?x8xf32>
  return
}

// -----

func.func @unstack_rank(%x: tensor<?xf32>) {
  // expected-error @+1 {{'bert.unstack' op input must have rank 2 or more, got [?]}}
  %a = bert.unstack %x : tensor<?xf32> -> tensor<f32>
  return
}

// -----

func.func @unstack_count(%x: tensor<?x?x2xf32>) {
  // expected-error @+1 {{'bert.unstack' op needs one result per column of the innermost dimension: 3 results for input [?, ?, 2]}}
  %a:3 = bert.unstack %x : tensor<?x?x2xf32> -> tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
  return
}

// -----

func.func @unstack_shape(%x: tensor<2x?x2xf32>) {
  // expected-error @+1 {{'bert.unstack' op result shape [3, ?] must be the input shape without its innermost dimension}}
  %a, %b = bert.unstack %x : tensor<2x?x2xf32> -> tensor<3x?xf32>, tensor<2x?xf32>
  return
}

// -----

// expected-error @+1 {{'bert.output_names' names 1 outputs for 2 results}}
func.func @output_names_count(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>)
    attributes {bert.output_names = ["logits"]} {
  return %x, %x : tensor<?xf32>, tensor<?xf32>
}

// -----

// expected-error @+1 {{'bert.output_names' repeats "logits"}}
func.func @output_names_repeat(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>)
    attributes {bert.output_names = ["logits", "logits"]} {
  return %x, %x : tensor<?xf32>, tensor<?xf32>
}

// -----

func.func @embeddings_langs_unpaired(%ids: tensor<?x?xi32>, %langs: tensor<?x?xi32>) {
  %word = bert.weight "w" : tensor<100x8xf32>
  %pos = bert.weight "p" : tensor<16x8xf32>
  // expected-error @+1 {{'bert.embeddings' op langs and the language table go together}}
  %e = "bert.embeddings"(%ids, %word, %pos, %langs) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 1, 0>}>
      : (tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @embeddings_langs_shape(%ids: tensor<2x?xi32>, %langs: tensor<3x?xi32>) {
  %word = bert.weight "w" : tensor<100x8xf32>
  %pos = bert.weight "p" : tensor<16x8xf32>
  %lang = bert.weight "l" : tensor<3x8xf32>
  // expected-error @+1 {{'bert.embeddings' op langs shape [3, ?] must match input_ids shape [2, ?]}}
  %e = bert.embeddings %ids, %word, %pos langs %langs, %lang
      : (tensor<2x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<3x?xi32>, tensor<3x8xf32>) -> tensor<2x?x8xf32>
  return
}

// -----

func.func @embeddings_langs_width(%ids: tensor<?x?xi32>, %langs: tensor<?x?xi32>) {
  %word = bert.weight "w" : tensor<100x8xf32>
  %pos = bert.weight "p" : tensor<16x8xf32>
  %lang = bert.weight "l" : tensor<3x6xf32>
  // expected-error @+1 {{'bert.embeddings' op embedding tables must share the hidden size 8}}
  %e = bert.embeddings %ids, %word, %pos langs %langs, %lang
      : (tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<?x?xi32>, tensor<3x6xf32>) -> tensor<?x?x8xf32>
  return
}

// The row-masking ops (bert.mask_rows, bert.add_mask_rows): invalid-mask-rows.mlir.
// bert.relative_attention: invalid-relative-attention.mlir.
