// RUN: optgraph-opt %s -split-input-file -optim-decompose -convert-optim-to-linalg | FileCheck %s
// RUN: optgraph-opt %s -split-input-file -optim-decompose -convert-optim-to-linalg -control-flow-sink | FileCheck %s --check-prefix=SINK

// Projections onto selected columns of a DCT basis compute just those N×r
// entries; the N×N basis is not built.
// CHECK-LABEL: func @selected_columns_of_dct
// CHECK-SAME: (%[[G:[^:]*]]: tensor<37x20xf32>, %[[IDX:[^:]*]]: tensor<6xi64>)
// CHECK-NOT: tensor<20x20xf32>
// CHECK: %[[TABLE:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<80xf64>)
// CHECK-NOT: tensor<20x20xf32>
// CHECK: %[[COLS:.*]] = linalg.generic {{.*}} ins(%[[IDX]] : tensor<6xi64>) outs(%{{.*}} : tensor<20x6xf32>)
// CHECK: ^bb0(%[[COL:.*]]: i64, %{{.*}}: f32):
// CHECK: arith.muli %[[COL]]
// CHECK: tensor.extract %[[TABLE]]
// CHECK: linalg.matmul ins(%[[G]], %[[COLS]] : tensor<37x20xf32>, tensor<20x6xf32>)
// CHECK-NOT: tensor<20x20xf32>
// CHECK: return
func.func @selected_columns_of_dct(%g: tensor<37x20xf32>, %idx: tensor<6xi64>) -> tensor<37x6xf32> {
  %q = optim.dct_basis dct2 : tensor<20x20xf32>
  %a = optim.project %g, %q[%idx : tensor<6xi64>] right : tensor<37x20xf32>, tensor<20x20xf32> -> tensor<37x6xf32>
  return %a : tensor<37x6xf32>
}

// -----

// With a refresh interval, the full basis is built inside the refresh branch
// only; the other steps generate the selected columns.
// SINK-LABEL: func @basis_in_refresh_branch
// SINK-NOT: tensor<20x20xf32>
// SINK: scf.if
// SINK: linalg.generic {{.*}} outs(%{{.*}} : tensor<20x20xf32>)
// SINK: tensor.extract
// SINK: } else {
// SINK-NOT: tensor<20x20xf32>
// SINK: linalg.generic {{.*}} outs(%{{.*}} : tensor<20x6xf32>)
func.func @basis_in_refresh_branch(%w: tensor<37x20xf32>, %m: tensor<37x6xf32>, %idx: tensor<6xi64>, %t: i64) -> tensor<37x20xf32> {
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64, interval = 10 : i64} : tensor<37x20xf32>, tensor<37x6xf32>, tensor<6xi64>
  return %0#0 : tensor<37x20xf32>
}
