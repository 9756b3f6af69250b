// RUN: optgraph-opt %s -split-input-file -optgraph-gpu-async-chain -verify-diagnostics | FileCheck %s

// The input is -optgraph-gpu-host-lowering's form: synchronous gpu ops. One
// token goes through every one of them in program order, starting from a
// `gpu.wait async`; host ops (the load of the step count) stay outside the
// chain, and the only synchronization is one blocking `gpu.wait` on the last
// token, just before the return.
// CHECK-LABEL: func @straight_line
// CHECK-SAME: (%[[X:[^:]*]]: memref<16xf32>, %[[T:[^:]*]]: memref<i64>, %[[Y:[^:]*]]: memref<16xf32>)
// CHECK-NEXT: %[[T0:.*]] = gpu.wait async
// CHECK: memref.load %[[T]][]
// CHECK: %[[TMP:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] () : memref<16xf32>
// CHECK: %[[T2:.*]] = gpu.launch_func async [%[[T1]]] @optgraph_kernels::@scale
// CHECK-SAME: args(%[[X]] : memref<16xf32>, %{{.*}} : f32, %[[TMP]] : memref<16xf32>)
// CHECK: %[[T3:.*]] = gpu.memcpy async [%[[T2]]] %[[Y]], %[[TMP]]
// CHECK: %[[T4:.*]] = gpu.dealloc async [%[[T3]]] %[[TMP]]
// CHECK-NOT: gpu.wait
// CHECK: gpu.wait [%[[T4]]]
// CHECK-NEXT: return
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @scale(%x: memref<16xf32>, %c: f32, %y: memref<16xf32>) kernel {
      gpu.return
    }
  }
  func.func @straight_line(%x: memref<16xf32>, %t: memref<i64>, %y: memref<16xf32>) {
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c = arith.constant 2.0 : f32
    %step = memref.load %t[] : memref<i64>
    %tmp = gpu.alloc () : memref<16xf32>
    gpu.launch_func @optgraph_kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c16, %c1, %c1)
        args(%x : memref<16xf32>, %c : f32, %tmp : memref<16xf32>)
    gpu.memcpy %y, %tmp : memref<16xf32>, memref<16xf32>
    gpu.dealloc %tmp : memref<16xf32>
    return
  }
}

// -----

// The refresh branch: each branch continues the chain from the token before
// the scf.if and yields its last token, which the ops after it wait for; no
// synchronization inside either branch. A branch without GPU work (the
// missing else of the conditional free) passes the token through.
// CHECK-LABEL: func @refresh
// CHECK-SAME: (%[[REFRESH:[^:]*]]: i1, %[[G:[^:]*]]: memref<16xf32>, %[[W:[^:]*]]: memref<16xf32>)
// CHECK-NEXT: %[[T0:.*]] = gpu.wait async
// CHECK-NOT: gpu.wait
// CHECK: %[[R:.*]]:2 = scf.if %[[REFRESH]] -> (memref<16xf32>, !gpu.async.token) {
// CHECK:   %[[A:.*]], %[[TA:.*]] = gpu.alloc async [%[[T0]]] () : memref<16xf32>
// CHECK:   %[[TS:.*]] = gpu.launch_func async [%[[TA]]] @optgraph_kernels::@scores
// CHECK:   %[[TC:.*]] = gpu.launch_func async [%[[TS]]] @optgraph_kernels::@scale
// CHECK:   scf.yield %[[A]], %[[TC]] : memref<16xf32>, !gpu.async.token
// CHECK: } else {
// CHECK:   %[[B:.*]], %[[TB:.*]] = gpu.alloc async [%[[T0]]] () : memref<16xf32>
// CHECK:   %[[TE:.*]] = gpu.launch_func async [%[[TB]]] @optgraph_kernels::@scale
// CHECK:   scf.yield %[[B]], %[[TE]] : memref<16xf32>, !gpu.async.token
// CHECK: }
// CHECK: %[[TW:.*]] = gpu.launch_func async [%[[R]]#1] @optgraph_kernels::@scale
// CHECK-SAME: args(%[[R]]#0 : memref<16xf32>,
// CHECK: %[[F:.*]] = scf.if %[[REFRESH]] -> (!gpu.async.token) {
// CHECK:   %[[TF:.*]] = gpu.dealloc async [%[[TW]]] %[[R]]#0
// CHECK:   scf.yield %[[TF]] : !gpu.async.token
// CHECK: } else {
// CHECK:   scf.yield %[[TW]] : !gpu.async.token
// CHECK: }
// CHECK-NOT: gpu.wait
// CHECK: gpu.wait [%[[F]]]
// CHECK-NEXT: return
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @scores(%g: memref<16xf32>, %s: memref<16xf32>) kernel {
      gpu.return
    }
    gpu.func @scale(%x: memref<16xf32>, %c: f32, %y: memref<16xf32>) kernel {
      gpu.return
    }
  }
  func.func @refresh(%refresh: i1, %g: memref<16xf32>, %w: memref<16xf32>) {
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c = arith.constant 2.0 : f32
    %u = scf.if %refresh -> (memref<16xf32>) {
      %s = gpu.alloc () : memref<16xf32>
      gpu.launch_func @optgraph_kernels::@scores blocks in (%c1, %c1, %c1) threads in (%c16, %c1, %c1)
          args(%g : memref<16xf32>, %s : memref<16xf32>)
      gpu.launch_func @optgraph_kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c16, %c1, %c1)
          args(%g : memref<16xf32>, %c : f32, %s : memref<16xf32>)
      scf.yield %s : memref<16xf32>
    } else {
      %a = gpu.alloc () : memref<16xf32>
      gpu.launch_func @optgraph_kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c16, %c1, %c1)
          args(%g : memref<16xf32>, %c : f32, %a : memref<16xf32>)
      scf.yield %a : memref<16xf32>
    }
    gpu.launch_func @optgraph_kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c16, %c1, %c1)
        args(%u : memref<16xf32>, %c : f32, %w : memref<16xf32>)
    scf.if %refresh {
      gpu.dealloc %u : memref<16xf32>
    }
    return
  }
}

// -----

// Region ops without GPU work are left alone, and so is a function without
// any: it gets no token and no synchronization.
// CHECK-LABEL: func @host_only
// CHECK-NOT: gpu.
// CHECK: scf.if %{{.*}} -> (i64) {
// CHECK-NOT: gpu.
// CHECK: return
func.func @host_only(%refresh: i1, %t: memref<i64>) -> i64 {
  %r = scf.if %refresh -> (i64) {
    %c1 = arith.constant 1 : i64
    scf.yield %c1 : i64
  } else {
    %step = memref.load %t[] : memref<i64>
    scf.yield %step : i64
  }
  return %r : i64
}

// -----

// The token cannot be carried around a loop: other region ops holding GPU
// work are rejected.
func.func @loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{'scf.for' op holds GPU work in a region the async chain does not handle}}
  scf.for %i = %c0 to %n step %c1 {
    %b = gpu.alloc () : memref<16xf32>
    gpu.dealloc %b : memref<16xf32>
  }
  return
}

// -----

// So is a loop inside a branch.
func.func @loop_in_branch(%refresh: i1, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.if %refresh {
    // expected-error @+1 {{'scf.for' op holds GPU work in a region the async chain does not handle}}
    scf.for %i = %c0 to %n step %c1 {
      %b = gpu.alloc () : memref<16xf32>
      gpu.dealloc %b : memref<16xf32>
    }
  }
  return
}

// -----

// Code that already synchronizes is not the pass's input.
func.func @already_async() {
  %b = gpu.alloc () : memref<16xf32>
  // expected-error @+1 {{'gpu.wait' op is already asynchronous; run -optgraph-gpu-async-chain on synchronous code}}
  gpu.wait
  gpu.dealloc %b : memref<16xf32>
  return
}

// -----

// Blocks and branches around GPU work cannot carry one token.
// expected-error @+1 {{'func.func' op has unstructured control flow around GPU work}}
func.func @unstructured(%c: i1) {
  cf.cond_br %c, ^work, ^done
^work:
  %b = gpu.alloc () : memref<16xf32>
  gpu.dealloc %b : memref<16xf32>
  cf.br ^done
^done:
  return
}
