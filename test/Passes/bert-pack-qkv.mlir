// RUN: bert-opt --bert-pack-qkv -split-input-file %s | FileCheck %s
// The output must verify when it is parsed again.
// RUN: bert-opt --bert-pack-qkv -split-input-file %s | bert-opt -split-input-file > /dev/null

// The attention as bert-split-heads leaves it (hidden 8, 2 heads): Q, K, V
// become one [24, 8] linear and three slices, in the order Q, K, V.

// CHECK-LABEL: func.func @split_heads_output
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x8xf32>, %[[MASK:.+]]: tensor<?x?xi32>)
// CHECK-DAG:     %[[WQ:.+]] = bert.weight "q.weight"
// CHECK-DAG:     %[[BQ:.+]] = bert.weight "q.bias"
// CHECK-DAG:     %[[WK:.+]] = bert.weight "k.weight"
// CHECK-DAG:     %[[BK:.+]] = bert.weight "k.bias"
// CHECK-DAG:     %[[WV:.+]] = bert.weight "v.weight"
// CHECK-DAG:     %[[BV:.+]] = bert.weight "v.bias"
// CHECK:         %[[W:.+]] = bert.concat %[[WQ]], %[[WK]], %[[WV]] {dim = 0 : i64} : {{.*}} -> tensor<24x8xf32>
// CHECK:         %[[B:.+]] = bert.concat %[[BQ]], %[[BK]], %[[BV]] {dim = 0 : i64} : {{.*}} -> tensor<24xf32>
// CHECK:         %[[QKV:.+]] = bert.linear %[[X]], %[[W]], %[[B]] : {{.*}} -> tensor<?x?x24xf32>
// CHECK:         %[[Q:.+]] = bert.slice %[[QKV]] {dim = 2 : i64, offset = 0 : i64, size = 8 : i64} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
// CHECK:         %[[K:.+]] = bert.slice %[[QKV]] {dim = 2 : i64, offset = 8 : i64, size = 8 : i64}
// CHECK:         %[[V:.+]] = bert.slice %[[QKV]] {dim = 2 : i64, offset = 16 : i64, size = 8 : i64}
// CHECK-NOT:     bert.linear %[[X]]
// CHECK:         bert.split_heads %[[Q]]
// CHECK:         bert.split_heads %[[K]]
// CHECK:         bert.split_heads %[[V]]
// The output projection reads another value and stays as it is.
// CHECK:         bert.linear %{{.+}}, %{{.+}}, %{{.+}} : {{.*}} -> tensor<?x?x8xf32>
func.func @split_heads_output(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %wq = bert.weight "q.weight" : tensor<8x8xf32>
  %bq = bert.weight "q.bias" : tensor<8xf32>
  %wk = bert.weight "k.weight" : tensor<8x8xf32>
  %bk = bert.weight "k.bias" : tensor<8xf32>
  %wv = bert.weight "v.weight" : tensor<8x8xf32>
  %bv = bert.weight "v.bias" : tensor<8xf32>
  %wo = bert.weight "o.weight" : tensor<8x8xf32>
  %bo = bert.weight "o.bias" : tensor<8xf32>
  %q = bert.linear %x, %wq, %bq : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %k = bert.linear %x, %wk, %bk : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %v = bert.linear %x, %wv, %bv : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %q4 = bert.split_heads %q {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %k4 = bert.split_heads %k {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %v4 = bert.split_heads %v {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %s = bert.batch_matmul %q4, %k4 {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %c4 = bert.batch_matmul %p, %v4 : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c = bert.merge_heads %c4 : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  %o = bert.linear %c, %wo, %bo : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// Weights declared between the projections are moved up to the packed
// linear, which takes the place of the first projection.

// CHECK-LABEL: func.func @interleaved_weights
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x8xf32>)
// CHECK:         %[[W:.+]] = bert.concat {{.*}} {dim = 0 : i64}
// CHECK:         %[[B:.+]] = bert.concat {{.*}} {dim = 0 : i64}
// CHECK:         %[[QKV:.+]] = bert.linear %[[X]], %[[W]], %[[B]]
// CHECK-COUNT-3: bert.slice %[[QKV]]
// CHECK-NOT:     bert.linear
func.func @interleaved_weights(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %wq = bert.weight "q.weight" : tensor<8x8xf32>
  %bq = bert.weight "q.bias" : tensor<8xf32>
  %q = bert.linear %x, %wq, %bq : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %wk = bert.weight "k.weight" : tensor<8x8xf32>
  %bk = bert.weight "k.bias" : tensor<8xf32>
  %k = bert.linear %x, %wk, %bk : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %wv = bert.weight "v.weight" : tensor<8x8xf32>
  %bv = bert.weight "v.bias" : tensor<8xf32>
  %v = bert.linear %x, %wv, %bv : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Three projections of three different inputs are not packed.

// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT:     bert.concat
// CHECK-COUNT-3: bert.linear
// CHECK-NOT:     bert.slice
func.func @different_inputs(%x: tensor<?x?x8xf32>, %y: tensor<?x?x8xf32>, %z: tensor<?x?x8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  %q = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %k = bert.linear %y, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %v = bert.linear %z, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Two projections of one input are not a Q, K, V triple.

// CHECK-LABEL: func.func @only_two
// CHECK-NOT:     bert.concat
// CHECK-COUNT-2: bert.linear
// CHECK-NOT:     bert.slice
func.func @only_two(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %wq = bert.weight "q.weight" : tensor<8x8xf32>
  %bq = bert.weight "q.bias" : tensor<8xf32>
  %wk = bert.weight "k.weight" : tensor<8x8xf32>
  %bk = bert.weight "k.bias" : tensor<8xf32>
  %q = bert.linear %x, %wq, %bq : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %k = bert.linear %x, %wk, %bk : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %q, %k : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// A linear with an activation epilogue is never packed, which leaves two.

// CHECK-LABEL: func.func @activation_present
// CHECK-NOT:     bert.concat
// CHECK:         bert.linear
// CHECK:         bert.linear
// CHECK:         bert.linear {{.*}} activation <gelu>
// CHECK-NOT:     bert.slice
func.func @activation_present(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %wq = bert.weight "q.weight" : tensor<8x8xf32>
  %bq = bert.weight "q.bias" : tensor<8xf32>
  %wk = bert.weight "k.weight" : tensor<8x8xf32>
  %bk = bert.weight "k.bias" : tensor<8xf32>
  %wv = bert.weight "v.weight" : tensor<8x8xf32>
  %bv = bert.weight "v.bias" : tensor<8xf32>
  %q = bert.linear %x, %wq, %bq : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %k = bert.linear %x, %wk, %bk : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %v = bert.linear %x, %wv, %bv activation <gelu> : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Four matching linears: which three are Q, K, V would be a guess.

// CHECK-LABEL: func.func @four_candidates
// CHECK-NOT:     bert.concat
// CHECK-COUNT-4: bert.linear
// CHECK-NOT:     bert.slice
func.func @four_candidates(%x: tensor<?x?x8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %w = bert.weight "w" : tensor<8x8xf32>
  %b = bert.weight "b" : tensor<8xf32>
  %0 = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %1 = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %2 = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %3 = bert.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %0, %1, %2, %3 : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
