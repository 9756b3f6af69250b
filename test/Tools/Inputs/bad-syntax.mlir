func.func @step(%w: tensor<4xf32>) -> tensor<4xf32> {
  %0 = optim.apply %w, %w {lr = 1.0e-3 : f64 : tensor<4xf32>
  return %0 : tensor<4xf32>
}
