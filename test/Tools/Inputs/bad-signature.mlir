func.func @step(%w: tensor<4xf32> {optim.name = "w", optim.role = "param"},
                %t: i64) -> (tensor<4xf32> {optim.name = "w"}) {
  return %w : tensor<4xf32>
}
