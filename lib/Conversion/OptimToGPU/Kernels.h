//===- Kernels.h - the kernel emitters of optim → GPU -----------*- C++ -*-===//
//
// Private to the optim → GPU conversion: what each kernel family offers the
// host patterns. A kernel is emitted into the KernelLibrary once per name;
// the name, chosen by the caller, must encode everything the code depends on.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELS_H
#define OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELS_H

#include "KernelBuilder.h"
#include "KernelLibrary.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"

namespace optgraph::gpukernels {

//===----------------------------------------------------------------------===//
// Tiled matmuls (MatmulKernels.cpp)
//===----------------------------------------------------------------------===//

/// C = A·B (M×K by K×N) in 64×64 tiles per 16×16-thread block.
struct MatmulShape {
  int64_t m, n, k;

  llvm::SmallVector<int64_t, 3> grid() const {
    return {ceilDiv(n, kTile), ceilDiv(m, kTile), 1};
  }
  static llvm::SmallVector<int64_t, 3> block() {
    return {kTileThreads, kTileThreads, 1};
  }
};

/// The projection S = G·Q (right side) or Qᵀ·G (left side) of the M×N
/// gradient G onto `columns` columns of the basis Q.
MatmulShape projectionShape(llvm::ArrayRef<int64_t> grad, optim::Side side,
                            int64_t columns);

/// Scores of the full projection, reduced in the matmul's epilogue: the sum
/// of |s| (l1) or s² (l2) of each basis vector's slice over this block's
/// part of the other axis, written to partials[block][basis index].
struct ScoreEpilogue {
  bool perColumn; // right side: scores of the columns of S
  bool l1;
  unsigned partialsArg;
};

/// A projection kernel, generating Q from the size-N basis of `kind`.
/// Arguments: G, [indices], S, [score partials].
struct ProjectionKernel {
  optim::Side side;
  optim::BasisKind kind;
  int64_t size; // N
  bool selected;
  std::optional<ScoreEpilogue> scores;

  mlir::gpu::GPUFuncOp getOrCreate(KernelLibrary &library, mlir::Location loc,
                                   llvm::StringRef name, mlir::TypeRange args,
                                   MatmulShape shape) const;
};

/// W ← W·decay − step·U with U = u·Q[:, idx]ᵀ (right side) or Q[:, idx]·u
/// (left side), reading and writing W once. Arguments: W, u, indices,
/// decay, step, W'.
struct ProjectBackApplyKernel {
  optim::Side side;
  optim::BasisKind kind;
  int64_t size; // N

  mlir::gpu::GPUFuncOp getOrCreate(KernelLibrary &library, mlir::Location loc,
                                   llvm::StringRef name, mlir::TypeRange args,
                                   MatmulShape shape) const;
};

//===----------------------------------------------------------------------===//
// Top-k selection (TopKKernel.cpp)
//===----------------------------------------------------------------------===//

/// One block of kTopKBlock threads selecting the `rank` best of `size`
/// scores, each the sum of a column of the `blocks`×`size` partials.
/// Arguments: partials, indices (rank, out), scores (size, out).
mlir::gpu::GPUFuncOp getOrCreateTopKKernel(KernelLibrary &library,
                                           mlir::Location loc, int64_t blocks,
                                           int64_t size, int64_t rank);

//===----------------------------------------------------------------------===//
// Elementwise kernels (ElementwiseKernels.cpp)
//===----------------------------------------------------------------------===//

/// The grid of an elementwise kernel over `shape`, in blocks of
/// kElementwiseBlock threads.
llvm::SmallVector<int64_t, 3> elementwiseGrid(llvm::ArrayRef<int64_t> shape);

/// Scalars of an Adam update, passed to the kernels by value so that one
/// kernel serves every hyperparameter setting of a shape.
llvm::SmallVector<mlir::Value> adamScalars(mlir::OpBuilder &b,
                                           mlir::Location loc, mlir::Value step,
                                           double beta1, double beta2,
                                           double eps);

/// optim.gather_adam and optim.adam: one pass over the moments. Arguments:
/// source, [indices], m, v, [old indices], adam scalars..., m', v', u.
struct AdamKernel {
  llvm::ArrayRef<int64_t> momentShape;
  std::optional<optim::Side> gatherSide; // gather from the full projection
  bool rotate;
  int64_t rank;

  mlir::gpu::GPUFuncOp getOrCreate(KernelLibrary &library, mlir::Location loc,
                                   llvm::StringRef name,
                                   mlir::TypeRange args) const;
};

/// W ← W·decay − step·U over `shape`. Arguments: W, U, decay, step, W'.
mlir::gpu::GPUFuncOp getOrCreateApplyKernel(KernelLibrary &library,
                                            mlir::Location loc,
                                            llvm::StringRef name,
                                            llvm::ArrayRef<int64_t> shape,
                                            mlir::TypeRange args);

/// Full-rank AdamW over `shape`: reads W, G, m, v and writes W', m', v' (28
/// bytes per parameter). Arguments: W, G, m, v, adam scalars..., decay, step,
/// W', m', v'.
mlir::gpu::GPUFuncOp getOrCreateAdamWKernel(KernelLibrary &library,
                                            mlir::Location loc,
                                            llvm::StringRef name,
                                            llvm::ArrayRef<int64_t> shape,
                                            mlir::TypeRange args);

} // namespace optgraph::gpukernels

#endif // OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELS_H
