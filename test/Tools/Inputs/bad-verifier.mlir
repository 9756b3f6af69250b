func.func @step(%w: tensor<8x4xf32>, %m: tensor<8x5xf32>, %idx: tensor<5xi64>, %t: i64) -> tensor<8x4xf32> {
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64} : tensor<8x4xf32>, tensor<8x5xf32>, tensor<5xi64>
  return %0#0 : tensor<8x4xf32>
}
