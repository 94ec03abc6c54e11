// Functions that return weights, for the safetensors tests.
func.func @w5() -> tensor<5xf32> {
  %w = bert.weight "w" : tensor<5xf32>
  return %w : tensor<5xf32>
}

func.func @other() -> tensor<5xf32> {
  %w = bert.weight "b" : tensor<5xf32>
  return %w : tensor<5xf32>
}

// Written in reverse name order: the writer must sort.
func.func @model() -> (tensor<4xf32>, tensor<4xf32>, tensor<3x4xf32>) {
  %m = bert.weight "b.dense.weight" : tensor<3x4xf32>
  %g = bert.weight "a.LayerNorm.weight" : tensor<4xf32>
  %b = bert.weight "a.LayerNorm.bias" : tensor<4xf32>
  return %g, %b, %m : tensor<4xf32>, tensor<4xf32>, tensor<3x4xf32>
}
