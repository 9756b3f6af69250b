// RUN: optgraph-opt %s -split-input-file -optgraph-gpu-host-lowering -verify-diagnostics | FileCheck %s

// The input is a bufferized step's host code. Every data buffer (f32, i64)
// is device memory: its allocation, copy and deallocation become gpu ops and
// each launch on buffers a gpu.launch_func with the ins then the outs as its
// arguments (scalars by value). The host scalar it loads (the step count, a
// function argument) stays a host load, and the kernels are not touched.
// CHECK-LABEL: gpu.func @scale
// CHECK: memref.load
// CHECK: memref.store
// CHECK-LABEL: func @step
// CHECK-SAME: (%[[X:[^:]*]]: memref<16xf32>, %[[T:[^:]*]]: memref<i64>, %[[Y:[^:]*]]: memref<16xf32>, %[[IDX_OUT:[^:]*]]: memref<4xi64>)
// CHECK: %[[C:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: memref.load %[[T]][] : memref<i64>
// CHECK: %[[TMP:.*]] = gpu.alloc () : memref<16xf32>
// CHECK-DAG: %[[GX:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[GY:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[GZ:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[BX:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[BY:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[BZ:.*]] = arith.constant 4 : index
// CHECK: gpu.launch_func @optgraph_kernels::@scale blocks in (%[[GX]], %[[GY]], %[[GZ]]) threads in (%[[BX]], %[[BY]], %[[BZ]])
// CHECK-SAME: args(%[[X]] : memref<16xf32>, %[[C]] : f32, %[[TMP]] : memref<16xf32>)
// CHECK: %[[IDX:.*]] = gpu.alloc () : memref<4xi64>
// CHECK: gpu.launch_func @optgraph_kernels::@select
// CHECK-SAME: args(%[[TMP]] : memref<16xf32>, %[[IDX]] : memref<4xi64>)
// CHECK: gpu.memcpy %[[Y]], %[[TMP]] : memref<16xf32>, memref<16xf32>
// CHECK: gpu.memcpy %[[IDX_OUT]], %[[IDX]] : memref<4xi64>, memref<4xi64>
// CHECK: gpu.dealloc %[[TMP]] : memref<16xf32>
// CHECK: gpu.dealloc %[[IDX]] : memref<4xi64>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
// CHECK-NOT: optim.launch
// CHECK: return
module attributes {gpu.container_module} {
  gpu.module @optgraph_kernels {
    gpu.func @scale(%x: memref<16xf32>, %c: f32, %y: memref<16xf32>) kernel {
      %i = gpu.thread_id x
      %e = memref.load %x[%i] : memref<16xf32>
      %s = arith.mulf %e, %c : f32
      memref.store %s, %y[%i] : memref<16xf32>
      gpu.return
    }
    gpu.func @select(%s: memref<16xf32>, %idx: memref<4xi64>) kernel {
      gpu.return
    }
  }
  func.func @step(%x: memref<16xf32>, %t: memref<i64>, %y: memref<16xf32>, %idx_out: memref<4xi64>) {
    %c = arith.constant 2.0 : f32
    %step = memref.load %t[] : memref<i64>
    %tmp = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    optim.launch @optgraph_kernels::@scale grid [5, 3, 2] block [32, 8, 4]
        ins(%x, %c : memref<16xf32>, f32) outs(%tmp : memref<16xf32>)
    %idx = memref.alloc() {alignment = 64 : i64} : memref<4xi64>
    optim.launch @optgraph_kernels::@select grid [1, 1, 1] block [1024, 1, 1]
        ins(%tmp : memref<16xf32>) outs(%idx : memref<4xi64>)
    memref.copy %tmp, %y : memref<16xf32> to memref<16xf32>
    memref.copy %idx, %idx_out : memref<4xi64> to memref<4xi64>
    memref.dealloc %tmp : memref<16xf32>
    memref.dealloc %idx : memref<4xi64>
    return
  }
}

// -----

// Dynamic sizes carry over to gpu.alloc; buffers inside the refresh branch
// and the base buffers that deallocation frees are device memory too.
// CHECK-LABEL: func @dynamic
// CHECK-SAME: (%[[N:[^:]*]]: index, %[[REFRESH:[^:]*]]: i1, %[[IN:[^:]*]]: memref<?xi64>)
// CHECK: %[[BUF:.*]] = gpu.alloc (%[[N]]) : memref<?xi64>
// CHECK: gpu.memcpy %[[BUF]], %[[IN]] : memref<?xi64>, memref<?xi64>
// CHECK: scf.if %[[REFRESH]]
// CHECK:   %[[TMP:.*]] = gpu.alloc (%[[N]]) : memref<?xf32>
// CHECK:   gpu.dealloc %[[TMP]] : memref<?xf32>
// CHECK: }
// CHECK: %[[BASE:[^,]*]], {{.*}} = memref.extract_strided_metadata %[[BUF]]
// CHECK: gpu.dealloc %[[BASE]] : memref<i64>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
func.func @dynamic(%n: index, %refresh: i1, %in: memref<?xi64>) {
  %buf = memref.alloc(%n) : memref<?xi64>
  memref.copy %in, %buf : memref<?xi64> to memref<?xi64>
  scf.if %refresh {
    %tmp = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %tmp : memref<?xf32>
  }
  %base, %offset, %size, %stride = memref.extract_strided_metadata %buf
      : memref<?xi64> -> memref<i64>, index, index, index
  memref.dealloc %base : memref<i64>
  return
}

// -----

// Bufferization's bookkeeping (index and i1 lists, as the deallocation
// helper keeps them) stays in host memory, where the host reads and writes
// it.
// CHECK-LABEL: func @bookkeeping
// CHECK-NOT: gpu.
// CHECK: %[[PTRS:.*]] = memref.alloc(%{{.*}}) : memref<?xindex>
// CHECK: %[[CONDS:.*]] = memref.alloc(%{{.*}}) : memref<?xi1>
// CHECK: memref.store %{{.*}}, %[[PTRS]]
// CHECK: memref.store %{{.*}}, %[[CONDS]]
// CHECK: %[[COPY:.*]] = memref.alloc(%{{.*}}) : memref<?xindex>
// CHECK: memref.copy %[[PTRS]], %[[COPY]]
// CHECK: memref.load %[[CONDS]]
// CHECK: memref.dealloc %[[PTRS]]
// CHECK: memref.dealloc %[[CONDS]]
// CHECK: memref.dealloc %[[COPY]]
// CHECK-NOT: gpu.
// CHECK: return
func.func @bookkeeping(%n: index, %p: index, %flag: i1) -> i1 {
  %c0 = arith.constant 0 : index
  %ptrs = memref.alloc(%n) : memref<?xindex>
  %conds = memref.alloc(%n) : memref<?xi1>
  memref.store %p, %ptrs[%c0] : memref<?xindex>
  memref.store %flag, %conds[%c0] : memref<?xi1>
  %copy = memref.alloc(%n) : memref<?xindex>
  memref.copy %ptrs, %copy : memref<?xindex> to memref<?xindex>
  %r = memref.load %conds[%c0] : memref<?xi1>
  memref.dealloc %ptrs : memref<?xindex>
  memref.dealloc %conds : memref<?xi1>
  memref.dealloc %copy : memref<?xindex>
  return %r : i1
}

// -----

// Host code reading a data buffer would read device memory.
func.func @load_device_buffer(%x: memref<16xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %tmp = memref.alloc() : memref<16xf32>
  memref.copy %x, %tmp : memref<16xf32> to memref<16xf32>
  // expected-error @+1 {{'memref.load' op reads or writes a device buffer on the host}}
  %e = memref.load %tmp[%c0] : memref<16xf32>
  memref.dealloc %tmp : memref<16xf32>
  return %e : f32
}

// -----

// So would writing one, in a branch as well.
func.func @store_device_buffer(%refresh: i1, %i: i64) {
  %c0 = arith.constant 0 : index
  %idx = memref.alloc() : memref<4xi64>
  scf.if %refresh {
    // expected-error @+1 {{'memref.store' op reads or writes a device buffer on the host}}
    memref.store %i, %idx[%c0] : memref<4xi64>
  }
  memref.dealloc %idx : memref<4xi64>
  return
}

// -----

// The step's tensor arguments are device memory too (EMULATOR.md A10), also
// through a view; its 0-d scalars (the step count) live on the host.
func.func @load_device_argument(%w: memref<8x4xf32>, %step: memref<i64>) -> (f32, i64) {
  %c0 = arith.constant 0 : index
  %t = memref.load %step[] : memref<i64>
  %flat = memref.collapse_shape %w [[0, 1]] : memref<8x4xf32> into memref<32xf32>
  // expected-error @+1 {{'memref.load' op reads or writes a device buffer on the host}}
  %e = memref.load %flat[%c0] : memref<32xf32>
  return %e, %t : f32, i64
}
