// The top-k alone, for select-nan.test: column scores (l1) of a 2x8 input.
func.func @step(%s: tensor<2x8xf32> {optim.name = "s"}) -> (tensor<3xi64> {optim.name = "idx"}) {
  %idx = optim.select %s right norm l1 : tensor<2x8xf32> -> tensor<3xi64>
  return %idx : tensor<3xi64>
}
