// RUN: bert-opt --bert-split-heads -split-input-file %s | FileCheck %s
// RUN: bert-opt --bert-split-heads="mode=per-head" -split-input-file %s | FileCheck %s --check-prefix=HEAD
// RUN: bert-opt --bert-split-heads -split-input-file --mlir-print-debuginfo --mlir-print-local-scope %s | FileCheck %s --check-prefix=LOC
// The output of both modes must verify when it is parsed again.
// RUN: bert-opt --bert-split-heads -split-input-file %s | bert-opt -split-input-file > /dev/null
// RUN: bert-opt --bert-split-heads="mode=per-head" -split-input-file %s | bert-opt -split-input-file > /dev/null
// RUN: not bert-opt --bert-split-heads="mode=heads" %s 2>&1 | FileCheck %s --check-prefix=ERR

// ERR: error: bert-split-heads: invalid mode 'heads'; expected 'batched' or 'per-head'

// Hidden 8, 2 heads of d = 4: the scale is 1/sqrt(4).

// CHECK-LABEL: func.func @attention_h8
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x8xf32>, %[[MASK:.+]]: tensor<?x?xi32>)
// CHECK-DAG:     %[[WQ:.+]] = bert.weight "q.weight"
// CHECK-DAG:     %[[BQ:.+]] = bert.weight "q.bias"
// CHECK-DAG:     %[[WK:.+]] = bert.weight "k.weight"
// CHECK-DAG:     %[[BK:.+]] = bert.weight "k.bias"
// CHECK-DAG:     %[[WV:.+]] = bert.weight "v.weight"
// CHECK-DAG:     %[[BV:.+]] = bert.weight "v.bias"
// CHECK-DAG:     %[[WO:.+]] = bert.weight "o.weight"
// CHECK-DAG:     %[[BO:.+]] = bert.weight "o.bias"
// CHECK:         %[[Q:.+]] = bert.linear %[[X]], %[[WQ]], %[[BQ]] : {{.*}} -> tensor<?x?x8xf32>
// CHECK:         %[[K:.+]] = bert.linear %[[X]], %[[WK]], %[[BK]] :
// CHECK:         %[[V:.+]] = bert.linear %[[X]], %[[WV]], %[[BV]] :
// CHECK:         %[[Q4:.+]] = bert.split_heads %[[Q]] {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
// CHECK:         %[[K4:.+]] = bert.split_heads %[[K]] {num_heads = 2 : i64}
// CHECK:         %[[V4:.+]] = bert.split_heads %[[V]] {num_heads = 2 : i64}
// CHECK:         %[[S:.+]] = bert.batch_matmul %[[Q4]], %[[K4]]
// CHECK-SAME:      scale = 5.000000e-01 : f64
// CHECK-SAME:      transpose_rhs
// CHECK-SAME:      -> tensor<?x2x?x?xf32>
// CHECK:         %[[P:.+]] = bert.masked_softmax %[[S]], %[[MASK]] : {{.*}} -> tensor<?x2x?x?xf32>
// CHECK:         %[[C4:.+]] = bert.batch_matmul %[[P]], %[[V4]] : {{.*}} -> tensor<?x2x?x4xf32>
// CHECK:         %[[C:.+]] = bert.merge_heads %[[C4]] : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
// CHECK:         %[[OUT:.+]] = bert.linear %[[C]], %[[WO]], %[[BO]] :
// CHECK-NOT:     bert.attention
// CHECK:         return %[[OUT]]

// Per head: Q, K, V stay whole; head i reads columns [4i, 4i + 4).
// HEAD-LABEL: func.func @attention_h8
// HEAD-SAME:    (%[[X:.+]]: tensor<?x?x8xf32>, %[[MASK:.+]]: tensor<?x?xi32>)
// HEAD:         %[[Q:.+]] = bert.linear %[[X]], {{.*}} -> tensor<?x?x8xf32>
// HEAD:         %[[K:.+]] = bert.linear %[[X]],
// HEAD:         %[[V:.+]] = bert.linear %[[X]],
// HEAD-NOT:     bert.split_heads
// HEAD:         %[[Q0:.+]] = bert.slice %[[Q]] {dim = 2 : i64, offset = 0 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
// HEAD:         %[[K0:.+]] = bert.slice %[[K]] {dim = 2 : i64, offset = 0 : i64, size = 4 : i64}
// HEAD:         %[[V0:.+]] = bert.slice %[[V]] {dim = 2 : i64, offset = 0 : i64, size = 4 : i64}
// HEAD:         %[[S0:.+]] = bert.batch_matmul %[[Q0]], %[[K0]]
// HEAD-SAME:      scale = 5.000000e-01 : f64
// HEAD-SAME:      transpose_rhs
// HEAD-SAME:      -> tensor<?x?x?xf32>
// HEAD:         %[[P0:.+]] = bert.masked_softmax %[[S0]], %[[MASK]] : {{.*}} -> tensor<?x?x?xf32>
// HEAD:         %[[C0:.+]] = bert.batch_matmul %[[P0]], %[[V0]] : {{.*}} -> tensor<?x?x4xf32>
// HEAD:         %[[Q1:.+]] = bert.slice %[[Q]] {dim = 2 : i64, offset = 4 : i64, size = 4 : i64}
// HEAD:         %[[K1:.+]] = bert.slice %[[K]] {dim = 2 : i64, offset = 4 : i64, size = 4 : i64}
// HEAD:         %[[V1:.+]] = bert.slice %[[V]] {dim = 2 : i64, offset = 4 : i64, size = 4 : i64}
// HEAD:         %[[S1:.+]] = bert.batch_matmul %[[Q1]], %[[K1]]
// HEAD:         %[[P1:.+]] = bert.masked_softmax %[[S1]], %[[MASK]]
// HEAD:         %[[C1:.+]] = bert.batch_matmul %[[P1]], %[[V1]]
// HEAD:         %[[C:.+]] = bert.concat %[[C0]], %[[C1]] {dim = 2 : i64} : {{.*}} -> tensor<?x?x8xf32>
// HEAD:         %[[OUT:.+]] = bert.linear %[[C]],
// HEAD:         return %[[OUT]]

// Every op keeps the attention's location, named after its part.
// LOC-LABEL: func.func @attention_h8
// LOC:         bert.linear {{.*}} loc("query"("{{.*}}bert-split-heads.mlir":[[LINE:[0-9]+]]:{{[0-9]+}}))
// LOC:         bert.split_heads {{.*}} loc("split heads"("{{.*}}":[[LINE]]:
// LOC:         bert.batch_matmul {{.*}} loc("scores"("{{.*}}":[[LINE]]:
// LOC:         bert.masked_softmax {{.*}} loc("softmax"("{{.*}}":[[LINE]]:
// LOC:         bert.linear {{.*}} loc("output"("{{.*}}":[[LINE]]:
func.func @attention_h8(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %wq = bert.weight "q.weight" : tensor<8x8xf32>
  %bq = bert.weight "q.bias" : tensor<8xf32>
  %wk = bert.weight "k.weight" : tensor<8x8xf32>
  %bk = bert.weight "k.bias" : tensor<8xf32>
  %wv = bert.weight "v.weight" : tensor<8x8xf32>
  %bv = bert.weight "v.bias" : tensor<8xf32>
  %wo = bert.weight "o.weight" : tensor<8x8xf32>
  %bo = bert.weight "o.bias" : tensor<8xf32>
  %a = bert.attention %x, %mask, %wq, %bq, %wk, %bk, %wv, %bv, %wo, %bo {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>,
         tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>,
         tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %a : tensor<?x?x8xf32>
}

// -----

// BERT-base: 12 heads of d = 64, so the scores are scaled by 1/8.

// CHECK-LABEL: func.func @attention_bert_base
// CHECK:         bert.split_heads {{.*}} {num_heads = 12 : i64} : tensor<2x128x768xf32> -> tensor<2x12x128x64xf32>
// CHECK:         bert.batch_matmul
// CHECK-SAME:      scale = 1.250000e-01 : f64
// CHECK-SAME:      transpose_rhs
// CHECK-SAME:      -> tensor<2x12x128x128xf32>
// CHECK:         bert.masked_softmax {{.*}} -> tensor<2x12x128x128xf32>
// CHECK:         bert.merge_heads {{.*}} : tensor<2x12x128x64xf32> -> tensor<2x128x768xf32>

// HEAD-LABEL: func.func @attention_bert_base
// HEAD:         bert.slice {{.*}} {dim = 2 : i64, offset = 0 : i64, size = 64 : i64} : tensor<2x128x768xf32> -> tensor<2x128x64xf32>
// HEAD:         bert.batch_matmul
// HEAD-SAME:      scale = 1.250000e-01 : f64
// HEAD-COUNT-11: bert.masked_softmax
// HEAD:         bert.slice {{.*}} {dim = 2 : i64, offset = 704 : i64, size = 64 : i64}
// HEAD:         bert.masked_softmax
// HEAD-NOT:     bert.masked_softmax
// HEAD:         bert.concat {{.*}} {dim = 2 : i64} : ({{(tensor<2x128x64xf32>, )+}}tensor<2x128x64xf32>) -> tensor<2x128x768xf32>
func.func @attention_bert_base(%x: tensor<2x128x768xf32>, %mask: tensor<2x128xi32>) -> tensor<2x128x768xf32> {
  %wq = bert.weight "encoder.layer.0.attention.self.query.weight" : tensor<768x768xf32>
  %bq = bert.weight "encoder.layer.0.attention.self.query.bias" : tensor<768xf32>
  %wk = bert.weight "encoder.layer.0.attention.self.key.weight" : tensor<768x768xf32>
  %bk = bert.weight "encoder.layer.0.attention.self.key.bias" : tensor<768xf32>
  %wv = bert.weight "encoder.layer.0.attention.self.value.weight" : tensor<768x768xf32>
  %bv = bert.weight "encoder.layer.0.attention.self.value.bias" : tensor<768xf32>
  %wo = bert.weight "encoder.layer.0.attention.output.dense.weight" : tensor<768x768xf32>
  %bo = bert.weight "encoder.layer.0.attention.output.dense.bias" : tensor<768xf32>
  %a = bert.attention %x, %mask, %wq, %bq, %wk, %bk, %wv, %bv, %wo, %bo {num_heads = 12 : i64}
      : (tensor<2x128x768xf32>, tensor<2x128xi32>, tensor<768x768xf32>, tensor<768xf32>,
         tensor<768x768xf32>, tensor<768xf32>, tensor<768x768xf32>, tensor<768xf32>,
         tensor<768x768xf32>, tensor<768xf32>) -> tensor<2x128x768xf32>
  return %a : tensor<2x128x768xf32>
}
