// bert-tile with a schedule cache holding one kernel tuned at several shapes
// (`bertc tune -o` into an existing file adds entries): each function gets
// the entry tuned nearest its bert.max_batch x bert.max_seq, by
// |log(tokens ratio)| + |log(seq ratio)|; the entry without a shape only
// where no shaped one exists (the layer norm's). Each linear entry has its
// own k_unroll so the check names the entry that was applied.
// RUN: bert-opt %s --bert-tile="target=x86-64-avx512 schedules=%S/Inputs/schedules-shapes.json" | FileCheck %s

// Exact matches.
// CHECK-LABEL: func.func @b1_s128
// CHECK: bert.linear {{.*}}#bert.gemm_schedule<rows = 4, cols = 16, k_unroll = 7, rows_per_task = 128, vector_width = 16,
// CHECK: bert.layer_norm {{.*}}#bert.row_schedule<rows_per_task = 7, vector_width = 16,
func.func @b1_s128(%x: tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 1 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "dense.weight" : tensor<32x32xf32>
  %b = bert.weight "dense.bias" : tensor<32xf32>
  %g = bert.weight "LayerNorm.weight" : tensor<32xf32>
  %be = bert.weight "LayerNorm.bias" : tensor<32xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %z = bert.layer_norm %y, %g, %be {epsilon = 1.0e-12 : f64} : (tensor<?x?x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %z : tensor<?x?x32xf32>
}
// CHECK-LABEL: func.func @b8_s128
// CHECK: bert.linear {{.*}}#bert.gemm_schedule<rows = 4, cols = 16, k_unroll = 2, rows_per_task = 160, vector_width = 16,
func.func @b8_s128(%x: tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "dense.weight" : tensor<32x32xf32>
  %b = bert.weight "dense.bias" : tensor<32xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
// 4 x 128: log 4 from 1x128, log 2 from 8x128, log 4 + log 4 from 1x512.
// CHECK-LABEL: func.func @b4_s128
// CHECK: bert.linear {{.*}}k_unroll = 2,
func.func @b4_s128(%x: tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 4 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "dense.weight" : tensor<32x32xf32>
  %b = bert.weight "dense.bias" : tensor<32xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
// 1 x 384: 0 + log 1.33 + log 1.33 from 1x512, log 3 + log 3 from 1x128.
// CHECK-LABEL: func.func @b1_s384
// CHECK: bert.linear {{.*}}k_unroll = 3,
func.func @b1_s384(%x: tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 1 : i64, bert.max_seq = 384 : i64} {
  %w = bert.weight "dense.weight" : tensor<32x32xf32>
  %b = bert.weight "dense.bias" : tensor<32xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
// 2 x 32: log 2 + log 4 from 1x128, log 16 + log 4 from 8x128: the 1x128
// entry, though the shapeless one is listed after it.
// CHECK-LABEL: func.func @b2_s32
// CHECK: bert.linear {{.*}}k_unroll = 7,
func.func @b2_s32(%x: tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 32 : i64} {
  %w = bert.weight "dense.weight" : tensor<32x32xf32>
  %b = bert.weight "dense.bias" : tensor<32xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
