// RUN: bert-opt --bert-prune-first-token -split-input-file %s | FileCheck %s
// The output must verify when it is parsed again.
// RUN: bert-opt --bert-prune-first-token -split-input-file %s | bert-opt -split-input-file > /dev/null

// The end of the last layer of a classifier: only the pooler reads the final
// hidden state. The attention output projection, the residual LayerNorms
// and the FFN run on token 0; the projection's input (the attention's
// result) and the residual are sliced.

// CHECK-LABEL: func.func @classifier_tail
// CHECK-SAME:    (%[[CTX:[^:]+]]: tensor<?x?x8xf32>, %[[X:[^:]+]]: tensor<?x?x8xf32>
// CHECK-DAG:     %[[C0:.+]] = bert.slice %[[CTX]] {dim = 1 : i64, offset = 0 : i64, size = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
// CHECK-DAG:     %[[X0:.+]] = bert.slice %[[X]] {dim = 1 : i64, offset = 0 : i64, size = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
// CHECK:         %[[O:.+]] = bert.linear %[[C0]], {{.*}} -> tensor<?x1x8xf32>
// CHECK:         %[[H1:.+]] = bert.add_layer_norm %[[O]], %[[X0]], {{.*}} -> tensor<?x1x8xf32>
// CHECK:         %[[F:.+]] = bert.linear %[[H1]], {{.*}} activation <gelu> {{.*}} -> tensor<?x1x32xf32>
// CHECK:         %[[D:.+]] = bert.linear %[[F]], {{.*}} -> tensor<?x1x8xf32>
// CHECK:         %[[H2:.+]] = bert.add_layer_norm %[[D]], %[[H1]], {{.*}} -> tensor<?x1x8xf32>
// CHECK:         %[[P:.+]] = bert.pooler %[[H2]], {{.*}} : (tensor<?x1x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK-NOT:     tensor<?x?x32xf32>
// CHECK:         return %[[P]]
func.func @classifier_tail(%ctx: tensor<?x?x8xf32>, %x: tensor<?x?x8xf32>, %wo: tensor<8x8xf32>,
    %b8: tensor<8xf32>, %w1: tensor<32x8xf32>, %b32: tensor<32xf32>, %w2: tensor<8x32xf32>)
    -> tensor<?x8xf32> {
  %o = bert.linear %ctx, %wo, %b8 : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %h1 = bert.add_layer_norm %o, %x, %b8, %b8 {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %f = bert.linear %h1, %w1, %b32 activation <gelu> : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %d = bert.linear %f, %w2, %b8 : (tensor<?x?x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %h2 = bert.add_layer_norm %d, %h1, %b8, %b8 {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %p = bert.pooler %h2, %wo, %b8 : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %p : tensor<?x8xf32>
}

// -----

// The output projection's result is also read by a per-token op outside the
// tail (here returned): it keeps every row, and the LayerNorm after it reads
// its token 0.

// CHECK-LABEL: func.func @projection_read_elsewhere
// CHECK-SAME:    (%[[CTX:[^:]+]]: tensor<?x?x8xf32>, %[[X:[^:]+]]: tensor<?x?x8xf32>
// CHECK:         %[[O:.+]] = bert.linear %[[CTX]], {{.*}} -> tensor<?x?x8xf32>
// CHECK-DAG:     %[[O0:.+]] = bert.slice %[[O]] {dim = 1 : i64, offset = 0 : i64, size = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
// CHECK-DAG:     %[[X0:.+]] = bert.slice %[[X]] {dim = 1 : i64, offset = 0 : i64, size = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
// CHECK:         %[[H:.+]] = bert.add_layer_norm %[[O0]], %[[X0]], {{.*}} -> tensor<?x1x8xf32>
// CHECK:         %[[P:.+]] = bert.pooler %[[H]]
// CHECK:         return %[[O]], %[[P]]
func.func @projection_read_elsewhere(%ctx: tensor<?x?x8xf32>, %x: tensor<?x?x8xf32>, %wo: tensor<8x8xf32>,
    %b8: tensor<8xf32>) -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  %o = bert.linear %ctx, %wo, %b8 : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %h = bert.add_layer_norm %o, %x, %b8, %b8 {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %p = bert.pooler %h, %wo, %b8 : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %o, %p : tensor<?x?x8xf32>, tensor<?x8xf32>
}

// -----

// The hidden state is also an output (a BertModel): every token is needed,
// nothing changes.

// CHECK-LABEL: func.func @hidden_state_returned
// CHECK-NOT:     bert.slice
// CHECK:         bert.add_layer_norm {{.*}} -> tensor<?x?x8xf32>
// CHECK-NOT:     x1x
func.func @hidden_state_returned(%o: tensor<?x?x8xf32>, %x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>,
    %b8: tensor<8xf32>) -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  %h = bert.add_layer_norm %o, %x, %b8, %b8 {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %p = bert.pooler %h, %w, %b8 : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %h, %p : tensor<?x?x8xf32>, tensor<?x8xf32>
}

// -----

// A token-level head (a linear on every token) reads the hidden state too:
// nothing changes.

// CHECK-LABEL: func.func @token_head
// CHECK-NOT:     bert.slice
func.func @token_head(%o: tensor<?x?x8xf32>, %x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>,
    %b8: tensor<8xf32>) -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  %h = bert.add_layer_norm %o, %x, %b8, %b8 {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %t = bert.linear %h, %w, %b8 : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %p = bert.pooler %h, %w, %b8 : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %t, %p : tensor<?x?x8xf32>, tensor<?x8xf32>
}

// -----

// XLNet's sequence summary reads the LAST token (bert.pooler ... last_token):
// pruning to token 0 would drop the row it reads, so nothing changes.

// CHECK-LABEL: func.func @last_token_summary
// CHECK-NOT:     bert.slice
// CHECK:         bert.add_layer_norm {{.*}} -> tensor<?x?x8xf32>
// CHECK:         bert.pooler {{.*}} last_token
// CHECK-NOT:     x1x
func.func @last_token_summary(%o: tensor<?x?x8xf32>, %x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>,
    %b8: tensor<8xf32>) -> tensor<?x8xf32> {
  %h = bert.add_layer_norm %o, %x, %b8, %b8 {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %p = bert.pooler %h, %w, %b8 last_token : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %p : tensor<?x8xf32>
}
