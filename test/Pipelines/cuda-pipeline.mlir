// REQUIRES: ptxas
// RUN: optgraph-opt %s -optgraph-cuda-pipeline | FileCheck %s
// RUN: optgraph-opt %s -optgraph-cuda-pipeline="chip=sm_80" | FileCheck %s --check-prefix=SM80
// RUN: optgraph-opt %s -optgraph-cuda-pipeline --mlir-print-ir-after=optgraph-gpu-async-chain -o /dev/null 2>&1 | FileCheck %s --check-prefix=HOST
// RUN: env PATH=/nonexistent CUDA_ROOT=/nonexistent optgraph-opt %s -optgraph-cuda-pipeline=serialize=false | FileCheck %s --check-prefix=NVVM

// One stream; the only synchronization is the step's last call (on the
// stream: the runtime's handles say which kind they are).
// CHECK-LABEL: llvm.func @step
// CHECK: %[[STREAM:.*]] = llvm.call @mgpuStreamCreate
// CHECK-NOT: llvm.call @mgpuStreamCreate
// CHECK-NOT: Synchronize
// CHECK: gpu.launch_func <%[[STREAM]] : !llvm.ptr> @optgraph_kernels::@project_scores_96x40_r_dct3_l1
// CHECK-NOT: Synchronize
// CHECK: gpu.launch_func <%[[STREAM]] : !llvm.ptr> @optgraph_kernels::@project_back_apply_96x40_r8_r_dct3
// CHECK-NOT: Synchronize
// CHECK: llvm.call @mgpuEventSynchronize(%[[STREAM]])
// CHECK-NEXT: llvm.call @mgpuEventDestroy(%[[STREAM]])
// CHECK-NEXT: llvm.return

// The kernels are cubins (ptxas ran, libdevice linked), embedded in the
// module.
// CHECK: gpu.binary @optgraph_kernels  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, properties = {{.*}}, "P\EDU\BA
// SM80: gpu.binary @optgraph_kernels  [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">

// serialize=false keeps the kernels in the NVVM dialect: no toolkit needed.
// NVVM: gpu.module @optgraph_kernels [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// NVVM: nvvm.read.ptx.sreg.tid.x
// NVVM-NOT: gpu.binary

// Before lowering to calls: the refresh branch continues the token chain
// (no gpu.wait inside it), outputs are written in place, and no data goes
// to the host.
// HOST-LABEL: func.func @step
// HOST: %[[T0:.*]] = gpu.wait async
// HOST-NOT: gpu.wait
// HOST: scf.if {{.*}} -> ({{.*}}!gpu.async.token)
// HOST-COUNT-3: gpu.launch_func async
// HOST-NOT: gpu.wait
// HOST: } else {
// HOST-COUNT-2: gpu.launch_func async
// HOST-NOT: gpu.wait
// HOST: }
// HOST: gpu.launch_func async {{.*}} @optgraph_kernels::@project_back_apply_96x40_r8_r_dct3
// HOST-NOT: gpu.wait async
// HOST: gpu.wait [%{{.*}}]
// HOST-NEXT: return
func.func @step(%w: tensor<96x40xf32>, %g: tensor<96x40xf32>, %m: tensor<96x8xf32>,
                %v: tensor<96x8xf32>, %idx: tensor<8xi64>, %t: tensor<i64>)
    -> (tensor<96x40xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>) {
  %step = tensor.extract %t[] : tensor<i64>
  %r:4 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %step
      {lr = 1.0e-3 : f64, interval = 3 : i64, rotate = true}
      : tensor<96x40xf32>, tensor<96x8xf32>, tensor<8xi64>
  return %r#0, %r#1, %r#2, %r#3 : tensor<96x40xf32>, tensor<96x8xf32>, tensor<96x8xf32>, tensor<8xi64>
}
