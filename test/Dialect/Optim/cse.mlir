// RUN: optgraph-opt %s -cse | FileCheck %s

// Bases have no operands and no effects: CSE shares one per size and kind.
// CHECK-LABEL: func @basis_cse
// CHECK-COUNT-2: optim.dct_basis
// CHECK-NOT: optim.dct_basis
func.func @basis_cse() -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) {
  %a = optim.dct_basis dct3 : tensor<8x8xf32>
  %b = optim.dct_basis dct3 : tensor<8x8xf32>
  %c = optim.dct_basis dct2 : tensor<8x8xf32>
  return %a, %b, %c : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
}
