// RUN: bert-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of XLNet's ops (bert.relative_attention,
// bert.relative_positions, bert.weight_matrix); the other ops' cases are in
// invalid.mlir.

func.func @rel_attn_rank(%x: tensor<?x8xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op query must have rank 3, got [?, 8]}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x8xf32>
  return
}
// -----

func.func @rel_attn_hidden(%x: tensor<?x?x?xf32>, %k: tensor<?x?x?xf32>, %v: tensor<?x?x?xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op query must have a static innermost dimension, got [?, ?, ?]}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x?xf32>
  return
}
// -----

func.func @rel_attn_heads(%x: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op hidden size 8 is not divisible by num_heads 3}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 3 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return
}
// -----

func.func @rel_attn_odd(%x: tensor<?x?x9xf32>, %k: tensor<?x?x9xf32>, %v: tensor<?x?x9xf32>, %kr: tensor<2x?x9xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<1x9xf32>
  %s = bert.weight "s" : tensor<2x1x9xf32>
  // expected-error @+1 {{'bert.relative_attention' op hidden size 9 must be even (the position encoding is sin and cos halves)}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 1 : i64} : (tensor<?x?x9xf32>, tensor<?x?x9xf32>, tensor<?x?x9xf32>, tensor<2x?x9xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<1x9xf32>, tensor<1x9xf32>, tensor<1x9xf32>, tensor<2x1x9xf32>) -> tensor<?x?x9xf32>
  return
}
// -----

func.func @rel_attn_mask_rank(%x: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op mask must have rank 2 [batch, seq], got [?]}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return
}
// -----

func.func @rel_attn_mask_shape(%x: tensor<2x5x8xf32>, %k: tensor<2x5x8xf32>, %v: tensor<2x5x8xf32>, %kr: tensor<2x5x8xf32>, %m: tensor<2x6xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op mask shape [2, 6] does not match batch and sequence of the activations}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x6xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<2x5x8xf32>
  return
}
// -----

func.func @rel_attn_key(%x: tensor<?x?x8xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op key shape [?, ?, 4] must equal the query shape [?, ?, 8]}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return
}
// -----

func.func @rel_attn_value(%x: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<2x?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op value shape [2, ?, 8] must equal the query shape [?, ?, 8]}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return
}
// -----

func.func @rel_attn_types(%x: tensor<2x5x8xf32>, %k: tensor<2x5x8xf32>, %v: tensor<2x5x8xf32>, %kr: tensor<2x5x8xf32>, %m: tensor<2x5xi32>, %t: tensor<2x4xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op token_type_ids shape [2, 4] must be [batch, seq] of the activations}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5xi32>, tensor<2x4xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<2x5x8xf32>
  return
}
// -----

func.func @rel_attn_position_keys(%x: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>, %kr: tensor<3x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op position_keys shape [3, ?, 8] must be [2, seq, 8] (one row per relative distance)}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<3x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return
}
// -----

func.func @rel_attn_bias(%x: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<4x2xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op content bias must have shape [2, 4], got [4, 2]}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return
}
// -----

func.func @rel_attn_seg(%x: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<3x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op segment embedding must have shape [2, 2, 4], got [3, 2, 4]}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>) -> tensor<?x?x8xf32>
  return
}
// -----

func.func @rel_attn_result(%x: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.relative_attention' op result shape [?, ?, 4] must equal the query shape [?, ?, 8]}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x4xf32>
  return
}
// -----

func.func @embeddings_padding_without_positions(%ids: tensor<?x?xi32>) {
  %word = bert.weight "w" : tensor<10x8xf32>
  // expected-error @+1 {{'bert.embeddings' op padding_idx needs a position table}}
  %e = bert.embeddings %ids, %word padding_idx 1 : (tensor<?x?xi32>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
  return
}
// -----

func.func @rel_positions_mask(%m: tensor<?xi32>) {
  // expected-error @+1 {{'bert.relative_positions' op mask must have rank 2 [batch, seq], got [?]}}
  %p = bert.relative_positions %m {clamp_len = -1 : i64} : (tensor<?xi32>) -> tensor<2x?x8xf32>
  return
}
// -----

func.func @rel_positions_result(%m: tensor<?x5xi32>) {
  // expected-error @+1 {{'bert.relative_positions' op result shape [2, 4, 8] must be [2, seq, H] with an even static H (sin and cos halves)}}
  %p = bert.relative_positions %m {clamp_len = -1 : i64} : (tensor<?x5xi32>) -> tensor<2x4x8xf32>
  return
}
// -----

func.func @rel_positions_odd(%m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.relative_positions' op result shape [2, ?, 9] must be [2, seq, H] with an even static H (sin and cos halves)}}
  %p = bert.relative_positions %m {clamp_len = -1 : i64} : (tensor<?x?xi32>) -> tensor<2x?x9xf32>
  return
}
// -----

func.func @weight_matrix_rank() {
  %w = bert.weight "w" : tensor<8xf32>
  // expected-error @+1 {{'bert.weight_matrix' op input must have a static, non-empty shape of rank >= 2, got [8]}}
  %m = bert.weight_matrix %w transposed : (tensor<8xf32>) -> tensor<8x1xf32>
  return
}
// -----

func.func @weight_matrix_result() {
  %w = bert.weight "w" : tensor<8x2x4xf32>
  // expected-error @+1 {{'bert.weight_matrix' op result must have shape [8, 8], got [4, 16]}}
  %m = bert.weight_matrix %w transposed : (tensor<8x2x4xf32>) -> tensor<4x16xf32>
  return
}
// -----

// The CPU kernel of bert.relative_attention runs an attention schedule.
func.func @schedule_kind(%x: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>, %kr: tensor<2x?x8xf32>, %m: tensor<?x?xi32>, %t: tensor<?x?xi32>) {
  %b = bert.weight "b" : tensor<2x4xf32>
  %s = bert.weight "s" : tensor<2x2x4xf32>
  // expected-error @+1 {{'bert.schedule' is a schedule of kind row; this op takes attention}}
  %a = bert.relative_attention %x, %k, %v, %kr, %m, %t, %b, %b, %b, %s {num_heads = 2 : i64, bert.schedule = #bert.row_schedule<rows_per_task = 8, vector_width = 16>} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return
}
