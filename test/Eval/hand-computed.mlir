// Values worked out by hand (to 6 digits with a calculator):
//   gelu exact  x*0.5*(1+erf(x/sqrt 2)):  x=-1 -> -0.158655, 1 -> 0.841345, 2 -> 1.9545
//   gelu tanh   0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))): -1 -> -0.158808, 1 -> 0.841192, 2 -> 1.9546
//   masked softmax of [1, 2, 3] with mask [1, 1, 0]: e/(e+e^2), e^2/(e+e^2), 0
//     = 0.268941, 0.731059, 0; unmasked row 2 of batch 0: [0, 0, 0] -> 1/3 each
//   split_heads of [0..7] with 2 heads: head 0 = [0 1 2 3], head 1 = [4 5 6 7]
//   linear precision <i8>, x = [1 -0.5 0.25 2], W rows [1 0.5 -1 0.2] and zeros: x's range
//     [-0.5, 2] -> scale 2.5/255, zero point round(0.5 * 102) = 51, qx = round(x * 102)
//     = [102 -51 26 204] (25.5 to even); W row 0: scale 1/127, qw = [127 64 -127 25] (63.5 to
//     even, 25.4 down); sum = 12954 - 3264 - 3302 + 5100 = 11488 -> 11488 * 2.5/255/127
//     = 0.886830 (fp32: 0.9); a zero channel gives 0
// REQUIRES: bert-eval
// RUN: rm -rf %t && mkdir -p %t/gelu %t/softmax %t/split
// RUN: %python %S/Inputs/mkfiles.py npy %t/gelu/arg0.npy f4 1,4 -1,0,1,2
// RUN: bert-eval %s --function gelu --inputs-dir %t/gelu --print-values | FileCheck %s --check-prefix=GELU
// RUN: %python %S/Inputs/mkfiles.py npy %t/softmax/arg0.npy f4 2,1,3 1,2,3,0,0,0
// RUN: %python %S/Inputs/mkfiles.py npy %t/softmax/arg1.npy i4 2,3 1,1,0,1,1,1
// RUN: bert-eval %s --function softmax --inputs-dir %t/softmax --print-values | FileCheck %s --check-prefix=SOFTMAX
// RUN: %python %S/Inputs/mkfiles.py npy %t/split/arg0.npy f4 1,1,8 0,1,2,3,4,5,6,7
// RUN: bert-eval %s --function split --inputs-dir %t/split --print-values | FileCheck %s --check-prefix=SPLIT
// RUN: mkdir -p %t/bmm
// RUN: %python %S/Inputs/mkfiles.py npy %t/bmm/arg0.npy f4 1,1,2 1.001953125,1.005859375
// RUN: %python %S/Inputs/mkfiles.py npy %t/bmm/arg1.npy f4 1,2,1 1,1.00390625
// RUN: bert-eval %s --function bmm --inputs-dir %t/bmm --print-values | FileCheck %s --check-prefix=BMM
// RUN: mkdir -p %t/i8
// RUN: %python %S/Inputs/mkfiles.py npy %t/i8/arg0.npy f4 1,4 1,-0.5,0.25,2
// RUN: %python %S/Inputs/mkfiles.py npy %t/i8/arg1.npy f4 2,4 1,0.5,-1,0.2,0,0,0,0
// RUN: bert-eval %s --function linear_i8 --inputs-dir %t/i8 --print-values | FileCheck %s --check-prefix=I8
// RUN: mkdir -p %t/f16
// RUN: %python %S/Inputs/mkfiles.py npy %t/f16/arg0.npy f4 1,4 1.00048828125,1.00146484375,100000,3e-8
// RUN: %python %S/Inputs/mkfiles.py npy %t/f16/arg1.npy f4 4,4 1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1
// RUN: bert-eval %s --function linear_f16 --inputs-dir %t/f16 --print-values | FileCheck %s --check-prefix=F16

// GELU-LABEL: result #0: shape [1, 4]
// GELU-NEXT:  -0.158655 0 0.841345 1.9545
// GELU-LABEL: result #1: shape [1, 4]
// GELU-NEXT:  -0.158808 0 0.841192 1.9546
func.func @gelu(%x: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %e = bert.gelu %x : tensor<1x4xf32>
  %t = bert.gelu %x approximation <tanh> : tensor<1x4xf32>
  return %e, %t : tensor<1x4xf32>, tensor<1x4xf32>
}

// SOFTMAX-LABEL: result #0: shape [2, 1, 3]
// SOFTMAX-NEXT:  0.268941 0.731059 0
// SOFTMAX-NEXT:  0.333333 0.333333 0.333333
func.func @softmax(%s: tensor<?x1x3xf32>, %mask: tensor<?x3xi32>) -> tensor<?x1x3xf32> {
  %p = bert.masked_softmax %s, %mask : (tensor<?x1x3xf32>, tensor<?x3xi32>) -> tensor<?x1x3xf32>
  return %p : tensor<?x1x3xf32>
}

// SPLIT-LABEL: result #0: shape [1, 2, 1, 4]
// SPLIT-NEXT:  0 1 2 3
// SPLIT-NEXT:  4 5 6 7
// SPLIT-LABEL: result #1: shape [1, 1, 8]
// SPLIT-NEXT:  0 1 2 3 4 5 6 7
func.func @split(%x: tensor<1x1x8xf32>) -> (tensor<1x2x1x4xf32>, tensor<1x1x8xf32>) {
  %h = bert.split_heads %x {num_heads = 2 : i64} : tensor<1x1x8xf32> -> tensor<1x2x1x4xf32>
  %m = bert.merge_heads %h : tensor<1x2x1x4xf32> -> tensor<1x1x8xf32>
  return %h, %m : tensor<1x2x1x4xf32>, tensor<1x1x8xf32>
}

// bf16 rounds both operands to nearest even before the products: 1 + 2^-9
// -> 1, 1 + 3 * 2^-9 -> 1 + 2^-7 (up), 1 + 2^-8 (a tie) -> 1 (even):
// f32 1.001953125 + 1.005859375 * 1.00390625 = 2.0117416,
// bf16 1 + 1.0078125 * 1 = 2.0078125 (truncating would give 2).
// BMM-LABEL: result #0: shape [1, 1, 1]
// BMM-NEXT:  {{^  2.01174$}}
// BMM-LABEL: result #1: shape [1, 1, 1]
// BMM-NEXT:  {{^  2.00781$}}
func.func @bmm(%a: tensor<1x1x2xf32>, %b: tensor<1x2x1xf32>) -> (tensor<1x1x1xf32>, tensor<1x1x1xf32>) {
  %f = bert.batch_matmul %a, %b : (tensor<1x1x2xf32>, tensor<1x2x1xf32>) -> tensor<1x1x1xf32>
  %h = bert.batch_matmul %a, %b precision <bf16> : (tensor<1x1x2xf32>, tensor<1x2x1xf32>) -> tensor<1x1x1xf32>
  return %f, %h : tensor<1x1x1xf32>, tensor<1x1x1xf32>
}

// I8-LABEL: result #0: shape [1, 2]
// I8-NEXT:  0.88683 0
func.func @linear_i8(%x: tensor<1x4xf32>, %w: tensor<2x4xf32>) -> tensor<1x2xf32> {
  %y = bert.linear %x, %w precision <i8> : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// f16 rounds to IEEE half (11 significant bits, nearest even) and saturates
// at the largest half; W is the identity, so y is x as an operand holds it:
// 1 + 2^-11 (a tie) -> 1 (even), 1 + 3 * 2^-11 (a tie) -> 1 + 2^-9 (up to
// even), 1e5 -> 65504 (not inf), 3e-8 -> 2^-24 = 5.96046e-8 (the smallest
// subnormal: 3e-8 is just above half of it).
// F16-LABEL: result #0: shape [1, 4]
// F16-NEXT:  1.00049 1.00146 100000 3e-08
// F16-LABEL: result #1: shape [1, 4]
// F16-NEXT:  1 1.00195 65504 5.96046e-08
func.func @linear_f16(%x: tensor<1x4xf32>, %w: tensor<4x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %f = bert.linear %x, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  %h = bert.linear %x, %w precision <f16> : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  return %f, %h : tensor<1x4xf32>, tensor<1x4xf32>
}
