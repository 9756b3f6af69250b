// RUN: optgraph-opt %s -optim-decompose -canonicalize -cse -optim-fuse -split-input-file | FileCheck %s

// Every step refreshes (T = 1): the projection carries the selection, the
// moment update reads its slices, the back-projection applies the update.
// CHECK-LABEL: func @every_step
// CHECK: %[[S:.*]], %[[IDX:.*]] = optim.project_select %{{.*}}, %{{.*}} right norm l1
// CHECK-NOT: optim.select
// CHECK: %[[M:.*]], %[[V:.*]], %[[U:.*]] = optim.gather_adam %[[S]][%[[IDX]]] right,
// CHECK-NOT: optim.adam
// CHECK: optim.project_back_apply %{{.*}}, %[[U]], %{{.*}}[%[[IDX]]] right
// CHECK-NOT: optim.apply
func.func @every_step(%w: tensor<96x64xf32>, %g: tensor<96x64xf32>, %m: tensor<96x8xf32>,
                      %v: tensor<96x8xf32>, %idx: tensor<8xi64>, %t: i64)
    -> (tensor<96x64xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>) {
  %r:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t {lr = 1.0e-3 : f64}
      : tensor<96x64xf32>, tensor<96x8xf32>, tensor<8xi64>
  return %r#0, %r#1, %r#2, %r#3 : tensor<96x64xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>
}

// -----

// T = 3 with rotation: Adam moves into both branches, fuses with the gather
// and the rotation on refresh steps, and stays alone on the others.
// CHECK-LABEL: func @interval
// CHECK: %[[R:.*]]:4 = scf.if
// CHECK:   %[[S:.*]], %[[IDX:.*]] = optim.project_select %{{.*}} left norm l2
// CHECK:   optim.gather_adam %[[S]][%[[IDX]]] left, %{{.*}}, %{{.*}}, %{{.*}} from %{{.*}} : tensor<8xi64>
// CHECK-NOT: optim.rotate
// CHECK: } else {
// CHECK:   %[[A:.*]] = optim.project %{{.*}}, %{{.*}}[%{{.*}} : tensor<8xi64>] left
// CHECK:   optim.adam %{{.*}}, %{{.*}}, %[[A]]
// CHECK: }
// CHECK: optim.project_back_apply %{{.*}}, %[[R]]#3, %{{.*}}[%[[R]]#0] left
func.func @interval(%w: tensor<40x96xf32>, %g: tensor<40x96xf32>, %m: tensor<8x96xf32>,
                    %v: tensor<8x96xf32>, %idx: tensor<8xi64>, %t: i64)
    -> (tensor<40x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8xi64>) {
  %r:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t
      {lr = 1.0e-3 : f64, interval = 3 : i64, rotate = true, norm = #optim<norm l2>}
      : tensor<40x96xf32>, tensor<8x96xf32>, tensor<8xi64>
  return %r#0, %r#1, %r#2, %r#3 : tensor<40x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8xi64>
}

// -----

// A full-rank parameter's Adam and update become one optim.adamw again.
// CHECK-LABEL: func @full_rank
// CHECK: optim.adamw
// CHECK-NOT: optim.adam
// CHECK-NOT: optim.apply
func.func @full_rank(%w: tensor<37xf32>, %g: tensor<37xf32>, %m: tensor<37xf32>,
                     %v: tensor<37xf32>, %t: i64) -> (tensor<37xf32>, tensor<37xf32>, tensor<37xf32>) {
  %r:3 = optim.adamw %w, %g, %m, %v, %t {lr = 1.0e-3 : f64, weight_decay = 0.1 : f64} : tensor<37xf32>
  return %r#0, %r#1, %r#2 : tensor<37xf32>, tensor<37xf32>, tensor<37xf32>
}
