// RUN: optgraph-opt %s -split-input-file -canonicalize | FileCheck %s

// A full projection read only by a gather becomes the skinny projection.
// CHECK-LABEL: func @gather_of_unshared_projection
// CHECK-SAME: (%[[G:[^:]*]]: tensor<37x20xf32>, %[[IDX:[^:]*]]: tensor<6xi64>)
// CHECK: %[[Q:.*]] = optim.dct_basis
// CHECK-NEXT: %[[A:.*]] = optim.project %[[G]], %[[Q]][%[[IDX]] : tensor<6xi64>] right : tensor<37x20xf32>, tensor<20x20xf32> -> tensor<37x6xf32>
// CHECK-NOT: optim.gather
// CHECK: return %[[A]]
func.func @gather_of_unshared_projection(%g: tensor<37x20xf32>, %idx: tensor<6xi64>) -> tensor<37x6xf32> {
  %q = optim.dct_basis dct3 : tensor<20x20xf32>
  %s = optim.project %g, %q right : tensor<37x20xf32>, tensor<20x20xf32> -> tensor<37x20xf32>
  %a = optim.gather %s[%idx] right : tensor<37x20xf32>, tensor<6xi64> -> tensor<37x6xf32>
  return %a : tensor<37x6xf32>
}

// -----

// On a refresh the projection also feeds the scores: the gather stays.
// CHECK-LABEL: func @gather_of_shared_projection
// CHECK: %[[S:.*]] = optim.project %{{.*}}, %{{.*}} left
// CHECK: %[[IDX:.*]] = optim.select %[[S]]
// CHECK: optim.gather %[[S]][%[[IDX]]] left
func.func @gather_of_shared_projection(%g: tensor<12x45xf32>) -> tensor<5x45xf32> {
  %q = optim.dct_basis dct3 : tensor<12x12xf32>
  %s = optim.project %g, %q left : tensor<12x45xf32>, tensor<12x12xf32> -> tensor<12x45xf32>
  %idx = optim.select %s left norm l1 : tensor<12x45xf32> -> tensor<5xi64>
  %a = optim.gather %s[%idx] left : tensor<12x45xf32>, tensor<5xi64> -> tensor<5x45xf32>
  return %a : tensor<5x45xf32>
}

// -----

// CHECK-LABEL: func @rotate_same_subspace
// CHECK-SAME: (%[[M:[^:]*]]: tensor<8x3xf32>, %[[V:[^:]*]]: tensor<8x3xf32>
// CHECK-NOT: optim.rotate
// CHECK: return %[[M]], %[[V]]
func.func @rotate_same_subspace(%m: tensor<8x3xf32>, %v: tensor<8x3xf32>, %idx: tensor<3xi64>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %0:2 = optim.rotate %m, %v from %idx to %idx right : tensor<8x3xf32>, tensor<3xi64>
  return %0#0, %0#1 : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// CHECK-LABEL: func @rotate_new_subspace
// CHECK: optim.rotate
func.func @rotate_new_subspace(%m: tensor<8x3xf32>, %old: tensor<3xi64>, %new: tensor<3xi64>) -> tensor<8x3xf32> {
  %0:2 = optim.rotate %m, %m from %old to %new right : tensor<8x3xf32>, tensor<3xi64>
  return %0#0 : tensor<8x3xf32>
}

// -----

// CHECK-LABEL: func @apply_zero_lr
// CHECK-SAME: (%[[W:[^:]*]]: tensor<8x4xf32>
// CHECK-NOT: optim.apply
// CHECK: return %[[W]]
func.func @apply_zero_lr(%w: tensor<8x4xf32>, %u: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %0 = optim.apply %w, %u {lr = 0.0 : f64, weight_decay = 0.1 : f64} : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

