// RUN: optgraph-opt %s -optim-outline-updates | FileCheck %s

// Two same-shaped matrices with the same options share one function; a
// different rank, different attributes and AdamW get their own.
// CHECK-LABEL: func @step
// CHECK-SAME: %[[T:[^:]*]]: i64, %[[S:[^:]*]]: f32
// CHECK: %[[A:.*]]:4 = call @lowrank_adamw_64x32_r8(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[T]], %[[S]])
// CHECK: %[[B:.*]]:4 = call @lowrank_adamw_64x32_r8(
// CHECK: call @lowrank_adamw_64x32_r8_0(
// CHECK: call @adamw_32(
// CHECK-NOT: optim.
// CHECK: return %[[A]]#0, %[[B]]#0

// CHECK: func.func private @lowrank_adamw_64x32_r8(%{{.*}}: tensor<64x32xf32>, {{.*}}: i64, %{{.*}}: f32) -> (tensor<64x32xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<8xi64>)
// CHECK-NEXT: optim.lowrank_adamw {{.*}} {interval = 4 : i64, lr = 1.000000e-03 : f64}
// CHECK-NEXT: return
// CHECK: func.func private @lowrank_adamw_64x32_r8_0(
// CHECK-NEXT: optim.lowrank_adamw {{.*}} rotate = true
// CHECK: func.func private @adamw_32(
// CHECK-NEXT: optim.adamw
// CHECK-NOT: func.func
func.func @step(%w: tensor<64x32xf32>, %m: tensor<64x8xf32>, %idx: tensor<8xi64>,
                %b: tensor<32xf32>, %t: i64, %s: f32) -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<32xf32>) {
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t lr_scale %s {lr = 1.0e-3 : f64, interval = 4 : i64} : tensor<64x32xf32>, tensor<64x8xf32>, tensor<8xi64>
  %1:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t lr_scale %s {lr = 1.0e-3 : f64, interval = 4 : i64} : tensor<64x32xf32>, tensor<64x8xf32>, tensor<8xi64>
  %2:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t lr_scale %s {lr = 1.0e-3 : f64, interval = 4 : i64, rotate = true} : tensor<64x32xf32>, tensor<64x8xf32>, tensor<8xi64>
  %3:3 = optim.adamw %b, %b, %b, %b, %t lr_scale %s {lr = 1.0e-3 : f64} : tensor<32xf32>
  return %0#0, %1#0, %2#0, %3#0 : tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<32xf32>
}
