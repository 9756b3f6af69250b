func.func @two_names(%w: tensor<4xf32> {optim.name = "w", optim.role = "param"},
                     %g: tensor<4xf32> {optim.name = "w", optim.role = "grad"}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}
func.func @update_type(%w: tensor<4xf32> {optim.name = "w", optim.role = "param"}) -> (tensor<2x2xf32> {optim.name = "w"}) {
  %0 = tensor.expand_shape %w [[0, 1]] output_shape [2, 2] : tensor<4xf32> into tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
