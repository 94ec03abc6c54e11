// RUN: bert-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the row-masking ops, bert.mask_rows (XLM's
// `tensor *= mask`) and bert.add_mask_rows (FlauBERT's pre-norm residual, then
// the mask); the other ops' cases are in invalid.mlir.

func.func @mask_rows_input_rank(%x: tensor<?x8xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.mask_rows' op input must have rank 3}}
  %y = bert.mask_rows %x, %m : (tensor<?x8xf32>, tensor<?x?xi32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @mask_rows_mask_rank(%x: tensor<?x?x8xf32>, %m: tensor<?xi32>) {
  // expected-error @+1 {{'bert.mask_rows' op mask must have rank 2}}
  %y = bert.mask_rows %x, %m : (tensor<?x?x8xf32>, tensor<?xi32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @mask_rows_mask_shape(%x: tensor<2x5x8xf32>, %m: tensor<2x4xi32>) {
  // expected-error @+1 {{'bert.mask_rows' op mask shape [2, 4] must be the input's [batch, seq] of [2, 5, 8]}}
  %y = bert.mask_rows %x, %m : (tensor<2x5x8xf32>, tensor<2x4xi32>) -> tensor<2x5x8xf32>
  return
}

// -----

func.func @mask_rows_result(%x: tensor<?x?x8xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.mask_rows' op result}}
  %y = bert.mask_rows %x, %m : (tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x6xf32>
  return
}

// -----

func.func @add_mask_rows_residual(%x: tensor<?x?x8xf32>, %r: tensor<?x?x6xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.add_mask_rows' op residual type 'tensor<?x?x6xf32>' must equal the input type 'tensor<?x?x8xf32>'}}
  %y = bert.add_mask_rows %x, %r, %m : (tensor<?x?x8xf32>, tensor<?x?x6xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @add_mask_rows_input_rank(%x: tensor<?x8xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.add_mask_rows' op input must have rank 3}}
  %y = bert.add_mask_rows %x, %x, %m : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x?xi32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @add_mask_rows_mask_rank(%x: tensor<?x?x8xf32>, %m: tensor<?xi32>) {
  // expected-error @+1 {{'bert.add_mask_rows' op mask must have rank 2}}
  %y = bert.add_mask_rows %x, %x, %m : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?xi32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @add_mask_rows_mask_shape(%x: tensor<2x5x8xf32>, %m: tensor<2x4xi32>) {
  // expected-error @+1 {{'bert.add_mask_rows' op mask shape [2, 4] must be the input's [batch, seq] of [2, 5, 8]}}
  %y = bert.add_mask_rows %x, %x, %m : (tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x4xi32>) -> tensor<2x5x8xf32>
  return
}

// -----

func.func @add_mask_rows_result(%x: tensor<?x?x8xf32>, %m: tensor<?x?xi32>) {
  // expected-error @+1 {{'bert.add_mask_rows' op result}}
  %y = bert.add_mask_rows %x, %x, %m : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xi32>) -> tensor<?x?x6xf32>
  return
}
