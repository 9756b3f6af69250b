// RUN: optgraph-opt %s -split-input-file -verify-diagnostics

func.func @basis_not_square() {
  // expected-error @+1 {{'optim.dct_basis' op expects a square result, got 'tensor<4x5xf32>'}}
  %q = optim.dct_basis dct3 : tensor<4x5xf32>
  return
}

// -----

func.func @basis_dynamic() {
  // expected-error @+1 {{'optim.dct_basis' op result #0 must be statically shaped 2D tensor of f32 with every dimension in 1..2^31-1 and at most 2^40 elements, but got 'tensor<?x?xf32>'}}
  %q = optim.dct_basis dct3 : tensor<?x?xf32>
  return
}

// -----

func.func @basis_unknown_kind() {
  // expected-error @+2 {{expected ::optgraph::optim::BasisKind to be one of: dct2, dct3}}
  // expected-error @+1 {{failed to parse Optim_BasisKindAttr parameter 'value'}}
  %q = optim.dct_basis dct4 : tensor<4x4xf32>
  return
}

// -----

func.func @project_auto_side(%g: tensor<8x4xf32>, %q: tensor<4x4xf32>) {
  // expected-error @+1 {{'optim.project' op expects side 'left' or 'right'; 'auto' is only accepted by composite ops}}
  %s = optim.project %g, %q auto : tensor<8x4xf32>, tensor<4x4xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @project_basis_not_square(%g: tensor<8x4xf32>, %q: tensor<4x5xf32>) {
  // expected-error @+1 {{'optim.project' op expects a square basis, got 'tensor<4x5xf32>'}}
  %s = optim.project %g, %q right : tensor<8x4xf32>, tensor<4x5xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @project_basis_wrong_size(%g: tensor<8x4xf32>, %q: tensor<8x8xf32>) {
  // expected-error @+1 {{'optim.project' op basis of size 8 does not match the projected dimension 4}}
  %s = optim.project %g, %q right : tensor<8x4xf32>, tensor<8x8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @project_full_result_shape(%g: tensor<8x4xf32>, %q: tensor<8x8xf32>) {
  // expected-error @+1 {{'optim.project' op result has shape 8x8, expected 8x4}}
  %s = optim.project %g, %q left : tensor<8x4xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  return
}

// -----

func.func @project_rank_too_large(%g: tensor<8x4xf32>, %q: tensor<4x4xf32>, %idx: tensor<5xi64>) {
  // expected-error @+1 {{'optim.project' op rank 5 is outside 1..4 (the number of basis vectors)}}
  %a = optim.project %g, %q[%idx : tensor<5xi64>] right : tensor<8x4xf32>, tensor<4x4xf32> -> tensor<8x5xf32>
  return
}

// -----

func.func @project_low_rank_shape(%g: tensor<8x4xf32>, %q: tensor<8x8xf32>, %idx: tensor<2xi64>) {
  // expected-error @+1 {{'optim.project' op result has shape 8x2, expected 2x4}}
  %a = optim.project %g, %q[%idx : tensor<2xi64>] left : tensor<8x4xf32>, tensor<8x8xf32> -> tensor<8x2xf32>
  return
}

// -----

func.func @project_wrong_element_type(%g: tensor<8x4xf16>, %q: tensor<4x4xf32>) {
  // expected-error @+1 {{'optim.project' op operand #0 must be statically shaped 2D tensor of f32 with every dimension in 1..2^31-1 and at most 2^40 elements, but got 'tensor<8x4xf16>'}}
  %s = optim.project %g, %q right : tensor<8x4xf16>, tensor<4x4xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @select_rank_zero(%s: tensor<8x4xf32>) {
  // expected-error @+1 {{'optim.select' op result #0 must be statically shaped 1D tensor of i64 with every dimension in 1..2^31-1 and at most 2^40 elements, but got 'tensor<0xi64>'}}
  %idx = optim.select %s right norm l1 : tensor<8x4xf32> -> tensor<0xi64>
  return
}

// -----

func.func @select_rank_above_basis(%s: tensor<8x4xf32>) {
  // expected-error @+1 {{'optim.select' op rank 5 is outside 1..4 (the number of basis vectors)}}
  %idx = optim.select %s right norm l1 : tensor<8x4xf32> -> tensor<5xi64>
  return
}

// -----

// A 0-sized parameter has nothing to update: rejected at the op, so no pass
// meets an empty loop.
func.func @project_zero_sized(%g: tensor<12x0xf32>, %q: tensor<1x1xf32>) {
  // expected-error @+1 {{'optim.project' op operand #0 must be statically shaped 2D tensor of f32 with every dimension in 1..2^31-1 and at most 2^40 elements, but got 'tensor<12x0xf32>'}}
  %s = optim.project %g, %q right : tensor<12x0xf32>, tensor<1x1xf32> -> tensor<12x0xf32>
  return
}

// -----

func.func @adamw_dimension_too_large(%w: tensor<4294967296xf32>, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op operand #0 must be statically shaped tensor of f32 with every dimension in 1..2^31-1 and at most 2^40 elements, but got 'tensor<4294967296xf32>'}}
  %r:3 = optim.adamw %w, %w, %w, %w, %t {lr = 1.0e-3 : f64} : tensor<4294967296xf32>
  return
}

// -----

// N×N ≤ 2^40 elements bounds a basis to N ≤ 2^20.
func.func @basis_too_large() {
  // expected-error @+1 {{'optim.dct_basis' op result #0 must be statically shaped 2D tensor of f32 with every dimension in 1..2^31-1 and at most 2^40 elements, but got 'tensor<1048577x1048577xf32>'}}
  %q = optim.dct_basis dct3 : tensor<1048577x1048577xf32>
  return
}

// -----

func.func @select_unknown_norm(%s: tensor<8x4xf32>) {
  // expected-error @+2 {{expected ::optgraph::optim::ScoreNorm to be one of: l1, l2}}
  // expected-error @+1 {{failed to parse Optim_ScoreNormAttr parameter 'value'}}
  %idx = optim.select %s right norm l3 : tensor<8x4xf32> -> tensor<2xi64>
  return
}

// -----

func.func @gather_shape(%s: tensor<8x4xf32>, %idx: tensor<2xi64>) {
  // expected-error @+1 {{'optim.gather' op result has shape 2x4, expected 8x2}}
  %a = optim.gather %s[%idx] right : tensor<8x4xf32>, tensor<2xi64> -> tensor<2x4xf32>
  return
}

// -----

func.func @gather_rank(%s: tensor<8x4xf32>, %idx: tensor<9xi64>) {
  // expected-error @+1 {{'optim.gather' op rank 9 is outside 1..8 (the number of basis vectors)}}
  %a = optim.gather %s[%idx] left : tensor<8x4xf32>, tensor<9xi64> -> tensor<9x4xf32>
  return
}

// -----

func.func @rotate_rank(%m: tensor<8x3xf32>, %old: tensor<2xi64>, %new: tensor<2xi64>) {
  // expected-error @+1 {{'optim.rotate' op moments hold 3 basis slices but the indices select 2}}
  %m1, %v1 = optim.rotate %m, %m from %old to %new right : tensor<8x3xf32>, tensor<2xi64>
  return
}

// -----

func.func @adam_beta1(%m: tensor<8x3xf32>, %t: i64) {
  // expected-error @+1 {{'optim.adam' op beta1 must be in [0, 1), got 1.000000e+00}}
  %0:3 = optim.adam %m, %m, %m, %t {beta1 = 1.0 : f64} : tensor<8x3xf32>
  return
}

// -----

func.func @adam_beta2(%m: tensor<8x3xf32>, %t: i64) {
  // expected-error @+1 {{'optim.adam' op beta2 must be in [0, 1), got -1.000000e-01}}
  %0:3 = optim.adam %m, %m, %m, %t {beta2 = -0.1 : f64} : tensor<8x3xf32>
  return
}

// -----

func.func @adam_eps(%m: tensor<8x3xf32>, %t: i64) {
  // expected-error @+1 {{'optim.adam' op eps must be finite and non-negative, got -1.000000e+00}}
  %0:3 = optim.adam %m, %m, %m, %t {eps = -1.0 : f64} : tensor<8x3xf32>
  return
}

// -----

func.func @adam_types(%m: tensor<8x3xf32>, %v: tensor<8x4xf32>, %t: i64) {
  // expected-error @+1 {{'optim.adam' op failed to verify that all of {exp_avg, exp_avg_sq, grad, new_exp_avg, new_exp_avg_sq, direction} have same type}}
  %0:3 = "optim.adam"(%m, %v, %m, %t) : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<8x3xf32>, i64) -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>)
  return
}

// -----

func.func @project_back_shape(%u: tensor<8x3xf32>, %q: tensor<4x4xf32>, %idx: tensor<2xi64>) {
  // expected-error @+1 {{'optim.project_back' op direction has shape 8x3, expected 8x2}}
  %U = optim.project_back %u, %q[%idx] right : tensor<8x3xf32>, tensor<4x4xf32>, tensor<2xi64> -> tensor<8x4xf32>
  return
}

// -----

func.func @project_back_basis(%u: tensor<2x4xf32>, %q: tensor<4x4xf32>, %idx: tensor<2xi64>) {
  // expected-error @+1 {{'optim.project_back' op basis of size 4 does not match the projected dimension 8}}
  %U = optim.project_back %u, %q[%idx] left : tensor<2x4xf32>, tensor<4x4xf32>, tensor<2xi64> -> tensor<8x4xf32>
  return
}

// -----

func.func @apply_lr(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{'optim.apply' op lr must be finite and non-negative, got -1.000000e-03}}
  %0 = optim.apply %w, %w {lr = -1.0e-3 : f64} : tensor<8x4xf32>
  return
}

// -----

func.func @apply_weight_decay(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{'optim.apply' op weight_decay must be finite and non-negative, got -1.000000e-01}}
  %0 = optim.apply %w, %w {lr = 1.0e-3 : f64, weight_decay = -0.1 : f64} : tensor<8x4xf32>
  return
}

// -----

func.func @apply_scale(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{'optim.apply' op scale must be finite, got INF}}
  %0 = optim.apply %w, %w {lr = 1.0e-3 : f64, scale = 0x7FF0000000000000 : f64} : tensor<8x4xf32>
  return
}

// -----

func.func @apply_missing_lr(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{'optim.apply' op requires attribute 'lr'}}
  %0 = optim.apply %w, %w : tensor<8x4xf32>
  return
}

// -----

func.func @adamw_beta1(%w: tensor<8xf32>, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op beta1 must be in [0, 1), got 1.500000e+00}}
  %0:3 = optim.adamw %w, %w, %w, %w, %t {lr = 1.0e-3 : f64, beta1 = 1.5 : f64} : tensor<8xf32>
  return
}

// -----

func.func @adamw_lr_nan(%w: tensor<8xf32>, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op lr must be finite and non-negative, got nan}}
  %0:3 = optim.adamw %w, %w, %w, %w, %t {lr = 0x7FF8000000000000 : f64} : tensor<8xf32>
  return
}

// -----

func.func @lowrank_interval(%w: tensor<8x4xf32>, %m: tensor<8x2xf32>, %idx: tensor<2xi64>, %t: i64) {
  // expected-error @+1 {{'optim.lowrank_adamw' op attribute 'interval' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64, interval = 0 : i64} : tensor<8x4xf32>, tensor<8x2xf32>, tensor<2xi64>
  return
}

// -----

func.func @lowrank_rank(%w: tensor<8x4xf32>, %m: tensor<8x5xf32>, %idx: tensor<5xi64>, %t: i64) {
  // expected-error @+1 {{'optim.lowrank_adamw' op rank 5 is outside 1..4 (the number of basis vectors)}}
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64} : tensor<8x4xf32>, tensor<8x5xf32>, tensor<5xi64>
  return
}

// -----

// side = auto on an 8x4 weight projects the right side: moments are 8x2.
func.func @lowrank_moments_auto(%w: tensor<8x4xf32>, %m: tensor<2x4xf32>, %idx: tensor<2xi64>, %t: i64) {
  // expected-error @+1 {{'optim.lowrank_adamw' op moments (right side) has shape 2x4, expected 8x2}}
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64} : tensor<8x4xf32>, tensor<2x4xf32>, tensor<2xi64>
  return
}

// -----

// A forced side decides the moments' shape whatever the weight's shape.
func.func @lowrank_moments_forced(%w: tensor<8x4xf32>, %m: tensor<8x2xf32>, %idx: tensor<2xi64>, %t: i64) {
  // expected-error @+1 {{'optim.lowrank_adamw' op moments (left side) has shape 8x2, expected 2x4}}
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64, side = #optim<side left>} : tensor<8x4xf32>, tensor<8x2xf32>, tensor<2xi64>
  return
}

// -----

func.func @lowrank_scale(%w: tensor<8x4xf32>, %m: tensor<8x2xf32>, %idx: tensor<2xi64>, %t: i64) {
  // expected-error @+1 {{'optim.lowrank_adamw' op scale must be finite, got -INF}}
  %0:4 = optim.lowrank_adamw %w, %w, %m, %m, %idx, %t {lr = 1.0e-3 : f64, scale = 0xFFF0000000000000 : f64} : tensor<8x4xf32>, tensor<8x2xf32>, tensor<2xi64>
  return
}

// -----

func.func @lowrank_step_type(%w: tensor<8x4xf32>, %m: tensor<8x2xf32>, %idx: tensor<2xi64>, %t: i32) {
  // expected-error @+1 {{'optim.lowrank_adamw' op operand #5 must be 64-bit signless integer}}
  %0:4 = "optim.lowrank_adamw"(%w, %w, %m, %m, %idx, %t) <{lr = 1.0e-3 : f64}> : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<2xi64>, i32) -> (tensor<8x4xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<2xi64>)
  return
}

// -----

func.func @gather_adam_moments(%s: tensor<96x64xf32>, %idx: tensor<8xi64>, %m: tensor<96x7xf32>, %t: i64) {
  // expected-error @+1 {{'optim.gather_adam' op moment has shape 96x7, expected 96x8}}
  %0:3 = optim.gather_adam %s[%idx] right, %m, %m, %t : tensor<96x64xf32>, tensor<8xi64>, tensor<96x7xf32>
  return
}

// -----

func.func @project_select_rank(%g: tensor<96x64xf32>) {
  %q = optim.dct_basis dct3 : tensor<64x64xf32>
  // expected-error @+1 {{'optim.project_select' op rank 65 is outside 1..64 (the number of basis vectors)}}
  %s, %i = optim.project_select %g, %q right norm l1 : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x64xf32>, tensor<65xi64>
  return
}

// -----

func.func @project_back_apply_lr(%w: tensor<96x64xf32>, %u: tensor<96x8xf32>, %idx: tensor<8xi64>) {
  %q = optim.dct_basis dct3 : tensor<64x64xf32>
  // expected-error @+1 {{'optim.project_back_apply' op lr must be finite and non-negative, got -1.000000e+00}}
  %0 = optim.project_back_apply %w, %u, %q[%idx] right {lr = -1.0 : f64} : tensor<96x64xf32>, tensor<96x8xf32>, tensor<64x64xf32>, tensor<8xi64>
  return
}

// -----

func.func @launch_no_kernel(%x: tensor<4xf32>) {
  // expected-error @+1 {{'optim.launch' op '@kernels::@missing' is not a GPU kernel}}
  %0 = optim.launch @kernels::@missing grid [1, 1, 1] block [4, 1, 1] outs(%x : tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @launch_block(%x: tensor<4xf32>) {
  // expected-error @+1 {{'optim.launch' op a block holds at most 1024 threads}}
  %0 = optim.launch @kernels::@k grid [1, 1, 1] block [64, 64, 1] outs(%x : tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%y: memref<8xf32>) kernel {
      gpu.return
    }
  }
  func.func @launch_argument(%x: tensor<4xf32>) {
    // expected-error @+1 {{'optim.launch' op argument #0 of type 'tensor<4xf32>' does not match the kernel's 'memref<8xf32>'}}
    %0 = optim.launch @kernels::@k grid [1, 1, 1] block [4, 1, 1] outs(%x : tensor<4xf32>) -> tensor<4xf32>
    return
  }
}

// -----

func.func @launch_grid_y(%x: tensor<4xf32>) {
  // expected-error @+1 {{'optim.launch' op grid (1, 65536, 1) is outside CUDA's 1..(2147483647, 65535, 65535)}}
  %0 = optim.launch @kernels::@k grid [1, 65536, 1] block [4, 1, 1] outs(%x : tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// A step's tensor names become file names.
// expected-error @+1 {{argument #0 has name "../w"; names must be non-empty strings, must not start with '.', and may hold only letters, digits, '_', '.' and '-'}}
func.func @path_name(%w: tensor<4xf32> {optim.name = "../w", optim.role = "param"}) {
  return
}

// -----

// expected-error @+1 {{argument #0 has name 7 : i64}}
func.func @name_not_a_string(%w: tensor<4xf32> {optim.name = 7}) {
  return
}

// -----

// expected-error @+1 {{argument #0 has role "weight"; expected param, grad, state, step, hyper or input}}
func.func @unknown_role(%w: tensor<4xf32> {optim.role = "weight"}) {
  return
}

// -----

// expected-error @+1 {{result #0 has the unknown attribute 'optim.role' (results take only optim.name)}}
func.func @result_role(%w: tensor<4xf32>) -> (tensor<4xf32> {optim.role = "param"}) {
  return %w : tensor<4xf32>
}

// -----

func.func @op_attribute(%w: tensor<4xf32>) {
  // expected-error @+1 {{'optim.name' belongs on the arguments and results of a step function}}
  %c = "arith.constant"() {value = 1 : i64, optim.name = "w"} : () -> i64
  return
}
