// bert-int8-norm-inputs: an i8 linear whose input is a LayerNorm's (or a
// fused add + LayerNorm's) result becomes bf16; other i8 linears, and f32
// linears reading a LayerNorm, are left alone. The pipeline case: in a layer
// after split-heads and pack-qkv, the packed Q/K/V and the first
// feed-forward linear go bf16, the output projection and the second
// feed-forward linear stay i8.
// RUN: bert-opt %s --split-input-file --bert-int8-norm-inputs | FileCheck %s
// RUN: bert-opt %s --split-input-file --bert-split-heads --bert-pack-qkv --bert-int8-norm-inputs --bert-fuse | FileCheck %s --check-prefix=LAYER

// CHECK-LABEL: func.func @rule
// CHECK:         bert.linear %{{[^ ]+}}, %{{.+}} precision <bf16> {{.*}} -> tensor<?x?x16xf32>
// CHECK:         bert.linear %{{[^ ]+}}, %{{.+}} precision <bf16> {{.*}} -> tensor<?x?x12xf32>
// CHECK:         bert.linear %{{[^ ]+}}, %{{.+}} precision <i8> {{.*}} -> tensor<?x?x8xf32>
// CHECK:         bert.linear %{{[^ ]+}}, %{{[^ ]+}} : {{.*}} -> tensor<?x?x4xf32>
func.func @rule(%x: tensor<?x?x8xf32>, %r: tensor<?x?x8xf32>, %g: tensor<8xf32>)
    -> (tensor<?x?x16xf32>, tensor<?x?x12xf32>, tensor<?x?x8xf32>, tensor<?x?x4xf32>) {
  %w16 = bert.weight "w16" : tensor<16x8xf32>
  %w12 = bert.weight "w12" : tensor<12x8xf32>
  %w8 = bert.weight "w8" : tensor<8x8xf32>
  %w4 = bert.weight "w4" : tensor<4x8xf32>
  %n = bert.layer_norm %x, %g, %g {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %an = bert.add_layer_norm %x, %r, %g, %g {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %a = bert.linear %n, %w16 precision <i8> : (tensor<?x?x8xf32>, tensor<16x8xf32>) -> tensor<?x?x16xf32>
  %b = bert.linear %an, %w12 precision <i8> : (tensor<?x?x8xf32>, tensor<12x8xf32>) -> tensor<?x?x12xf32>
  %c = bert.linear %x, %w8 precision <i8> : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %d = bert.linear %n, %w4 : (tensor<?x?x8xf32>, tensor<4x8xf32>) -> tensor<?x?x4xf32>
  return %a, %b, %c, %d : tensor<?x?x16xf32>, tensor<?x?x12xf32>, tensor<?x?x8xf32>, tensor<?x?x4xf32>
}

// -----

// LAYER-LABEL: func.func @layer
// LAYER:         bert.linear %{{.+}} precision <bf16> : {{.*}} -> tensor<?x?x24xf32>
// LAYER:         bert.fused_attention
// LAYER:         bert.linear %{{.+}} precision <i8> : {{.*}} -> tensor<?x?x8xf32>
// LAYER:         bert.add_layer_norm
// LAYER:         bert.linear %{{.+}} activation <gelu> precision <bf16> : {{.*}} -> tensor<?x?x16xf32>
// LAYER:         bert.linear %{{.+}} precision <i8> : {{.*}} -> tensor<?x?x8xf32>
func.func @layer(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %g = bert.weight "g" : tensor<8xf32>
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  %w1 = bert.weight "w1" : tensor<16x8xf32>
  %b1 = bert.weight "b1" : tensor<16xf32>
  %w2 = bert.weight "w2" : tensor<8x16xf32>
  %n = bert.layer_norm %x, %g, %g {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %a = bert.attention %n, %mask, %w, %b, %w, %b, %w, %b, %w, %b precision <i8> {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>,
         tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %s = bert.add %a, %n : tensor<?x?x8xf32>
  %h = bert.layer_norm %s, %g, %g {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %f = bert.linear %h, %w1, %b1 precision <i8> : (tensor<?x?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  %f2 = bert.gelu %f : tensor<?x?x16xf32>
  %o = bert.linear %f2, %w2, %b precision <i8> : (tensor<?x?x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}
