// RUN: bert-opt %s -split-input-file --bert-tile=target=x86-64-amx | FileCheck %s --check-prefixes=CHECK,SPR
// RUN: bert-opt %s -split-input-file --bert-tile=target=x86-64-avx512-bf16 | FileCheck %s --check-prefixes=CHECK,ZEN4
// RUN: bert-opt %s -split-input-file --bert-tile=target=x86-64-avx512-bf16-2fma | FileCheck %s --check-prefixes=CHECK,ZEN5
// RUN: bert-opt %s -split-input-file --bert-tile=target=x86-64-avx2 | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: bert-opt %s -split-input-file --bert-tile=target=host | FileCheck %s --check-prefixes=CHECK,HOST
// On an x86 core with FMA the probe must measure: every such core has a
// 3-6 cycle FMA latency and one or two pipes at its native width.
// RUN: %if fma %{ bert-opt %s -split-input-file --bert-tile=target=host | FileCheck %s --check-prefix=MEASURED %}

// The gemm strategy per CPU class, from the class's FMA latency x pipes
// (TargetInfo; for `host` measured by support/FmaProbe.h), recorded on the
// function as bert.core, with the class the schedule cache keys the machine
// by (a named target is its own class; a host is put in one). Sapphire Rapids and Zen 5 need 4 x 2 = 8
// accumulators, Zen 4 (one zmm FMA per cycle) 4 x 1, AVX2 cores 5 x 2 = 10.
// AVX-512's 8 x 3 zmm tile (24) fills all three; k is unrolled until one
// iteration is 48 cycles of FMA issue: 24 FMAs a step take 12 cycles on two
// pipes (unroll 4) and 24 on one (unroll 2); AVX2's 6 x 2 ymm, 6 cycles
// (unroll 8).

// CHECK-LABEL: func.func @ffn_intermediate
// SPR-SAME: bert.core = {fma_latency = 4 : i64, fma_measured = true, fma_pipes = 2 : i64, target_class = "x86-64-amx", vector_width = 16 : i64}
// ZEN4-SAME: bert.core = {fma_latency = 4 : i64, fma_measured = true, fma_pipes = 1 : i64, target_class = "x86-64-avx512-bf16", vector_width = 16 : i64}
// ZEN5-SAME: bert.core = {fma_latency = 4 : i64, fma_measured = true, fma_pipes = 2 : i64, target_class = "x86-64-avx512-bf16-2fma", vector_width = 16 : i64}
// AVX2-SAME: bert.core = {fma_latency = 5 : i64, fma_measured = true, fma_pipes = 2 : i64, target_class = "x86-64-avx2", vector_width = 8 : i64}
// HOST-SAME: bert.core = {fma_latency = {{[2-8]}} : i64, fma_measured = {{true|false}}, fma_pipes = {{[1-4]}} : i64, target_class = "{{x86-64-[a-z0-9-]+|host-[0-9x]+}}", vector_width = {{4|8|16}} : i64}
// MEASURED: bert.core = {fma_latency = {{[3-6]}} : i64, fma_measured = true, fma_pipes = {{[12]}} : i64
// CHECK: bert.linear
// SPR-SAME: #bert.gemm_schedule<rows = 8, cols = 48, k_unroll = 4,
// ZEN4-SAME: #bert.gemm_schedule<rows = 8, cols = 48, k_unroll = 2,
// ZEN5-SAME: #bert.gemm_schedule<rows = 8, cols = 48, k_unroll = 4,
// AVX2-SAME: #bert.gemm_schedule<rows = 6, cols = 16, k_unroll = 8,
func.func @ffn_intermediate(%x: tensor<?x?x768xf32>) -> tensor<?x?x3072xf32>
    attributes {bert.max_batch = 1 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "intermediate.dense.weight" : tensor<3072x768xf32>
  %b = bert.weight "intermediate.dense.bias" : tensor<3072xf32>
  %y = bert.linear %x, %w, %b {activation = #bert.activation<gelu>} : (tensor<?x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
  return %y : tensor<?x?x3072xf32>
}

// -----

// Filling the pipes comes before an even panel split. N = 56 with AVX2, the
// 8 x 1 ymm tile divides N but holds 8 accumulators, under the 10 that
// cover a 5-cycle latency on two pipes; 6 x 2 (12) fills them, and its
// ragged last panel shifts inwards onto columns already computed. On
// AVX-512 every tile fills and none divides 56: 8 x 2 zmm computes 64
// columns (87 % useful) where 8 x 3, the most accumulators, would compute
// 96 (58 %); 8 x 1 also computes 64 but holds fewer accumulators.
// CHECK-LABEL: func.func @ragged
// CHECK: bert.linear
// SPR-SAME: #bert.gemm_schedule<rows = 8, cols = 32,
// ZEN4-SAME: #bert.gemm_schedule<rows = 8, cols = 32,
// AVX2-SAME: #bert.gemm_schedule<rows = 6, cols = 16,
func.func @ragged(%x: tensor<?x?x64xf32>) -> tensor<?x?x56xf32>
    attributes {bert.max_batch = 1 : i64, bert.max_seq = 128 : i64} {
  %w = bert.weight "dense.weight" : tensor<56x64xf32>
  %y = bert.linear %x, %w : (tensor<?x?x64xf32>, tensor<56x64xf32>) -> tensor<?x?x56xf32>
  return %y : tensor<?x?x56xf32>
}
