// RUN: bert-opt --bert-mark-load-time -split-input-file %s | FileCheck %s
// The output must verify when it is parsed again.
// RUN: bert-opt --bert-mark-load-time -split-input-file %s | bert-opt -split-input-file > /dev/null

// XLNet's layers: the sinusoids and each layer's kr projection depend only
// on the weights and the length, and only the relative attention reads kr:
// all run at load. The q/k/v projection reads the input: a run-time op.

// CHECK-LABEL: func.func @xlnet_layers
// CHECK:       bert.relative_positions %{{.*}} {bert.load_time, clamp_len = -1 : i64}
// CHECK:       %[[KR0:.+]] = bert.linear %{{.*}}, %{{.*}} {bert.load_time}
// CHECK:       %[[KR1:.+]] = bert.linear %{{.*}}, %{{.*}}, %{{.*}} {bert.load_time}
// CHECK:       %[[X:.+]] = bert.linear %{{.*}}, %{{.*}} :
// CHECK:       bert.relative_attention %[[X]], %[[X]], %[[X]], %[[KR0]],
// CHECK:       bert.relative_attention %{{.*}}, %[[KR1]],
func.func @xlnet_layers(%e: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>, %tt: tensor<?x?xi32>)
    -> tensor<?x?x8xf32> {
  %pos = bert.relative_positions %mask {clamp_len = -1 : i64} : (tensor<?x?xi32>) -> tensor<2x?x8xf32>
  %r = bert.weight "layer.0.rel_attn.r" : tensor<8x2x4xf32>
  %wr = bert.weight_matrix %r transposed : (tensor<8x2x4xf32>) -> tensor<8x8xf32>
  %bias = bert.weight "layer.1.rel_attn.r_bias" : tensor<8xf32>
  %kr0 = bert.linear %pos, %wr : (tensor<2x?x8xf32>, tensor<8x8xf32>) -> tensor<2x?x8xf32>
  %kr1 = bert.linear %pos, %wr, %bias : (tensor<2x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<2x?x8xf32>
  %x = bert.linear %e, %wr : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %b = bert.weight "layer.0.rel_attn.r_w_bias" : tensor<2x4xf32>
  %s = bert.weight "layer.0.rel_attn.seg_embed" : tensor<2x2x4xf32>
  %a0 = bert.relative_attention %x, %x, %x, %kr0, %mask, %tt, %b, %b, %b, %s
      {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>,
         tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>,
         tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  %a1 = bert.relative_attention %a0, %a0, %a0, %kr1, %mask, %tt, %b, %b, %b, %s
      {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>,
         tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>,
         tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return %a1 : tensor<?x?x8xf32>
}

// -----

// A value read at run time other than as position keys stays a run-time
// op, and so does its input when nothing marked reads it: here kr is also
// returned (a caller would need it at the call's length), and a linear
// whose weight is an activation is no weight-only op.

// CHECK-LABEL: func.func @not_windowed
// CHECK-NOT:   bert.load_time
// CHECK:       return
func.func @not_windowed(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>, %tt: tensor<?x?xi32>,
                        %w: tensor<8x8xf32>)
    -> (tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32>) {
  %pos = bert.relative_positions %mask {clamp_len = -1 : i64} : (tensor<?x?xi32>) -> tensor<2x?x8xf32>
  %r = bert.weight "layer.0.rel_attn.r" : tensor<8x8xf32>
  %kr = bert.linear %pos, %r : (tensor<2x?x8xf32>, tensor<8x8xf32>) -> tensor<2x?x8xf32>
  %kr2 = bert.linear %pos, %w : (tensor<2x?x8xf32>, tensor<8x8xf32>) -> tensor<2x?x8xf32>
  %b = bert.weight "layer.0.rel_attn.r_w_bias" : tensor<2x4xf32>
  %s = bert.weight "layer.0.rel_attn.seg_embed" : tensor<2x2x4xf32>
  %a = bert.relative_attention %x, %x, %x, %kr, %mask, %tt, %b, %b, %b, %s
      {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>,
         tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>,
         tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return %a, %kr, %kr2 : tensor<?x?x8xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32>
}
