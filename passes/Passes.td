//===- Passes.td - bert passes ------------------------------*- tablegen -*-===//
//
// Every pass of the compiler, declared here so that registration, options and
// documentation are generated (no hand-written registration, no global
// flags). Each pass lives in its own .cpp and has test/Passes/<flag>.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_PASSES_TD
#define BERT_PASSES_TD

include "mlir/Pass/PassBase.td"

def SplitHeadsPass : Pass<"bert-split-heads", "::mlir::func::FuncOp"> {
  let summary = "Expand bert.attention into projections and explicit heads";
  let description = [{
    Rewrites each `bert.attention` into its textbook parts: three
    `bert.linear` projections, heads made explicit ([B, S, H] ->
    [B, h, S, d]), scores `bert.batch_matmul {transpose_rhs, scale = 1/sqrt(d)}`,
    `bert.masked_softmax`, the weighted sum of V, heads merged, and the output
    `bert.linear`.

    `mode=per-head` instead emits one op chain per head on `bert.slice`d
    columns and joins the heads with `bert.concat`, as the formulas in the
    paper read.

    Before:
    ```mlir
    %a = bert.attention %x, %mask, %wq, %bq, ... {num_heads = 2 : i64} : ...
    ```
    After (batched):
    ```mlir
    %q = bert.linear %x, %wq, %bq : ...
    %q4 = bert.split_heads %q {num_heads = 2 : i64} : ...
    %s = bert.batch_matmul %q4, %k4 {scale = 0.125 : f64, transpose_rhs} : ...
    %p = bert.masked_softmax %s, %mask : ...
    %c4 = bert.batch_matmul %p, %v4 : ...
    %c = bert.merge_heads %c4 : ...
    %a = bert.linear %c, %wo, %bo : ...
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"batched\"",
           "How heads are made explicit: 'batched' (one [B,h,S,d] tensor) or "
           "'per-head' (one op chain per head, joined by bert.concat)">
  ];
  let dependentDialects = ["::mlir::bert::BertDialect"];
}

def Int8NormInputsPass : Pass<"bert-int8-norm-inputs", "::mlir::func::FuncOp"> {
  let summary = "Run the int8 linears that read a LayerNorm output in bf16";
  let description = [{
    The rule of `--precision int8`'s mixed scheme: a `bert.linear` of
    precision `i8` whose input is the result of a `bert.layer_norm` or
    `bert.add_layer_norm` becomes precision `bf16`; every other i8 linear
    stays i8. In a BERT layer these are the packed Q/K/V projection and the
    first feed-forward linear; the attention output projection and the
    second feed-forward linear stay int8.

    Why: the LayerNorm outputs of trained encoders carry a few outlier
    channels (large gamma), so the one per-token activation scale of the int8
    kernels spends its 8 bits on them and rounds the other channels
    coarsely. On the published all-MiniLM-L6-v2 (19 real sentences, PyTorch
    simulation of the kernels' rounding) the sentence-embedding cosine with
    fp32 is min 0.99794 with every linear int8 and 0.99948 with this rule;
    keeping only Q/K/V off int8 gives 0.99899, per-token scales over groups
    of 64 channels 0.99915. bf16 keeps 8 mantissa bits per element, so an
    outlier costs nothing to its neighbours. Of the four, V and the
    feed-forward linear carry the error (16 texts, bf16 attention: Q and K
    int8 with V and the FFN bf16 0.99952, as good as this rule; the FFN's
    too, on `(X - beta) / |gamma|` against `W * |gamma|`, 0.99934), but the
    attention kernels read Q, K and V out of one packed linear of one
    precision, and `bench/int8_scheme.py --norm-input-variants` has the
    rest (calibration-free smoothing from gamma and beta does not help).

    Runs after `bert-split-heads` (the projections are plain linears) and
    before `bert-fuse`. Before:
    ```mlir
    %n = bert.layer_norm %x, %g, %b ... : ...
    %qkv = bert.linear %n, %w, %bias precision <i8> : ...
    ```
    After:
    ```mlir
    %qkv = bert.linear %n, %w, %bias precision <bf16> : ...
    ```
  }];
}

def Int8HadamardPass : Pass<"bert-int8-hadamard", "::mlir::func::FuncOp"> {
  let summary = "Rotate the operands of every int8 linear by a Hadamard matrix";
  let description = [{
    The rule of `--precision int8`'s default scheme (`--int8-scheme
    hadamard`): every `bert.linear` of precision `i8` gets `hadamard B`, B
    the largest power of 4 not above `max-block` that divides its
    in_features (none where 4 does not). The linear then multiplies each
    block of B input channels of X and of W by the orthonormal
    Walsh-Hadamard matrix of order B before quantizing them (`bert.linear`
    defines it): the product is unchanged, while the few outlier channels
    of a trained encoder's LayerNorm outputs (one at 22-30 against a
    median of 1.5 on all-MiniLM-L6-v2's feed-forward input) are spread
    over their block, so the one per-token scale no longer spends the 8
    bits on them. The runtime rotates W once, at load; the kernel rotates
    X once per call (in its C quantization pass, quant/QuantizeRows.h).

    Measured (`bench/int8_scheme.py --rotation-variants`, the published
    all-MiniLM-L6-v2, sentence-embedding cosine against fp32, min / mean,
    22 real sentences, the attention's products bf16): every linear int8
    with no rotation 0.99833 / 0.99898; the mixed scheme (the LayerNorm-fed
    linears bf16, `bert-int8-norm-inputs`) 0.99950 / 0.99968; every linear
    int8 rotated in blocks of 16, 32, 64, 128: 0.99924, 0.99942, 0.99958,
    0.99947 (means 0.99959-0.99970); only the LayerNorm-fed ones rotated,
    blocks of 64: 0.99924. So blocks of 64 on every linear are at least as
    accurate as the mixed scheme with every product on the int8 units.
    Powers of 4 only: the rotation's scale 2^-(log2(B)/2) is then exact.

    Runs after `bert-pack-qkv` (on the packed Q/K/V linear) and before
    `bert-fuse`, which keeps the attribute when it folds an activation into
    a linear. Before:
    ```mlir
    %y = bert.linear %x, %w, %b precision <i8> : (tensor<?x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
    ```
    After:
    ```mlir
    %y = bert.linear %x, %w, %b precision <i8> hadamard 64 : (tensor<?x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
    ```
  }];
  let options = [
    Option<"maxBlock", "max-block", "int64_t", /*default=*/"64",
           "Largest block (a power of 4; smaller ones where it does not "
           "divide in_features; 0: no rotation)">
  ];
}

def PackQKVPass : Pass<"bert-pack-qkv", "::mlir::func::FuncOp"> {
  let summary = "Pack the Q, K and V projections of one input into one linear";
  let description = [{
    Three `bert.linear`s without activation that read the same input become
    one linear over `bert.concat`ed weights [3H, H] and biases [3H]; Q, K and
    V are `bert.slice`s of its result. Projections of different inputs are
    left alone.

    Before:
    ```mlir
    %q = bert.linear %x, %wq, %bq : ...
    %k = bert.linear %x, %wk, %bk : ...
    %v = bert.linear %x, %wv, %bv : ...
    ```
    After:
    ```mlir
    %w = bert.concat %wq, %wk, %wv {dim = 0 : i64} : ...
    %b = bert.concat %bq, %bk, %bv {dim = 0 : i64} : ...
    %qkv = bert.linear %x, %w, %b : ...
    %q = bert.slice %qkv {dim = 2 : i64, offset = 0 : i64, size = 768 : i64} : ...
    ```
  }];
  let dependentDialects = ["::mlir::bert::BertDialect"];
}

def FusePass : Pass<"bert-fuse", "::mlir::func::FuncOp"> {
  let summary = "Fuse epilogues, residual LayerNorm, attention and embeddings";
  let description = [{
    Greedy patterns, each firing only when the intermediate value has no
    other user:
    - `bert.gelu(bert.linear(x))` -> `bert.linear ... activation <gelu>`;
    - `bert.layer_norm(bert.add(a, b))` -> `bert.add_layer_norm`;
    - `merge_heads(bmm(masked_softmax(bmm(split_heads(q), split_heads(k))), split_heads(v)))`
      -> `bert.fused_attention` (online softmax, no [B,h,S,S] tensor);
    - `bert.layer_norm(bert.embeddings(...))` -> `bert.embeddings_layer_norm`;
    - `bert.mask_rows(bert.add(a, b), mask)` -> `bert.add_mask_rows` (the end
      of FlauBERT's pre-norm layers).
  }];
  let options = [
    Option<"fuseActivation", "activation", "bool", "true",
           "Fold bert.gelu into the producing bert.linear">,
    Option<"fuseAddLayerNorm", "add-layer-norm", "bool", "true",
           "Fuse residual add + layer norm">,
    Option<"fuseAttention", "attention", "bool", "true",
           "Fuse scores, mask, softmax and the weighted sum of V">,
    Option<"fuseEmbeddings", "embeddings", "bool", "true",
           "Fuse embedding gather + sum + layer norm">,
    Option<"fuseAddMaskRows", "add-mask-rows", "bool", "true",
           "Fuse residual add + zeroing of the padded rows">
  ];
  let dependentDialects = ["::mlir::bert::BertDialect"];
}

def TilePass : Pass<"bert-tile", "::mlir::func::FuncOp"> {
  let summary = "Choose each kernel's schedule for a target (strategy only)";
  let description = [{
    For every kernel op without a `bert.schedule`, fills its kernel family's
    schedule (dialect/Schedules.h: register tiles, tasks, vector width) from
    a target description and records it as that family's attribute
    (`#bert.gemm_schedule`, `#bert.amx_schedule`,
    `#bert.attention_schedule`, `#bert.row_schedule`). A schedule already
    present is kept, so tests can pin one by hand. Backends only read it.

    Targets: the CPU targets of support/TargetRegistry.h (`x86-64-avx512`,
    `x86-64-avx512-bf16`, `x86-64-amx`, `x86-64-avx2`) and `host` (detected
    when the pass runs: vector width, cores, cache sizes).
    Runtime kernels get a schedule (linear, pooler, batch_matmul,
    fused_attention, the layer norms, embeddings, masked_softmax, gelu, add);
    load-time ops (weight, concat) and views (slice, split_heads,
    merge_heads) do not. Dynamic extents are estimated at the function's
    `bert.max_batch` / `bert.max_seq` (1 x 128 tokens when absent). The
    meaning of each schedule field is documented on its struct in
    dialect/Schedules.h.

    With `schedules=FILE` (a cache written by `bertc tune`, format in
    support/ScheduleCache.h), a kernel whose signature (op, operand and result
    types, inherent attributes) and target have an entry gets the cached
    schedule instead; where the file has entries tuned at several shapes,
    the one nearest `bert.max_batch` x `bert.max_seq`. The others fall back
    to the strategy.

    Before / after (`target=x86-64-avx512`, hidden size 32, 8 x 128 tokens):
    ```mlir
    %y = bert.linear %x, %w, %b : (...) -> tensor<?x?x32xf32>
    %y = bert.linear %x, %w, %b {bert.schedule = #bert.gemm_schedule<
             rows = 8, cols = 32, k_unroll = 4, rows_per_task = 16,
             vector_width = 16, target = "x86-64-avx512">}
             : (...) -> tensor<?x?x32xf32>
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "Target description: host, x86-64-avx512, x86-64-avx512-bf16, "
           "x86-64-amx, x86-64-avx2 (support/TargetRegistry.h)">,
    // Autotuning (issue 6): a cache written by `bertc tune`.
    Option<"schedules", "schedules", "std::string", /*default=*/"\"\"",
           "Schedule cache (JSON from `bertc tune`): a kernel whose signature "
           "and target have an entry gets that schedule; others get the "
           "strategy's">,
    // Issue 17: the CUDA linears' product, the backend's kernels or
    // cuBLASLt's (recorded as the schedule's `cublaslt` field).
    Option<"cudaGemm", "cuda-gemm", "std::string", /*default=*/"\"ours\"",
           "CUDA targets: the linears' GEMM, ours (the backend's kernels) or "
           "cublaslt (cuBLASLt with a bias epilogue)">
  ];
  let dependentDialects = ["::mlir::bert::BertDialect"];
}

def MarkLoadTimePass : Pass<"bert-mark-load-time", "::mlir::func::FuncOp"> {
  let summary = "Mark the kernels that depend only on the weights and the "
                "compiled maximum length, to run once at load";
  let description = [{
    Marks with the unit attribute `bert.load_time` the kernel ops whose
    results depend on the model's weights and on the sequence length alone,
    never on an input's values, in a form where the result for any length
    `S` is a window of the result for the compiled `max_seq`: such an op is
    computed once, when the model loads (B = 1, S = max_seq), into memory
    the model owns, and each run reads the window its length needs.

    Which ops: `bert.relative_positions` (row `p` of length `S` is the
    encoding of distance `S - p`, so the `2S` rows of length `S` are rows
    `max_seq - S .. max_seq + S - 1` of those of `max_seq`; the mask is
    read for its shape only), and a `bert.linear` of a marked value with
    model weights (rows are independent in a linear, so the window
    commutes with it: XLNet's per-layer `kr = r . Wr`). A marked value may
    be read at run time only as the `position_keys` of a
    `bert.relative_attention`, the one reader that offsets into the window;
    an op with any other reader stays a run-time op (and so does what it
    reads, unless other marked ops use it). Precision is untouched: the same
    kernels run at load as would run per call, so the numbers are the same.

    Before (after bert-tile):
    ```mlir
    %pos = bert.relative_positions %mask {clamp_len = -1 : i64, ...}
    %kr = bert.linear %pos, %wr : (tensor<2x?x8xf32>, ...) -> tensor<2x?x8xf32>
    %a = bert.relative_attention %q, %k, %v, %kr, %mask, ...
    ```
    After:
    ```mlir
    %pos = bert.relative_positions %mask {bert.load_time, ...}
    %kr = bert.linear %pos, %wr {bert.load_time, ...} : ...
    %a = bert.relative_attention %q, %k, %v, %kr, %mask, ...
    ```
  }];
  let dependentDialects = ["::mlir::bert::BertDialect"];
}

def PlanBuffersPass : Pass<"bert-plan-buffers", "::mlir::func::FuncOp"> {
  let summary = "Assign arena offsets to all intermediate tensors by liveness";
  let description = [{
    Sizes every intermediate activation for the maximum batch and sequence
    length, computes live ranges over the function body and places each
    value in an arena so that values alive at the same time never overlap.
    Writes `bert.buffer = #bert.buffer<offset, bytes>` on each op and
    `bert.arena_bytes` (the peak) on the function.

    - Sizes: each dynamic dimension is `max_batch` if it is dimension 0,
      else `max_seq` ([B, h, S, S] scores: both trailing dims are S).
      The maxima come from the options, else from the function's
      `bert.max_batch` / `bert.max_seq`; the pass records the maxima it
      planned for on the function.
    - No slot: function arguments, weights and concatenations of weights
      (load-time buffers), and views: `bert.slice`, `bert.split_heads` and
      `bert.merge_heads` alias their operand, whose live range extends to
      the view's last use.
    - Outputs: a value the function returns whole gets no slot: the
      backend writes it straight into the caller's output buffer (no copy,
      no arena space). A returned `bert.slice` keeps its storage in the
      arena, live to the end, and is copied out.
    - Live ranges include the producing op and the last reader, so a kernel
      never writes over its own inputs.
    - Placement: largest first, best-fit gap, offsets aligned to
      `alignment` (a multiple of 64). The result is checked by the same code
      as `bert-verify-buffers`.
    - Element type: with `activation-type=bf16` (or `f16`) every f32 value
      in the arena is stored as that 16-bit type, in half the bytes, and
      its slot says so (`element = bf16`); the kernels reading and writing
      it convert, computing in f32. Outputs stay f32 (the caller's buffers).

    ```mlir
    %a = bert.linear %x, %w1 : ... -> tensor<?x?x16xf32>
    %b = bert.gelu %a : tensor<?x?x16xf32>
    %c = bert.linear %b, %w2 : ... -> tensor<?x?x16xf32>
    %d = bert.add %c, %x : tensor<?x?x16xf32>
    return %d : tensor<?x?x16xf32>
    // after, with max-batch=2 max-seq=8 (1024 bytes each); %c reuses %a's
    // bytes, %d is written into the caller's output buffer:
    %a = bert.linear ... {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>}
    %b = bert.gelu ... {bert.buffer = #bert.buffer<offset = 1024, bytes = 1024>}
    %c = bert.linear ... {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>}
    %d = bert.add %c, %x : tensor<?x?x16xf32>
    ```
  }];
  let options = [
    Option<"maxBatch", "max-batch", "int64_t", /*default=*/"0",
           "Largest batch (0: the function's bert.max_batch)">,
    Option<"maxSeq", "max-seq", "int64_t", /*default=*/"0",
           "Longest sequence (0: the function's bert.max_seq)">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Byte alignment of every slot">,
    Option<"activationType", "activation-type", "std::string",
           /*default=*/"\"f32\"",
           "Element type of the f32 activations in the arena: f32, or bf16 "
           "or f16 (half the bytes; the CUDA backend's --precision bf16 and "
           "f16)">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark per function with the statistics below (LLVM "
           "release builds compile pass statistics out)">
  ];
  let statistics = [
    Statistic<"numBuffers", "buffers", "Number of activation buffers placed">,
    Statistic<"arenaBytes", "arena-bytes", "Peak arena size in bytes">,
    Statistic<"unsharedBytes", "unshared-bytes",
              "Sum of all intermediate sizes (arena without reuse)">
  ];
  let dependentDialects = ["::mlir::bert::BertDialect"];
}

def VerifyBuffersPass : Pass<"bert-verify-buffers", "::mlir::func::FuncOp"> {
  let summary = "Check an arena plan against recomputed live ranges";
  let description = [{
    Recomputes which values own activation memory and their live ranges
    (the rules of `bert-plan-buffers`) and reports an error when two values
    live at the same time have overlapping `bert.buffer` slots, a slot is
    smaller than its value at the function's `bert.max_batch` /
    `bert.max_seq`, a slot ends past `bert.arena_bytes`, a value that needs a
    slot has none, or a view or load-time value has one. Changes nothing.

    ```mlir
    // error: %b overlaps %a while %a is still read by the third op
    %a = bert.gelu %x {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>} : ...
    %b = bert.gelu %a {bert.buffer = #bert.buffer<offset = 512, bytes = 1024>} : ...
    %c = bert.add %a, %b : ...
    ```
  }];
  let dependentDialects = ["::mlir::bert::BertDialect"];
}

def PruneFirstTokenPass : Pass<"bert-prune-first-token", "::mlir::func::FuncOp"> {
  let summary = "Compute the end of the encoder for the first token only when "
                "only the first token is read";
  let description = [{
    When the function's outputs read the final hidden state only through
    `bert.pooler`s (sequence classification, next-sentence prediction: heads
    of the first token), the row-wise kernels at the end of the last layer —
    the residual LayerNorms, the feed-forward linears — are rewritten to run
    on that token alone: `[B, 1, H]` instead of `[B, S, H]`. Their
    per-token inputs (the attention block's output, the residual) are
    `bert.slice`d to row 0 along the sequence (a strided view, no copy);
    keys, values and attention still see every token. The attention output
    projection, whose input comes from outside the region, reads the
    attention's token 0 the same way (a linear on a strided row view).
    Runs after `bert-fuse`, on kernel ops. The numbers are unchanged: rows
    are independent in every op it rewrites.

    Before (last layer, after fusion):
    ```mlir
    %o = bert.linear %ctx, %wo, %bo : (tensor<?x?x768xf32>, ...) -> tensor<?x?x768xf32>
    %h1 = bert.add_layer_norm %o, %x, %g1, %b1 ... -> tensor<?x?x768xf32>
    %f = bert.linear %h1, %w1, %b1 activation <gelu> ... -> tensor<?x?x3072xf32>
    ...
    %p = bert.pooler %h2, %wp, %bp ...
    ```
    After:
    ```mlir
    %ctx0 = bert.slice %ctx {dim = 1 : i64, offset = 0 : i64, size = 1 : i64} ... -> tensor<?x1x768xf32>
    %x0 = bert.slice %x {dim = 1 : i64, offset = 0 : i64, size = 1 : i64} ... -> tensor<?x1x768xf32>
    %o = bert.linear %ctx0, %wo, %bo : (tensor<?x1x768xf32>, ...) -> tensor<?x1x768xf32>
    %h1 = bert.add_layer_norm %o, %x0, %g1, %b1 ... -> tensor<?x1x768xf32>
    %f = bert.linear %h1, %w1, %b1 activation <gelu> ... -> tensor<?x1x3072xf32>
    ...
    ```
  }];
  let statistics = [
    Statistic<"numPruned", "pruned-ops", "Ops rewritten to the first token">
  ];
  let dependentDialects = ["::mlir::bert::BertDialect"];
}

#endif // BERT_PASSES_TD
