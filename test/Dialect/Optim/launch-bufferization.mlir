// RUN: optgraph-opt %s -split-input-file -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s

// optim.launch on tensors bufferizes like any destination-passing op, except
// that its outs are never read: the kernels overwrite them entirely, so an
// out is never copied, whatever the analysis decides. On buffers the launch
// has no results. The options are those of the CUDA pipeline (buffers with
// identity layouts, which is what the kernels take).

// Fresh outs (tensor.empty) become allocations the kernel writes; the ins
// are the arguments' buffers, scalars pass as they are.
// CHECK-LABEL: func @fresh_outs
// CHECK-SAME: (%[[G:[^:]*]]: memref<96x40xf32>) -> (memref<96x40xf32>, memref<2x40xf32>)
// CHECK: %[[C:.*]] = arith.constant
// CHECK-DAG: %[[S:.*]] = memref.alloc() {{.*}} : memref<96x40xf32>
// CHECK-DAG: %[[P:.*]] = memref.alloc() {{.*}} : memref<2x40xf32>
// CHECK: optim.launch @optgraph_kernels::@scores grid [1, 2, 1] block [16, 16, 1]
// CHECK-SAME: ins(%[[G]], %[[C]] : memref<96x40xf32>, f32) outs(%[[S]], %[[P]] : memref<96x40xf32>, memref<2x40xf32>){{$}}
// CHECK-NOT: memref.copy
// CHECK: return %[[S]], %[[P]]
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @scores(%g: memref<96x40xf32>, %c: f32, %s: memref<96x40xf32>, %p: memref<2x40xf32>) kernel {
      gpu.return
    }
  }
  func.func @fresh_outs(%g: tensor<96x40xf32>) -> (tensor<96x40xf32>, tensor<2x40xf32>) {
    %c = arith.constant 2.0 : f32
    %s0 = tensor.empty() : tensor<96x40xf32>
    %p0 = tensor.empty() : tensor<2x40xf32>
    %r:2 = optim.launch @optgraph_kernels::@scores grid [1, 2, 1] block [16, 16, 1]
        ins(%g, %c : tensor<96x40xf32>, f32) outs(%s0, %p0 : tensor<96x40xf32>, tensor<2x40xf32>)
        -> tensor<96x40xf32>, tensor<2x40xf32>
    return %r#0, %r#1 : tensor<96x40xf32>, tensor<2x40xf32>
  }
}

// -----

// A launch reading another's out reads its buffer: one allocation each, no
// copy in between.
// CHECK-LABEL: func @producer_consumer
// CHECK: %[[P:.*]] = memref.alloc() {{.*}} : memref<2x40xf32>
// CHECK: optim.launch @optgraph_kernels::@partials {{.*}} outs(%[[P]] : memref<2x40xf32>){{$}}
// CHECK: %[[IDX:.*]] = memref.alloc() {{.*}} : memref<8xi64>
// CHECK: optim.launch @optgraph_kernels::@select {{.*}} ins(%[[P]] : memref<2x40xf32>) outs(%[[IDX]] : memref<8xi64>){{$}}
// CHECK-NOT: memref.copy
// CHECK: return %[[IDX]]
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @partials(%g: memref<96x40xf32>, %p: memref<2x40xf32>) kernel {
      gpu.return
    }
    gpu.func @select(%p: memref<2x40xf32>, %idx: memref<8xi64>) kernel {
      gpu.return
    }
  }
  func.func @producer_consumer(%g: tensor<96x40xf32>) -> tensor<8xi64> {
    %p0 = tensor.empty() : tensor<2x40xf32>
    %p = optim.launch @optgraph_kernels::@partials grid [1, 2, 1] block [16, 16, 1]
        ins(%g : tensor<96x40xf32>) outs(%p0 : tensor<2x40xf32>) -> tensor<2x40xf32>
    %idx0 = tensor.empty() : tensor<8xi64>
    %idx = optim.launch @optgraph_kernels::@select grid [1, 1, 1] block [1024, 1, 1]
        ins(%p : tensor<2x40xf32>) outs(%idx0 : tensor<8xi64>) -> tensor<8xi64>
    return %idx : tensor<8xi64>
  }
}

// -----

// An out that is not read afterwards is written in place: the result lands
// in the caller's buffer, with no allocation and no copy.
// CHECK-LABEL: func @in_place
// CHECK-SAME: (%[[X:[^:]*]]: memref<16xf32>, %[[Y:[^:]*]]: memref<16xf32>)
// CHECK-NOT: memref.alloc
// CHECK: optim.launch @optgraph_kernels::@scale {{.*}} ins(%[[X]] : memref<16xf32>) outs(%[[Y]] : memref<16xf32>){{$}}
// CHECK-NOT: memref.copy
// CHECK: return %[[Y]]
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @scale(%x: memref<16xf32>, %y: memref<16xf32>) kernel {
      gpu.return
    }
  }
  func.func @in_place(%x: tensor<16xf32>, %y: tensor<16xf32>) -> tensor<16xf32> {
    %r = optim.launch @optgraph_kernels::@scale grid [1, 1, 1] block [16, 1, 1]
        ins(%x : tensor<16xf32>) outs(%y : tensor<16xf32>) -> tensor<16xf32>
    return %r : tensor<16xf32>
  }
}

// -----

// An out still read later cannot be overwritten: the launch writes a fresh
// buffer instead, and nothing is copied into it (the kernel does not read
// what the out held); the later launch reads the original buffer.
// CHECK-LABEL: func @out_still_used
// CHECK-SAME: (%[[X:[^:]*]]: memref<16xf32>, %[[Y:[^:]*]]: memref<16xf32>)
// CHECK: %[[NEW:.*]] = memref.alloc() {{.*}} : memref<16xf32>
// CHECK-NOT: memref.copy
// CHECK: optim.launch @optgraph_kernels::@scale {{.*}} ins(%[[X]] : memref<16xf32>) outs(%[[NEW]] : memref<16xf32>){{$}}
// CHECK: %[[NEXT:.*]] = memref.alloc() {{.*}} : memref<16xf32>
// CHECK: optim.launch @optgraph_kernels::@scale {{.*}} ins(%[[Y]] : memref<16xf32>) outs(%[[NEXT]] : memref<16xf32>){{$}}
// CHECK-NOT: memref.copy
// CHECK: return %[[NEW]], %[[NEXT]]
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @scale(%x: memref<16xf32>, %y: memref<16xf32>) kernel {
      gpu.return
    }
  }
  func.func @out_still_used(%x: tensor<16xf32>, %y: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
    %r = optim.launch @optgraph_kernels::@scale grid [1, 1, 1] block [16, 1, 1]
        ins(%x : tensor<16xf32>) outs(%y : tensor<16xf32>) -> tensor<16xf32>
    %e = tensor.empty() : tensor<16xf32>
    %z = optim.launch @optgraph_kernels::@scale grid [1, 1, 1] block [16, 1, 1]
        ins(%y : tensor<16xf32>) outs(%e : tensor<16xf32>) -> tensor<16xf32>
    return %r, %z : tensor<16xf32>, tensor<16xf32>
  }
}

// -----

// A kernel never reads and writes one buffer: an out that is also an in
// gets a buffer of its own.
// CHECK-LABEL: func @in_and_out
// CHECK-SAME: (%[[Y:[^:]*]]: memref<16xf32>)
// CHECK: %[[NEW:.*]] = memref.alloc() {{.*}} : memref<16xf32>
// CHECK: optim.launch @optgraph_kernels::@scale {{.*}} ins(%[[Y]] : memref<16xf32>) outs(%[[NEW]] : memref<16xf32>){{$}}
// CHECK-NOT: memref.copy
// CHECK: return %[[NEW]]
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @scale(%x: memref<16xf32>, %y: memref<16xf32>) kernel {
      gpu.return
    }
  }
  func.func @in_and_out(%y: tensor<16xf32>) -> tensor<16xf32> {
    %r = optim.launch @optgraph_kernels::@scale grid [1, 1, 1] block [16, 1, 1]
        ins(%y : tensor<16xf32>) outs(%y : tensor<16xf32>) -> tensor<16xf32>
    return %r : tensor<16xf32>
  }
}

// -----

// A step's arguments are not writable (the caller's inputs): an out that is
// one gets a fresh buffer, again without a copy.
// CHECK-LABEL: func @read_only_argument
// CHECK-SAME: (%[[X:[^:]*]]: memref<16xf32>, %[[Y:[^:]*]]: memref<16xf32>)
// CHECK: %[[NEW:.*]] = memref.alloc() {{.*}} : memref<16xf32>
// CHECK: optim.launch @optgraph_kernels::@scale {{.*}} ins(%[[X]] : memref<16xf32>) outs(%[[NEW]] : memref<16xf32>){{$}}
// CHECK-NOT: memref.copy
// CHECK: return %[[NEW]]
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @scale(%x: memref<16xf32>, %y: memref<16xf32>) kernel {
      gpu.return
    }
  }
  func.func @read_only_argument(%x: tensor<16xf32>, %y: tensor<16xf32> {bufferization.writable = false}) -> tensor<16xf32> {
    %r = optim.launch @optgraph_kernels::@scale grid [1, 1, 1] block [16, 1, 1]
        ins(%x : tensor<16xf32>) outs(%y : tensor<16xf32>) -> tensor<16xf32>
    return %r : tensor<16xf32>
  }
}

// -----

// The refresh branch: a launch inside a branch writes a buffer allocated
// there, which the branch yields; the other branch yields its own.
// CHECK-LABEL: func @refresh_branch
// CHECK-SAME: (%[[REFRESH:[^:]*]]: i1, %[[G:[^:]*]]: memref<16xf32>, %[[IDX:[^:]*]]: memref<4xi64>)
// CHECK: %[[R:.*]] = scf.if %[[REFRESH]] -> (memref<4xi64>) {
// CHECK:   %[[NEW:.*]] = memref.alloc() {{.*}} : memref<4xi64>
// CHECK:   optim.launch @optgraph_kernels::@select {{.*}} ins(%[[G]] : memref<16xf32>) outs(%[[NEW]] : memref<4xi64>){{$}}
// CHECK:   scf.yield %[[NEW]] : memref<4xi64>
// CHECK: } else {
// CHECK:   scf.yield %[[IDX]] : memref<4xi64>
// CHECK: }
// CHECK-NOT: memref.copy
// CHECK: return %[[R]]
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @select(%g: memref<16xf32>, %idx: memref<4xi64>) kernel {
      gpu.return
    }
  }
  func.func @refresh_branch(%refresh: i1, %g: tensor<16xf32>, %idx: tensor<4xi64>) -> tensor<4xi64> {
    %r = scf.if %refresh -> (tensor<4xi64>) {
      %e = tensor.empty() : tensor<4xi64>
      %new = optim.launch @optgraph_kernels::@select grid [1, 1, 1] block [1024, 1, 1]
          ins(%g : tensor<16xf32>) outs(%e : tensor<4xi64>) -> tensor<4xi64>
      scf.yield %new : tensor<4xi64>
    } else {
      scf.yield %idx : tensor<4xi64>
    }
    return %r : tensor<4xi64>
  }
}
