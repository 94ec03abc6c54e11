// bert-int8-hadamard: every i8 linear gets `hadamard B`, B the largest power
// of 4 up to max-block dividing in_features (K = 768: 64; K = 48: 16;
// K = 20: 4; K = 6: none); f32, bf16 and already rotated linears are left
// alone. max-block=16 caps it; max-block=0 rotates nothing. The pipeline
// case: after split-heads and pack-qkv the packed Q/K/V, the output
// projection and both feed-forward linears are rotated, and bert-fuse keeps
// the attribute when it folds the GELU into the first.
// RUN: bert-opt %s --split-input-file --bert-int8-hadamard | FileCheck %s
// RUN: bert-opt %s --split-input-file --bert-int8-hadamard=max-block=16 | FileCheck %s --check-prefix=CAP
// RUN: bert-opt %s --split-input-file --bert-int8-hadamard=max-block=0 | FileCheck %s --check-prefix=NONE
// RUN: bert-opt %s --split-input-file --bert-split-heads --bert-pack-qkv --bert-int8-hadamard --bert-fuse | FileCheck %s --check-prefix=LAYER
// RUN: not bert-opt %s --split-input-file --bert-int8-hadamard=max-block=-4 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK-LABEL: func.func @rule
// CHECK:         bert.linear %{{.+}} precision <i8> hadamard 64 {{.*}} -> tensor<?x?x16xf32>
// CHECK:         bert.linear %{{.+}} precision <i8> hadamard 16 {{.*}} -> tensor<?x?x12xf32>
// CHECK:         bert.linear %{{.+}} precision <i8> hadamard 4 {{.*}} -> tensor<?x?x8xf32>
// CHECK:         bert.linear %{{.+}} precision <i8> : {{.*}} -> tensor<?x?x7xf32>
// CHECK:         bert.linear %{{.+}} precision <bf16> : {{.*}} -> tensor<?x?x6xf32>
// CHECK:         bert.linear %{{[^ ]+}}, %{{[^ ]+}} : {{.*}} -> tensor<?x?x5xf32>
// CHECK:         bert.linear %{{.+}} precision <i8> hadamard 4 : {{.*}} -> tensor<?x?x4xf32>
// CAP:           bert.linear %{{.+}} precision <i8> hadamard 16 {{.*}} -> tensor<?x?x16xf32>
// CAP:           bert.linear %{{.+}} precision <i8> hadamard 16 {{.*}} -> tensor<?x?x12xf32>
// NONE-NOT:      hadamard 16
// NONE-NOT:      hadamard 64
// BAD:           bert-int8-hadamard: max-block must be >= 0, got -4
func.func @rule(%x: tensor<?x?x768xf32>, %y: tensor<?x?x48xf32>, %z: tensor<?x?x20xf32>,
                %u: tensor<?x?x6xf32>)
    -> (tensor<?x?x16xf32>, tensor<?x?x12xf32>, tensor<?x?x8xf32>, tensor<?x?x7xf32>,
        tensor<?x?x6xf32>, tensor<?x?x5xf32>, tensor<?x?x4xf32>) {
  %w16 = bert.weight "w16" : tensor<16x768xf32>
  %w12 = bert.weight "w12" : tensor<12x48xf32>
  %w8 = bert.weight "w8" : tensor<8x20xf32>
  %w7 = bert.weight "w7" : tensor<7x6xf32>
  %w6 = bert.weight "w6" : tensor<6x768xf32>
  %w5 = bert.weight "w5" : tensor<5x768xf32>
  %w4 = bert.weight "w4" : tensor<4x768xf32>
  %a = bert.linear %x, %w16 precision <i8> : (tensor<?x?x768xf32>, tensor<16x768xf32>) -> tensor<?x?x16xf32>
  %b = bert.linear %y, %w12 precision <i8> : (tensor<?x?x48xf32>, tensor<12x48xf32>) -> tensor<?x?x12xf32>
  %c = bert.linear %z, %w8 precision <i8> : (tensor<?x?x20xf32>, tensor<8x20xf32>) -> tensor<?x?x8xf32>
  %d = bert.linear %u, %w7 precision <i8> : (tensor<?x?x6xf32>, tensor<7x6xf32>) -> tensor<?x?x7xf32>
  %e = bert.linear %x, %w6 precision <bf16> : (tensor<?x?x768xf32>, tensor<6x768xf32>) -> tensor<?x?x6xf32>
  %f = bert.linear %x, %w5 : (tensor<?x?x768xf32>, tensor<5x768xf32>) -> tensor<?x?x5xf32>
  %g = bert.linear %x, %w4 precision <i8> hadamard 4 : (tensor<?x?x768xf32>, tensor<4x768xf32>) -> tensor<?x?x4xf32>
  return %a, %b, %c, %d, %e, %f, %g : tensor<?x?x16xf32>, tensor<?x?x12xf32>, tensor<?x?x8xf32>,
      tensor<?x?x7xf32>, tensor<?x?x6xf32>, tensor<?x?x5xf32>, tensor<?x?x4xf32>
}

// -----

// LAYER-LABEL: func.func @layer
// LAYER:         bert.linear %{{.+}} precision <i8> hadamard 16 {{.*}} -> tensor<?x?x96xf32>
// LAYER:         bert.fused_attention
// LAYER:         bert.linear %{{.+}} precision <i8> hadamard 16 {{.*}} -> tensor<?x?x32xf32>
// LAYER:         bert.linear %{{.+}} activation <gelu> precision <i8> hadamard 16 {{.*}} -> tensor<?x?x128xf32>
// LAYER:         bert.linear %{{.+}} precision <i8> hadamard 64 {{.*}} -> tensor<?x?x32xf32>
func.func @layer(%x: tensor<?x?x32xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x32xf32> {
  %wq = bert.weight "q.weight" : tensor<32x32xf32>
  %bq = bert.weight "q.bias" : tensor<32xf32>
  %wk = bert.weight "k.weight" : tensor<32x32xf32>
  %bk = bert.weight "k.bias" : tensor<32xf32>
  %wv = bert.weight "v.weight" : tensor<32x32xf32>
  %bv = bert.weight "v.bias" : tensor<32xf32>
  %wo = bert.weight "o.weight" : tensor<32x32xf32>
  %bo = bert.weight "o.bias" : tensor<32xf32>
  %wi = bert.weight "i.weight" : tensor<128x32xf32>
  %bi = bert.weight "i.bias" : tensor<128xf32>
  %w2 = bert.weight "o2.weight" : tensor<32x128xf32>
  %b2 = bert.weight "o2.bias" : tensor<32xf32>
  %a = bert.attention %x, %mask, %wq, %bq, %wk, %bk, %wv, %bv, %wo, %bo precision <i8> {num_heads = 2 : i64}
      : (tensor<?x?x32xf32>, tensor<?x?xi32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>,
         tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %h = bert.linear %a, %wi, %bi precision <i8> : (tensor<?x?x32xf32>, tensor<128x32xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  %g = bert.gelu %h : tensor<?x?x128xf32>
  %o = bert.linear %g, %w2, %b2 precision <i8> : (tensor<?x?x128xf32>, tensor<32x128xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %o : tensor<?x?x32xf32>
}
