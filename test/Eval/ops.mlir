// Every bert op evaluated on a tiny example (hidden 8, 2 heads, batch 2,
// seq 3, the last token of row 1 padded) and compared with an independent
// NumPy implementation (Inputs/npref.py): this checks the evaluator itself.
// Weights come from a safetensors file written by NumPy, so the reader is
// exercised too.
// REQUIRES: bert-eval, numpy
// RUN: rm -rf %t && %python %S/Inputs/ops_ref.py bert-eval %s %t | FileCheck %s

// CHECK-LABEL: embeddings result #0: {{.*}} ok
func.func @embeddings(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %word = bert.weight "word" : tensor<11x8xf32>
  %pos = bert.weight "pos" : tensor<5x8xf32>
  %type = bert.weight "type" : tensor<2x8xf32>
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<11x8xf32>, tensor<5x8xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// CHECK-LABEL: embeddings_layer_norm result #0: {{.*}} ok
func.func @embeddings_layer_norm(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %word = bert.weight "word" : tensor<11x8xf32>
  %pos = bert.weight "pos" : tensor<5x8xf32>
  %type = bert.weight "type" : tensor<2x8xf32>
  %g = bert.weight "ln.weight" : tensor<8xf32>
  %b = bert.weight "ln.bias" : tensor<8xf32>
  %e = bert.embeddings_layer_norm %ids, %word, %pos, %g, %b token_types %tt, %type {epsilon = 1.0e-12 : f64}
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<11x8xf32>, tensor<5x8xf32>, tensor<2x8xf32>,
         tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// CHECK-LABEL: layer_norm result #0: {{.*}} ok
func.func @layer_norm(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %g = bert.weight "ln.weight" : tensor<8xf32>
  %b = bert.weight "ln.bias" : tensor<8xf32>
  %y = bert.layer_norm %x, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// CHECK-LABEL: add_layer_norm result #0: {{.*}} ok
func.func @add_layer_norm(%x: tensor<?x?x8xf32>, %r: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %g = bert.weight "ln.weight" : tensor<8xf32>
  %b = bert.weight "ln.bias" : tensor<8xf32>
  %y = bert.add_layer_norm %x, %r, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// CHECK-LABEL: linear result #0: {{.*}} ok
func.func @linear(%x: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %w = bert.weight "fc.weight" : tensor<16x8xf32>
  %b = bert.weight "fc.bias" : tensor<16xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// CHECK-LABEL: linear_no_bias result #0: {{.*}} ok
func.func @linear_no_bias(%x: tensor<2x3x8xf32>) -> tensor<2x3x16xf32> {
  %w = bert.weight "fc.weight" : tensor<16x8xf32>
  %y = bert.linear %x, %w : (tensor<2x3x8xf32>, tensor<16x8xf32>) -> tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}

// CHECK-LABEL: linear_gelu result #0: {{.*}} ok
func.func @linear_gelu(%x: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %w = bert.weight "fc.weight" : tensor<16x8xf32>
  %b = bert.weight "fc.bias" : tensor<16xf32>
  %y = bert.linear %x, %w, %b activation <gelu>
      : (tensor<?x?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// CHECK-LABEL: linear_gelu_tanh result #0: {{.*}} ok
func.func @linear_gelu_tanh(%x: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %w = bert.weight "fc.weight" : tensor<16x8xf32>
  %b = bert.weight "fc.bias" : tensor<16xf32>
  %y = bert.linear %x, %w, %b activation <gelu_tanh>
      : (tensor<?x?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// CHECK-LABEL: gelu result #0: {{.*}} ok
// CHECK-NEXT:  gelu result #1: {{.*}} ok
func.func @gelu(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %e = bert.gelu %x : tensor<?x?x8xf32>
  %t = bert.gelu %x approximation <tanh> : tensor<?x?x8xf32>
  return %e, %t : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// CHECK-LABEL: add result #0: {{.*}} ok
func.func @add(%x: tensor<?x?x8xf32>, %y: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %s = bert.add %x, %y : tensor<?x?x8xf32>
  return %s : tensor<?x?x8xf32>
}

// CHECK-LABEL: pooler result #0: {{.*}} ok
func.func @pooler(%x: tensor<?x?x8xf32>) -> tensor<?x8xf32> {
  %w = bert.weight "pool.weight" : tensor<8x8xf32>
  %b = bert.weight "pool.bias" : tensor<8xf32>
  %p = bert.pooler %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %p : tensor<?x8xf32>
}

// CHECK-LABEL: attention result #0: {{.*}} ok
func.func @attention(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %wq = bert.weight "att.q.weight" : tensor<8x8xf32>
  %bq = bert.weight "att.q.bias" : tensor<8xf32>
  %wk = bert.weight "att.k.weight" : tensor<8x8xf32>
  %bk = bert.weight "att.k.bias" : tensor<8xf32>
  %wv = bert.weight "att.v.weight" : tensor<8x8xf32>
  %bv = bert.weight "att.v.bias" : tensor<8xf32>
  %wo = bert.weight "att.o.weight" : tensor<8x8xf32>
  %bo = bert.weight "att.o.bias" : tensor<8xf32>
  %a = bert.attention %x, %mask, %wq, %bq, %wk, %bk, %wv, %bv, %wo, %bo {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>,
         tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %a : tensor<?x?x8xf32>
}

// CHECK-LABEL: split_heads result #0: {{.*}} ok
func.func @split_heads(%x: tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32> {
  %y = bert.split_heads %x {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  return %y : tensor<?x2x?x4xf32>
}

// CHECK-LABEL: merge_heads result #0: {{.*}} ok
func.func @merge_heads(%x: tensor<?x2x?x4xf32>) -> tensor<?x?x8xf32> {
  %y = bert.merge_heads %x : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// CHECK-LABEL: batch_matmul result #0: {{.*}} ok
// CHECK-NEXT:  batch_matmul result #1: {{.*}} ok
func.func @batch_matmul(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %p: tensor<?x2x?x?xf32>)
    -> (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) {
  %s = bert.batch_matmul %q, %k {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %c = bert.batch_matmul %p, %k : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %s, %c : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>
}

// CHECK-LABEL: masked_softmax result #0: {{.*}} ok
// CHECK-NEXT:  masked_softmax result #1: {{.*}} ok
func.func @masked_softmax(%s4: tensor<?x2x?x?xf32>, %s3: tensor<?x?x?xf32>, %mask: tensor<?x?xi32>)
    -> (tensor<?x2x?x?xf32>, tensor<?x?x?xf32>) {
  %p4 = bert.masked_softmax %s4, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %p3 = bert.masked_softmax %s3, %mask : (tensor<?x?x?xf32>, tensor<?x?xi32>) -> tensor<?x?x?xf32>
  return %p4, %p3 : tensor<?x2x?x?xf32>, tensor<?x?x?xf32>
}

// CHECK-LABEL: slice result #0: {{.*}} ok
// CHECK-NEXT:  slice result #1: {{.*}} ok
func.func @slice(%x: tensor<?x?x8xf32>) -> (tensor<?x?x4xf32>, tensor<8x8xf32>) {
  %a = bert.slice %x {dim = 2 : i64, offset = 4 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
  %w = bert.weight "fc.weight" : tensor<16x8xf32>
  %b = bert.slice %w {dim = 0 : i64, offset = 8 : i64, size = 8 : i64} : tensor<16x8xf32> -> tensor<8x8xf32>
  return %a, %b : tensor<?x?x4xf32>, tensor<8x8xf32>
}

// CHECK-LABEL: concat result #0: {{.*}} ok
// CHECK-NEXT:  concat result #1: {{.*}} ok
func.func @concat(%x: tensor<?x?x8xf32>, %y: tensor<?x?x8xf32>) -> (tensor<?x?x16xf32>, tensor<16x8xf32>) {
  %c = bert.concat %x, %y {dim = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x16xf32>
  %a = bert.weight "a.weight" : tensor<8x8xf32>
  %b = bert.weight "b.weight" : tensor<8x8xf32>
  %w = bert.concat %a, %b {dim = 0 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<16x8xf32>
  return %c, %w : tensor<?x?x16xf32>, tensor<16x8xf32>
}

// CHECK-LABEL: fused_attention result #0: {{.*}} ok
func.func @fused_attention(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x8xf32>,
                           %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %c = bert.fused_attention %q, %k, %v, %mask {num_heads = 2 : i64, scale = 0.5 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return %c : tensor<?x?x8xf32>
}

// CHECK-LABEL: mask_rows result #0: {{.*}} ok
func.func @mask_rows(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %y = bert.mask_rows %x, %mask : (tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// CHECK-LABEL: add_mask_rows result #0: {{.*}} ok
// CHECK: ALL OK
func.func @add_mask_rows(%x: tensor<?x?x8xf32>, %r: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>)
    -> tensor<?x?x8xf32> {
  %y = bert.add_mask_rows %x, %r, %mask
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
