// RUN: optgraph-opt %s -optgraph-cpu-pipeline | FileCheck %s
// RUN: optgraph-opt %s -optgraph-cpu-pipeline=vectorize=false | FileCheck %s --check-prefix=SCALAR
// RUN: optgraph-opt %s -optgraph-cpu-pipeline --mlir-print-ir-after=control-flow-sink -o /dev/null 2>&1 | FileCheck %s --check-prefix=SINK

// The whole step reaches the LLVM dialect; the four results became
// out-parameters (36 descriptor fields in, 26 out) and matmuls vector FMAs.
// CHECK-LABEL: llvm.func @step
// CHECK-SAME: %arg61: i64) {
// CHECK-NOT: optim.
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: vector.
// CHECK-DAG: llvm.intr.cos
// CHECK-DAG: llvm.intr.pow
// CHECK-DAG: llvm.intr.fmuladd{{.*}} : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// SCALAR-LABEL: llvm.func @step
// SCALAR-NOT: vector<16xf32>

// The conversion reads the full basis in the refresh branch only, and
// control-flow-sink moves it there: the other steps never build it.
// SINK-LABEL: func.func private @lowrank_adamw_64x48_r16
// SINK-NOT: tensor<48x48xf32>
// SINK: scf.if
// SINK: linalg.generic {{.*}} outs(%{{.*}} : tensor<48x48xf32>)
// SINK: scf.yield {{.*}} : tensor<16xi64>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x16xf32>
// SINK-NEXT: } else {
// SINK-NOT: tensor<48x48xf32>
// SINK: linalg.generic {{.*}} outs(%{{.*}} : tensor<48x16xf32>)
// SINK-NOT: tensor<48x48xf32>
// SINK: return
func.func @step(%w: tensor<64x48xf32>, %g: tensor<64x48xf32>,
                %m: tensor<64x16xf32>, %v: tensor<64x16xf32>,
                %idx: tensor<16xi64>, %step: tensor<i64>)
    -> (tensor<64x48xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16xi64>) {
  %t = tensor.extract %step[] : tensor<i64>
  %0:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t {lr = 1.0e-3 : f64, interval = 4 : i64, rotate = true} : tensor<64x48xf32>, tensor<64x16xf32>, tensor<16xi64>
  return %0#0, %0#1, %0#2, %0#3 : tensor<64x48xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16xi64>
}
