// RUN: bert-opt %s -split-input-file -verify-diagnostics

// The verifier messages of bert.load_time (bert-mark-load-time's mark,
// BertDialect.cpp): a unit attribute, on an op rather than a function.

// expected-error @+1 {{'bert.load_time' must be a unit attribute on an op}}
func.func @on_a_function() attributes {bert.load_time} {
  return
}

// -----

func.func @not_unit(%mask: tensor<?x?xi32>) -> tensor<2x?x8xf32> {
  // expected-error @+1 {{'bert.load_time' must be a unit attribute on an op}}
  %pos = bert.relative_positions %mask {bert.load_time = 1 : i64, clamp_len = -1 : i64} : (tensor<?x?xi32>) -> tensor<2x?x8xf32>
  return %pos : tensor<2x?x8xf32>
}
