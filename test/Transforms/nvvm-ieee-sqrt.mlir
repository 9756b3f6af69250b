// RUN: optgraph-opt %s -pass-pipeline='builtin.module(gpu.module(optgraph-nvvm-ieee-sqrt))' | FileCheck %s

// f32 square roots become the correctly rounded PTX instruction; others are
// left to the NVVM lowering.
// CHECK-LABEL: gpu.func @roots
// CHECK-SAME: (%[[X:[^:]*]]: f32, %[[Y:[^:]*]]: f64
// CHECK: %[[R:.*]] = llvm.inline_asm "sqrt.rn.f32 $0, $1;", "=f,f" %[[X]] : (f32) -> f32
// CHECK: math.sqrt %[[Y]] : f64
// CHECK-NOT: math.sqrt %[[X]]
// CHECK: memref.store %[[R]]
gpu.module @kernels {
  gpu.func @roots(%x: f32, %y: f64, %out: memref<1xf32>, %out64: memref<1xf64>) kernel {
    %c0 = arith.constant 0 : index
    %r = math.sqrt %x : f32
    %s = math.sqrt %y : f64
    memref.store %r, %out[%c0] : memref<1xf32>
    memref.store %s, %out64[%c0] : memref<1xf64>
    gpu.return
  }
}
