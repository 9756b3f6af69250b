// RUN: optgraph-opt %s -split-input-file -optim-decompose | FileCheck %s

// Refresh every 3 steps, with rotation: the refresh condition is control flow
// on the step count; only the refresh branch computes the full projection.
// CHECK-LABEL: func @lowrank_interval
// CHECK-SAME: (%[[W:[^:]*]]: tensor<37x20xf32>, %[[G:[^:]*]]: tensor<37x20xf32>, %[[M:[^:]*]]: tensor<37x5xf32>, %[[V:[^:]*]]: tensor<37x5xf32>, %[[IDX:[^:]*]]: tensor<5xi64>, %[[T:[^:]*]]: i64)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK: %[[Q:.*]] = optim.dct_basis dct2 : tensor<20x20xf32>
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[T]], %[[C1]]
// CHECK: %[[PHASE:.*]] = arith.remsi %[[T]], %[[C3]]
// CHECK: %[[ON:.*]] = arith.cmpi eq, %[[PHASE]], %[[C0]]
// CHECK: %[[REFRESH:.*]] = arith.ori %[[FIRST]], %[[ON]]
// CHECK: %[[SUB:.*]]:4 = scf.if %[[REFRESH]]
// CHECK:   %[[S:.*]] = optim.project %[[G]], %[[Q]] right : {{.*}} -> tensor<37x20xf32>
// CHECK:   %[[NEW:.*]] = optim.select %[[S]] right norm l2
// CHECK:   %[[A:.*]] = optim.gather %[[S]][%[[NEW]]] right
// CHECK:   %[[RM:[^,]*]], %[[RV:[^ ]*]] = optim.rotate %[[M]], %[[V]] from %[[IDX]] to %[[NEW]] right
// CHECK:   scf.yield %[[NEW]], %[[A]], %[[RM]], %[[RV]]
// CHECK: } else {
// CHECK:   %[[A2:.*]] = optim.project %[[G]], %[[Q]][%[[IDX]] : tensor<5xi64>] right
// CHECK:   scf.yield %[[IDX]], %[[A2]], %[[M]], %[[V]]
// CHECK: }
// CHECK: %[[AM:[^,]*]], %[[AV:[^,]*]], %[[DIR:[^ ]*]] = optim.adam %[[SUB]]#2, %[[SUB]]#3, %[[SUB]]#1, %[[T]] {beta1 = 8.000000e-01 : f64}
// CHECK: %[[U:.*]] = optim.project_back %[[DIR]], %[[Q]][%[[SUB]]#0] right
// CHECK: %[[W1:.*]] = optim.apply %[[W]], %[[U]] {lr = 1.000000e-02 : f64, scale = 2.500000e-01 : f64, weight_decay = 1.000000e-01 : f64}
// CHECK: return %[[W1]], %[[AM]], %[[AV]], %[[SUB]]#0
func.func @lowrank_interval(%w: tensor<37x20xf32>, %g: tensor<37x20xf32>, %m: tensor<37x5xf32>, %v: tensor<37x5xf32>, %idx: tensor<5xi64>, %t: i64) -> (tensor<37x20xf32>, tensor<37x5xf32>, tensor<37x5xf32>, tensor<5xi64>) {
  %0:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t {lr = 1.0e-2 : f64, beta1 = 0.8 : f64, weight_decay = 0.1 : f64, scale = 0.25 : f64, interval = 3 : i64, rotate = true, basis = #optim<basis dct2>, norm = #optim<norm l2>} : tensor<37x20xf32>, tensor<37x5xf32>, tensor<5xi64>
  return %0#0, %0#1, %0#2, %0#3 : tensor<37x20xf32>, tensor<37x5xf32>, tensor<37x5xf32>, tensor<5xi64>
}

// -----

// Every step refreshes: no branch; without rotation the moments pass as they
// are. side = auto on a 12x45 weight is the left side.
// CHECK-LABEL: func @lowrank_every_step_left
// CHECK-NOT: scf.if
// CHECK: %[[Q:.*]] = optim.dct_basis dct3 : tensor<12x12xf32>
// CHECK: %[[S:.*]] = optim.project %{{.*}}, %[[Q]] left
// CHECK: %[[IDX:.*]] = optim.select %[[S]] left norm l1 : tensor<12x45xf32> -> tensor<4xi64>
// CHECK: %[[A:.*]] = optim.gather %[[S]][%[[IDX]]] left
// CHECK-NOT: optim.rotate
// CHECK: optim.adam %{{.*}}, %{{.*}}, %[[A]]
// CHECK: optim.project_back %{{.*}}, %[[Q]][%[[IDX]]] left
// CHECK-NOT: scf.if
func.func @lowrank_every_step_left(%w: tensor<12x45xf32>, %m: tensor<4x45xf32>, %idx: tensor<4xi64>, %t: i64) -> tensor<12x45xf32> {
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64} : tensor<12x45xf32>, tensor<4x45xf32>, tensor<4xi64>
  return %0#0 : tensor<12x45xf32>
}

// -----

// A forced side wins over the shape: 50x30 projected on the left, N = 50.
// CHECK-LABEL: func @lowrank_forced_left
// CHECK: optim.dct_basis dct3 : tensor<50x50xf32>
// CHECK: optim.select %{{.*}} left
func.func @lowrank_forced_left(%w: tensor<50x30xf32>, %m: tensor<6x30xf32>, %idx: tensor<6xi64>, %t: i64) -> tensor<50x30xf32> {
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64, side = #optim<side left>} : tensor<50x30xf32>, tensor<6x30xf32>, tensor<6xi64>
  return %0#0 : tensor<50x30xf32>
}

// -----

// CHECK-LABEL: func @adamw
// CHECK-SAME: (%[[W:[^:]*]]: tensor<17xf32>, %[[G:[^:]*]]: tensor<17xf32>, %[[M:[^:]*]]: tensor<17xf32>, %[[V:[^:]*]]: tensor<17xf32>, %[[T:[^:]*]]: i64, %[[S:[^:]*]]: f32)
// CHECK: %[[AM:[^,]*]], %[[AV:[^,]*]], %[[DIR:[^ ]*]] = optim.adam %[[M]], %[[V]], %[[G]], %[[T]] {eps = {{.*}}} : tensor<17xf32>
// CHECK: %[[W1:.*]] = optim.apply %[[W]], %[[DIR]] lr_scale %[[S]] {lr = 3.000000e-03 : f64, weight_decay = 1.000000e-02 : f64} : tensor<17xf32>
// CHECK: return %[[W1]], %[[AM]], %[[AV]]
func.func @adamw(%w: tensor<17xf32>, %g: tensor<17xf32>, %m: tensor<17xf32>, %v: tensor<17xf32>, %t: i64, %s: f32) -> (tensor<17xf32>, tensor<17xf32>, tensor<17xf32>) {
  %0:3 = optim.adamw %w, %g, %m, %v, %t lr_scale %s {lr = 3.0e-3 : f64, eps = 1.0e-6 : f64, weight_decay = 0.01 : f64} : tensor<17xf32>
  return %0#0, %0#1, %0#2 : tensor<17xf32>, tensor<17xf32>, tensor<17xf32>
}
