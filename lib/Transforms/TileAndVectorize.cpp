//===- TileAndVectorize.cpp - tile and vectorize matmuls ------------------===//

#include "optgraph/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace optgraph {
#define GEN_PASS_DEF_OPTGRAPHTILEANDVECTORIZE
#include "optgraph/Transforms/Passes.h.inc"
} // namespace optgraph

using namespace mlir;

namespace {

/// Per loop, the largest tile size <= the requested one that divides the
/// loop's extent, so that no tile is partial.
SmallVector<int64_t> fullTileSizes(linalg::MatmulOp matmul,
                                   ArrayRef<int64_t> requested) {
  SmallVector<int64_t> sizes;
  for (auto [extent, limit] :
       llvm::zip_equal(matmul.getStaticLoopRanges(), requested)) {
    int64_t size = std::min(extent, limit);
    while (extent % size != 0)
      --size;
    sizes.push_back(size);
  }
  return sizes;
}

struct TileAndVectorizePass
    : public optgraph::impl::OptgraphTileAndVectorizeBase<
          TileAndVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<int64_t> sizes(tileSizes.begin(), tileSizes.end());
    if (sizes.empty())
      sizes.assign(std::begin(optgraph::kDefaultMatmulTileSizes),
                   std::end(optgraph::kDefaultMatmulTileSizes));
    if (sizes.size() != 3 ||
        llvm::any_of(sizes, [](int64_t s) { return s < 1; })) {
      getOperation().emitError("tile-sizes must be three positive integers");
      return signalPassFailure();
    }
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      // A matmul with an empty loop computes nothing worth tiling.
      if (op.hasPureTensorSemantics() && !op.hasDynamicShape() &&
          !llvm::is_contained(op.getStaticLoopRanges(), 0))
        matmuls.push_back(op);
    });

    IRRewriter rewriter(&getContext());
    for (linalg::MatmulOp matmul : matmuls) {
      // Every tile is full-sized and static: upstream's masked vectorization
      // of partial tiles does not survive canonicalization in LLVM 22.
      SmallVector<int64_t> tile = fullTileSizes(matmul, sizes);
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), tile));
      rewriter.setInsertionPoint(matmul);
      // The interface is an external model: a context without linalg's
      // extensions has none.
      auto tileable = dyn_cast<TilingInterface>(matmul.getOperation());
      if (!tileable) {
        matmul.emitError("has no TilingInterface: register linalg's external "
                         "models (mlir::registerAllExtensions)");
        return signalPassFailure();
      }
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, tileable, options);
      if (failed(tiled)) {
        matmul.emitError("could not be tiled");
        return signalPassFailure();
      }
      rewriter.replaceOp(matmul, tiled->replacements);
      for (Operation *tiledOp : tiled->tiledOps) {
        rewriter.setInsertionPoint(tiledOp);
        // A named contraction keeps the matmul one vector.contract instead
        // of a broadcast product and a multi-reduction.
        FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
            rewriter, tiledOp, /*inputVectorSizes=*/{},
            /*inputScalableVecDims=*/{}, /*vectorizeNDExtract=*/false,
            /*flatten1DDepthwiseConv=*/false,
            /*assumeDynamicDimsMatchVecSizes=*/false,
            /*createNamedContraction=*/true);
        if (failed(vectorized)) {
          tiledOp->emitError("could not be vectorized");
          return signalPassFailure();
        }
        rewriter.replaceOp(tiledOp, vectorized->replacements);
      }
    }

    // Contractions → outer products (FMAs on vector rows), and the
    // reductions and transposes that exposes, before anything reaches
    // convert-vector-to-llvm, which lowers neither multi-reductions nor
    // contractions with transposed operands.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::EltWise);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
