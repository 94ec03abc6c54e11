// `precision = bf16` through the pipeline: bert-split-heads gives the four
// projections the attention's precision, bert-pack-qkv packs only linears of
// one precision and keeps it, bert-fuse keeps it when it folds a GELU, and
// bert-tile picks AMX tiles where the target has AMX, the k-pair dot-product
// tile (kc = 2) elsewhere.
// RUN: bert-opt %s -split-input-file --bert-split-heads --bert-pack-qkv --bert-fuse | FileCheck %s
// RUN: bert-opt %s -split-input-file --bert-split-heads | FileCheck %s --check-prefix=SPLIT
// RUN: bert-opt %s -split-input-file --bert-split-heads=mode=per-head | FileCheck %s --check-prefix=PERHEAD
// RUN: bert-opt %s -split-input-file --bert-split-heads --bert-pack-qkv --bert-fuse --bert-tile=target=x86-64-amx | FileCheck %s --check-prefix=AMX
// RUN: bert-opt %s -split-input-file --bert-split-heads --bert-pack-qkv --bert-fuse --bert-tile=target=x86-64-avx512-bf16 | FileCheck %s --check-prefix=DOT
// RUN: bert-opt %s -split-input-file --bert-split-heads --bert-pack-qkv --bert-fuse --bert-tile=target=x86-64-avx2 | FileCheck %s --check-prefix=AVX2

// Hidden 64, 2 heads, FFN 128, 8 x 128 tokens. The attention's two matmuls
// take its precision too (bert-split-heads, both layouts) and bert-fuse
// keeps it on the fused kernel.
// SPLIT-LABEL: func.func @layer
// SPLIT-COUNT-2: bert.batch_matmul %{{.+}}, %{{.+}} precision <bf16>
// PERHEAD-LABEL: func.func @layer
// PERHEAD-COUNT-4: bert.batch_matmul %{{.+}}, %{{.+}} precision <bf16>
// CHECK-LABEL: func.func @layer
// CHECK:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} precision <bf16> : {{.*}} -> tensor<?x?x192xf32>
// CHECK:         bert.fused_attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} precision <bf16>
// CHECK:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} precision <bf16> : {{.*}} -> tensor<?x?x64xf32>
// CHECK:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} activation <gelu> precision <bf16> : {{.*}} -> tensor<?x?x128xf32>
// CHECK-NOT:     bert.gelu
// The f32 linear of the same function stays f32.
// CHECK:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} : {{.*}} -> tensor<?x?x64xf32>

// With AMX, 16 x 16 tiles, K in steps of 32, tasks of 128 x 64 columns (the
// packed QKV, 192 columns) and 128 x 32 (64 columns): at least 3 tasks per
// core of the preset's 16, halving the column block first.
// AMX-LABEL: func.func @layer
// AMX:         precision <bf16> {bert.schedule = #bert.amx_schedule<rows_per_task = {{[0-9]+}}, cols_per_task = {{[0-9]+}}, dot_rows = 8, dot_cols = 32, dot_k_unroll = 1, dot_rows_per_task = 64, vector_width = 16, target = "x86-64-amx">}
// AMX-SAME:      -> tensor<?x?x192xf32>
// The f32 linear keeps the f32 register tile.
// AMX:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} {bert.schedule = #bert.gemm_schedule<rows = {{[0-9]+}}, cols = {{[0-9]+}}, k_unroll = 4,

// Without AMX, the f32 register tile (a gemm schedule) over k-pairs, k-pairs
// unrolled 4 times.
// DOT-LABEL: func.func @layer
// DOT:         precision <bf16> {bert.schedule = #bert.gemm_schedule<rows = {{[0-9]+}}, cols = {{[0-9]+}}, k_unroll = 4, rows_per_task = {{[0-9]+}}, vector_width = 16, target = "x86-64-avx512-bf16">}
// AVX2-LABEL: func.func @layer
// AVX2:        precision <bf16> {bert.schedule = #bert.gemm_schedule<rows = {{[0-9]+}}, cols = {{[0-9]+}}, k_unroll = 4, rows_per_task = {{[0-9]+}}, vector_width = 8,
func.func @layer(%x: tensor<?x?x64xf32>, %mask: tensor<?x?xi32>) -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>)
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "w" : tensor<64x64xf32>
  %b = bert.weight "b" : tensor<64xf32>
  %a = bert.attention %x, %mask, %w, %b, %w, %b, %w, %b, %w, %b precision <bf16> {num_heads = 2 : i64}
      : (tensor<?x?x64xf32>, tensor<?x?xi32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>,
         tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>)
      -> tensor<?x?x64xf32>
  %wi = bert.weight "wi" : tensor<128x64xf32>
  %bi = bert.weight "bi" : tensor<128xf32>
  %i = bert.linear %a, %wi, %bi precision <bf16> : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  %g = bert.gelu %i : tensor<?x?x128xf32>
  %wo = bert.weight "wo" : tensor<64x128xf32>
  %bo = bert.weight "bo" : tensor<64xf32>
  %o = bert.linear %g, %wo, %bo precision <bf16> : (tensor<?x?x128xf32>, tensor<64x128xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %f = bert.linear %o, %w, %b : (tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %o, %f : tensor<?x?x64xf32>, tensor<?x?x64xf32>
}

// -----

// A Q, K, V triple of mixed precision is not packed: one packed kernel has
// one precision.
// CHECK-LABEL: func.func @mixed
// CHECK-NOT:     bert.concat
// CHECK-COUNT-3: bert.linear
func.func @mixed(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  %q = bert.linear %x, %w, %b precision <bf16> : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %k = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %v = bert.linear %x, %w, %b precision <bf16> : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// 1024 columns: the f32 strategy's 6 x 64 register tile (4 vectors) becomes
// 8 x 32 for bf16, at most 3 vectors (TileStrategiesBF16.cpp says why); the
// f32 linear keeps 6 x 64.
// DOT-LABEL: func.func @wide
// DOT:         precision <bf16> {bert.schedule = #bert.gemm_schedule<rows = 8, cols = 32, k_unroll = 4, rows_per_task = {{[0-9]+}}, vector_width = 16, target = "x86-64-avx512-bf16">}
// DOT:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} {bert.schedule = #bert.gemm_schedule<rows = 6, cols = 64,
func.func @wide(%x: tensor<?x?x64xf32>) -> (tensor<?x?x1024xf32>, tensor<?x?x1024xf32>)
    attributes {bert.max_batch = 1 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "w" : tensor<1024x64xf32>
  %b = bert.weight "b" : tensor<1024xf32>
  %y = bert.linear %x, %w, %b precision <bf16> : (tensor<?x?x64xf32>, tensor<1024x64xf32>, tensor<1024xf32>) -> tensor<?x?x1024xf32>
  %z = bert.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<1024x64xf32>, tensor<1024xf32>) -> tensor<?x?x1024xf32>
  return %y, %z : tensor<?x?x1024xf32>, tensor<?x?x1024xf32>
}
