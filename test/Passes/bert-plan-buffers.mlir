// RUN: bert-opt %s -split-input-file -verify-diagnostics --bert-plan-buffers | FileCheck %s
// RUN: bert-opt %s -split-input-file --bert-plan-buffers="max-batch=2 max-seq=8 report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT
// RUN: bert-opt %s -split-input-file -verify-diagnostics --bert-plan-buffers | bert-opt -split-input-file --bert-verify-buffers > /dev/null

// Reuse is provable on a chain: at max 2 x 8 tokens a [?, ?, 16] f32 value is
// 1024 bytes and a [?, ?, 64] one 4096. Live ranges (producer .. last use):
//   h1 [1, 2], h2 [2, 4], h3 [3, 4], h4 [4, 5], h5 [5, 6]; h6 is returned.
// Largest first: h1 at 0; h5 reuses 0 (h1 is dead); h2 after h1 at 4096; h3
// best-fits the 4096-byte hole at 0 (h1 dead); h4 overlaps h2, h3 and h5 in
// time, so it goes after all of them at 5120. Peak 6144 bytes, against 11264
// without reuse. h6 goes straight into the caller's output buffer: no slot.

// CHECK-LABEL: func.func @ffn_chain
// CHECK-SAME: bert.arena_bytes = 6144 : i64
// CHECK: bert.weight
// CHECK-NOT: bert.buffer
// CHECK: %[[H1:.+]] = bert.linear {{.*}}bert.buffer = #bert.buffer<offset = 0, bytes = 4096>
// CHECK: %[[H2:.+]] = bert.linear %[[H1]]{{.*}}bert.buffer = #bert.buffer<offset = 4096, bytes = 1024>
// CHECK: %[[H3:.+]] = bert.gelu %[[H2]] {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>}
// CHECK: %[[H4:.+]] = bert.add %[[H3]], %[[H2]] {bert.buffer = #bert.buffer<offset = 5120, bytes = 1024>}
// CHECK: %[[H5:.+]] = bert.linear %[[H4]]{{.*}}bert.buffer = #bert.buffer<offset = 0, bytes = 4096>
// CHECK: %[[H6:.+]] = bert.linear %[[H5]], %{{[^ ]+}} :
// CHECK: return %[[H6]]
// REPORT: remark: bert-plan-buffers: 5 buffers, arena 6144 bytes, unshared 11264 bytes
func.func @ffn_chain(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64} {
  %w1 = bert.weight "w1" : tensor<64x16xf32>
  %w2 = bert.weight "w2" : tensor<16x64xf32>
  %h1 = bert.linear %x, %w1 : (tensor<?x?x16xf32>, tensor<64x16xf32>) -> tensor<?x?x64xf32>
  %h2 = bert.linear %h1, %w2 : (tensor<?x?x64xf32>, tensor<16x64xf32>) -> tensor<?x?x16xf32>
  %h3 = bert.gelu %h2 : tensor<?x?x16xf32>
  %h4 = bert.add %h3, %h2 : tensor<?x?x16xf32>
  %h5 = bert.linear %h4, %w1 : (tensor<?x?x16xf32>, tensor<64x16xf32>) -> tensor<?x?x64xf32>
  %h6 = bert.linear %h5, %w2 : (tensor<?x?x64xf32>, tensor<16x64xf32>) -> tensor<?x?x16xf32>
  return %h6 : tensor<?x?x16xf32>
}

// -----

// Slices are views of the packed QKV activation: they get no slot, and the
// QKV buffer stays live until the attention kernel reads the last slice. So
// the attention output must not reuse QKV's bytes (it would if the slices
// ended QKV's life); the output projection after it may. The concatenated
// weights are evaluated at load time: no slot either.

// CHECK-LABEL: func.func @packed_qkv
// CHECK-SAME: bert.arena_bytes = 4096 : i64
// CHECK: bert.concat %{{.*}} {dim = 0 : i64} :
// CHECK: %[[QKV:.+]] = bert.linear {{.*}}bert.buffer = #bert.buffer<offset = 0, bytes = 3072>
// CHECK: bert.slice %[[QKV]] {dim = 2 : i64, offset = 0 : i64, size = 16 : i64} :
// CHECK: bert.slice %[[QKV]] {dim = 2 : i64, offset = 16 : i64, size = 16 : i64} :
// CHECK: bert.slice %[[QKV]] {dim = 2 : i64, offset = 32 : i64, size = 16 : i64} :
// CHECK: %[[ATT:.+]] = bert.fused_attention {{.*}}bert.buffer = #bert.buffer<offset = 3072, bytes = 1024>
// CHECK: %[[OUT:.+]] = bert.linear %[[ATT]]{{.*}}bert.buffer = #bert.buffer<offset = 0, bytes = 1024>
// CHECK: bert.add_layer_norm %[[OUT]], %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {epsilon
// REPORT: remark: bert-plan-buffers: 3 buffers, arena 4096 bytes, unshared 5120 bytes
func.func @packed_qkv(%x: tensor<?x?x16xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64} {
  %wq = bert.weight "q.weight" : tensor<16x16xf32>
  %wk = bert.weight "k.weight" : tensor<16x16xf32>
  %wv = bert.weight "v.weight" : tensor<16x16xf32>
  %g = bert.weight "ln.weight" : tensor<16xf32>
  %w = bert.concat %wq, %wk, %wv {dim = 0 : i64}
      : (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<48x16xf32>
  %qkv = bert.linear %x, %w : (tensor<?x?x16xf32>, tensor<48x16xf32>) -> tensor<?x?x48xf32>
  %q = bert.slice %qkv {dim = 2 : i64, offset = 0 : i64, size = 16 : i64} : tensor<?x?x48xf32> -> tensor<?x?x16xf32>
  %k = bert.slice %qkv {dim = 2 : i64, offset = 16 : i64, size = 16 : i64} : tensor<?x?x48xf32> -> tensor<?x?x16xf32>
  %v = bert.slice %qkv {dim = 2 : i64, offset = 32 : i64, size = 16 : i64} : tensor<?x?x48xf32> -> tensor<?x?x16xf32>
  %c = bert.fused_attention %q, %k, %v, %mask {num_heads = 2 : i64, scale = 0.35355339059327379 : f64}
      : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?xi32>) -> tensor<?x?x16xf32>
  %o = bert.linear %c, %wq : (tensor<?x?x16xf32>, tensor<16x16xf32>) -> tensor<?x?x16xf32>
  %y = bert.add_layer_norm %o, %x, %g, %g {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// Unfused attention scores [B, h, S, S]: dim 0 is the batch, both trailing
// dynamic dims are the sequence: 2 * 2 * 8 * 8 * 4 = 1024 bytes. The head
// views (split_heads / merge_heads) alias their operands. A returned slice
// covers only part of its storage, so QKV keeps its slot to the end of the
// function: F, after QKV's last kernel reader, may not take QKV's bytes at 0
// and goes to 2048. E is returned whole: no slot.

// CHECK-LABEL: func.func @scores_and_returned_slice
// CHECK-SAME: bert.arena_bytes = 3584 : i64
// CHECK: %[[QKV:.+]] = bert.linear {{.*}}bert.buffer = #bert.buffer<offset = 0, bytes = 1536>
// CHECK: %[[Q:.+]] = bert.slice %[[QKV]] {dim
// CHECK: bert.split_heads %[[Q]] {num_heads
// CHECK: %[[S:.+]] = bert.batch_matmul {{.*}}bert.buffer = #bert.buffer<offset = 1536, bytes = 1024>
// CHECK: %[[P:.+]] = bert.masked_softmax %[[S]], %{{[^ ]+}} {bert.buffer = #bert.buffer<offset = 2560, bytes = 1024>}
// CHECK: %[[C4:.+]] = bert.batch_matmul %[[P]], {{.*}}bert.buffer = #bert.buffer<offset = 1536, bytes = 512>
// CHECK: %[[C:.+]] = bert.merge_heads %[[C4]] :
// CHECK: %[[F:.+]] = bert.gelu %[[C]] {bert.buffer = #bert.buffer<offset = 2048, bytes = 512>}
// CHECK: %[[E:.+]] = bert.add %[[F]], %[[C]] :
// CHECK: return %[[E]], %[[Q]]
// REPORT: remark: bert-plan-buffers: 5 buffers, arena 3584 bytes, unshared 4608 bytes
func.func @scores_and_returned_slice(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>)
    -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>)
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64} {
  %w = bert.weight "qkv.weight" : tensor<24x8xf32>
  %qkv = bert.linear %x, %w : (tensor<?x?x8xf32>, tensor<24x8xf32>) -> tensor<?x?x24xf32>
  %q = bert.slice %qkv {dim = 2 : i64, offset = 0 : i64, size = 8 : i64} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %v = bert.slice %qkv {dim = 2 : i64, offset = 16 : i64, size = 8 : i64} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %q4 = bert.split_heads %q {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %v4 = bert.split_heads %v {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %s = bert.batch_matmul %q4, %q4 {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %c4 = bert.batch_matmul %p, %v4 : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c = bert.merge_heads %c4 : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  %f = bert.gelu %c : tensor<?x?x8xf32>
  %e = bert.add %f, %c : tensor<?x?x8xf32>
  return %e, %q : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Without maxima there is nothing to size dynamic dimensions with.

// REPORT: remark: bert-plan-buffers: 1 buffers, arena 1024 bytes, unshared 1024 bytes
// expected-error @below {{bert-plan-buffers: no maximum batch size to size activations with: set 'bert.max_batch' on the function or the pass option 'max-batch'}}
func.func @no_max_batch(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_seq = 8 : i64} {
  %a = bert.gelu %x : tensor<?x?x16xf32>
  %b = bert.gelu %a : tensor<?x?x16xf32>
  return %b : tensor<?x?x16xf32>
}
