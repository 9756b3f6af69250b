// RUN: optgraph-opt %s -split-input-file | FileCheck %s
// Round trip, and the generic form read back by the custom printer.
// RUN: optgraph-opt %s -split-input-file -mlir-print-op-generic | optgraph-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @primitives_right
func.func @primitives_right(%g: tensor<96x64xf32>, %m: tensor<96x8xf32>,
                            %v: tensor<96x8xf32>, %old: tensor<8xi64>,
                            %t: i64, %w: tensor<96x64xf32>) -> tensor<96x64xf32> {
  // CHECK: %[[Q:.*]] = optim.dct_basis dct3 : tensor<64x64xf32>
  %q = optim.dct_basis dct3 : tensor<64x64xf32>
  // CHECK: %[[S:.*]] = optim.project %{{.*}}, %[[Q]] right : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x64xf32>
  %s = optim.project %g, %q right : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x64xf32>
  // CHECK: %[[IDX:.*]] = optim.select %[[S]] right norm l1 : tensor<96x64xf32> -> tensor<8xi64>
  %idx = optim.select %s right norm l1 : tensor<96x64xf32> -> tensor<8xi64>
  // CHECK: optim.gather %[[S]][%[[IDX]]] right : tensor<96x64xf32>, tensor<8xi64> -> tensor<96x8xf32>
  %a = optim.gather %s[%idx] right : tensor<96x64xf32>, tensor<8xi64> -> tensor<96x8xf32>
  // CHECK: optim.rotate %{{.*}}, %{{.*}} from %{{.*}} to %[[IDX]] right : tensor<96x8xf32>, tensor<8xi64>
  %m1, %v1 = optim.rotate %m, %v from %old to %idx right : tensor<96x8xf32>, tensor<8xi64>
  // CHECK: optim.adam %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {beta1 = 8.000000e-01 : f64} : tensor<96x8xf32>
  %m2, %v2, %u = optim.adam %m1, %v1, %a, %t {beta1 = 0.8 : f64, beta2 = 0.999 : f64} : tensor<96x8xf32>
  // CHECK: optim.project_back %{{.*}}, %[[Q]][%[[IDX]]] right : tensor<96x8xf32>, tensor<64x64xf32>, tensor<8xi64> -> tensor<96x64xf32>
  %U = optim.project_back %u, %q[%idx] right : tensor<96x8xf32>, tensor<64x64xf32>, tensor<8xi64> -> tensor<96x64xf32>
  // CHECK: optim.apply %{{.*}}, %{{.*}} {lr = 1.000000e-03 : f64, scale = 2.500000e-01 : f64, weight_decay = 1.000000e-01 : f64} : tensor<96x64xf32>
  %w1 = optim.apply %w, %U {lr = 1.0e-3 : f64, weight_decay = 0.1 : f64, scale = 0.25 : f64} : tensor<96x64xf32>
  return %w1 : tensor<96x64xf32>
}

// -----

// CHECK-LABEL: func @primitives_left
func.func @primitives_left(%g: tensor<12x45xf32>, %idx: tensor<5xi64>) -> (tensor<5x45xf32>, tensor<12x45xf32>, tensor<5xi64>) {
  // CHECK: optim.dct_basis dct2 : tensor<12x12xf32>
  %q = optim.dct_basis dct2 : tensor<12x12xf32>
  // CHECK: optim.project %{{.*}}, %{{.*}}[%{{.*}} : tensor<5xi64>] left : tensor<12x45xf32>, tensor<12x12xf32> -> tensor<5x45xf32>
  %a = optim.project %g, %q[%idx : tensor<5xi64>] left : tensor<12x45xf32>, tensor<12x12xf32> -> tensor<5x45xf32>
  // CHECK: optim.project_back %{{.*}} left : tensor<5x45xf32>, tensor<12x12xf32>, tensor<5xi64> -> tensor<12x45xf32>
  %U = optim.project_back %a, %q[%idx] left : tensor<5x45xf32>, tensor<12x12xf32>, tensor<5xi64> -> tensor<12x45xf32>
  %s = optim.project %g, %q left : tensor<12x45xf32>, tensor<12x12xf32> -> tensor<12x45xf32>
  // CHECK: optim.select %{{.*}} left norm l2 : tensor<12x45xf32> -> tensor<5xi64>
  %new = optim.select %s left norm l2 : tensor<12x45xf32> -> tensor<5xi64>
  return %a, %U, %new : tensor<5x45xf32>, tensor<12x45xf32>, tensor<5xi64>
}

// -----

// Defaults are elided: beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
// weight_decay = 0, scale = 1, interval = 1, rotate = false, basis = dct3,
// norm = l1, side = auto.
// CHECK-LABEL: func @composites
func.func @composites(%w: tensor<96x64xf32>, %g: tensor<96x64xf32>,
                      %m: tensor<96x8xf32>, %v: tensor<96x8xf32>,
                      %idx: tensor<8xi64>, %t: i64,
                      %b: tensor<64xf32>, %bg: tensor<64xf32>,
                      %bm: tensor<64xf32>, %bv: tensor<64xf32>, %s: f32) {
  // CHECK: optim.lowrank_adamw %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {lr = 1.000000e-03 : f64} : tensor<96x64xf32>, tensor<96x8xf32>, tensor<8xi64>
  %0:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, interval = 1 : i64, basis = #optim<basis dct3>} : tensor<96x64xf32>, tensor<96x8xf32>, tensor<8xi64>
  // CHECK: optim.lowrank_adamw
  // CHECK-SAME: basis = #optim<basis dct2>
  // CHECK-SAME: interval = 200 : i64
  // CHECK-SAME: norm = #optim<norm l2>
  // CHECK-SAME: rotate = true
  // CHECK-SAME: side = #optim<side right>
  %1:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t {lr = 1.0e-3 : f64, interval = 200 : i64, rotate = true, basis = #optim<basis dct2>, norm = #optim<norm l2>, side = #optim<side right>, scale = 0.25 : f64, weight_decay = 0.1 : f64} : tensor<96x64xf32>, tensor<96x8xf32>, tensor<8xi64>
  // CHECK: optim.lowrank_adamw %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr_scale %{{.*}} {lr = 1.000000e-03 : f64}
  %3:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t lr_scale %s {lr = 1.0e-3 : f64} : tensor<96x64xf32>, tensor<96x8xf32>, tensor<8xi64>
  // CHECK: optim.adamw %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr_scale %{{.*}} {lr = 1.000000e-03 : f64} : tensor<64xf32>
  %4:3 = optim.adamw %b, %bg, %bm, %bv, %t lr_scale %s {lr = 1.0e-3 : f64} : tensor<64xf32>
  // CHECK: optim.apply %{{.*}}, %{{.*}} lr_scale %{{.*}} {lr = 1.000000e-03 : f64} : tensor<64xf32>
  %5 = optim.apply %b, %bg lr_scale %s {lr = 1.0e-3 : f64} : tensor<64xf32>
  // CHECK: optim.adamw %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {eps = {{.*}} : f64, lr = 1.000000e-03 : f64} : tensor<64xf32>
  %2:3 = optim.adamw %b, %bg, %bm, %bv, %t {lr = 1.0e-3 : f64, eps = 1.0e-6 : f64} : tensor<64xf32>
  return
}

// -----

// CHECK-LABEL: func @fused
// CHECK: %{{.*}}, %[[IDX:.*]] = optim.project_select %{{.*}}, %{{.*}} right norm l2 : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x64xf32>, tensor<8xi64>
// CHECK: optim.gather_adam %{{.*}}[%[[IDX]]] right, %{{.*}}, %{{.*}}, %{{.*}} from %{{.*}} : tensor<8xi64> {beta1 = 8.000000e-01 : f64} : tensor<96x64xf32>, tensor<8xi64>, tensor<96x8xf32>
// CHECK: optim.project_back_apply %{{.*}}, %{{.*}}, %{{.*}}[%[[IDX]]] right lr_scale %{{.*}} {lr = 1.000000e-03 : f64} : tensor<96x64xf32>, tensor<96x8xf32>, tensor<64x64xf32>, tensor<8xi64>
func.func @fused(%w: tensor<96x64xf32>, %g: tensor<96x64xf32>, %m: tensor<96x8xf32>, %v: tensor<96x8xf32>,
                 %old: tensor<8xi64>, %t: i64, %s: f32) -> tensor<96x64xf32> {
  %q = optim.dct_basis dct3 : tensor<64x64xf32>
  %p, %idx = optim.project_select %g, %q right norm l2 : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x64xf32>, tensor<8xi64>
  %m1, %v1, %u = optim.gather_adam %p[%idx] right, %m, %v, %t from %old : tensor<8xi64> {beta1 = 0.8 : f64}
      : tensor<96x64xf32>, tensor<8xi64>, tensor<96x8xf32>
  %w1 = optim.project_back_apply %w, %u, %q[%idx] right lr_scale %s {lr = 1.0e-3 : f64}
      : tensor<96x64xf32>, tensor<96x8xf32>, tensor<64x64xf32>, tensor<8xi64>
  return %w1 : tensor<96x64xf32>
}

// -----

// CHECK-LABEL: func @launch
// CHECK: optim.launch @kernels::@scale grid [2, 1, 1] block [128, 1, 1] ins(%{{.*}}, %{{.*}} : tensor<256xf32>, f32) outs(%{{.*}} : tensor<256xf32>) -> tensor<256xf32>
// CHECK: optim.launch @kernels::@scale grid [2, 1, 1] block [128, 1, 1] ins(%{{.*}}, %{{.*}} : memref<256xf32>, f32) outs(%{{.*}} : memref<256xf32>)
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @scale(%x: memref<256xf32>, %a: f32, %y: memref<256xf32>) kernel {
      gpu.return
    }
  }
  func.func @launch(%x: tensor<256xf32>, %a: f32, %xb: memref<256xf32>, %yb: memref<256xf32>) -> tensor<256xf32> {
    %init = tensor.empty() : tensor<256xf32>
    %y = optim.launch @kernels::@scale grid [2, 1, 1] block [128, 1, 1]
        ins(%x, %a : tensor<256xf32>, f32) outs(%init : tensor<256xf32>) -> tensor<256xf32>
    optim.launch @kernels::@scale grid [2, 1, 1] block [128, 1, 1]
        ins(%xb, %a : memref<256xf32>, f32) outs(%yb : memref<256xf32>)
    return %y : tensor<256xf32>
  }
}
