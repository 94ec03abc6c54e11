// RUN: bert-opt %s -split-input-file -verify-diagnostics --bert-verify-buffers | FileCheck %s

// Sizes below are at max 2 x 8 tokens: [?, ?, 16] f32 = 1024 bytes,
// [?, ?, 48] f32 = 3072 bytes.

// A valid plan, pinned by hand: %c reuses %a's bytes because %a is dead
// once %b is computed; the returned %d needs no slot. Accepted unchanged.

// CHECK-LABEL: func.func @valid_reuse
// CHECK-SAME: bert.arena_bytes = 2048 : i64
// CHECK: bert.gelu %{{.*}} {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>}
// CHECK: bert.gelu %{{.*}} {bert.buffer = #bert.buffer<offset = 1024, bytes = 1024>}
// CHECK: bert.gelu %{{.*}} {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>}
func.func @valid_reuse(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64, bert.arena_bytes = 2048 : i64} {
  %a = bert.gelu %x {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>} : tensor<?x?x16xf32>
  %b = bert.gelu %a {bert.buffer = #bert.buffer<offset = 1024, bytes = 1024>} : tensor<?x?x16xf32>
  %c = bert.gelu %b {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>} : tensor<?x?x16xf32>
  %d = bert.add %c, %b : tensor<?x?x16xf32>
  return %d : tensor<?x?x16xf32>
}

// -----

// %b is written while %a is still to be read by the add: their slots share
// bytes [512, 1024).

func.func @overlap(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64, bert.arena_bytes = 2048 : i64} {
  // expected-note @below {{the other value is defined here}}
  %a = bert.gelu %x {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>} : tensor<?x?x16xf32>
  // expected-error @below {{arena slot [512, 1536) overlaps slot [0, 1024) of a value live at the same time}}
  %b = bert.gelu %a {bert.buffer = #bert.buffer<offset = 512, bytes = 1024>} : tensor<?x?x16xf32>
  %c = bert.add %a, %b : tensor<?x?x16xf32>
  return %c : tensor<?x?x16xf32>
}

// -----

// A kernel's output may not share bytes with its own input (kernels are not
// in-place): the input is live at the op that writes the output.

func.func @in_place(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64, bert.arena_bytes = 1024 : i64} {
  // expected-note @below {{the other value is defined here}}
  %a = bert.gelu %x {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>} : tensor<?x?x16xf32>
  // expected-error @below {{arena slot [0, 1024) overlaps slot [0, 1024) of a value live at the same time}}
  %b = bert.gelu %a {bert.buffer = #bert.buffer<offset = 0, bytes = 1024>} : tensor<?x?x16xf32>
  %c = bert.gelu %b : tensor<?x?x16xf32>
  return %c : tensor<?x?x16xf32>
}

// -----

// The slices are views of %qkv, so %qkv lives until the attention kernel
// reads them; the attention output may not take %qkv's bytes.

func.func @slice_extends_live_range(%x: tensor<?x?x16xf32>, %mask: tensor<?x?xi32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64, bert.arena_bytes = 3072 : i64} {
  %w = bert.weight "qkv.weight" : tensor<48x16xf32>
  // expected-note @below {{the other value is defined here}}
  %qkv = bert.linear %x, %w {bert.buffer = #bert.buffer<offset = 0, bytes = 3072>}
      : (tensor<?x?x16xf32>, tensor<48x16xf32>) -> tensor<?x?x48xf32>
  %q = bert.slice %qkv {dim = 2 : i64, offset = 0 : i64, size = 16 : i64} : tensor<?x?x48xf32> -> tensor<?x?x16xf32>
  %k = bert.slice %qkv {dim = 2 : i64, offset = 16 : i64, size = 16 : i64} : tensor<?x?x48xf32> -> tensor<?x?x16xf32>
  %v = bert.slice %qkv {dim = 2 : i64, offset = 32 : i64, size = 16 : i64} : tensor<?x?x48xf32> -> tensor<?x?x16xf32>
  // expected-error @below {{arena slot [2048, 3072) overlaps slot [0, 3072) of a value live at the same time}}
  %c = bert.fused_attention %q, %k, %v, %mask {num_heads = 2 : i64, scale = 0.35355339059327379 : f64,
                                               bert.buffer = #bert.buffer<offset = 2048, bytes = 1024>}
      : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?xi32>) -> tensor<?x?x16xf32>
  %y = bert.gelu %c : tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// Scores [B, h, S, S] need 2 * 2 * 8 * 8 * 4 = 1024 bytes: a slot sized as
// if the key dimension were static would be too small.

func.func @too_small(%s: tensor<?x2x?x?xf32>, %mask: tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64, bert.arena_bytes = 1024 : i64} {
  // expected-error @below {{arena slot of 128 bytes is smaller than the 1024 bytes its result needs at max_batch = 2, max_seq = 8}}
  %p = bert.masked_softmax %s, %mask {bert.buffer = #bert.buffer<offset = 0, bytes = 128>}
      : (tensor<?x2x?x?xf32>, tensor<?x?xi32>) -> tensor<?x2x?x?xf32>
  %y = bert.gelu %p : tensor<?x2x?x?xf32>
  return %y : tensor<?x2x?x?xf32>
}

// -----

func.func @past_arena(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64, bert.arena_bytes = 1024 : i64} {
  // expected-error @below {{arena slot [64, 1088) ends past the arena of 1024 bytes}}
  %a = bert.gelu %x {bert.buffer = #bert.buffer<offset = 64, bytes = 1024>} : tensor<?x?x16xf32>
  %b = bert.gelu %a : tensor<?x?x16xf32>
  return %b : tensor<?x?x16xf32>
}

// -----

func.func @missing_slot(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64} {
  // expected-error @below {{needs an arena slot for its 1024 bytes but has no 'bert.buffer'}}
  %a = bert.gelu %x : tensor<?x?x16xf32>
  %b = bert.gelu %a : tensor<?x?x16xf32>
  return %b : tensor<?x?x16xf32>
}

// -----

func.func @slot_on_view(%x: tensor<?x?x32xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64, bert.arena_bytes = 4096 : i64} {
  %a = bert.gelu %x {bert.buffer = #bert.buffer<offset = 0, bytes = 2048>} : tensor<?x?x32xf32>
  // expected-error @below {{has an arena slot but owns no activation memory (a view, a load-time value or not a kernel)}}
  %s = bert.slice %a {dim = 2 : i64, offset = 0 : i64, size = 16 : i64, bert.buffer = #bert.buffer<offset = 2048, bytes = 1024>}
      : tensor<?x?x32xf32> -> tensor<?x?x16xf32>
  %y = bert.gelu %s : tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// expected-error @below {{bert-verify-buffers: no maximum sequence length to size activations with: set 'bert.max_seq' on the function}}
func.func @no_max_seq(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64} {
  %a = bert.gelu %x : tensor<?x?x16xf32>
  return %a : tensor<?x?x16xf32>
}

// -----

// bert-verify-buffers checks a 16-bit slot against half its f32 value's
// bytes: 2048 holds [2, 8, 64] as bf16, 1024 does not.
func.func @short_16bit_slot(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
    attributes {bert.max_batch = 2 : i64, bert.max_seq = 8 : i64, bert.arena_bytes = 1024 : i64} {
  %w1 = bert.weight "w1" : tensor<64x16xf32>
  %w2 = bert.weight "w2" : tensor<16x64xf32>
  // expected-error @+1 {{arena slot of 1024 bytes is smaller than the 2048 bytes its result needs}}
  %h1 = bert.linear %x, %w1 {bert.buffer = #bert.buffer<offset = 0, bytes = 1024, element = bf16>} : (tensor<?x?x16xf32>, tensor<64x16xf32>) -> tensor<?x?x64xf32>
  %h2 = bert.linear %h1, %w2 : (tensor<?x?x64xf32>, tensor<16x64xf32>) -> tensor<?x?x16xf32>
  return %h2 : tensor<?x?x16xf32>
}
