// RUN: bert-opt %s -split-input-file --bert-tile=target=cuda | FileCheck %s --check-prefixes=CHECK,SM90
// RUN: bert-opt %s -split-input-file --bert-tile=target=cuda-sm80 | FileCheck %s --check-prefixes=CHECK,SM80
// RUN: bert-opt %s -split-input-file --bert-tile="target=cuda cuda-gemm=cublaslt" | FileCheck %s --check-prefix=LT
// RUN: not bert-opt %s -split-input-file --bert-tile="target=x86-64-avx512 cuda-gemm=cublaslt" 2>&1 | FileCheck %s --check-prefix=LTCPU

// The CUDA strategy (TileStrategiesCUDA.cpp): `cuda` is cuda-sm90. GEMMs
// take 64 x 64 blocks of 4 x 4 per thread (8 warps), K 16 deep through two
// stages: 2 * (64 + 64) * 16 floats = 16 KiB of shared memory; a pooler
// (rows are the batch) 16-row blocks (2 warps, 10 KiB).

// cuda-gemm=cublaslt: a linear's product is cuBLASLt's, its schedule the
// warp-per-row one of our kernels around it; the pooler stays ours.
// LT-LABEL: func.func @gemms
// LT: bert.linear {{.*}}#bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1, stages = 1, warps = 8, smem_bytes = 0, vector_width = 4, cublaslt = 1, target = "cuda-sm90">
// LT: bert.pooler {{.*}}#bert.cuda_schedule<tile_m = 16, {{.*}}, cublaslt = 0, target = "cuda-sm90">
// LTCPU: bert-tile: cuda-gemm=cublaslt needs a CUDA target, got 'x86-64-avx512'

// CHECK-LABEL: func.func @gemms
// SM90: bert.linear {{.*}}#bert.cuda_schedule<tile_m = 64, tile_n = 64, tile_k = 16, stages = 2, warps = 8, smem_bytes = 16384, vector_width = 4, cublaslt = 0, target = "cuda-sm90">
// SM80: bert.linear {{.*}}#bert.cuda_schedule<tile_m = 64, tile_n = 64, tile_k = 16, stages = 2, warps = 8, smem_bytes = 16384, vector_width = 4, cublaslt = 0, target = "cuda-sm80">
// CHECK: bert.pooler {{.*}}#bert.cuda_schedule<tile_m = 16, tile_n = 64, tile_k = 16, stages = 2, warps = 2, smem_bytes = 10240, vector_width = 4
func.func @gemms(%x: tensor<?x?x32xf32>) -> (tensor<?x?x32xf32>, tensor<?x32xf32>)
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "dense.weight" : tensor<32x32xf32>
  %b = bert.weight "dense.bias" : tensor<32xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %p = bert.pooler %y, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %y, %p : tensor<?x?x32xf32>, tensor<?x32xf32>
}

// -----

// Attention: a query per thread, 64 per block; K and V staged 32 keys at a
// time: 2 * 32 * d floats (d = 16 here: 4 KiB; d = 64: 16 KiB).
// CHECK-LABEL: func.func @attention
// CHECK: bert.fused_attention {{.*}}#bert.cuda_schedule<tile_m = 64, tile_n = 32, tile_k = 16, stages = 1, warps = 2, smem_bytes = 4096, vector_width = 4
func.func @attention(%q: tensor<?x?x32xf32>, %k: tensor<?x?x32xf32>, %v: tensor<?x?x32xf32>,
                     %mask: tensor<?x?xi32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %c = bert.fused_attention %q, %k, %v, %mask {num_heads = 2 : i64, scale = 0.25 : f64}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?xi32>) -> tensor<?x?x32xf32>
  return %c : tensor<?x?x32xf32>
}

// -----

// Row-wise kernels: a warp per row, 8 rows per block, no shared memory.
// CHECK-LABEL: func.func @layer_norms
// CHECK: bert.layer_norm {{.*}}#bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1, stages = 1, warps = 8, smem_bytes = 0, vector_width = 4
// CHECK: bert.add_layer_norm {{.*}}#bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1, stages = 1, warps = 8, smem_bytes = 0, vector_width = 4
func.func @layer_norms(%x: tensor<?x?x32xf32>, %r: tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %g = bert.weight "LayerNorm.weight" : tensor<32xf32>
  %b = bert.weight "LayerNorm.bias" : tensor<32xf32>
  %y = bert.layer_norm %x, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %z = bert.add_layer_norm %y, %r, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %z : tensor<?x?x32xf32>
}
