func.func @bad_role(%w: tensor<4xf32> {optim.name = "w", optim.role = "weight"}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}
