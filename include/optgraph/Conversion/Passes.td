//===- Passes.td - optgraph conversion passes --------------*- tablegen -*-===//

#ifndef OPTGRAPH_CONVERSION_PASSES_TD
#define OPTGRAPH_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertOptimToLinalg : Pass<"convert-optim-to-linalg"> {
  let summary = "Lower optim primitives to linalg, tensor, arith, math and scf";
  let description = [{
    The reference lowering, used by the CPU pipeline. The basis is computed
    by a `linalg.generic` from integer phases (k·(2j+1) mod 4N) looked up in
    a table of 4N cosines, so no angle loses precision for large N and a
    basis costs 4N cosines, not N²; projections are `linalg.matmul`s (with
    transposed indexing maps for Qᵀ·G and u·Q[:, idx]ᵀ) over gathered basis
    columns; the top-k is a rank count followed by an ordered scan, which
    yields ascending indices with ties to the smaller index; Adam, the weight
    update and the rotation are elementwise `linalg.generic`s. Bias
    corrections are computed in f64 from the step count.
    Composites must be decomposed first (`optim-decompose`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertOptimToGPU : Pass<"convert-optim-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower fused optim ops to GPU kernels launched on tensors";
  let description = [{
    Emits one `gpu.module @optgraph_kernels` and replaces every fused op
    with `optim.launch`es of its kernels (one kernel per distinct shape and
    variant, shared by all parameters that need it):
    - `optim.project_select`: a tiled matmul (64×64 tiles, 16×16 threads,
      K staged through shared memory in slices of 16) whose epilogue stores
      S and reduces the p-norm scores per block in a fixed order, then a
      one-block top-k: scores, ranks (ties to the smaller index), and the
      selected indices in ascending order through a block-wide prefix sum;
    - `optim.project` (onto selected columns): the same matmul, storing;
    - `optim.gather_adam` / `optim.adam`: one thread per moment element
      (gather from S, binary search of the old indices for the rotation);
    - `optim.project_back_apply`: the matmul with a W·decay − step·U
      epilogue, reading and writing W once;
    - `optim.adamw` / `optim.apply`: one elementwise kernel.
    The basis is never stored: kernels generate its entries from the integer
    phase k·(2j+1) mod 4N and a table of 4N cosines held in the GPU module.
    Bias corrections and learning-rate factors are computed on the host and
    passed by value. Run `optim-decompose` and `optim-fuse` first.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def OptgraphGpuHostLowering
    : Pass<"optgraph-gpu-host-lowering", "::mlir::func::FuncOp"> {
  let summary = "Turn a bufferized GPU step's host code into gpu ops";
  let description = [{
    In the host code of a CUDA step every data buffer (f32 or i64 elements)
    is device memory: `memref.alloc`, `memref.dealloc` and `memref.copy` of
    such buffers become `gpu.alloc`, `gpu.dealloc` and `gpu.memcpy`, and
    `optim.launch` on buffers becomes `gpu.launch_func`. Bufferization's own
    bookkeeping (index and i1 lists that the host reads) stays in host
    memory. The pass fails if host code would load or store a device buffer:
    one it allocates, or a tensor argument of the step (all but 0-d ones,
    which stay in host memory), or a view of either.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def OptgraphGpuToHostEmulation
    : Pass<"optgraph-gpu-to-host-emulation", "::mlir::ModuleOp"> {
  let summary = "Compile GPU kernels into host functions for the emulated "
                "CUDA driver";
  let description = [{
    Replaces every `gpu.module` of the module by host code that the emulated
    driver (build/lib/cuda-emu/libcuda.so.1) runs, one call per GPU thread;
    the contract is include/optgraph/Runtime/CudaEmulation.h. Each kernel
    `NAME` becomes a private `func.func @NAME` taking its arguments, then its
    workgroup attributions as memrefs, then the calling thread's
    `OptgraphEmuThread` pointer: `gpu.thread_id`, `block_id`, `block_dim` and
    `grid_dim` load from it, and every `gpu.barrier` calls its `barrier`
    function with a constant site, distinct per barrier op. GPU address
    spaces are dropped. For each kernel a public wrapper
    `NAME__emu(kernelParams, shared, thread)` unpacks cuLaunchKernel's
    parameters in `gpu-to-llvm`'s order (a memref is allocated pointer,
    aligned pointer, offset, sizes, strides), carves the workgroup
    attributions out of `shared` (16-byte aligned) and calls the kernel; an
    `NAME__emu_info` constant gives the known block size, the barrier-site
    count, the workgroup bytes and each parameter's size. Globals of the GPU
    module (cosine tables) move to the module.

    The kernels may use arith, math, memref (integer atomics included),
    scf, cf, index, ub and vector ops; any other op (NVVM, inline assembly,
    warp collectives, float atomics, private attributions, device functions)
    fails the pass with an error naming it. Run on a module holding the GPU
    module alone: clone it out before `nvvm-attach-target`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

#endif // OPTGRAPH_CONVERSION_PASSES_TD
