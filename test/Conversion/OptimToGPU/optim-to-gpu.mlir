// RUN: optgraph-opt %s -split-input-file -convert-optim-to-gpu | FileCheck %s

// The input is what -optim-fuse makes of a step. T = 3 with rotation: four
// launches on refresh steps, three on the others. The refresh chain hands
// the partials to the top-k, and the top-k's indices and the scores to the
// gathering Adam; the basis is never materialized.
// CHECK-LABEL: func @interval
// CHECK-SAME: (%[[W:[^:]*]]: tensor<96x40xf32>, %[[G:[^:]*]]: tensor<96x40xf32>, %[[M:[^:]*]]: tensor<96x8xf32>, %[[V:[^:]*]]: tensor<96x8xf32>, %[[IDX:[^:]*]]: tensor<8xi64>, %[[T:[^:]*]]: i64, %[[S:[^:]*]]: f32, %[[REFRESH:[^:]*]]: i1)
// CHECK-NOT: optim.dct_basis
// CHECK: %[[R:[^:]*]]:4 = scf.if %[[REFRESH]]
// CHECK: %[[SCORES:.*]]:2 = optim.launch @optgraph_kernels::@project_scores_96x40_r_dct3_l1 grid [1, 2, 1] block [16, 16, 1]
// CHECK-SAME: ins(%[[G]] : tensor<96x40xf32>) outs(%{{.*}}, %{{.*}} : tensor<96x40xf32>, tensor<2x40xf32>)
// CHECK-NOT: optim.launch
// CHECK: %[[TOP:.*]]:2 = optim.launch @optgraph_kernels::@select_top8_2x40 grid [1, 1, 1] block [1024, 1, 1]
// CHECK-SAME: ins(%[[SCORES]]#1 : tensor<2x40xf32>)
// CHECK-NOT: optim.launch
// CHECK: %[[ADAM:.*]]:3 = optim.launch @optgraph_kernels::@adam_96x8_gather_96x40_r_rotate grid [3, 1, 1] block [256, 1, 1]
// CHECK-SAME: ins(%[[SCORES]]#0, %[[TOP]]#0, %[[M]], %[[V]], %[[IDX]],
// CHECK-NOT: optim.launch
// CHECK: scf.yield %[[TOP]]#0, %[[ADAM]]#0, %[[ADAM]]#1, %[[ADAM]]#2
// CHECK: } else {
// CHECK: %[[A:.*]] = optim.launch @optgraph_kernels::@project_96x40_r8_r_dct3 grid [1, 2, 1] block [16, 16, 1]
// CHECK-SAME: ins(%[[G]], %[[IDX]] : tensor<96x40xf32>, tensor<8xi64>)
// CHECK-NOT: optim.launch
// CHECK: optim.launch @optgraph_kernels::@adam_96x8 grid [3, 1, 1] block [256, 1, 1]
// CHECK-SAME: ins(%[[A]], %[[M]], %[[V]],
// CHECK-NOT: optim.launch
// CHECK: scf.yield %[[IDX]],
// CHECK: }
// CHECK-NOT: optim.launch
// The update's scalars follow the runtime lr_scale: decay = 1 − lr·wd·s,
// step = lr·s.
// CHECK: %[[WD:.*]] = arith.mulf %{{.*}}, %[[S]] : f32
// CHECK: %[[DECAY:.*]] = arith.subf %{{.*}}, %[[WD]] : f32
// CHECK: %[[STEP:.*]] = arith.mulf %{{.*}}, %[[S]] : f32
// CHECK: %[[W1:.*]] = optim.launch @optgraph_kernels::@project_back_apply_96x40_r8_r_dct3 grid [1, 2, 1] block [16, 16, 1]
// CHECK-SAME: ins(%[[W]], %[[R]]#3, %[[R]]#0, %[[DECAY]], %[[STEP]] :
// CHECK-NOT: optim.launch
// CHECK: return %[[W1]], %[[R]]#1, %[[R]]#2, %[[R]]#0

// The projection's epilogue stores S and reduces the scores of its columns
// (|s|, fixed order through shared memory) into per-block partials.
// CHECK-LABEL: gpu.func @project_scores_96x40_r_dct3_l1
// CHECK-SAME: (%[[G:[^:]*]]: memref<96x40xf32>, %[[S:[^:]*]]: memref<96x40xf32>, %[[P:[^:]*]]: memref<2x40xf32>)
// CHECK-SAME: workgroup(%[[TA:.*]] : memref<16x65xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: kernel attributes {known_block_size = array<i32: 16, 16, 1>}
// CHECK: memref.get_global @cos_table_40 : memref<160xf32>
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: math.fma
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: math.absf
// CHECK: memref.store %{{.*}}, %[[TA]]
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: gpu.return

// CHECK-LABEL: gpu.func @select_top8_2x40
// CHECK-SAME: workgroup(%{{.*}} : memref<1024xi32, #gpu.address_space<workgroup>>)
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq

// The moment update gathers from S and finds each slice's old position.
// CHECK-LABEL: gpu.func @adam_96x8_gather_96x40_r_rotate
// CHECK: scf.for
// CHECK: math.sqrt %{{.*}} : f32

// CHECK-LABEL: gpu.func @project_96x40_r8_r_dct3
// CHECK-SAME: %[[OUT:[^:]*]]: memref<96x8xf32>) workgroup
// CHECK: memref.store %{{.*}}, %[[OUT]]

// The back-projection's epilogue: W·decay − step·U, W read and written once.
// CHECK-LABEL: gpu.func @project_back_apply_96x40_r8_r_dct3
// CHECK-SAME: (%[[W:[^:]*]]: memref<96x40xf32>, %{{.*}}: memref<96x8xf32>, %{{.*}}: memref<8xi64>, %[[DECAY:[^:]*]]: f32, %[[STEP:[^:]*]]: f32, %[[WOUT:[^:]*]]: memref<96x40xf32>)
// CHECK: math.fma
// CHECK: %[[OLD:.*]] = memref.load %[[W]]
// CHECK: %[[KEPT:.*]] = arith.mulf %[[OLD]], %[[DECAY]]
// CHECK: %[[DELTA:.*]] = arith.mulf %[[STEP]],
// CHECK: %[[NEW:.*]] = arith.subf %[[KEPT]], %[[DELTA]]
// CHECK: memref.store %[[NEW]], %[[WOUT]]
func.func @interval(%w: tensor<96x40xf32>, %g: tensor<96x40xf32>, %m: tensor<96x8xf32>,
                    %v: tensor<96x8xf32>, %idx: tensor<8xi64>, %t: i64, %s: f32, %refresh: i1)
    -> (tensor<96x40xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>) {
  %q = optim.dct_basis dct3 : tensor<40x40xf32>
  %r:4 = scf.if %refresh -> (tensor<8xi64>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<96x8xf32>) {
    %scores, %new_idx = optim.project_select %g, %q right norm l1
        : tensor<96x40xf32>, tensor<40x40xf32> -> tensor<96x40xf32>, tensor<8xi64>
    %m1, %v1, %u = optim.gather_adam %scores[%new_idx] right, %m, %v, %t from %idx : tensor<8xi64>
        : tensor<96x40xf32>, tensor<8xi64>, tensor<96x8xf32>
    scf.yield %new_idx, %m1, %v1, %u : tensor<8xi64>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<96x8xf32>
  } else {
    %a = optim.project %g, %q[%idx : tensor<8xi64>] right : tensor<96x40xf32>, tensor<40x40xf32> -> tensor<96x8xf32>
    %m1, %v1, %u = optim.adam %m, %v, %a, %t : tensor<96x8xf32>
    scf.yield %idx, %m1, %v1, %u : tensor<8xi64>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<96x8xf32>
  }
  %w1 = optim.project_back_apply %w, %r#3, %q[%r#0] right lr_scale %s {lr = 1.0e-3 : f64, weight_decay = 0.1 : f64}
      : tensor<96x40xf32>, tensor<96x8xf32>, tensor<40x40xf32>, tensor<8xi64>
  return %w1, %r#1, %r#2, %r#0 : tensor<96x40xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>
}

// -----

// Left side, l2, dct2, every step a refresh: four launches, no branch; the
// scores are those of the rows of S = Qᵀ·G.
// CHECK-LABEL: func @left
// CHECK-SAME: (%[[W:[^:]*]]: tensor<40x96xf32>, %[[G:[^:]*]]: tensor<40x96xf32>,
// CHECK-NOT: scf.if
// CHECK: %[[SCORES:.*]]:2 = optim.launch @optgraph_kernels::@project_scores_40x96_l_dct2_l2 grid [2, 1, 1] block [16, 16, 1] ins(%[[G]] :
// CHECK: %[[TOP:.*]]:2 = optim.launch @optgraph_kernels::@select_top8_2x40 grid [1, 1, 1] block [1024, 1, 1] ins(%[[SCORES]]#1 :
// CHECK: %[[ADAM:.*]]:3 = optim.launch @optgraph_kernels::@adam_8x96_gather_40x96_l grid [3, 1, 1] block [256, 1, 1] ins(%[[SCORES]]#0, %[[TOP]]#0,
// CHECK: %[[W1:.*]] = optim.launch @optgraph_kernels::@project_back_apply_40x96_r8_l_dct2 grid [2, 1, 1] block [16, 16, 1] ins(%[[W]], %[[ADAM]]#2, %[[TOP]]#0,
// CHECK-NOT: optim.launch
// CHECK: return %[[W1]], %[[ADAM]]#0, %[[ADAM]]#1, %[[TOP]]#0
// CHECK-LABEL: gpu.func @project_scores_40x96_l_dct2_l2
// CHECK-SAME: %{{.*}}: memref<2x40xf32>)
// CHECK-NOT: math.absf
// CHECK: gpu.return
func.func @left(%w: tensor<40x96xf32>, %g: tensor<40x96xf32>, %m: tensor<8x96xf32>,
                %v: tensor<8x96xf32>, %idx: tensor<8xi64>, %t: i64)
    -> (tensor<40x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8xi64>) {
  %q = optim.dct_basis dct2 : tensor<40x40xf32>
  %scores, %new_idx = optim.project_select %g, %q left norm l2
      : tensor<40x96xf32>, tensor<40x40xf32> -> tensor<40x96xf32>, tensor<8xi64>
  %m1, %v1, %u = optim.gather_adam %scores[%new_idx] left, %m, %v, %t
      : tensor<40x96xf32>, tensor<8xi64>, tensor<8x96xf32>
  %w1 = optim.project_back_apply %w, %u, %q[%new_idx] left {lr = 1.0e-3 : f64}
      : tensor<40x96xf32>, tensor<8x96xf32>, tensor<40x40xf32>, tensor<8xi64>
  return %w1, %m1, %v1, %new_idx : tensor<40x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8xi64>
}

// -----

// A full-rank parameter: one elementwise kernel reading W, G, m and v and
// writing the three new ones.
// CHECK-LABEL: func @full_rank
// CHECK-SAME: (%[[W:[^:]*]]: tensor<37xf32>, %[[G:[^:]*]]: tensor<37xf32>, %[[M:[^:]*]]: tensor<37xf32>, %[[V:[^:]*]]: tensor<37xf32>,
// CHECK: %[[R:.*]]:3 = optim.launch @optgraph_kernels::@adamw_37 grid [1, 1, 1] block [256, 1, 1]
// CHECK-SAME: ins(%[[W]], %[[G]], %[[M]], %[[V]],
// CHECK-SAME: -> tensor<37xf32>, tensor<37xf32>, tensor<37xf32>
// CHECK-NOT: optim.launch
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
// CHECK-LABEL: gpu.func @adamw_37
func.func @full_rank(%w: tensor<37xf32>, %g: tensor<37xf32>, %m: tensor<37xf32>,
                     %v: tensor<37xf32>, %t: i64) -> (tensor<37xf32>, tensor<37xf32>, tensor<37xf32>) {
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %t {lr = 1.0e-3 : f64} : tensor<37xf32>
  return %w1, %m1, %v1 : tensor<37xf32>, tensor<37xf32>, tensor<37xf32>
}
