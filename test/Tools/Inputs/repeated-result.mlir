// One result returned twice, under two names.
func.func @step(%w: tensor<4xf32> {optim.name = "w", optim.role = "param"},
                %g: tensor<4xf32> {optim.name = "w.grad", optim.role = "grad"},
                %m: tensor<4xf32> {optim.name = "w.exp_avg", optim.role = "state"},
                %v: tensor<4xf32> {optim.name = "w.exp_avg_sq", optim.role = "state"},
                %step: tensor<i64> {optim.name = "step", optim.role = "step"})
    -> (tensor<4xf32> {optim.name = "w"}, tensor<4xf32> {optim.name = "w.copy"},
        tensor<4xf32> {optim.name = "w.exp_avg"}, tensor<4xf32> {optim.name = "w.exp_avg_sq"}) {
  %done = tensor.extract %step[] : tensor<i64>
  %one = arith.constant 1 : i64
  %t = arith.addi %done, %one : i64
  %r:3 = optim.adamw %w, %g, %m, %v, %t {lr = 1.0e-2 : f64} : tensor<4xf32>
  return %r#0, %r#0, %r#1, %r#2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
