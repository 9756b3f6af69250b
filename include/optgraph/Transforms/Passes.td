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

#endif // OPTGRAPH_TRANSFORMS_PASSES_TD
