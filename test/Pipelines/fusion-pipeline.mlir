// RUN: bert-opt --bert-fusion-pipeline %s | FileCheck %s
// RUN: bert-opt --bert-fusion-pipeline %s | FileCheck %s --check-prefix=GONE
// The output must verify when it is parsed again.
// RUN: bert-opt --bert-fusion-pipeline %s | bert-opt > /dev/null

// A one-layer encoder as the frontend emits it (hidden 8, 2 heads,
// intermediate 32), through split-heads, pack-qkv, cse, fuse, cse: every
// layer is left as the kernels the backend implements.

// CHECK-LABEL: func.func @encoder
// CHECK-SAME:    (%[[IDS:.+]]: tensor<?x?xi32>, %[[TT:.+]]: tensor<?x?xi32>, %[[MASK:.+]]: tensor<?x?xi32>)
// CHECK:         %[[H0:.+]] = bert.embeddings_layer_norm %[[IDS]], {{.*}} token_types %[[TT]],
// CHECK:         %[[WQKV:.+]] = bert.concat {{.*}} {dim = 0 : i64} : {{.*}} -> tensor<24x8xf32>
// CHECK:         %[[BQKV:.+]] = bert.concat {{.*}} {dim = 0 : i64} : {{.*}} -> tensor<24xf32>
// CHECK:         %[[QKV:.+]] = bert.linear %[[H0]], %[[WQKV]], %[[BQKV]] : {{.*}} -> tensor<?x?x24xf32>
// CHECK:         %[[Q:.+]] = bert.slice %[[QKV]] {dim = 2 : i64, offset = 0 : i64, size = 8 : i64}
// CHECK:         %[[K:.+]] = bert.slice %[[QKV]] {dim = 2 : i64, offset = 8 : i64, size = 8 : i64}
// CHECK:         %[[V:.+]] = bert.slice %[[QKV]] {dim = 2 : i64, offset = 16 : i64, size = 8 : i64}
// CHECK:         %[[CTX:.+]] = bert.fused_attention %[[Q]], %[[K]], %[[V]], %[[MASK]]
// CHECK-SAME:      num_heads = 2 : i64
// CHECK-SAME:      scale = 5.000000e-01 : f64
// CHECK:         %[[ATT:.+]] = bert.linear %[[CTX]], %{{.+}}, %{{.+}} :
// CHECK:         %[[H1:.+]] = bert.add_layer_norm %[[ATT]], %[[H0]],
// CHECK:         %[[I:.+]] = bert.linear %[[H1]], %{{.+}}, %{{.+}} activation <gelu> : {{.*}} -> tensor<?x?x32xf32>
// CHECK:         %[[O:.+]] = bert.linear %[[I]], %{{.+}}, %{{.+}} : {{.*}} -> tensor<?x?x8xf32>
// CHECK:         %[[H2:.+]] = bert.add_layer_norm %[[O]], %[[H1]],
// CHECK:         %[[P:.+]] = bert.pooler %[[H2]],
// CHECK:         return %[[H2]], %[[P]]

// None of the unfused ops survive anywhere in the function.
// GONE-NOT: bert.attention
// GONE-NOT: bert.split_heads
// GONE-NOT: bert.batch_matmul
// GONE-NOT: bert.masked_softmax
// GONE-NOT: bert.merge_heads
// GONE-NOT: bert.embeddings %
// GONE-NOT: bert.layer_norm
// GONE-NOT: bert.add %
// GONE-NOT: bert.gelu
func.func @encoder(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>, %mask: tensor<?x?xi32>)
    -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  %word = bert.weight "embeddings.word_embeddings.weight" : tensor<100x8xf32>
  %pos = bert.weight "embeddings.position_embeddings.weight" : tensor<16x8xf32>
  %type = bert.weight "embeddings.token_type_embeddings.weight" : tensor<2x8xf32>
  %eg = bert.weight "embeddings.LayerNorm.weight" : tensor<8xf32>
  %eb = bert.weight "embeddings.LayerNorm.bias" : tensor<8xf32>
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  %h0 = bert.layer_norm %e, %eg, %eb {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>

  %wq = bert.weight "encoder.layer.0.attention.self.query.weight" : tensor<8x8xf32>
  %bq = bert.weight "encoder.layer.0.attention.self.query.bias" : tensor<8xf32>
  %wk = bert.weight "encoder.layer.0.attention.self.key.weight" : tensor<8x8xf32>
  %bk = bert.weight "encoder.layer.0.attention.self.key.bias" : tensor<8xf32>
  %wv = bert.weight "encoder.layer.0.attention.self.value.weight" : tensor<8x8xf32>
  %bv = bert.weight "encoder.layer.0.attention.self.value.bias" : tensor<8xf32>
  %wo = bert.weight "encoder.layer.0.attention.output.dense.weight" : tensor<8x8xf32>
  %bo = bert.weight "encoder.layer.0.attention.output.dense.bias" : tensor<8xf32>
  %a = bert.attention %h0, %mask, %wq, %bq, %wk, %bk, %wv, %bv, %wo, %bo {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>,
         tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>,
         tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %ag = bert.weight "encoder.layer.0.attention.output.LayerNorm.weight" : tensor<8xf32>
  %ab = bert.weight "encoder.layer.0.attention.output.LayerNorm.bias" : tensor<8xf32>
  %s1 = bert.add %a, %h0 : tensor<?x?x8xf32>
  %h1 = bert.layer_norm %s1, %ag, %ab {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>

  %wi = bert.weight "encoder.layer.0.intermediate.dense.weight" : tensor<32x8xf32>
  %bi = bert.weight "encoder.layer.0.intermediate.dense.bias" : tensor<32xf32>
  %i = bert.linear %h1, %wi, %bi : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %gi = bert.gelu %i : tensor<?x?x32xf32>
  %wo2 = bert.weight "encoder.layer.0.output.dense.weight" : tensor<8x32xf32>
  %bo2 = bert.weight "encoder.layer.0.output.dense.bias" : tensor<8xf32>
  %o = bert.linear %gi, %wo2, %bo2 : (tensor<?x?x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %og = bert.weight "encoder.layer.0.output.LayerNorm.weight" : tensor<8xf32>
  %ob = bert.weight "encoder.layer.0.output.LayerNorm.bias" : tensor<8xf32>
  %s2 = bert.add %o, %h1 : tensor<?x?x8xf32>
  %h2 = bert.layer_norm %s2, %og, %ob {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>

  %wp = bert.weight "pooler.dense.weight" : tensor<8x8xf32>
  %bp = bert.weight "pooler.dense.bias" : tensor<8xf32>
  %p = bert.pooler %h2, %wp, %bp : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %h2, %p : tensor<?x?x8xf32>, tensor<?x8xf32>
}
