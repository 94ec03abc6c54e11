// bert.relative_attention (with bert.relative_positions and
// bert.weight_matrix around it) on values worked out by hand. H = 2, one head of
// d = 2 (scale 1/sqrt 2), x = the identity per row ([1, 0], [0, 1]), q = k = 0
// weights (so only the biases' terms remain), v = o = identity.
//
// @seg, only the segment term: r_s_bias = [1, 0], seg_embed[1] = [sqrt(2) ln 3, 0]
//   (seg_embed[0] = 0), token types [0, 1]: a pair in different segments scores
//   ln 3, so each query weighs the other token 3:1 -> [0.25, 0.75], [0.75, 0.25].
//   Batch row 1 masks token 1: query 0 sees only itself -> [1, 0]; query 1 (padding)
//   still attends to itself (non_tgt_mask) and to token 0 -> [0.75, 0.25].
// @pos, only the position term: r_r_bias = [1, 0], Wr = identity, so the score of
//   (i, j) is sin(i - j) / sqrt 2: query 0 scores [0, -sin 1 / sqrt 2], query 1
//   [sin 1 / sqrt 2, 0]; both put p = 1 / (1 + e^(-0.595009)) = 0.644514 on token 0
//   -> [0.644514, 0.355486] twice (with j - i instead, query 0 would give the
//   reverse).
// REQUIRES: bert-eval
// RUN: rm -rf %t && mkdir -p %t/seg %t/pos
// RUN: %python %S/Inputs/mkfiles.py npy %t/seg/arg0.npy f4 2,2,2 1,0,0,1,1,0,0,1
// RUN: %python %S/Inputs/mkfiles.py npy %t/seg/arg1.npy i4 2,2 1,1,1,0
// RUN: %python %S/Inputs/mkfiles.py npy %t/seg/arg2.npy i4 2,2 0,1,0,1
// RUN: %python %S/Inputs/mkfiles.py npy %t/seg/arg3.npy f4 2,1,2 0,0,0,0
// RUN: %python %S/Inputs/mkfiles.py npy %t/seg/arg4.npy f4 2,1,2 1,0,0,1
// RUN: %python %S/Inputs/mkfiles.py npy %t/seg/arg5.npy f4 1,2 0,0
// RUN: %python %S/Inputs/mkfiles.py npy %t/seg/arg6.npy f4 1,2 1,0
// RUN: %python %S/Inputs/mkfiles.py npy %t/seg/arg7.npy f4 2,1,2 0,0,1.5536723984,0
// RUN: bert-eval %s --function seg --inputs-dir %t/seg --print-values | FileCheck %s --check-prefix=SEG
// RUN: cp %t/seg/arg0.npy %t/seg/arg2.npy %t/seg/arg3.npy %t/seg/arg4.npy %t/seg/arg5.npy %t/pos/
// RUN: %python %S/Inputs/mkfiles.py npy %t/pos/arg1.npy i4 2,2 1,1,1,1
// RUN: %python %S/Inputs/mkfiles.py npy %t/pos/arg6.npy f4 1,2 1,0
// RUN: %python %S/Inputs/mkfiles.py npy %t/pos/arg7.npy f4 2,1,2 0,0,0,0
// RUN: bert-eval %s --function pos --inputs-dir %t/pos --print-values | FileCheck %s --check-prefix=POS
// A mask whose sequence length is not the input's is refused at the op, not read out of bounds.
// RUN: mkdir -p %t/bad && cp %t/seg/arg0.npy %t/seg/arg2.npy %t/seg/arg3.npy %t/seg/arg4.npy %t/seg/arg5.npy %t/seg/arg6.npy %t/seg/arg7.npy %t/bad/
// RUN: %python %S/Inputs/mkfiles.py npy %t/bad/arg1.npy i4 2,3 1,1,1,1,1,1
// RUN: not bert-eval %s --function dynamic --inputs-dir %t/bad 2>&1 | FileCheck %s --check-prefix=BAD

// SEG-LABEL: result #0: shape [2, 2, 2]
// SEG-NEXT:  0.25 0.75
// SEG-NEXT:  0.75 0.25
// SEG-NEXT:  1 0
// SEG-NEXT:  0.75 0.25
// arg3: q = k = Wr = 0; arg4: v = o = identity; arg5: r_w_bias = 0;
// arg6: r_s_bias; arg7: seg_embed. Built as XlnetBuilder builds a layer:
// the einsum weights as linear matrices, the sinusoids, kr a linear of them.
func.func @seg(%x: tensor<2x2x2xf32>, %mask: tensor<2x2xi32>, %tt: tensor<2x2xi32>,
               %zero: tensor<2x1x2xf32>, %eye: tensor<2x1x2xf32>, %bzero: tensor<1x2xf32>,
               %rs: tensor<1x2xf32>, %seg: tensor<2x1x2xf32>) -> tensor<2x2x2xf32> {
  %wz = bert.weight_matrix %zero transposed : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %we = bert.weight_matrix %eye transposed : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %wo = bert.weight_matrix %eye : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %q = bert.linear %x, %wz : (tensor<2x2x2xf32>, tensor<2x2xf32>) -> tensor<2x2x2xf32>
  %v = bert.linear %x, %we : (tensor<2x2x2xf32>, tensor<2x2xf32>) -> tensor<2x2x2xf32>
  %pos = bert.relative_positions %mask {clamp_len = -1 : i64} : (tensor<2x2xi32>) -> tensor<2x?x2xf32>
  %kr = bert.linear %pos, %wz : (tensor<2x?x2xf32>, tensor<2x2xf32>) -> tensor<2x?x2xf32>
  %c = bert.relative_attention %q, %q, %v, %kr, %mask, %tt, %bzero, %bzero, %rs, %seg
      {num_heads = 1 : i64}
      : (tensor<2x2x2xf32>, tensor<2x2x2xf32>, tensor<2x2x2xf32>, tensor<2x?x2xf32>, tensor<2x2xi32>, tensor<2x2xi32>,
         tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<2x1x2xf32>) -> tensor<2x2x2xf32>
  %a = bert.linear %c, %wo : (tensor<2x2x2xf32>, tensor<2x2xf32>) -> tensor<2x2x2xf32>
  return %a : tensor<2x2x2xf32>
}

// POS-LABEL: result #0: shape [2, 2, 2]
// POS-NEXT:  0.644514 0.355486
// POS-NEXT:  0.644514 0.355486
// POS-NEXT:  0.644514 0.355486
// POS-NEXT:  0.644514 0.355486
// arg6: r_r_bias; arg7: seg_embed = 0; Wr = identity (%eye).
func.func @pos(%x: tensor<2x2x2xf32>, %mask: tensor<2x2xi32>, %tt: tensor<2x2xi32>,
               %zero: tensor<2x1x2xf32>, %eye: tensor<2x1x2xf32>, %bzero: tensor<1x2xf32>,
               %rr: tensor<1x2xf32>, %seg: tensor<2x1x2xf32>) -> tensor<2x2x2xf32> {
  %wz = bert.weight_matrix %zero transposed : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %we = bert.weight_matrix %eye transposed : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %wo = bert.weight_matrix %eye : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %q = bert.linear %x, %wz : (tensor<2x2x2xf32>, tensor<2x2xf32>) -> tensor<2x2x2xf32>
  %v = bert.linear %x, %we : (tensor<2x2x2xf32>, tensor<2x2xf32>) -> tensor<2x2x2xf32>
  %pos = bert.relative_positions %mask {clamp_len = -1 : i64} : (tensor<2x2xi32>) -> tensor<2x?x2xf32>
  %kr = bert.linear %pos, %we : (tensor<2x?x2xf32>, tensor<2x2xf32>) -> tensor<2x?x2xf32>
  %c = bert.relative_attention %q, %q, %v, %kr, %mask, %tt, %bzero, %rr, %bzero, %seg
      {num_heads = 1 : i64}
      : (tensor<2x2x2xf32>, tensor<2x2x2xf32>, tensor<2x2x2xf32>, tensor<2x?x2xf32>, tensor<2x2xi32>, tensor<2x2xi32>,
         tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<2x1x2xf32>) -> tensor<2x2x2xf32>
  %a = bert.linear %c, %wo : (tensor<2x2x2xf32>, tensor<2x2xf32>) -> tensor<2x2x2xf32>
  return %a : tensor<2x2x2xf32>
}

// BAD: error: 'bert.relative_attention' op cannot be evaluated: query [2, 2, 2], key [2, 2, 2], value [2, 2, 2], position_keys [2, 3, 2], mask [2, 3] and token_type_ids [2, 2] must be [B, S, H] (three times), [2, S, H], [B, S], [B, S]
func.func @dynamic(%x: tensor<?x?x2xf32>, %mask: tensor<?x?xi32>, %tt: tensor<?x?xi32>,
               %zero: tensor<2x1x2xf32>, %eye: tensor<2x1x2xf32>, %bzero: tensor<1x2xf32>,
               %rs: tensor<1x2xf32>, %seg: tensor<2x1x2xf32>) -> tensor<?x?x2xf32> {
  %wz = bert.weight_matrix %zero transposed : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %we = bert.weight_matrix %eye transposed : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %wo = bert.weight_matrix %eye : (tensor<2x1x2xf32>) -> tensor<2x2xf32>
  %q = bert.linear %x, %wz : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %v = bert.linear %x, %we : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %pos = bert.relative_positions %mask {clamp_len = -1 : i64} : (tensor<?x?xi32>) -> tensor<2x?x2xf32>
  %kr = bert.linear %pos, %wz : (tensor<2x?x2xf32>, tensor<2x2xf32>) -> tensor<2x?x2xf32>
  %c = bert.relative_attention %q, %q, %v, %kr, %mask, %tt, %bzero, %bzero, %rs, %seg
      {num_heads = 1 : i64}
      : (tensor<?x?x2xf32>, tensor<?x?x2xf32>, tensor<?x?x2xf32>, tensor<2x?x2xf32>, tensor<?x?xi32>, tensor<?x?xi32>,
         tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<2x1x2xf32>) -> tensor<?x?x2xf32>
  %a = bert.linear %c, %wo : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  return %a : tensor<?x?x2xf32>
}
