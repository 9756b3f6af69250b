// Both pipelines accept a function that returns one tensor twice: each
// position gets a buffer of its own before results become out-parameters.
// RUN: optgraph-opt %s -optgraph-cpu-pipeline | FileCheck %s
// RUN: %if ptxas %{ optgraph-opt %s -optgraph-cuda-pipeline | FileCheck %s %}

// CHECK: llvm.func @twice
func.func @twice(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %c = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.fill ins(%c : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %r, %r : tensor<4xf32>, tensor<4xf32>
}
