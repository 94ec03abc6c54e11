// bert.linear's `hadamard B`: i8 only, B a power of 4 (4, 16, 64, ...)
// dividing in_features. (Round trip: ops.mlir.)
// RUN: bert-opt %s --split-input-file --verify-diagnostics

func.func @hadamard_f32(%x: tensor<?x?x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'bert.linear' op hadamard applies to precision i8 only, got f32}}
  %y = bert.linear %x, %w hadamard 64 : (tensor<?x?x64xf32>, tensor<8x64xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @hadamard_bf16(%x: tensor<?x?x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'bert.linear' op hadamard applies to precision i8 only, got bf16}}
  %y = bert.linear %x, %w precision <bf16> hadamard 16 : (tensor<?x?x64xf32>, tensor<8x64xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @hadamard_not_power_of_4(%x: tensor<?x?x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'bert.linear' op hadamard block must be a power of 4 (4, 16, 64, ...), got 32}}
  %y = bert.linear %x, %w precision <i8> hadamard 32 : (tensor<?x?x64xf32>, tensor<8x64xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @hadamard_negative(%x: tensor<?x?x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'bert.linear' op hadamard block must be a power of 4 (4, 16, 64, ...), got -4}}
  %y = bert.linear %x, %w precision <i8> hadamard -4 : (tensor<?x?x64xf32>, tensor<8x64xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @hadamard_one(%x: tensor<?x?x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'bert.linear' op hadamard block must be a power of 4 (4, 16, 64, ...), got 1}}
  %y = bert.linear %x, %w precision <i8> hadamard 1 : (tensor<?x?x64xf32>, tensor<8x64xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @hadamard_not_dividing(%x: tensor<?x?x48xf32>, %w: tensor<8x48xf32>) {
  // expected-error @+1 {{'bert.linear' op hadamard block 64 must divide in_features 48}}
  %y = bert.linear %x, %w precision <i8> hadamard 64 : (tensor<?x?x48xf32>, tensor<8x48xf32>) -> tensor<?x?x8xf32>
  return
}
