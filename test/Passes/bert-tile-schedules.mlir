// bert-tile with a schedule cache (schedules=FILE, written by `bertc tune`):
// a kernel whose signature and target have an entry gets the cached
// schedule, verbatim; every other kernel falls back to the strategy.
// RUN: bert-opt %s --bert-tile="target=x86-64-avx512 schedules=%S/Inputs/schedules.json" | FileCheck %s --check-prefix=AVX512
// RUN: bert-opt %s --bert-tile="target=x86-64-avx2 schedules=%S/Inputs/schedules.json" | FileCheck %s --check-prefix=AVX2
// RUN: not bert-opt %s --bert-tile="target=x86-64-avx512 schedules=%S/Inputs/does-not-exist.json" 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: not bert-opt %s --bert-tile="target=x86-64-avx512 schedules=%S/Inputs/schedules-bad-tile.json" 2>&1 | FileCheck %s --check-prefix=BADTILE
// RUN: not bert-opt %s --bert-tile="target=x86-64-avx512 schedules=%S/Inputs/schedules-wrong-kernel.json" 2>&1 | FileCheck %s --check-prefix=WRONGKERNEL
// RUN: not bert-opt %s --bert-tile="target=x86-64-avx512 schedules=%S/Inputs/schedules-wrong-kind.json" 2>&1 | FileCheck %s --check-prefix=WRONGKIND

// The entry for this linear is keyed by x86-64-avx512: a hit there (the
// cached tile, not the strategy's 8 x 32); AVX2 has no entry for it.
// AVX512-LABEL: func.func @cached
// AVX512: bert.linear
// AVX512-SAME: bert.schedule = #bert.gemm_schedule<rows = 4, cols = 16, k_unroll = 2, rows_per_task = 64, vector_width = 16, target = "x86-64-avx512">
// The layer norm's entry is for AVX2 only: the strategy's schedule here.
// AVX512: bert.layer_norm
// AVX512-SAME: #bert.row_schedule<rows_per_task = 64, vector_width = 16
// AVX2-LABEL: func.func @cached
// AVX2: bert.linear
// AVX2-SAME: #bert.gemm_schedule<rows = 6, cols = 16, k_unroll = 8, rows_per_task = 60, vector_width = 8
// AVX2: bert.layer_norm
// AVX2-SAME: #bert.row_schedule<rows_per_task = 7, vector_width = 8, target = "x86-64-avx2">
// A linear of another shape has another signature: a miss, the strategy.
// AVX512-LABEL: func.func @miss
// AVX512: bert.linear
// AVX512-SAME: #bert.gemm_schedule<rows = 8, cols = 48, k_unroll = 4, rows_per_task = 256
func.func @cached(%x: tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "dense.weight" : tensor<32x32xf32>
  %b = bert.weight "dense.bias" : tensor<32xf32>
  %g = bert.weight "LayerNorm.weight" : tensor<32xf32>
  %be = bert.weight "LayerNorm.bias" : tensor<32xf32>
  %y = bert.linear %x, %w, %b : (tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %z = bert.layer_norm %y, %g, %be {epsilon = 1.0e-12 : f64} : (tensor<?x?x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %z : tensor<?x?x32xf32>
}
func.func @miss(%x: tensor<?x?x3072xf32>) -> tensor<?x?x768xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "output.dense.weight" : tensor<768x3072xf32>
  %y = bert.linear %x, %w : (tensor<?x?x3072xf32>, tensor<768x3072xf32>) -> tensor<?x?x768xf32>
  return %y : tensor<?x?x768xf32>
}

// NOFILE: error: bert-tile: schedule cache '{{.*}}does-not-exist.json': cannot read: No such file or directory
// BADTILE: error: bert-tile: schedule cache '{{.*}}schedules-bad-tile.json': entries[0].schedule: cols (20) must be a multiple of vector_width (16)
// WRONGKERNEL: error: bert-tile: schedule cache '{{.*}}schedules-wrong-kernel.json' has kernel "fused_attention" for this op, expected "linear"
// WRONGKIND: error: bert-tile: schedule cache '{{.*}}schedules-wrong-kind.json' has a schedule of kind attention for this op, expected gemm
