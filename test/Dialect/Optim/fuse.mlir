// RUN: optgraph-opt %s -split-input-file -optim-fuse | FileCheck %s

// The input is what -optim-decompose (then -canonicalize -cse) makes of a
// step. Every step refreshes (T = 1): the projection carries the selection,
// the moment update reads its slices, the back-projection applies the update.
// CHECK-LABEL: func @every_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<96x64xf32>, %[[G:[^:]*]]: tensor<96x64xf32>, %[[M:[^:]*]]: tensor<96x8xf32>, %[[V:[^:]*]]: tensor<96x8xf32>, %{{[^:]*}}: tensor<8xi64>, %[[T:[^:]*]]: i64)
// CHECK: %[[Q:.*]] = optim.dct_basis dct3
// CHECK: %[[S:[^,]*]], %[[IDX:[^ ]*]] = optim.project_select %[[G]], %[[Q]] right norm l1
// CHECK-NOT: optim.select
// CHECK-NOT: optim.gather
// CHECK: %[[NM:[^,]*]], %[[NV:[^,]*]], %[[U:[^ ]*]] = optim.gather_adam %[[S]][%[[IDX]]] right, %[[M]], %[[V]], %[[T]] :
// CHECK-NOT: optim.adam
// CHECK: %[[W1:.*]] = optim.project_back_apply %[[W]], %[[U]], %[[Q]][%[[IDX]]] right {lr = 1.000000e-03 : f64}
// CHECK-NOT: optim.apply
// CHECK: return %[[W1]], %[[NM]], %[[NV]], %[[IDX]]
func.func @every_step(%w: tensor<96x64xf32>, %g: tensor<96x64xf32>, %m: tensor<96x8xf32>,
                      %v: tensor<96x8xf32>, %idx: tensor<8xi64>, %t: i64)
    -> (tensor<96x64xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>) {
  %q = optim.dct_basis dct3 : tensor<64x64xf32>
  %scores = optim.project %g, %q right : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x64xf32>
  %new_idx = optim.select %scores right norm l1 : tensor<96x64xf32> -> tensor<8xi64>
  %a = optim.gather %scores[%new_idx] right : tensor<96x64xf32>, tensor<8xi64> -> tensor<96x8xf32>
  %m1, %v1, %dir = optim.adam %m, %v, %a, %t : tensor<96x8xf32>
  %u = optim.project_back %dir, %q[%new_idx] right : tensor<96x8xf32>, tensor<64x64xf32>, tensor<8xi64> -> tensor<96x64xf32>
  %w1 = optim.apply %w, %u {lr = 1.0e-3 : f64} : tensor<96x64xf32>
  return %w1, %m1, %v1, %new_idx : tensor<96x64xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>
}

// -----

// T = 3 with rotation: Adam moves into both branches, fuses with the gather
// and the rotation on refresh steps (the old indices ride along), and stays
// alone on the others, on the skinny projection.
// CHECK-LABEL: func @interval
// CHECK-SAME: (%[[W:[^:]*]]: tensor<40x96xf32>, %[[G:[^:]*]]: tensor<40x96xf32>, %[[M:[^:]*]]: tensor<8x96xf32>, %[[V:[^:]*]]: tensor<8x96xf32>, %[[IDX:[^:]*]]: tensor<8xi64>, %[[T:[^:]*]]: i64, %[[REFRESH:[^:]*]]: i1)
// CHECK: %[[Q:.*]] = optim.dct_basis dct3
// CHECK: %[[R:.*]]:4 = scf.if %[[REFRESH]]
// CHECK:   %[[S:[^,]*]], %[[NEW:[^ ]*]] = optim.project_select %[[G]], %[[Q]] left norm l2
// CHECK:   %[[RM:[^,]*]], %[[RV:[^,]*]], %[[RU:[^ ]*]] = optim.gather_adam %[[S]][%[[NEW]]] left, %[[M]], %[[V]], %[[T]] from %[[IDX]] : tensor<8xi64>
// CHECK-NOT: optim.rotate
// CHECK:   scf.yield %[[NEW]], %[[RM]], %[[RV]], %[[RU]]
// CHECK: } else {
// CHECK:   %[[A:.*]] = optim.project %[[G]], %[[Q]][%[[IDX]] : tensor<8xi64>] left
// CHECK:   %[[EM:[^,]*]], %[[EV:[^,]*]], %[[EU:[^ ]*]] = optim.adam %[[M]], %[[V]], %[[A]], %[[T]]
// CHECK:   scf.yield %[[IDX]], %[[EM]], %[[EV]], %[[EU]]
// CHECK: }
// CHECK-NOT: optim.adam
// CHECK: %[[W1:.*]] = optim.project_back_apply %[[W]], %[[R]]#3, %[[Q]][%[[R]]#0] left
// CHECK: return %[[W1]], %[[R]]#1, %[[R]]#2, %[[R]]#0
func.func @interval(%w: tensor<40x96xf32>, %g: tensor<40x96xf32>, %m: tensor<8x96xf32>,
                    %v: tensor<8x96xf32>, %idx: tensor<8xi64>, %t: i64, %refresh: i1)
    -> (tensor<40x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8xi64>) {
  %q = optim.dct_basis dct3 : tensor<40x40xf32>
  %sub:4 = scf.if %refresh -> (tensor<8xi64>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>) {
    %scores = optim.project %g, %q left : tensor<40x96xf32>, tensor<40x40xf32> -> tensor<40x96xf32>
    %new_idx = optim.select %scores left norm l2 : tensor<40x96xf32> -> tensor<8xi64>
    %a = optim.gather %scores[%new_idx] left : tensor<40x96xf32>, tensor<8xi64> -> tensor<8x96xf32>
    %rm, %rv = optim.rotate %m, %v from %idx to %new_idx left : tensor<8x96xf32>, tensor<8xi64>
    scf.yield %new_idx, %a, %rm, %rv : tensor<8xi64>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>
  } else {
    %a = optim.project %g, %q[%idx : tensor<8xi64>] left : tensor<40x96xf32>, tensor<40x40xf32> -> tensor<8x96xf32>
    scf.yield %idx, %a, %m, %v : tensor<8xi64>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>
  }
  %m1, %v1, %dir = optim.adam %sub#2, %sub#3, %sub#1, %t : tensor<8x96xf32>
  %u = optim.project_back %dir, %q[%sub#0] left : tensor<8x96xf32>, tensor<40x40xf32>, tensor<8xi64> -> tensor<40x96xf32>
  %w1 = optim.apply %w, %u {lr = 1.0e-3 : f64} : tensor<40x96xf32>
  return %w1, %m1, %v1, %sub#0 : tensor<40x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8xi64>
}

// -----

// A full-rank parameter's Adam and update become one optim.adamw again, with
// the update's attributes.
// CHECK-LABEL: func @full_rank
// CHECK-SAME: (%[[W:[^:]*]]: tensor<37xf32>, %[[G:[^:]*]]: tensor<37xf32>, %[[M:[^:]*]]: tensor<37xf32>, %[[V:[^:]*]]: tensor<37xf32>, %[[T:[^:]*]]: i64)
// CHECK: %[[NW:[^,]*]], %[[NM:[^,]*]], %[[NV:[^ ]*]] = optim.adamw %[[W]], %[[G]], %[[M]], %[[V]], %[[T]] {lr = 1.000000e-03 : f64, weight_decay = 1.000000e-01 : f64}
// CHECK-NOT: optim.adam
// CHECK-NOT: optim.apply
// CHECK: return %[[NW]], %[[NM]], %[[NV]]
func.func @full_rank(%w: tensor<37xf32>, %g: tensor<37xf32>, %m: tensor<37xf32>,
                     %v: tensor<37xf32>, %t: i64) -> (tensor<37xf32>, tensor<37xf32>, tensor<37xf32>) {
  %m1, %v1, %dir = optim.adam %m, %v, %g, %t : tensor<37xf32>
  %w1 = optim.apply %w, %dir {lr = 1.0e-3 : f64, weight_decay = 0.1 : f64} : tensor<37xf32>
  return %w1, %m1, %v1 : tensor<37xf32>, tensor<37xf32>, tensor<37xf32>
}
