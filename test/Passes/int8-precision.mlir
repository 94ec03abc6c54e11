// `precision = i8` through the pipeline: bert-split-heads gives the four
// projections the attention's precision and makes its two matmuls bf16 (both
// layouts; i8 is refused on a batch_matmul), bert-pack-qkv and bert-fuse keep
// them (a bf16 fused_attention), and
// bert-tile gives every i8 linear a gemm schedule of at most 3 vectors of
// columns (the k-quad dot-product tile), or on an AMX target an amx
// schedule (TDPBUSD tiles) whose dot_* fields are that tile
// (int8-amx.mlir: which shapes).
// RUN: bert-opt %s --bert-split-heads --bert-pack-qkv --bert-fuse | FileCheck %s
// RUN: bert-opt %s --bert-split-heads | FileCheck %s --check-prefix=SPLIT
// RUN: bert-opt %s --bert-split-heads=mode=per-head | FileCheck %s --check-prefix=PERHEAD
// RUN: bert-opt %s --bert-split-heads --bert-pack-qkv --bert-fuse --bert-tile=target=x86-64-amx | FileCheck %s --check-prefix=AMX
// RUN: bert-opt %s --bert-split-heads --bert-pack-qkv --bert-fuse --bert-tile=target=x86-64-avx2 | FileCheck %s --check-prefix=AVX2

// SPLIT-LABEL: func.func @layer
// SPLIT-COUNT-3: bert.linear {{.*}} precision <i8>
// SPLIT:         bert.batch_matmul %{{[^ ]+}}, %{{[^ ]+}} precision <bf16> {scale
// SPLIT:         bert.batch_matmul %{{[^ ]+}}, %{{[^ ]+}} precision <bf16> :
// SPLIT:         bert.linear {{.*}} precision <i8>
// PERHEAD-LABEL: func.func @layer
// PERHEAD-COUNT-2: bert.batch_matmul %{{[^ ]+}}, %{{[^ ]+}} precision <bf16> {{({scale.*} )?}}: (tensor<?x?x{{[0-9?]+}}xf32>
// CHECK-LABEL: func.func @layer
// CHECK:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} precision <i8> : {{.*}} -> tensor<?x?x192xf32>
// CHECK:         bert.fused_attention %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} precision <bf16> {
// CHECK:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} precision <i8> : {{.*}} -> tensor<?x?x64xf32>
// CHECK:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} activation <gelu> precision <i8> : {{.*}} -> tensor<?x?x128xf32>
// CHECK-NOT:     bert.gelu

// AMX-LABEL: func.func @layer
// AMX:         precision <i8> {bert.schedule = #bert.amx_schedule<rows_per_task = {{[0-9]+}}, cols_per_task = {{[0-9]+}}, dot_rows = {{[0-9]+}}, dot_cols = {{(16|32|48)}}, dot_k_unroll = 4, dot_rows_per_task = {{[0-9]+}}, vector_width = 16, target = "x86-64-amx">}
// AMX-SAME:      -> tensor<?x?x192xf32>
// AMX-COUNT-3: precision <i8> {bert.schedule = #bert.amx_schedule<
// AMX-NOT:     gemm_schedule
// AVX2-LABEL: func.func @layer
// AVX2:        precision <i8> {bert.schedule = #bert.gemm_schedule<rows = {{[0-9]+}}, cols = {{(8|16|24)}}, k_unroll = 4, rows_per_task = {{[0-9]+}}, vector_width = 8,
func.func @layer(%x: tensor<?x?x64xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x64xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "w" : tensor<64x64xf32>
  %b = bert.weight "b" : tensor<64xf32>
  %a = bert.attention %x, %mask, %w, %b, %w, %b, %w, %b, %w, %b precision <i8> {num_heads = 2 : i64}
      : (tensor<?x?x64xf32>, tensor<?x?xi32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>,
         tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>)
      -> tensor<?x?x64xf32>
  %wi = bert.weight "wi" : tensor<128x64xf32>
  %bi = bert.weight "bi" : tensor<128xf32>
  %i = bert.linear %a, %wi, %bi precision <i8> : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  %g = bert.gelu %i : tensor<?x?x128xf32>
  %wo = bert.weight "wo" : tensor<64x128xf32>
  %bo = bert.weight "bo" : tensor<64xf32>
  %o = bert.linear %g, %wo, %bo precision <i8> : (tensor<?x?x128xf32>, tensor<64x128xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}
