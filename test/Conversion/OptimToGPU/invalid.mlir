// RUN: optgraph-opt %s -convert-optim-to-gpu -split-input-file -verify-diagnostics

// Without optim-fuse first, what has no kernel is reported at the op.
func.func @unfused(%s: tensor<96x40xf32>) -> tensor<8xi64> {
  // expected-error @+1 {{'optim.select' op has no GPU lowering; run -optim-decompose and -optim-fuse first}}
  %idx = optim.select %s right norm l1 : tensor<96x40xf32> -> tensor<8xi64>
  return %idx : tensor<8xi64>
}

// -----

// The kernels' phase arithmetic is 32-bit.
func.func @huge_basis() -> tensor<40000x40000xf32> {
  // expected-error @+1 {{basis of size 40000 exceeds the 32768 that the GPU kernels support}}
  %q = optim.dct_basis dct3 : tensor<40000x40000xf32>
  return %q : tensor<40000x40000xf32>
}

// -----

// The limit holds for every op with a basis, wherever the basis comes from.
func.func @huge_basis_operand(%g: tensor<8x40000xf32>, %q: tensor<40000x40000xf32>) -> tensor<8x40000xf32> {
  // expected-error @+1 {{'optim.project_select' op basis of size 40000 exceeds the 32768 that the GPU kernels support}}
  %p, %idx = optim.project_select %g, %q right norm l2 : tensor<8x40000xf32>, tensor<40000x40000xf32> -> tensor<8x40000xf32>, tensor<8xi64>
  return %p : tensor<8x40000xf32>
}

// -----

// The kernels generate DCT bases: a basis from anywhere else is rejected,
// not replaced by a DCT.
func.func @basis_argument(%g: tensor<96x40xf32>, %q: tensor<40x40xf32>) -> tensor<96x40xf32> {
  // expected-error @+1 {{'optim.project_select' op needs its basis from optim.dct_basis: the GPU kernels generate DCT bases and cannot read one}}
  %p, %idx = optim.project_select %g, %q right norm l2 : tensor<96x40xf32>, tensor<40x40xf32> -> tensor<96x40xf32>, tensor<8xi64>
  return %p : tensor<96x40xf32>
}

// -----

func.func @project_basis_argument(%g: tensor<96x40xf32>, %q: tensor<40x40xf32>, %idx: tensor<8xi64>) -> tensor<96x8xf32> {
  // expected-error @+1 {{'optim.project' op needs its basis from optim.dct_basis}}
  %p = optim.project %g, %q[%idx : tensor<8xi64>] right : tensor<96x40xf32>, tensor<40x40xf32> -> tensor<96x8xf32>
  return %p : tensor<96x8xf32>
}

// -----

// More than 65535 row tiles of a right-side projection: gridDim.y would be
// illegal on every GPU, so compilation stops (EMULATOR.md A6).
func.func @too_many_row_tiles(%g: tensor<4194400x8xf32>) -> tensor<4194400x8xf32> {
  %q = optim.dct_basis dct3 : tensor<8x8xf32>
  // expected-error @+1 {{'optim.launch' op grid (1, 65538, 1) is outside CUDA's 1..(2147483647, 65535, 65535)}}
  %p, %idx = optim.project_select %g, %q right norm l1 : tensor<4194400x8xf32>, tensor<8x8xf32> -> tensor<4194400x8xf32>, tensor<2xi64>
  return %p : tensor<4194400x8xf32>
}
