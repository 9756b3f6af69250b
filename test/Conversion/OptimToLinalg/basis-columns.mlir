// RUN: optgraph-opt %s -split-input-file -convert-optim-to-linalg | FileCheck %s

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

// With a refresh interval (the input is -optim-decompose's form), the full
// basis is read by the refresh branch's projection only: the other steps'
// projection and the back-projection generate their selected columns. That
// leaves the basis to -control-flow-sink, which moves it into the refresh
// branch (checked in test/Pipelines/cpu-pipeline.mlir).
// CHECK-LABEL: func @basis_for_refresh_branch
// CHECK-SAME: (%[[G:[^:]*]]: tensor<37x20xf32>, %[[IDX:[^:]*]]: tensor<6xi64>, %[[REFRESH:[^:]*]]: i1)
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<20x20xf32>)
// CHECK: %[[SUB:.*]]:2 = scf.if %[[REFRESH]]
// CHECK:   linalg.matmul ins(%[[G]], %[[Q]] : tensor<37x20xf32>, tensor<20x20xf32>)
// CHECK:   scf.yield %{{.*}}, %{{.*}} : tensor<6xi64>, tensor<37x6xf32>
// CHECK-NEXT: } else {
// CHECK-NOT: tensor<20x20xf32>
// CHECK:   %[[COLS:.*]] = linalg.generic {{.*}} ins(%[[IDX]] : tensor<6xi64>) outs(%{{.*}} : tensor<20x6xf32>)
// CHECK-NOT: tensor<20x20xf32>
// CHECK:   %[[A:.*]] = linalg.matmul ins(%[[G]], %[[COLS]] : tensor<37x20xf32>, tensor<20x6xf32>)
// CHECK-NEXT: scf.yield %[[IDX]], %[[A]]
// CHECK-NEXT: }
// CHECK-NOT: tensor<20x20xf32>
// CHECK: %[[BACK:.*]] = linalg.generic {{.*}} ins(%[[SUB]]#0 : tensor<6xi64>) outs(%{{.*}} : tensor<20x6xf32>)
// CHECK-NOT: tensor<20x20xf32>
// CHECK: linalg.matmul {{.*}} ins(%[[SUB]]#1, %[[BACK]] : tensor<37x6xf32>, tensor<20x6xf32>)
// CHECK-NOT: tensor<20x20xf32>
// CHECK: return
func.func @basis_for_refresh_branch(%g: tensor<37x20xf32>, %idx: tensor<6xi64>, %refresh: i1) -> tensor<37x20xf32> {
  %q = optim.dct_basis dct3 : tensor<20x20xf32>
  %sub:2 = scf.if %refresh -> (tensor<6xi64>, tensor<37x6xf32>) {
    %scores = optim.project %g, %q right : tensor<37x20xf32>, tensor<20x20xf32> -> tensor<37x20xf32>
    %new_idx = optim.select %scores right norm l1 : tensor<37x20xf32> -> tensor<6xi64>
    %a = optim.gather %scores[%new_idx] right : tensor<37x20xf32>, tensor<6xi64> -> tensor<37x6xf32>
    scf.yield %new_idx, %a : tensor<6xi64>, tensor<37x6xf32>
  } else {
    %a = optim.project %g, %q[%idx : tensor<6xi64>] right : tensor<37x20xf32>, tensor<20x20xf32> -> tensor<37x6xf32>
    scf.yield %idx, %a : tensor<6xi64>, tensor<37x6xf32>
  }
  %u = optim.project_back %sub#1, %q[%sub#0] right : tensor<37x6xf32>, tensor<20x20xf32>, tensor<6xi64> -> tensor<37x20xf32>
  return %u : tensor<37x20xf32>
}
