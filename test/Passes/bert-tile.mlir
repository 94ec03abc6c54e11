// RUN: bert-opt %s -split-input-file --bert-tile=target=x86-64-avx512 | FileCheck %s --check-prefixes=CHECK,AVX512
// RUN: bert-opt %s -split-input-file --bert-tile=target=x86-64-avx2 | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: bert-opt %s -split-input-file --bert-tile=target=host | FileCheck %s --check-prefixes=CHECK,HOST
// RUN: not bert-opt %s -split-input-file --bert-tile=target=riscv64-rvv 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// UNKNOWN: error: bert-tile: unknown target 'riscv64-rvv'; known targets: host, cpu, x86-64-avx512, x86-64-avx512-bf16, x86-64-avx512-bf16-2fma, x86-64-amx, x86-64-avx2, cuda-sm80, cuda-sm90, cuda
// CUDA targets: bert-tile-cuda.mlir.

// Linear layers of 8 x 128 tokens (M = 1024 rows).
// Register tile: AVX-512 fits 8 rows x 2 zmm (16 accumulators + 2 panel
// vectors + 1 broadcast of 32 registers) for N = 32 and 8 rows x 3 zmm for
// N = 768; AVX2 (16 ymm) the 6 x 2 ymm tile. The kernel runs full-K panels,
// so rows per task follow from balance alone: kTasksPerThread (4) tasks per
// core, M's register tiles in equal blocks. AVX-512 (16 cores): N = 32 is one
// panel, 1024 * 1 / 64 = 16 rows; N = 768 is 16 panels, 256 rows (4 blocks of
// 32 tiles). AVX2 (8 cores, 6-row tiles): N = 32 two panels, 64 rows -> 10
// tiles, 18 blocks of 10 -> 60; N = 768 48 panels, all 171 tiles fit one
// task's bound of 170, so 2 blocks of 86 tiles, 516 rows. K is
// unrolled to 48 cycles of FMA issue per iteration (bert-tile-fma.mlir):
// 8 x 3 zmm on two pipes 4, 8 x 2 zmm and 6 x 2 ymm 8.

// CHECK-LABEL: func.func @linear_small
// CHECK: bert.linear
// AVX512-SAME: bert.schedule = #bert.gemm_schedule<rows = 8, cols = 32, k_unroll = 8, rows_per_task = 16, vector_width = 16, target = "x86-64-avx512">
// AVX2-SAME: bert.schedule = #bert.gemm_schedule<rows = 6, cols = 16, k_unroll = 8, rows_per_task = 60, vector_width = 8, target = "x86-64-avx2">
// HOST-SAME: bert.schedule = #bert.gemm_schedule<rows =
// HOST-SAME: target = "host">
// CHECK-LABEL: func.func @linear_ffn_output
// CHECK: bert.linear
// AVX512-SAME: #bert.gemm_schedule<rows = 8, cols = 48, k_unroll = 4, rows_per_task = 256, vector_width = 16
// AVX2-SAME: #bert.gemm_schedule<rows = 6, cols = 16, k_unroll = 8, rows_per_task = 516, vector_width = 8
func.func @linear_small(%x: tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "dense.weight" : tensor<32x32xf32>
  %b = bert.weight "dense.bias" : tensor<32xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
func.func @linear_ffn_output(%x: tensor<?x?x3072xf32>) -> tensor<?x?x768xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "output.dense.weight" : tensor<768x3072xf32>
  %y = bert.linear %x, %w : (tensor<?x?x3072xf32>, tensor<768x3072xf32>) -> tensor<?x?x768xf32>
  return %y : tensor<?x?x768xf32>
}

// -----

// N = 100 fits no panel: the last one is shifted inwards onto columns
// already computed, so the tile that recomputes fewest wins among those
// that fill the FMA pipes. AVX-512: 8 x 1 zmm (7 panels, 112 columns, 89 %)
// over 8 x 3 (3 panels, 144 columns, 69 %); 1024 rows * 7 panels / 64 tasks
// = 112 rows -> 14 tiles, 128 tiles in 10 blocks of 13 -> 104 rows. With
// AVX2, 6 x 2 ymm (89 %) over 4 x 3 (83 %); 8 x 1 leaves pipes idle.
// CHECK-LABEL: func.func @linear_ragged_n
// CHECK: bert.linear
// AVX512-SAME: #bert.gemm_schedule<rows = 8, cols = 16, k_unroll = 8, rows_per_task = 104, vector_width = 16
// AVX2-SAME: #bert.gemm_schedule<rows = 6, cols = 16, k_unroll = 8, rows_per_task = 210, vector_width = 8
func.func @linear_ragged_n(%x: tensor<?x?x64xf32>) -> tensor<?x?x100xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "dense.weight" : tensor<100x64xf32>
  %y = bert.linear %x, %w : (tensor<?x?x64xf32>, tensor<100x64xf32>) -> tensor<?x?x100xf32>
  return %y : tensor<?x?x100xf32>
}

// -----

// A layer narrower than three vectors (hidden 12, 1 head: N = 36): the
// panel is never wider than N, since the kernel shifts a ragged last panel
// inwards onto columns it already computed; AVX-512 takes 8 x 1 zmm (48
// columns computed, 75 %) over 8 x 2 (64, 56 %).
// CHECK-LABEL: func.func @linear_narrow
// CHECK: bert.linear
// AVX512-SAME: #bert.gemm_schedule<rows = 8, cols = 16, k_unroll = 4,
// AVX2-SAME: #bert.gemm_schedule<rows = 6, cols = 16, k_unroll = 4,
func.func @linear_narrow(%x: tensor<?x?x12xf32>) -> tensor<?x?x36xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 16 : i64} {
  %w = bert.weight "qkv.weight" : tensor<36x12xf32>
  %y = bert.linear %x, %w : (tensor<?x?x12xf32>, tensor<36x12xf32>) -> tensor<?x?x36xf32>
  return %y : tensor<?x?x36xf32>
}

// -----

// Fused attention. Head dim 16 (hidden 32, 2 heads): a 128-key tile fits
// half of L1, vectors run along the head dim (16 lanes: one zmm per query,
// two ymm on AVX2). Head dim 64: the key tile drops to 64 (64 x 64 floats =
// 16 KiB, half of a 32 KiB L1). Queries per task: 64, halved while the
// 8 x 2 heads x 128 queries give fewer than 4 tasks per core (the AVX-512
// preset's 16 cores: 32; AVX2's 8 cores: 64), never below the register
// tile's 32 queries on AVX-512. GPU: 4 warps of 16 queries; the Q, K and V
// tiles fit 48 KiB of shared memory.

// CHECK-LABEL: func.func @attention
// CHECK: bert.fused_attention
// AVX512-SAME: bert.schedule = #bert.attention_schedule<queries_per_task = 32, key_tile = 128, vector_width = 16, target = "x86-64-avx512">
// AVX2-SAME: bert.schedule = #bert.attention_schedule<queries_per_task = 64, key_tile = 128, vector_width = 8, target = "x86-64-avx2">
// HOST-SAME: bert.schedule = #bert.attention_schedule<queries_per_task =
// HOST-SAME: target = "host">
// CHECK-LABEL: func.func @attention_head64
// CHECK: bert.fused_attention
// AVX512-SAME: #bert.attention_schedule<queries_per_task = 32, key_tile = 64, vector_width = 16
// AVX2-SAME: #bert.attention_schedule<queries_per_task = 64, key_tile = 64, vector_width = 8
func.func @attention(%q: tensor<?x?x32xf32>, %k: tensor<?x?x32xf32>, %v: tensor<?x?x32xf32>,
                     %mask: tensor<?x?xi32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %c = bert.fused_attention %q, %k, %v, %mask {num_heads = 2 : i64, scale = 0.25 : f64}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?xi32>) -> tensor<?x?x32xf32>
  return %c : tensor<?x?x32xf32>
}
func.func @attention_head64(%q: tensor<?x?x128xf32>, %k: tensor<?x?x128xf32>, %v: tensor<?x?x128xf32>,
                            %mask: tensor<?x?xi32>) -> tensor<?x?x128xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %c = bert.fused_attention %q, %k, %v, %mask {num_heads = 2 : i64, scale = 0.125 : f64}
      : (tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<?x?xi32>) -> tensor<?x?x128xf32>
  return %c : tensor<?x?x128xf32>
}

// -----

// Row-wise kernels: vectors along the row, unroll = independent reduction
// accumulators (up to 4 x 2 FMA pipes; a 32-wide row has only 2 zmm or 4
// ymm), 64 rows per task (a 32-float row is 128 bytes: 64 rows carry 8 KiB,
// capped at 64). GPU: one warp per row, 8 rows per block.

// CHECK-LABEL: func.func @layer_norms
// CHECK: bert.layer_norm
// AVX512-SAME: bert.schedule = #bert.row_schedule<rows_per_task = 64, vector_width = 16, target = "x86-64-avx512">
// AVX2-SAME: bert.schedule = #bert.row_schedule<rows_per_task = 64, vector_width = 8, target = "x86-64-avx2">
// HOST-SAME: bert.schedule = #bert.row_schedule<rows_per_task =
// HOST-SAME: target = "host">
// CHECK: bert.add_layer_norm
// AVX512-SAME: #bert.row_schedule<rows_per_task = 64, vector_width = 16
// AVX2-SAME: #bert.row_schedule<rows_per_task = 64, vector_width = 8
// HOST-SAME: #bert.row_schedule<
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

// -----

// A schedule pinned by hand is kept on every target; weights, concat and
// views (slice, split_heads, merge_heads) are load-time or folded into their
// neighbours and get none. The unfused kernels each get their family's.

// CHECK-LABEL: func.func @pinned_and_views
// CHECK: bert.concat %{{.*}} {dim = 0 : i64} :
// CHECK: bert.linear
// CHECK-SAME: bert.schedule = #bert.gemm_schedule<rows = 4, cols = 16, k_unroll = 2, rows_per_task = 4, vector_width = 8, target = "pinned">
// CHECK: bert.slice %{{[^ ]+}} {dim = 2 : i64, offset = 0 : i64, size = 32 : i64} :
// CHECK: bert.slice %{{[^ ]+}} {dim = 2 : i64, offset = 32 : i64, size = 32 : i64} :
// CHECK: bert.split_heads %{{[^ ]+}} {num_heads = 2 : i64} :
// CHECK: bert.split_heads %{{[^ ]+}} {num_heads = 2 : i64} :
// CHECK: bert.batch_matmul
// CHECK-SAME: #bert.gemm_schedule<
// AVX512-SAME: vector_width = 16
// AVX2-SAME: vector_width = 8
// CHECK: bert.masked_softmax
// CHECK-SAME: #bert.row_schedule<
// CHECK: bert.batch_matmul
// CHECK-SAME: #bert.gemm_schedule<
// CHECK: bert.merge_heads %{{[^ ]+}} :
// CHECK: bert.gelu
// CHECK-SAME: #bert.row_schedule<
// CHECK: bert.add
// CHECK-SAME: #bert.row_schedule<
func.func @pinned_and_views(%x: tensor<?x?x32xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %wq = bert.weight "q.weight" : tensor<32x32xf32>
  %wk = bert.weight "k.weight" : tensor<32x32xf32>
  %w = bert.concat %wq, %wk {dim = 0 : i64} : (tensor<32x32xf32>, tensor<32x32xf32>) -> tensor<64x32xf32>
  %qk = bert.linear %x, %w {bert.schedule = #bert.gemm_schedule<rows = 4, cols = 16, k_unroll = 2, rows_per_task = 4, vector_width = 8, target = "pinned">}
      : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  %q = bert.slice %qk {dim = 2 : i64, offset = 0 : i64, size = 32 : i64} : tensor<?x?x64xf32> -> tensor<?x?x32xf32>
  %k = bert.slice %qk {dim = 2 : i64, offset = 32 : i64, size = 32 : i64} : tensor<?x?x64xf32> -> tensor<?x?x32xf32>
  %q4 = bert.split_heads %q {num_heads = 2 : i64} : tensor<?x?x32xf32> -> tensor<?x2x?x16xf32>
  %k4 = bert.split_heads %k {num_heads = 2 : i64} : tensor<?x?x32xf32> -> tensor<?x2x?x16xf32>
  %s = bert.batch_matmul %q4, %k4 {transpose_rhs, scale = 0.25 : f64}
      : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x?xf32>
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %c4 = bert.batch_matmul %p, %k4 : (tensor<?x2x?x?xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %c = bert.merge_heads %c4 : tensor<?x2x?x16xf32> -> tensor<?x?x32xf32>
  %g = bert.gelu %c : tensor<?x?x32xf32>
  %y = bert.add %g, %x : tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// FlauBERT's pre-norm residuals: bert.add_mask_rows is an elementwise row
// kernel, like bert.mask_rows.

// CHECK-LABEL: func.func @add_mask_rows
// CHECK: bert.add_mask_rows
// AVX512-SAME: bert.schedule = #bert.row_schedule<rows_per_task = {{[0-9]+}}, vector_width = 16, target = "x86-64-avx512">
// AVX2-SAME: bert.schedule = #bert.row_schedule<rows_per_task = {{[0-9]+}}, vector_width = 8, target = "x86-64-avx2">
// HOST-SAME: #bert.row_schedule<
func.func @add_mask_rows(%x: tensor<?x?x36xf32>, %r: tensor<?x?x36xf32>, %mask: tensor<?x?xi32>)
    -> tensor<?x?x36xf32> attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %y = bert.add_mask_rows %x, %r, %mask
      : (tensor<?x?x36xf32>, tensor<?x?x36xf32>, tensor<?x?xi32>) -> tensor<?x?x36xf32>
  return %y : tensor<?x?x36xf32>
}

// -----

// XLNet's relative attention is tiled as an attention kernel (its kernel
// reads queries_per_task and vector_width), its sinusoids as a row-wise one
// over 2S rows, and the kr linear over them as a GEMM of 2S rows.
// CHECK-LABEL: func.func @relative_attention
// CHECK: bert.relative_positions
// AVX512-SAME: bert.schedule = #bert.row_schedule<rows_per_task = {{[0-9]+}}, vector_width = 8, target = "x86-64-avx512">
// AVX2-SAME: bert.schedule = #bert.row_schedule<rows_per_task = {{[0-9]+}}, vector_width = 8, target = "x86-64-avx2">
// HOST-SAME: bert.schedule = #bert.row_schedule<
// CHECK: bert.linear
// CHECK-SAME: bert.schedule = #bert.gemm_schedule<
// CHECK: bert.relative_attention
// AVX512-SAME: bert.schedule = #bert.attention_schedule<queries_per_task = 32, key_tile = 128, vector_width = 4, target = "x86-64-avx512">
// AVX2-SAME: bert.schedule = #bert.attention_schedule<queries_per_task = {{[0-9]+}}, key_tile = {{[0-9]+}}, vector_width = 4, target = "x86-64-avx2">
// HOST-SAME: bert.schedule = #bert.attention_schedule<
func.func @relative_attention(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>, %tt: tensor<?x?xi32>,
                              %w: tensor<8x8xf32>, %b: tensor<2x4xf32>, %s: tensor<2x2x4xf32>)
    -> tensor<?x?x8xf32> attributes {bert.max_batch = 2 : i64, bert.max_seq = 16 : i64} {
  %pos = bert.relative_positions %mask {clamp_len = -1 : i64} : (tensor<?x?xi32>) -> tensor<2x?x8xf32>
  %kr = bert.linear %pos, %w : (tensor<2x?x8xf32>, tensor<8x8xf32>) -> tensor<2x?x8xf32>
  %a = bert.relative_attention %x, %x, %x, %kr, %mask, %tt, %b, %b, %b, %s
      {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>,
         tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>,
         tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  return %a : tensor<?x?x8xf32>
}
