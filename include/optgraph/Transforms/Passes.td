//===- Passes.td - optgraph code generation passes ---------*- tablegen -*-===//

#ifndef OPTGRAPH_TRANSFORMS_PASSES_TD
#define OPTGRAPH_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def OptgraphTileAndVectorize
    : Pass<"optgraph-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg.matmul ops, vectorize the tiles into FMAs (CPU)";
  let description = [{
    Tiles every statically shaped `linalg.matmul` (any indexing maps) on
    tensors with `scf.for` loops (upstream `tileUsingSCF`) and vectorizes
    each tile into a `vector.contract` with `linalg::vectorize`. Each loop's
    tile size is the largest one not above the requested size that divides
    the loop's extent, so no tile is partial and no masks are needed (LLVM
    22's masked vectorization does not survive canonicalization); shapes of
    real models, multiples of 64, get the requested tiles. The contractions
    are then lowered to outer products (rows of FMAs), with the reductions
    and transposes that exposes. Runs on tensors, before bufferization.
  }];
  let options = [
    ListOption<"tileSizes", "tile-sizes", "int64_t",
               "Tile sizes of the (M, N, K) loops; default 8,16,64">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def OptgraphGpuAsyncChain
    : Pass<"optgraph-gpu-async-chain", "::mlir::func::FuncOp"> {
  let summary = "Run a function's GPU work on one stream, synchronizing once";
  let description = [{
    Threads one `!gpu.async.token` through every GPU op of the function in
    program order, through `scf.if` (the token is yielded by both
    branches), starting with a `gpu.wait async` and ending with one
    blocking `gpu.wait` before the return. Unlike `gpu-async-region`, which
    synchronizes with the host at the end of every block, the refresh
    branch of a step costs no host synchronization: the host only decides
    which kernels to enqueue. Other region ops holding GPU work are
    rejected.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def OptgraphCopyRepeatedResults
    : Pass<"optgraph-copy-repeated-results", "::mlir::func::FuncOp"> {
  let summary = "Give every buffer a function returns a place of its own";
  let description = [{
    A function that returns one buffer at several result positions (a step
    returning `%r#0, %r#0`) gets, for every repeat, a fresh allocation and a
    `memref.copy` into it. Runs after bufferization and before
    `buffer-results-to-out-params{hoist-static-allocs}`, which would
    otherwise hoist one allocation into two out-parameters (a use after
    free in upstream MLIR 22).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def OptgraphNvvmIeeeSqrt
    : Pass<"optgraph-nvvm-ieee-sqrt", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Make every f32 math.sqrt of a GPU module PTX's sqrt.rn.f32";
  let description = [{
    `convert-gpu-to-nvvm` sends `math.sqrt` to libdevice's `__nv_sqrtf`,
    which rounds approximately unless a reflect flag says otherwise, and
    rejects `llvm.intr.sqrt`. This pass replaces each f32 `math.sqrt` by the
    correctly rounded `sqrt.rn.f32` (CUDA's default) as inline PTX, just
    before the NVVM lowering; kernels themselves stay portable, so the host
    emulation runs the same `math.sqrt`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // OPTGRAPH_TRANSFORMS_PASSES_TD
