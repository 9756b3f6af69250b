// RUN: optgraph-opt %s -optgraph-gpu-to-host-emulation -split-input-file | FileCheck %s

// A kernel with a workgroup attribution, thread ids and two barriers.
// CHECK-NOT: gpu.module
// CHECK: memref.global "private" constant @table : memref<4xf32>
// CHECK-LABEL: func.func private @stage
// CHECK-SAME: (%[[IN:[^:]*]]: memref<8x4xf32>, %[[SCALE:[^:]*]]: f32, %[[N:[^:]*]]: index, %[[TILE:[^:]*]]: memref<64xf32>, %[[T:[^:]*]]: !llvm.ptr)
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>}
// Thread and block ids are the thread record's fields 1 and 2.
// CHECK: %[[TXP:.*]] = llvm.getelementptr %[[T]][0, 1, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, array<3 x i32>, array<3 x i32>, array<3 x i32>, array<3 x i32>)>
// CHECK: %[[TX32:.*]] = llvm.load %[[TXP]] : !llvm.ptr -> i32
// CHECK: %[[TX:.*]] = arith.index_castui %[[TX32]] : i32 to index
// CHECK: llvm.getelementptr %[[T]][0, 2, 1]
// CHECK: llvm.getelementptr %[[T]][0, 3, 0]
// CHECK: llvm.getelementptr %[[T]][0, 4, 2]
// Workgroup memory lost its address space.
// CHECK: memref.store %{{.*}}, %[[TILE]][%[[TX]]] : memref<64xf32>
// Each barrier calls the record's function 0 with its own site.
// CHECK: %[[FN0:.*]] = llvm.load %[[T]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[SITE0:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call %[[FN0]](%[[T]], %[[SITE0]]) : !llvm.ptr, (!llvm.ptr, i32) -> ()
// CHECK: scf.for
// CHECK: %[[SITE1:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK: llvm.call %{{.*}}(%[[T]], %[[SITE1]])
// CHECK: return
// The wrapper unpacks kernelParams: 7 fields for the 2-d memref, then the
// scalars; the attribution starts at `shared`.
// CHECK-LABEL: func.func @stage__emu
// CHECK-SAME: (%[[PARAMS:.*]]: !llvm.ptr, %[[SHARED:.*]]: !llvm.ptr, %[[THREAD:.*]]: !llvm.ptr)
// CHECK: %[[SLOT0:.*]] = llvm.getelementptr %[[PARAMS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[ADDR0:.*]] = llvm.load %[[SLOT0]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.load %[[ADDR0]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.getelementptr %[[PARAMS]][6]
// CHECK: %[[MEMREF:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<8x4xf32>
// CHECK: llvm.getelementptr %[[PARAMS]][7]
// CHECK: %[[S:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK: llvm.getelementptr %[[PARAMS]][8]
// CHECK: %[[N64:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK: %[[NIDX:.*]] = arith.index_cast %[[N64]] : i64 to index
// CHECK: %[[BASE:.*]] = llvm.getelementptr %[[SHARED]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[TILEV:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<64xf32>
// CHECK: call @stage(%[[MEMREF]], %[[S]], %[[NIDX]], %[[TILEV]], %[[THREAD]])
// Info: version 1, known block 64x1x1, 2 barrier sites, 256 shared bytes,
// 9 parameters (7 of the memref, f32, index).
// CHECK: llvm.mlir.global external constant @stage__emu_info(dense<[1, 64, 1, 1, 2, 256, 9, 8, 8, 8, 8, 8, 8, 8, 4, 8]> : tensor<16xi64>)
module attributes {gpu.container_module} {
  gpu.module @kernels {
    memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
    gpu.func @stage(%in: memref<8x4xf32>, %scale: f32, %n: index)
        workgroup(%tile : memref<64xf32, #gpu.address_space<workgroup>>)
        kernel attributes {known_block_size = array<i32: 64, 1, 1>} {
      %tx = gpu.thread_id x
      %by = gpu.block_id y
      %bdx = gpu.block_dim x
      %gz = gpu.grid_dim z
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %table = memref.get_global @table : memref<4xf32>
      %v = memref.load %table[%c0] : memref<4xf32>
      %w = arith.mulf %v, %scale : f32
      memref.store %w, %tile[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      scf.for %i = %c0 to %n step %c1 {
        %x = memref.load %tile[%i] : memref<64xf32, #gpu.address_space<workgroup>>
        %row = arith.addi %by, %bdx : index
        %col = arith.addi %gz, %i : index
        memref.store %x, %in[%row, %col] : memref<8x4xf32>
        gpu.barrier
      }
      gpu.return
    }
  }
}

// -----

// Two attributions: the second starts at the next 16-byte boundary.
// CHECK-LABEL: func.func @two__emu
// CHECK: llvm.getelementptr %{{.*}}[0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: llvm.getelementptr %{{.*}}[16] : (!llvm.ptr) -> !llvm.ptr, i8
// Without known_block_size the block size reads 0; no barriers.
// CHECK: @two__emu_info(dense<[1, 0, 0, 0, 0, 24, 0]> : tensor<7xi64>)
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @two() workgroup(%a : memref<3xi8, #gpu.address_space<workgroup>>, %b : memref<2xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
  }
}
