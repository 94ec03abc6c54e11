// RUN: bert-opt %s -split-input-file -verify-diagnostics --bert-plan-buffers="activation-type=bf16" | FileCheck %s --check-prefix=BF16
// RUN: bert-opt %s -split-input-file -verify-diagnostics --bert-plan-buffers="activation-type=f16" | FileCheck %s --check-prefix=F16
// RUN: bert-opt %s -split-input-file --bert-plan-buffers="activation-type=bf16" | bert-opt -split-input-file --bert-verify-buffers > /dev/null
// RUN: not bert-opt %s -split-input-file --bert-plan-buffers="activation-type=f8" 2>&1 | FileCheck %s --check-prefix=BAD

// bert-plan-buffers' 16-bit activations (the CUDA backend's --precision
// bf16 / f16): bert-plan-buffers.mlir's chain, every f32 slot stored as the
// 16-bit type in half the bytes (a [?, ?, 64] value at 2 x 8 tokens: 2048
// rather than 4096), so the same placement at half the offsets, and the
// slot names its element type. The returned value still goes straight to
// the caller's f32 output: no slot, no element type.

// BF16-LABEL: func.func @ffn_chain
// BF16-SAME: bert.arena_bytes = 3072 : i64
// BF16: %[[H1:.+]] = bert.linear {{.*}}bert.buffer = #bert.buffer<offset = 0, bytes = 2048, element = bf16>
// BF16: %[[H2:.+]] = bert.linear %[[H1]]{{.*}}bert.buffer = #bert.buffer<offset = 2048, bytes = 512, element = bf16>
// BF16: bert.gelu %[[H2]] {bert.buffer = #bert.buffer<offset = 0, bytes = 512, element = bf16>}
// BF16: bert.add {{.*}}bert.buffer = #bert.buffer<offset = 2560, bytes = 512, element = bf16>
// BF16: %[[H6:.+]] = bert.linear %{{[^ ]+}}, %{{[^ ]+}} :
// BF16: return %[[H6]]
// F16-LABEL: func.func @ffn_chain
// F16: bert.linear {{.*}}bert.buffer = #bert.buffer<offset = 0, bytes = 2048, element = f16>
// BAD: bert-plan-buffers: activation-type must be f32, bf16 or f16, got 'f8'
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

