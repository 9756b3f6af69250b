// RUN: optgraph-opt %s -optim-decompose -canonicalize -cse -optim-fuse -canonicalize -convert-optim-to-gpu -canonicalize -cse -split-input-file | FileCheck %s

// T = 3: four launches on refresh steps, three on the others.
// CHECK-LABEL: func @interval
// CHECK-NOT: optim.dct_basis
// CHECK: %[[R:[^:]*]]:4 = scf.if
// CHECK-COUNT-3: optim.launch
// CHECK-NOT: optim.launch
// CHECK: } else {
// CHECK-COUNT-2: optim.launch
// CHECK-NOT: optim.launch
// CHECK: }
// CHECK: optim.launch @optgraph_kernels::@project_back_apply_96x40_r8_r_dct3 grid [1, 2, 1] block [16, 16, 1]
// CHECK-SAME: ins(%{{.*}}, %[[R]]#3, %[[R]]#0,
// CHECK-NOT: optim.launch
// CHECK: return

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
// CHECK: llvm.inline_asm "sqrt.rn.f32 $0, $1;"

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
                    %v: tensor<96x8xf32>, %idx: tensor<8xi64>, %t: i64, %s: f32)
    -> (tensor<96x40xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>) {
  %r:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t lr_scale %s
      {lr = 1.0e-3 : f64, interval = 3 : i64, rotate = true, weight_decay = 0.1 : f64}
      : tensor<96x40xf32>, tensor<96x8xf32>, tensor<8xi64>
  return %r#0, %r#1, %r#2, %r#3 : tensor<96x40xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>
}

// -----

// Left side, l2, dct2: the scores are those of the rows of S = Qᵀ·G.
// CHECK-LABEL: func @left
// CHECK-COUNT-4: optim.launch
// CHECK-NOT: optim.launch
// CHECK-LABEL: gpu.func @project_scores_40x96_l_dct2_l2
// CHECK-SAME: %{{.*}}: memref<2x40xf32>)
// CHECK-NOT: math.absf
// CHECK: gpu.return
func.func @left(%w: tensor<40x96xf32>, %g: tensor<40x96xf32>, %m: tensor<8x96xf32>,
                %v: tensor<8x96xf32>, %idx: tensor<8xi64>, %t: i64)
    -> (tensor<40x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8xi64>) {
  %r:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t
      {lr = 1.0e-3 : f64, basis = #optim<basis dct2>, norm = #optim<norm l2>}
      : tensor<40x96xf32>, tensor<8x96xf32>, tensor<8xi64>
  return %r#0, %r#1, %r#2, %r#3 : tensor<40x96xf32>, tensor<8x96xf32>, tensor<8x96xf32>, tensor<8xi64>
}

// -----

// A full-rank parameter: one elementwise kernel.
// CHECK-LABEL: func @full_rank
// CHECK: optim.launch @optgraph_kernels::@adamw_37 grid [1, 1, 1] block [256, 1, 1]
// CHECK-NOT: optim.launch
// CHECK-LABEL: gpu.func @adamw_37
func.func @full_rank(%w: tensor<37xf32>, %g: tensor<37xf32>, %m: tensor<37xf32>,
                     %v: tensor<37xf32>, %t: i64) -> (tensor<37xf32>, tensor<37xf32>, tensor<37xf32>) {
  %r:3 = optim.adamw %w, %g, %m, %v, %t {lr = 1.0e-3 : f64} : tensor<37xf32>
  return %r#0, %r#1, %r#2 : tensor<37xf32>, tensor<37xf32>, tensor<37xf32>
}

