// RUN: optgraph-opt %s -split-input-file -optgraph-copy-repeated-results | FileCheck %s

// Every repeat of a returned buffer gets a copy of its own; the first
// position keeps the buffer.
// CHECK-LABEL: func @twice
// CHECK-SAME: (%[[A:.*]]: memref<4xf32>, %[[B:.*]]: memref<4xf32>)
// CHECK: %[[C1:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[A]], %[[C1]]
// CHECK: %[[C2:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[A]], %[[C2]]
// CHECK-NOT: memref.alloc
// CHECK: return %[[A]], %[[C1]], %[[B]], %[[C2]]
func.func @twice(%a: memref<4xf32>, %b: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  return %a, %a, %b, %a : memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>
}

// -----

// Dynamic sizes come from the source; a layout other than the identity is
// restored by a cast.
// CHECK-LABEL: func @dynamic
// CHECK-SAME: (%[[A:.*]]: memref<?x3xf32, strided<[?, ?], offset: ?>>)
// CHECK: %[[N:.*]] = memref.dim %[[A]], %c0
// CHECK: %[[B:.*]] = memref.alloc(%[[N]]) : memref<?x3xf32>
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK: %[[C:.*]] = memref.cast %[[B]] : memref<?x3xf32> to memref<?x3xf32, strided<[?, ?], offset: ?>>
// CHECK: return %[[A]], %[[C]]
func.func @dynamic(%a: memref<?x3xf32, strided<[?, ?], offset: ?>>) -> (memref<?x3xf32, strided<[?, ?], offset: ?>>, memref<?x3xf32, strided<[?, ?], offset: ?>>) {
  return %a, %a : memref<?x3xf32, strided<[?, ?], offset: ?>>, memref<?x3xf32, strided<[?, ?], offset: ?>>
}

// -----

// Repeated scalars and distinct buffers stay as they are.
// CHECK-LABEL: func @untouched
// CHECK-NOT: memref.alloc
// CHECK: return %arg0, %arg0, %arg1, %arg2
func.func @untouched(%i: i64, %a: memref<4xf32>, %b: memref<4xf32>) -> (i64, i64, memref<4xf32>, memref<4xf32>) {
  return %i, %i, %a, %b : i64, i64, memref<4xf32>, memref<4xf32>
}
