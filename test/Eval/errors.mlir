// bert-eval reports what it cannot evaluate at the op's location, and
// rejects bad weights files with the file and tensor named; no crash.
// REQUIRES: bert-eval
// RUN: not bert-eval %s --allow-unregistered-dialect --function unknown 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not bert-eval %s --allow-unregistered-dialect --function contraction --batch 3 --seq 8 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not bert-eval %s --allow-unregistered-dialect --function missing --weight-seed 1 --weights %t.none 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: bert-eval %s --allow-unregistered-dialect --function weight_8x8 --weight-seed 1 --save-weights %t.st
// RUN: not bert-eval %s --allow-unregistered-dialect --function missing --weights %t.st 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not bert-eval %s --allow-unregistered-dialect --function weight_4x8 --weights %t.st 2>&1 | FileCheck %s --check-prefix=WRONGSHAPE
// RUN: not bert-eval %s --allow-unregistered-dialect --function nofunc 2>&1 | FileCheck %s --check-prefix=NOFUNC

// UNKNOWN: errors.mlir:[[@LINE+3]]:8: error: 'test.foo' op is not supported by the reference evaluator
func.func @unknown(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = bert.gelu %x : tensor<2x8xf32>
  %z = "test.foo"(%y) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %z : tensor<2x8xf32>
}

// SHAPE: errors.mlir:[[@LINE+2]]:8: error: 'bert.batch_matmul' op cannot be evaluated: contraction sizes differ: [3, 8] and [3, 8]
func.func @contraction(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c = bert.batch_matmul %a, %b : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %c : tensor<?x?xf32>
}

func.func @weight_8x8() -> tensor<8x8xf32> {
  %w = bert.weight "encoder.layer.0.attention.self.query.weight" : tensor<8x8xf32>
  return %w : tensor<8x8xf32>
}

// WRONGSHAPE: error: 'bert.weight' op cannot load weight: {{.*}}.st: tensor 'encoder.layer.0.attention.self.query.weight' has shape [8, 8], expected [4, 8]
func.func @weight_4x8() -> tensor<4x8xf32> {
  %w = bert.weight "encoder.layer.0.attention.self.query.weight" : tensor<4x8xf32>
  return %w : tensor<4x8xf32>
}

// NOFILE: bert-eval: error: {{.*}}.none: cannot open
// MISSING: errors.mlir:[[@LINE+2]]:8: error: 'bert.weight' op cannot load weight: {{.*}}.st: missing tensor 'pooler.dense.bias'
func.func @missing() -> tensor<8xf32> {
  %w = bert.weight "pooler.dense.bias" : tensor<8xf32>
  return %w : tensor<8xf32>
}

// NOFUNC: bert-eval: error: no function @nofunc in
