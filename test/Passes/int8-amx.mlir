// Which i8 linears bert-tile gives AMX tiles (TDPBUSD, kernels/
// LinearAMXInt8.cpp) on an AMX target: N % 16 == 0 and K % 64 == 0 (an A
// tile row is 64 k of bytes); the others keep the VPDPBUSD gemm schedule.
// The amx schedule's dot_* fields are a VPDPBUSD gemm tile (the small-M
// path and the weight panels): k-quads unrolled 4 times, as without AMX.
// RUN: bert-opt %s --bert-tile=target=x86-64-amx | FileCheck %s
// RUN: bert-opt %s --bert-tile=target=x86-64-avx512-bf16 | FileCheck %s --check-prefix=NOAMX

// CHECK-LABEL: func.func @shapes
// CHECK:       bert.linear {{.*}} precision <i8> {bert.schedule = #bert.amx_schedule<rows_per_task = {{[0-9]+}}, cols_per_task = {{[0-9]+}}, dot_rows = {{[0-9]+}}, dot_cols = {{(16|32|48)}}, dot_k_unroll = 4, dot_rows_per_task = {{[0-9]+}}, vector_width = 16, target = "x86-64-amx">} : (tensor<?x?x768xf32>, tensor<3072x768xf32>
// CHECK:       bert.linear {{.*}} precision <i8> {bert.schedule = #bert.gemm_schedule<{{.*}}} : (tensor<?x?x96xf32>, tensor<64x96xf32>
// CHECK:       bert.linear {{.*}} precision <i8> {bert.schedule = #bert.gemm_schedule<{{.*}}} : (tensor<?x?x64xf32>, tensor<40x64xf32>
// And bf16 on the same shapes: K % 32 suffices.
// CHECK:       bert.linear {{.*}} precision <bf16> {bert.schedule = #bert.amx_schedule<{{.*}}} : (tensor<?x?x96xf32>, tensor<64x96xf32>

// NOAMX-LABEL: func.func @shapes
// NOAMX:       bert.linear {{.*}} precision <i8> {bert.schedule = #bert.gemm_schedule<rows = {{[0-9]+}}, cols = {{(16|32|48)}}, k_unroll = 4, rows_per_task = {{[0-9]+}}, vector_width = 16, {{.*}}tensor<3072x768xf32>
// NOAMX-NOT:   amx_schedule
func.func @shapes(%x: tensor<?x?x768xf32>, %y: tensor<?x?x96xf32>, %z: tensor<?x?x64xf32>)
    -> (tensor<?x?x3072xf32>, tensor<?x?x64xf32>, tensor<?x?x40xf32>, tensor<?x?x64xf32>)
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64} {
  %w1 = bert.weight "w1" : tensor<3072x768xf32>
  %a = bert.linear %x, %w1 precision <i8> : (tensor<?x?x768xf32>, tensor<3072x768xf32>) -> tensor<?x?x3072xf32>
  %w2 = bert.weight "w2" : tensor<64x96xf32>
  %b = bert.linear %y, %w2 precision <i8> : (tensor<?x?x96xf32>, tensor<64x96xf32>) -> tensor<?x?x64xf32>
  %w3 = bert.weight "w3" : tensor<40x64xf32>
  %c = bert.linear %z, %w3 precision <i8> : (tensor<?x?x64xf32>, tensor<40x64xf32>) -> tensor<?x?x40xf32>
  %d = bert.linear %y, %w2 precision <bf16> : (tensor<?x?x96xf32>, tensor<64x96xf32>) -> tensor<?x?x64xf32>
  return %a, %b, %c, %d : tensor<?x?x3072xf32>, tensor<?x?x64xf32>, tensor<?x?x40xf32>, tensor<?x?x64xf32>
}
