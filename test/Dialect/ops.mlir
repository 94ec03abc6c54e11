// RUN: bert-opt %s | bert-opt | FileCheck %s
// RUN: bert-opt %s --mlir-print-op-generic | bert-opt | FileCheck %s

// Every bert op and attribute, printed, parsed again and printed once more.

// CHECK-LABEL: func.func @high_level
func.func @high_level(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>, %mask: tensor<?x?xi32>)
    -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  // CHECK: bert.weight "embeddings.word_embeddings.weight" : tensor<100x8xf32>
  %word = bert.weight "embeddings.word_embeddings.weight" : tensor<100x8xf32>
  %pos = bert.weight "embeddings.position_embeddings.weight" : tensor<16x8xf32>
  %type = bert.weight "embeddings.token_type_embeddings.weight" : tensor<2x8xf32>
  %g = bert.weight "embeddings.LayerNorm.weight" : tensor<8xf32>
  %b = bert.weight "embeddings.LayerNorm.bias" : tensor<8xf32>
  // CHECK: bert.embeddings %{{.*}}, %{{.*}}, %{{.*}} token_types %{{.*}}, %{{.*}} : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %type
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>) -> tensor<?x?x8xf32>
  // CHECK: bert.layer_norm {{.*}} {epsilon = 9.9999999999999998E-13 : f64}
  %x = bert.layer_norm %e, %g, %b {epsilon = 1.0e-12 : f64}
      : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %w = bert.weight "w" : tensor<8x8xf32>
  %v = bert.weight "v" : tensor<8xf32>
  // CHECK: bert.attention {{.*}} {num_heads = 2 : i64}
  %a = bert.attention %x, %mask, %w, %v, %w, %v, %w, %v, %w, %v {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>,
         tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>)
      -> tensor<?x?x8xf32>
  // CHECK: bert.add {{.*}} : tensor<?x?x8xf32>
  %r = bert.add %a, %x : tensor<?x?x8xf32>
  %wi = bert.weight "wi" : tensor<32x8xf32>
  %bi = bert.weight "bi" : tensor<32xf32>
  // CHECK: bert.linear %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %i = bert.linear %r, %wi, %bi : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: bert.gelu %{{[^ ]*}} : tensor<?x?x32xf32>
  %gi = bert.gelu %i : tensor<?x?x32xf32>
  // CHECK: bert.gelu %{{.*}} approximation <tanh> : tensor<?x?x32xf32>
  %gt = bert.gelu %gi approximation <tanh> : tensor<?x?x32xf32>
  %wo = bert.weight "wo" : tensor<8x32xf32>
  // CHECK: bert.linear %{{[^,]*}}, %{{[^ ]*}} activation <gelu_tanh> : (tensor<?x?x32xf32>, tensor<8x32xf32>) -> tensor<?x?x8xf32>
  %o = bert.linear %gt, %wo activation <gelu_tanh> : (tensor<?x?x32xf32>, tensor<8x32xf32>) -> tensor<?x?x8xf32>
  // CHECK: bert.linear %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} activation <gelu> precision <bf16> : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %ib = bert.linear %r, %wi, %bi activation <gelu> precision <bf16> : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: bert.linear %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} precision <f16> : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %ih = bert.linear %r, %wi, %bi precision <f16> : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: bert.linear %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} precision <i8> : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %iq = bert.linear %r, %wi, %bi precision <i8> : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: bert.linear %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} precision <i8> hadamard 4 : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %ir = bert.linear %r, %wi, %bi precision <i8> hadamard 4 : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: bert.attention {{.*}} precision <i8> {num_heads = 2 : i64}
  %aq = bert.attention %x, %mask, %w, %v, %w, %v, %w, %v, %w, %v precision <i8> {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>,
         tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>)
      -> tensor<?x?x8xf32>
  // CHECK: bert.attention {{.*}} precision <bf16> {num_heads = 2 : i64}
  %ab = bert.attention %x, %mask, %w, %v, %w, %v, %w, %v, %w, %v precision <bf16> {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>,
         tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>)
      -> tensor<?x?x8xf32>
  // CHECK: bert.attention {{.*}} precision <f16> {num_heads = 2 : i64}
  %ah = bert.attention %x, %mask, %w, %v, %w, %v, %w, %v, %w, %v precision <f16> {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?xi32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>,
         tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>)
      -> tensor<?x?x8xf32>
  // CHECK: bert.pooler {{.*}} -> tensor<?x8xf32>
  %p = bert.pooler %o, %w, %v : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %o, %p : tensor<?x?x8xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func.func @kernel_level
func.func @kernel_level(%x: tensor<?x?x8xf32>, %mask: tensor<?x?xi32>, %ids: tensor<?x?xi32>)
    -> tensor<?x?x8xf32> {
  // CHECK: bert.split_heads {{.*}} {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  %q = bert.split_heads %x {num_heads = 2 : i64} : tensor<?x?x8xf32> -> tensor<?x2x?x4xf32>
  // CHECK: bert.batch_matmul {{.*}} {scale = 5.000000e-01 : f64, transpose_rhs}
  %s = bert.batch_matmul %q, %q {transpose_rhs, scale = 0.5 : f64}
      : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  // CHECK: bert.masked_softmax
  %p = bert.masked_softmax %s, %mask : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  // CHECK: bert.batch_matmul %{{[^,]*}}, %{{[^ ]*}} : (tensor<?x2x?x?xf32>
  %c = bert.batch_matmul %p, %q : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  // CHECK: bert.batch_matmul %{{[^,]*}}, %{{[^ ]*}} precision <bf16> : (tensor<?x2x?x?xf32>
  %c16 = bert.batch_matmul %p, %q precision <bf16> : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  // CHECK: bert.merge_heads {{.*}} : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  %m = bert.merge_heads %c : tensor<?x2x?x4xf32> -> tensor<?x?x8xf32>
  // CHECK: bert.slice {{.*}} {dim = 2 : i64, offset = 4 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
  %h1 = bert.slice %m {dim = 2 : i64, offset = 4 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
  %h0 = bert.slice %m {dim = 2 : i64, offset = 0 : i64, size = 4 : i64} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
  // CHECK: bert.concat {{.*}} {dim = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  %j = bert.concat %h0, %h1 {dim = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  %g = bert.weight "g" : tensor<8xf32>
  // CHECK: bert.add_layer_norm {{.*}} {epsilon = 1.000000e-05 : f64}
  %n = bert.add_layer_norm %j, %x, %g, %g {epsilon = 1.0e-5 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  // CHECK: bert.fused_attention {{.*}} {num_heads = 2 : i64, scale = 5.000000e-01 : f64}
  %f = bert.fused_attention %n, %n, %n, %mask {num_heads = 2 : i64, scale = 0.5 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  // CHECK: bert.fused_attention {{.*}} precision <bf16> {num_heads = 2 : i64, scale = 5.000000e-01 : f64}
  %f16 = bert.fused_attention %n, %n, %n, %mask precision <bf16> {num_heads = 2 : i64, scale = 0.5 : f64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %word = bert.weight "word" : tensor<100x8xf32>
  %pos = bert.weight "pos" : tensor<16x8xf32>
  %type = bert.weight "type" : tensor<2x8xf32>
  // CHECK: bert.embeddings_layer_norm {{.*}} {epsilon = 1.000000e-05 : f64}
  %e = bert.embeddings_layer_norm %ids, %word, %pos, %g, %g token_types %ids, %type {epsilon = 1.0e-5 : f64}
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<2x8xf32>,
         tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %sum = bert.add %e, %f : tensor<?x?x8xf32>
  return %sum : tensor<?x?x8xf32>
}

// The frontend's model facts, on a (nested) module.
// CHECK-LABEL: module @facts
// CHECK-SAME: bert.model_facts = #bert.model_facts<family = "bert", layers = 2, hidden = 128, heads = 2, intermediate = 512, vocab = 30522, type_vocab = 2>
module @facts attributes {bert.model_facts = #bert.model_facts<family = "bert", layers = 2,
    hidden = 128, heads = 2, intermediate = 512, vocab = 30522, type_vocab = 2>} {
}

// CHECK-LABEL: func.func @attributes
// CHECK-SAME: bert.arena_bytes = 4096 : i64, bert.core = {fma_latency = 4 : i64, fma_measured = true, fma_pipes = 2 : i64, target_class = "x86-64-avx512", vector_width = 16 : i64}, bert.max_batch = 8 : i64, bert.max_seq = 128 : i64, bert.model = "tiny"
func.func @attributes(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    attributes {bert.max_batch = 8 : i64, bert.max_seq = 128 : i64, bert.arena_bytes = 4096 : i64,
                bert.model = "tiny", bert.core = {fma_latency = 4 : i64,
                fma_measured = true, fma_pipes = 2 : i64,
                target_class = "x86-64-avx512", vector_width = 16 : i64}} {
  %w = bert.weight "w" : tensor<8x8xf32>
  // CHECK: bert.linear
  // CHECK-SAME: bert.buffer = #bert.buffer<offset = 64, bytes = 1024>
  // CHECK-SAME: bert.schedule = #bert.gemm_schedule<rows = 8, cols = 32, k_unroll = 4, rows_per_task = 64, vector_width = 16, target = "x86-64-avx512">
  %y = bert.linear %x, %w {bert.buffer = #bert.buffer<offset = 64, bytes = 1024>,
                           bert.schedule = #bert.gemm_schedule<rows = 8, cols = 32,
                             k_unroll = 4, rows_per_task = 64, vector_width = 16,
                             target = "x86-64-avx512">}
      : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  // The target is optional.
  // CHECK: bert.schedule = #bert.row_schedule<rows_per_task = 16, vector_width = 8>}
  %z = bert.gelu %y {bert.schedule = #bert.row_schedule<rows_per_task = 16, vector_width = 8>} : tensor<?x?x8xf32>
  return %z : tensor<?x?x8xf32>
}

// Every schedule kind round-trips.
// CHECK-LABEL: func.func @schedules
// CHECK: bert.linear {{.*}}#bert.amx_schedule<rows_per_task = 128, cols_per_task = 64, dot_rows = 8, dot_cols = 32, dot_k_unroll = 1, dot_rows_per_task = 64, vector_width = 16, target = "x86-64-amx">
// CHECK: bert.fused_attention {{.*}}#bert.attention_schedule<queries_per_task = 64, key_tile = 64, vector_width = 16, target = "x86-64-avx512">
// CHECK: bert.layer_norm {{.*}}#bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1, stages = 1, warps = 8, smem_bytes = 0, vector_width = 4, cublaslt = 0, target = "cuda-sm90">
// CHECK: bert.linear {{.*}}#bert.cuda_schedule<tile_m = 64, tile_n = 64, tile_k = 16, stages = 2, warps = 8, smem_bytes = 16384, vector_width = 4, cublaslt = 0, target = "cuda-sm80">
func.func @schedules(%x: tensor<?x?x32xf32>, %m: tensor<?x?xi32>) -> tensor<?x?x32xf32> {
  %w = bert.weight "w" : tensor<32x32xf32>
  %y = bert.linear %x, %w {precision = #bert.precision<bf16>,
      bert.schedule = #bert.amx_schedule<rows_per_task = 128, cols_per_task = 64,
        dot_rows = 8, dot_cols = 32, dot_k_unroll = 1, dot_rows_per_task = 64,
        vector_width = 16, target = "x86-64-amx">}
      : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  %a = bert.fused_attention %y, %y, %y, %m {num_heads = 2 : i64, scale = 0.25 : f64,
      bert.schedule = #bert.attention_schedule<queries_per_task = 64, key_tile = 64,
        vector_width = 16, target = "x86-64-avx512">}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?xi32>) -> tensor<?x?x32xf32>
  // The CUDA backend's one kind fits every kernel op.
  %g = bert.weight "g" : tensor<32xf32>
  %n = bert.layer_norm %a, %g, %g {epsilon = 1.0e-12 : f64,
      bert.schedule = #bert.cuda_schedule<tile_m = 8, tile_n = 1, tile_k = 1,
        stages = 1, warps = 8, smem_bytes = 0, vector_width = 4, cublaslt = 0, target = "cuda-sm90">}
      : (tensor<?x?x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %o = bert.linear %n, %w {bert.schedule = #bert.cuda_schedule<tile_m = 64,
        tile_n = 64, tile_k = 16, stages = 2, warps = 8, smem_bytes = 16384,
        vector_width = 4, cublaslt = 0, target = "cuda-sm80">}
      : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  return %o : tensor<?x?x32xf32>
}

// CHECK-LABEL: func.func @low_precision
func.func @low_precision(%x: tensor<?x?x8xbf16>, %y: tensor<?x?x8xf16>) -> tensor<?x?x8xbf16> {
  // CHECK: bert.add {{.*}} : tensor<?x?x8xbf16>
  %a = bert.add %x, %x : tensor<?x?x8xbf16>
  // CHECK: bert.gelu {{.*}} : tensor<?x?x8xf16>
  %b = bert.gelu %y : tensor<?x?x8xf16>
  return %a : tensor<?x?x8xbf16>
}

// The families' and heads' forms: embeddings without token types or with
// RoBERTa's positions, a relu pooler, bert.activation, bert.unstack, and the
// function's output names.

// CHECK-LABEL: func.func @families
// CHECK-SAME:    bert.output_names = ["start_logits", "end_logits", "logits"]
// CHECK: bert.embeddings %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
// CHECK: bert.embeddings %{{.*}}, %{{.*}}, %{{.*}} token_types %{{.*}}, %{{.*}} padding_idx 1 :
// CHECK: bert.activation %{{.*}} <quick_gelu> : tensor<?x?x8xf32>
// CHECK: bert.pooler %{{.*}}, %{{.*}}, %{{.*}} activation <relu> :
// CHECK: bert.unstack %{{.*}} : tensor<?x?x2xf32> -> tensor<?x?xf32>, tensor<?x?xf32>
func.func @families(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x8xf32>)
    attributes {bert.output_names = ["start_logits", "end_logits", "logits"]} {
  %word = bert.weight "word" : tensor<100x8xf32>
  %pos = bert.weight "pos" : tensor<16x8xf32>
  %type = bert.weight "type" : tensor<1x8xf32>
  %e = bert.embeddings %ids, %word, %pos
      : (tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  %r = bert.embeddings %ids, %word, %pos token_types %tt, %type padding_idx 1
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<1x8xf32>) -> tensor<?x?x8xf32>
  %q = bert.activation %r <quick_gelu> : tensor<?x?x8xf32>
  %w = bert.weight "w" : tensor<8x8xf32>
  %v = bert.weight "v" : tensor<8xf32>
  %p = bert.pooler %q, %w, %v activation <relu>
      : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %w2 = bert.weight "qa.w" : tensor<2x8xf32>
  %logits = bert.linear %e, %w2 : (tensor<?x?x8xf32>, tensor<2x8xf32>) -> tensor<?x?x2xf32>
  %start, %end = bert.unstack %logits : tensor<?x?x2xf32> -> tensor<?x?xf32>, tensor<?x?xf32>
  return %start, %end, %p : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x8xf32>
}

// XLM's forms: token types in the word table (the same weight twice), the
// languages, bert.mask_rows, FlauBERT's pre-norm bert.add_mask_rows, and a
// first-token projection to 3 labels.

// CHECK-LABEL: func.func @xlm
// CHECK: %[[WORD:.*]] = bert.weight "embeddings.weight"
// CHECK: bert.embeddings %{{.*}}, %[[WORD]], %{{.*}} token_types %{{.*}}, %[[WORD]] langs %{{.*}}, %{{.*}} :
// CHECK: bert.embeddings_layer_norm %{{.*}}, %[[WORD]], %{{.*}}, %{{.*}}, %{{.*}} token_types %{{.*}}, %[[WORD]] langs %{{.*}}, %{{.*}} {epsilon
// CHECK: bert.mask_rows %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
// CHECK: bert.add_mask_rows %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
// CHECK: bert.pooler %{{.*}}, %{{.*}}, %{{.*}} activation <none> : (tensor<?x?x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<?x3xf32>
func.func @xlm(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>, %mask: tensor<?x?xi32>, %langs: tensor<?x?xi32>)
    -> (tensor<?x?x8xf32>, tensor<?x3xf32>) attributes {bert.n_langs = 3 : i64} {
  %word = bert.weight "embeddings.weight" : tensor<100x8xf32>
  %pos = bert.weight "position_embeddings.weight" : tensor<16x8xf32>
  %lang = bert.weight "lang_embeddings.weight" : tensor<3x8xf32>
  %g = bert.weight "g" : tensor<8xf32>
  %e = bert.embeddings %ids, %word, %pos token_types %tt, %word langs %langs, %lang
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<100x8xf32>,
         tensor<?x?xi32>, tensor<3x8xf32>) -> tensor<?x?x8xf32>
  %f = bert.embeddings_layer_norm %ids, %word, %pos, %g, %g token_types %tt, %word langs %langs, %lang {epsilon = 1.0e-12 : f64}
      : (tensor<?x?xi32>, tensor<?x?xi32>, tensor<100x8xf32>, tensor<16x8xf32>, tensor<100x8xf32>,
         tensor<8xf32>, tensor<8xf32>, tensor<?x?xi32>, tensor<3x8xf32>) -> tensor<?x?x8xf32>
  %m0 = bert.mask_rows %f, %mask : (tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %m = bert.add_mask_rows %m0, %f, %mask
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %w = bert.weight "sequence_summary.summary.weight" : tensor<3x8xf32>
  %b = bert.weight "sequence_summary.summary.bias" : tensor<3xf32>
  %logits = bert.pooler %m, %w, %b activation <none>
      : (tensor<?x?x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %e, %logits : tensor<?x?x8xf32>, tensor<?x3xf32>
}

// XLNet: word-only embeddings, the sinusoids, the [H, n, d] einsum weights
// as linear matrices (q, k, v, r transposed, o flattened), the relative
// attention core and the last-token summary.
// CHECK-LABEL: func.func @xlnet
func.func @xlnet(%ids: tensor<?x?xi32>, %tt: tensor<?x?xi32>, %mask: tensor<?x?xi32>)
    -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  %word = bert.weight "word_embedding.weight" : tensor<100x8xf32>
  // CHECK: bert.embeddings %{{.*}}, %{{.*}} : (tensor<?x?xi32>, tensor<100x8xf32>) -> tensor<?x?x8xf32>
  %e = bert.embeddings %ids, %word : (tensor<?x?xi32>, tensor<100x8xf32>) -> tensor<?x?x8xf32>
  // CHECK: bert.relative_positions %{{.*}} {clamp_len = 5 : i64} : (tensor<?x?xi32>) -> tensor<2x?x8xf32>
  %pos = bert.relative_positions %mask {clamp_len = 5 : i64} : (tensor<?x?xi32>) -> tensor<2x?x8xf32>
  %q = bert.weight "layer.0.rel_attn.q" : tensor<8x2x4xf32>
  %o = bert.weight "layer.0.rel_attn.o" : tensor<8x2x4xf32>
  // CHECK: bert.weight_matrix %{{.*}} transposed : (tensor<8x2x4xf32>) -> tensor<8x8xf32>
  %wq = bert.weight_matrix %q transposed : (tensor<8x2x4xf32>) -> tensor<8x8xf32>
  // CHECK: bert.weight_matrix %{{.*}} : (tensor<8x2x4xf32>) -> tensor<8x8xf32>
  %wo = bert.weight_matrix %o : (tensor<8x2x4xf32>) -> tensor<8x8xf32>
  %x = bert.linear %e, %wq : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %kr = bert.linear %pos, %wq : (tensor<2x?x8xf32>, tensor<8x8xf32>) -> tensor<2x?x8xf32>
  %b = bert.weight "layer.0.rel_attn.r_w_bias" : tensor<2x4xf32>
  %s = bert.weight "layer.0.rel_attn.seg_embed" : tensor<2x2x4xf32>
  // CHECK: bert.relative_attention {{.*}} {num_heads = 2 : i64}
  %c = bert.relative_attention %x, %x, %x, %kr, %mask, %tt, %b, %b, %b, %s
      {num_heads = 2 : i64}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<2x?x8xf32>,
         tensor<?x?xi32>, tensor<?x?xi32>, tensor<2x4xf32>, tensor<2x4xf32>,
         tensor<2x4xf32>, tensor<2x2x4xf32>) -> tensor<?x?x8xf32>
  %a = bert.linear %c, %wo : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %pw = bert.weight "sequence_summary.summary.weight" : tensor<8x8xf32>
  %pb = bert.weight "sequence_summary.summary.bias" : tensor<8xf32>
  // CHECK: bert.pooler {{.*}} last_token : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %p = bert.pooler %a, %pw, %pb last_token : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %a, %p : tensor<?x?x8xf32>, tensor<?x8xf32>
}
