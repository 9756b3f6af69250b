// RUN: optgraph-opt %s -split-input-file -convert-optim-to-linalg -verify-diagnostics | FileCheck %s

// The basis is generated from exact integer phases k·(2j+1) mod 4N, looked
// up in a table of 4N cosines.
// CHECK-LABEL: func @basis_dct3
// CHECK: %[[TABLE:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<80xf64>)
// CHECK: math.cos %{{.*}} : f64
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: outs(%{{.*}} : tensor<20x20xf32>)
// CHECK: %[[K:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[PHASE:.*]] = arith.muli %[[K]],
// CHECK: arith.remui %[[PHASE]], %{{.*}} : i64
// CHECK: tensor.extract %[[TABLE]]
// CHECK-NOT: math.cos
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK-NOT: optim.
func.func @basis_dct3() -> tensor<20x20xf32> {
  %q = optim.dct_basis dct3 : tensor<20x20xf32>
  return %q : tensor<20x20xf32>
}

// -----

// CHECK-LABEL: func @project_right
// CHECK-SAME: (%[[G:[^:]*]]: tensor<37x20xf32>, %[[Q:[^:]*]]: tensor<20x20xf32>)
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: linalg.matmul ins(%[[G]], %[[Q]] : tensor<37x20xf32>, tensor<20x20xf32>) outs(%[[ZERO]] : tensor<37x20xf32>)
func.func @project_right(%g: tensor<37x20xf32>, %q: tensor<20x20xf32>) -> tensor<37x20xf32> {
  %s = optim.project %g, %q right : tensor<37x20xf32>, tensor<20x20xf32> -> tensor<37x20xf32>
  return %s : tensor<37x20xf32>
}

// -----

// Qᵀ·G without materialising Qᵀ: a transposed indexing map on the lhs.
// CHECK-DAG: #[[LHS_T:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-LABEL: func @project_left
// CHECK-SAME: (%[[G:[^:]*]]: tensor<12x45xf32>, %[[Q:[^:]*]]: tensor<12x12xf32>)
// CHECK: linalg.matmul indexing_maps = [#[[LHS_T]], {{.*}}] ins(%[[Q]], %[[G]] : tensor<12x12xf32>, tensor<12x45xf32>)
func.func @project_left(%g: tensor<12x45xf32>, %q: tensor<12x12xf32>) -> tensor<12x45xf32> {
  %s = optim.project %g, %q left : tensor<12x45xf32>, tensor<12x12xf32> -> tensor<12x45xf32>
  return %s : tensor<12x45xf32>
}

// -----

// The skinny projection gathers the r selected basis columns, then multiplies.
// CHECK-LABEL: func @project_selected
// CHECK-SAME: (%[[G:[^:]*]]: tensor<37x20xf32>, %[[Q:[^:]*]]: tensor<20x20xf32>, %[[IDX:[^:]*]]: tensor<6xi64>)
// CHECK: %[[COLS:.*]] = linalg.generic {{.*}} ins(%[[IDX]] : tensor<6xi64>) outs(%{{.*}} : tensor<20x6xf32>)
// CHECK: tensor.extract %[[Q]]
// CHECK: linalg.matmul ins(%[[G]], %[[COLS]] : tensor<37x20xf32>, tensor<20x6xf32>)
func.func @project_selected(%g: tensor<37x20xf32>, %q: tensor<20x20xf32>, %idx: tensor<6xi64>) -> tensor<37x6xf32> {
  %a = optim.project %g, %q[%idx : tensor<6xi64>] right : tensor<37x20xf32>, tensor<20x20xf32> -> tensor<37x6xf32>
  return %a : tensor<37x6xf32>
}

// -----

// u·Q[:, idx]ᵀ: a transposed map on the rhs.
// CHECK-DAG: #[[RHS_T:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func @project_back_right
// CHECK: linalg.matmul indexing_maps = [{{.*}}, #[[RHS_T]], {{.*}}] ins(%{{.*}}, %{{.*}} : tensor<37x6xf32>, tensor<20x6xf32>) outs(%{{.*}} : tensor<37x20xf32>)
func.func @project_back_right(%u: tensor<37x6xf32>, %q: tensor<20x20xf32>, %idx: tensor<6xi64>) -> tensor<37x20xf32> {
  %U = optim.project_back %u, %q[%idx] right : tensor<37x6xf32>, tensor<20x20xf32>, tensor<6xi64> -> tensor<37x20xf32>
  return %U : tensor<37x20xf32>
}

// -----

// Scores reduce over the non-basis axis, NaN counting as +inf; ranks count
// the scores that beat each one (ties to the smaller index); a scan writes
// ascending indices.
// CHECK-LABEL: func @select_right_l1
// CHECK: %[[SUMS:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<37x20xf32>) outs(%{{.*}} : tensor<20xf32>)
// CHECK: math.absf
// CHECK: %[[SCORES:.*]] = linalg.generic {{.*}} ins(%[[SUMS]] : tensor<20xf32>)
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[S:.*]], %[[S]] : f32
// CHECK: arith.select %[[NAN]], %{{.*}}, %[[S]] : f32
// CHECK: %[[RANKS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[SCORES]], %[[SCORES]] : tensor<20xf32>, tensor<20xf32>) outs(%{{.*}} : tensor<20xi64>)
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpi ult
// CHECK: %[[SCAN:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<6xi64>, index)
// CHECK: tensor.extract %[[RANKS]]
// CHECK: tensor.insert
// CHECK: return %[[SCAN]]#0
func.func @select_right_l1(%s: tensor<37x20xf32>) -> tensor<6xi64> {
  %idx = optim.select %s right norm l1 : tensor<37x20xf32> -> tensor<6xi64>
  return %idx : tensor<6xi64>
}

// -----

// CHECK-LABEL: func @select_left_l2
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<12x45xf32>) outs(%{{.*}} : tensor<12xf32>)
// CHECK-NOT: math.absf
// CHECK: arith.mulf
func.func @select_left_l2(%s: tensor<12x45xf32>) -> tensor<5xi64> {
  %idx = optim.select %s left norm l2 : tensor<12x45xf32> -> tensor<5xi64>
  return %idx : tensor<5xi64>
}

// -----

// The rotation finds each new column's old position, then moves both
// moments in one pass, zero where the column is new.
// CHECK-LABEL: func @rotate
// CHECK: %[[SRC:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<5xi64>, tensor<5xi64>) outs(%{{.*}} : tensor<5xi64>)
// CHECK: %[[MOVED:.*]]:2 = linalg.generic {{.*}} ins(%[[SRC]] : tensor<5xi64>) outs(%{{.*}}, %{{.*}} : tensor<37x5xf32>, tensor<37x5xf32>)
// CHECK: arith.cmpi sge
// CHECK-COUNT-2: tensor.extract
// CHECK: return %[[MOVED]]#0, %[[MOVED]]#1
func.func @rotate(%m: tensor<37x5xf32>, %v: tensor<37x5xf32>, %old: tensor<5xi64>, %new: tensor<5xi64>) -> (tensor<37x5xf32>, tensor<37x5xf32>) {
  %0:2 = optim.rotate %m, %v from %old to %new right : tensor<37x5xf32>, tensor<5xi64>
  return %0#0, %0#1 : tensor<37x5xf32>, tensor<37x5xf32>
}

// -----

// Bias corrections in f64 from the step count, then one elementwise pass.
// CHECK-LABEL: func @adam
// CHECK-SAME: %[[T:[^:]*]]: i64
// CHECK: %[[TF:.*]] = arith.sitofp %[[T]] : i64 to f64
// CHECK: math.powf %{{.*}}, %[[TF]] : f64
// CHECK: %[[TF2:.*]] = arith.sitofp %[[T]] : i64 to f64
// CHECK: math.powf %{{.*}}, %[[TF2]] : f64
// CHECK: %[[R:.*]]:3 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<37x5xf32>, tensor<37x5xf32>, tensor<37x5xf32>)
// CHECK: math.sqrt
// CHECK: arith.divf
func.func @adam(%m: tensor<37x5xf32>, %v: tensor<37x5xf32>, %a: tensor<37x5xf32>, %t: i64) -> tensor<37x5xf32> {
  %0:3 = optim.adam %m, %v, %a, %t : tensor<37x5xf32>
  return %0#2 : tensor<37x5xf32>
}

// -----

// W·(1 − lr·wd) − lr·scale·U with both factors folded to constants.
// CHECK-LABEL: func @apply
// CHECK-DAG: %[[DECAY:.*]] = arith.constant 9.990000e-01 : f32
// CHECK-DAG: %[[STEP:.*]] = arith.constant 2.500000e-03 : f32
// CHECK: linalg.generic
// CHECK: ^bb0(%[[W:.*]]: f32, %[[U:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[A:.*]] = arith.mulf %[[W]], %[[DECAY]]
// CHECK: %[[B:.*]] = arith.mulf %[[U]], %[[STEP]]
// CHECK: arith.subf %[[A]], %[[B]]
func.func @apply(%w: tensor<9xf32>, %u: tensor<9xf32>) -> tensor<9xf32> {
  %0 = optim.apply %w, %u {lr = 1.0e-2 : f64, weight_decay = 0.1 : f64, scale = 0.25 : f64} : tensor<9xf32>
  return %0 : tensor<9xf32>
}

// -----

// A schedule's lr_scale: the two factors are computed once, outside the loop.
// CHECK-LABEL: func @apply_scheduled
// CHECK-SAME: %[[S:[^:]*]]: f32
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[LRWD:.*]] = arith.constant 1.000000e-03 : f32
// CHECK: %[[X:.*]] = arith.mulf %[[LRWD]], %[[S]]
// CHECK: %[[DECAY:.*]] = arith.subf %[[ONE]], %[[X]]
// CHECK: %[[LRSC:.*]] = arith.constant 2.500000e-03 : f32
// CHECK: %[[STEP:.*]] = arith.mulf %[[LRSC]], %[[S]]
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}}, %[[DECAY]]
// CHECK: arith.mulf %{{.*}}, %[[STEP]]
func.func @apply_scheduled(%w: tensor<9xf32>, %u: tensor<9xf32>, %s: f32) -> tensor<9xf32> {
  %0 = optim.apply %w, %u lr_scale %s {lr = 1.0e-2 : f64, weight_decay = 0.1 : f64, scale = 0.25 : f64} : tensor<9xf32>
  return %0 : tensor<9xf32>
}

// -----

func.func @composite_not_decomposed(%w: tensor<9xf32>, %t: i64) -> tensor<9xf32> {
  // expected-error @+1 {{'optim.adamw' op is a composite; run -optim-decompose before -convert-optim-to-linalg}}
  %0:3 = optim.adamw %w, %w, %w, %w, %t {lr = 1.0e-3 : f64} : tensor<9xf32>
  return %0#0 : tensor<9xf32>
}
