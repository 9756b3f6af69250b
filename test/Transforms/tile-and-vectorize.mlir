// RUN: optgraph-opt %s -split-input-file -optgraph-tile-and-vectorize | FileCheck %s
// RUN: optgraph-opt %s -split-input-file -optgraph-tile-and-vectorize=tile-sizes=4,8,32 | FileCheck %s --check-prefix=SIZES

// Tiles of 8x16x64 become rows of FMAs on vector<16xf32>.
// CHECK-LABEL: func @matmul
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c8
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c64
// CHECK: vector.transfer_read {{.*}} : tensor<8x64xf32>, vector<8x64xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: vector.contract
// CHECK-NOT: linalg.matmul
// CHECK: vector.transfer_write {{.*}} : vector<8x16xf32>, tensor<8x16xf32>
// SIZES-LABEL: func @matmul
// SIZES: scf.for %{{.*}} = %c0 to %c64 step %c4
// SIZES: scf.for %{{.*}} = %c0 to %c32 step %c8
// SIZES: scf.for %{{.*}} = %c0 to %c128 step %c32
func.func @matmul(%a: tensor<64x128xf32>, %b: tensor<128x32xf32>, %c: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x128xf32>, tensor<128x32xf32>) outs(%c : tensor<64x32xf32>) -> tensor<64x32xf32>
  return %0 : tensor<64x32xf32>
}

// -----

// Odd sizes get the largest tile that divides them: 37 is prime (tile 1),
// 20 takes 10 and 12 takes 12. No masks anywhere.
// CHECK-LABEL: func @odd_transposed
// CHECK: scf.for %{{.*}} = %c0 to %c37 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c20 step %c10
// CHECK-NOT: vector.mask
// CHECK-NOT: vector.create_mask
// CHECK: vector.fma {{.*}} : vector<10xf32>
func.func @odd_transposed(%a: tensor<12x37xf32>, %b: tensor<12x20xf32>, %c: tensor<37x20xf32>) -> tensor<37x20xf32> {
  %0 = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%a, %b : tensor<12x37xf32>, tensor<12x20xf32>) outs(%c : tensor<37x20xf32>) -> tensor<37x20xf32>
  return %0 : tensor<37x20xf32>
}

// -----

// A matmul with an empty loop has nothing to tile (it used to divide by 0).
// CHECK-LABEL: func @empty_loop
// CHECK: linalg.matmul
func.func @empty_loop(%a: tensor<4x0xf32>, %b: tensor<0x8xf32>, %c: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<4x0xf32>, tensor<0x8xf32>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
