// RUN: bert-opt --bert-fuse -split-input-file %s | FileCheck %s
// RUN: bert-opt --bert-fuse="attention=false" -split-input-file %s | FileCheck %s --check-prefix=NOATTN
// RUN: bert-opt --bert-fuse="add-mask-rows=false" -split-input-file %s | FileCheck %s --check-prefix=NOFUSE
// The output must verify when it is parsed again.
// RUN: bert-opt --bert-fuse -split-input-file %s | bert-opt -split-input-file > /dev/null

// GELU (exact) folds into the producing linear's epilogue.

// CHECK-LABEL: func.func @linear_gelu
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x8xf32>, %[[W:.+]]: tensor<32x8xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK-NOT:     bert.linear %[[X]], %[[W]], %[[B]] :
// CHECK:         %[[Y:.+]] = bert.linear %[[X]], %[[W]], %[[B]] activation <gelu> :
// CHECK-NOT:     bert.gelu
// CHECK:         return %[[Y]]
// The other patterns stay on when attention fusion is off.
// NOATTN-LABEL: func.func @linear_gelu
// NOATTN:         bert.linear {{.*}} activation <gelu>
// NOATTN-NOT:     bert.gelu
// NOATTN:         return
func.func @linear_gelu(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %h = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %y = bert.gelu %h : tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// The tanh approximation (gelu_new) becomes the gelu_tanh epilogue.

// CHECK-LABEL: func.func @linear_gelu_tanh
// CHECK:         %[[Y:.+]] = bert.linear {{.*}} activation <gelu_tanh> :
// CHECK-NOT:     bert.gelu
// CHECK:         return %[[Y]]
func.func @linear_gelu_tanh(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %h = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %y = bert.gelu %h approximation <tanh> : tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// The pre-activation value is also returned: no fusion.

// CHECK-LABEL: func.func @linear_gelu_escapes
// CHECK:         %[[H:.+]] = bert.linear
// CHECK-NOT:     activation
// CHECK:         %[[Y:.+]] = bert.gelu %[[H]]
// CHECK:         return %[[Y]], %[[H]]
func.func @linear_gelu_escapes(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>, %b: tensor<32xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  %h = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %y = bert.gelu %h : tensor<?x?x32xf32>
  return %y, %h : tensor<?x?x32xf32>, tensor<?x?x32xf32>
}

// -----

// Residual add + LayerNorm: the add's lhs is the input, its rhs the residual.

// CHECK-LABEL: func.func @add_layer_norm
// CHECK-SAME:    (%[[A:.+]]: tensor<?x?x8xf32>, %[[R:.+]]: tensor<?x?x8xf32>, %[[G:.+]]: tensor<8xf32>, %[[BETA:.+]]: tensor<8xf32>)
// CHECK-NOT:     bert.add %
// CHECK:         %[[Y:.+]] = bert.add_layer_norm %[[A]], %[[R]], %[[G]], %[[BETA]]
// CHECK-SAME:      epsilon = 9.9999999999999998E-13 : f64
// CHECK-NOT:     bert.layer_norm
// CHECK:         return %[[Y]]
func.func @add_layer_norm(%a: tensor<?x?x8xf32>, %r: tensor<?x?x8xf32>, %g: tensor<8xf32>, %beta: tensor<8xf32>)
    -> tensor<?x?x8xf32> {
  %s = bert.add %a, %r : tensor<?x?x8xf32>
  %y = bert.layer_norm %s, %g, %beta {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// The sum is used again: no fusion.

// CHECK-LABEL: func.func @add_used_twice
// CHECK:         %[[S:.+]] = bert.add
// CHECK:         %[[Y:.+]] = bert.layer_norm %[[S]]
// CHECK-NOT:     bert.add_layer_norm
// CHECK:         return %[[Y]], %[[S]]
func.func @add_used_twice(%a: tensor<?x?x8xf32>, %r: tensor<?x?x8xf32>, %g: tensor<8xf32>, %beta: tensor<8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %s = bert.add %a, %r : tensor<?x?x8xf32>
  %y = bert.layer_norm %s, %g, %beta {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y, %s : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// The attention chain of bert-split-heads (hidden 8, 2 heads) becomes one
// kernel on the un-split Q, K, V.

// CHECK-LABEL: func.func @attention
// CHECK-SAME:    (%[[Q:.+]]: tensor<?x?x8xf32>, %[[K:.+]]: tensor<?x?x8xf32>, %[[V:.+]]: tensor<?x?x8xf32>, %[[MASK:.+]]: tensor<?x?xi32>)
// CHECK-NOT:     bert.split_heads
// CHECK-NOT:     bert.batch_matmul
// CHECK-NOT:     bert.masked_softmax
// CHECK:         %[[C:.+]] = bert.fused_attention %[[Q]], %[[K]], %[[V]], %[[MASK]]
// CHECK-SAME:      num_heads = 2 : i64
// CHECK-SAME:      scale = 5.000000e-01 : f64
// CHECK-SAME:      -> tensor<?x?x8xf32>
// CHECK-NOT:     bert.merge_heads
// CHECK:         return %[[C]]
// NOATTN-LABEL: func.func @attention
// NOATTN-NOT:     bert.fused_attention
// NOATTN:         bert.masked_softmax
// NOATTN:         bert.merge_heads
func.func @attention(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>)
    -> tensor<?x?x8xf32> {
  %q4 = bert.split_heads %q {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %k4 = bert.split_heads %k {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %v4 = bert.split_heads %v {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %s = bert.batch_matmul %q4, %k4 {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %c4 = bert.batch_matmul %p, %v4 : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c = bert.merge_heads %c4 : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  return %c : tensor<?x?x8xf32>
}

// -----

// The probabilities are also returned (e.g. output_attentions): fusing would
// have to store the [B, h, S, S] tensor anyway, so the chain stays.

// CHECK-LABEL: func.func @attention_probs_escape
// CHECK-NOT:     bert.fused_attention
// CHECK:         %[[P:.+]] = bert.masked_softmax
// CHECK:         %[[C4:.+]] = bert.batch_matmul %[[P]]
// CHECK:         %[[C:.+]] = bert.merge_heads %[[C4]]
// CHECK:         return %[[C]], %[[P]]
func.func @attention_probs_escape(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>,
                                  %mask: tensor<?x?xi32>) -> (tensor<?x?x8xf32>, tensor<?x2x?x?xf32>) {
  %q4 = bert.split_heads %q {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %k4 = bert.split_heads %k {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %v4 = bert.split_heads %v {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %s = bert.batch_matmul %q4, %k4 {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %c4 = bert.batch_matmul %p, %v4 : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c = bert.merge_heads %c4 : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  return %c, %p : tensor<?x?x8xf32>, tensor<?x2x?x?xf32>
}

// -----

// A scaled weighted sum of V is not the fused kernel's semantics.

// CHECK-LABEL: func.func @attention_scaled_context
// CHECK-NOT:     bert.fused_attention
// CHECK:         bert.merge_heads
func.func @attention_scaled_context(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>,
                                    %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %q4 = bert.split_heads %q {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %k4 = bert.split_heads %k {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %v4 = bert.split_heads %v {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %s = bert.batch_matmul %q4, %k4 {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %c4 = bert.batch_matmul %p, %v4 {scale = 2.0 : f64} : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c = bert.merge_heads %c4 : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  return %c : tensor<?x?x8xf32>
}

// -----

// Matmuls of different precisions cannot be one kernel; two bf16 ones make
// a bf16 fused kernel.

// CHECK-LABEL: func.func @attention_mixed_precision
// CHECK-NOT:     bert.fused_attention
// CHECK:         bert.merge_heads
func.func @attention_mixed_precision(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>,
                                     %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %q4 = bert.split_heads %q {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %k4 = bert.split_heads %k {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %v4 = bert.split_heads %v {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %s = bert.batch_matmul %q4, %k4 precision <bf16> {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %c4 = bert.batch_matmul %p, %v4 : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c = bert.merge_heads %c4 : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  return %c : tensor<?x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_bf16
// CHECK:         bert.fused_attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} precision <bf16> {num_heads = 2 : i64, scale = 5.000000e-01 : f64}
func.func @attention_bf16(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>,
                          %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %q4 = bert.split_heads %q {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %k4 = bert.split_heads %k {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %v4 = bert.split_heads %v {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %s = bert.batch_matmul %q4, %k4 precision <bf16> {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %c4 = bert.batch_matmul %p, %v4 precision <bf16> : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c = bert.merge_heads %c4 : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  return %c : tensor<?x?x8xf32>
}

// -----

// Embedding gather + sum + LayerNorm.

// CHECK-LABEL: func.func @embeddings_layer_norm
// CHECK-SAME:    (%[[IDS:.+]]: tensor<?x?xi32>, %[[TT:.+]]: tensor<?x?xi32>)
// CHECK-DAG:     %[[WORD:.+]] = bert.weight "embeddings.word_embeddings.weight"
// CHECK-DAG:     %[[POS:.+]] = bert.weight "embeddings.position_embeddings.weight"
// CHECK-DAG:     %[[TYPE:.+]] = bert.weight "embeddings.token_type_embeddings.weight"
// CHECK-DAG:     %[[G:.+]] = bert.weight "embeddings.LayerNorm.weight"
// CHECK-DAG:     %[[B:.+]] = bert.weight "embeddings.LayerNorm.bias"
// CHECK-NOT:     bert.embeddings %
// CHECK:         %[[E:.+]] = bert.embeddings_layer_norm %[[IDS]], %[[WORD]], %[[POS]], %[[G]], %[[B]] token_types %[[TT]], %[[TYPE]]
// CHECK-SAME:      epsilon = 9.9999999999999998E-13 : f64
// CHECK-NOT:     bert.layer_norm
// CHECK:         return %[[E]]
func.func @embeddings_layer_norm(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %word = bert.weight "embeddings.word_embeddings.weight" : tensor<100x8xf32>
  %pos = bert.weight "embeddings.position_embeddings.weight" : tensor<16x8xf32>
  %type = bert.weight "embeddings.token_type_embeddings.weight" : tensor<2x8xf32>
  %g = bert.weight "embeddings.LayerNorm.weight" : tensor<8xf32>
  %b = bert.weight "embeddings.LayerNorm.bias" : tensor<8xf32>
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  %y = bert.layer_norm %e, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Embeddings without a position table (XLNet's word rows) followed by a
// LayerNorm: the fused kernel always adds a position row, so no fusion.

// CHECK-LABEL: func.func @embeddings_without_positions
// CHECK:         bert.embeddings %{{[^,]+}}, %{{[^ ]+}} :
// CHECK-NOT:     bert.embeddings_layer_norm
// CHECK:         bert.layer_norm
func.func @embeddings_without_positions(%ids: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %word = bert.weight "word_embedding.weight" : tensor<100x8xf32>
  %g = bert.weight "g" : tensor<8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  %e = bert.embeddings %ids, %word : (tensor<?x?xi32>, tensor<100x8xf32>) -> tensor<?x?x8xf32>
  %y = bert.layer_norm %e, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// The raw embedding sum is also returned: no fusion.

// CHECK-LABEL: func.func @embeddings_escape
// CHECK:         %[[E:.+]] = bert.embeddings %
// CHECK:         %[[Y:.+]] = bert.layer_norm %[[E]]
// CHECK-NOT:     bert.embeddings_layer_norm
// CHECK:         return %[[Y]], %[[E]]
func.func @embeddings_escape(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %word = bert.weight "embeddings.word_embeddings.weight" : tensor<100x8xf32>
  %pos = bert.weight "embeddings.position_embeddings.weight" : tensor<16x8xf32>
  %type = bert.weight "embeddings.token_type_embeddings.weight" : tensor<2x8xf32>
  %g = bert.weight "embeddings.LayerNorm.weight" : tensor<8xf32>
  %b = bert.weight "embeddings.LayerNorm.bias" : tensor<8xf32>
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  %y = bert.layer_norm %e, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y, %e : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// bert.activation (relu, silu, quick_gelu) folds into the epilogue like GELU.

// CHECK-LABEL: func.func @linear_relu
// CHECK:         %[[Y:.+]] = bert.linear {{.*}} activation <relu> :
// CHECK-NOT:     bert.activation
// CHECK:         return %[[Y]]
func.func @linear_relu(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %h = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %y = bert.activation %h <relu> : tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// A linear that already activates keeps the activation op after it.

// CHECK-LABEL: func.func @linear_gelu_then_silu
// CHECK:         %[[H:.+]] = bert.linear {{.*}} activation <gelu> :
// CHECK:         %[[Y:.+]] = bert.activation %[[H]] <silu>
// CHECK:         return %[[Y]]
func.func @linear_gelu_then_silu(%x: tensor<?x?x8xf32>, %w: tensor<32x8xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %h = bert.linear %x, %w, %b activation <gelu> : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %y = bert.activation %h <silu> : tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// RoBERTa's embeddings keep padding_idx when fused; DistilBERT's have no token types.

// CHECK-LABEL: func.func @embeddings_padding_idx
// CHECK:         bert.embeddings_layer_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} token_types %{{.*}}, %{{.*}} padding_idx 1
// CHECK-LABEL: func.func @embeddings_no_types
// CHECK:         bert.embeddings_layer_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon
// CHECK-NOT:     token_types
func.func @embeddings_padding_idx(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>, %word: tensor<50x8xf32>,
    %pos: tensor<20x8xf32>, %type: tensor<1x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type padding_idx 1
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<50x8xf32>, tensor<20x8xf32>, tensor<1x8xf32>) -> tensor<?x?x8xf32>
  %y = bert.layer_norm %e, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func @embeddings_no_types(%ids: tensor<?x?xi32>, %word: tensor<50x8xf32>,
    %pos: tensor<20x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %e = bert.embeddings %ids, %word, %pos
      : (tensor<?x?xi32>, tensor<50x8xf32>, tensor<20x8xf32>) -> tensor<?x?x8xf32>
  %y = bert.layer_norm %e, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// FlauBERT's pre-norm layer: the first residual add feeds a LayerNorm and the
// second add, so it stays a bert.add (a kernel of its own); the second add is
// zeroed on padded rows and becomes bert.add_mask_rows (lhs input, rhs
// residual). With the option off the chain is left alone.

// CHECK-LABEL: func.func @pre_norm_adds
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x8xf32>, %[[A:.+]]: tensor<?x?x8xf32>, %[[F:.+]]: tensor<?x?x8xf32>, %[[M:.+]]: tensor<?x?xi32>, %[[G:.+]]: tensor<8xf32>)
// CHECK:         %[[R1:.+]] = bert.add %[[A]], %[[X]]
// CHECK:         %[[N:.+]] = bert.layer_norm %[[R1]]
// CHECK-NOT:     bert.mask_rows
// CHECK:         %[[Y:.+]] = bert.add_mask_rows %[[F]], %[[R1]], %[[M]] :
// CHECK-NOT:     bert.mask_rows
// CHECK:         return %[[N]], %[[Y]]
// NOFUSE-LABEL: func.func @pre_norm_adds
// NOFUSE:         bert.add
// NOFUSE:         bert.add
// NOFUSE:         bert.mask_rows
// NOFUSE-NOT:     bert.add_mask_rows
func.func @pre_norm_adds(%x: tensor<?x?x8xf32>, %a: tensor<?x?x8xf32>, %f: tensor<?x?x8xf32>,
                         %m: tensor<?x?xi32>, %g: tensor<8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %r1 = bert.add %a, %x : tensor<?x?x8xf32>
  %n = bert.layer_norm %r1, %g, %g {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %r2 = bert.add %f, %r1 : tensor<?x?x8xf32>
  %y = bert.mask_rows %r2, %m : (tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return %n, %y : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// The sum is also returned: no fusion.

// CHECK-LABEL: func.func @add_mask_rows_escapes
// CHECK:         %[[S:.+]] = bert.add
// CHECK:         %[[Y:.+]] = bert.mask_rows %[[S]]
// CHECK-NOT:     bert.add_mask_rows
// CHECK:         return %[[Y]], %[[S]]
func.func @add_mask_rows_escapes(%a: tensor<?x?x8xf32>, %b: tensor<?x?x8xf32>, %m: tensor<?x?xi32>)
    -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %s = bert.add %a, %b : tensor<?x?x8xf32>
  %y = bert.mask_rows %s, %m : (tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return %y, %s : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
