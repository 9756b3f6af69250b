//===- OptimToGPU.cpp - lower fused optim ops to GPU kernels --------------===//
//
// Every fused op becomes one or two `optim.launch`es of kernels emitted into
// one `gpu.module`, shared by all launches of the same shape. Kernels are
// written against static shapes: bounds, tile counts and the basis size are
// constants, which keeps index arithmetic cheap and lets ptxas see it all.
// This file is the host side: operands, kernel names and launches; the
// kernels' code is in the *Kernels.cpp files (Kernels.h).
//
//===----------------------------------------------------------------------===//

#include "optgraph/Conversion/OptimToGPU/OptimToGPU.h"
#include "Kernels.h"
#include "optgraph/Conversion/StepFactors.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace optgraph;
using namespace optgraph::gpukernels;
using namespace optgraph::optim;

namespace {

//===----------------------------------------------------------------------===//
// Host side of the patterns
//===----------------------------------------------------------------------===//

MemRefType bufferType(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// Kernel argument types of launch operands: tensors become buffers.
SmallVector<Type> kernelArgumentTypes(ValueRange operands) {
  SmallVector<Type> types;
  for (Value v : operands)
    types.push_back(isa<RankedTensorType>(v.getType()) ? bufferType(v.getType())
                                                       : v.getType());
  return types;
}

std::string shapeName(ArrayRef<int64_t> shape) {
  std::string name;
  llvm::raw_string_ostream os(name);
  llvm::interleave(shape, os, "x");
  return name;
}

/// Launches `kernel` on `inputs`, writing fresh tensors of `outputTypes`.
ValueRange launch(OpBuilder &b, Location loc, KernelLibrary &library,
                  gpu::GPUFuncOp kernel, ArrayRef<int64_t> grid,
                  ArrayRef<int64_t> block, ValueRange inputs,
                  TypeRange outputTypes) {
  SmallVector<Value> outputs;
  for (Type type : outputTypes) {
    auto tensor = cast<RankedTensorType>(type);
    outputs.push_back(tensor::EmptyOp::create(b, loc, tensor.getShape(),
                                              tensor.getElementType()));
  }
  return LaunchOp::create(b, loc, outputTypes, library.symbolOf(kernel),
                          b.getDenseI64ArrayAttr(grid),
                          b.getDenseI64ArrayAttr(block), inputs, outputs)
      .getResults();
}

/// Launches the elementwise `kernel` over `shape`.
ValueRange launchElementwise(OpBuilder &b, Location loc, KernelLibrary &library,
                             gpu::GPUFuncOp kernel, ArrayRef<int64_t> shape,
                             ValueRange inputs, TypeRange outputTypes) {
  return launch(b, loc, library, kernel, elementwiseGrid(shape),
                {kElementwiseBlock, 1, 1}, inputs, outputTypes);
}

/// The Adam scalars of an op with step, beta1, beta2 and eps.
template <typename OpTy>
SmallVector<Value> adamScalarsOf(OpBuilder &b, OpTy op) {
  return adamScalars(
      b, op.getLoc(), op.getStep(), op.getBeta1().convertToDouble(),
      op.getBeta2().convertToDouble(), op.getEps().convertToDouble());
}

/// The pass has checked that every basis comes from an optim.dct_basis.
BasisKind basisKindOf(Value basis) {
  return basis.getDefiningOp<DctBasisOp>().getKind();
}

const char *sideName(Side side) { return side == Side::right ? "r" : "l"; }

/// A lowering that emits its kernels into `library`.
template <typename OpTy> struct KernelPattern : OpRewritePattern<OpTy> {
  KernelPattern(MLIRContext *ctx, KernelLibrary &library)
      : OpRewritePattern<OpTy>(ctx), library(library) {}
  KernelLibrary &library;
};

//===----------------------------------------------------------------------===//
// Projections
//===----------------------------------------------------------------------===//

/// The full projection with its scores in the matmul's epilogue, then the
/// top-k of the scores.
struct ProjectSelectLowering : KernelPattern<ProjectSelectOp> {
  using KernelPattern::KernelPattern;

  LogicalResult matchAndRewrite(ProjectSelectOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Side side = op.getSide();
    ArrayRef<int64_t> gradShape = op.getGrad().getType().getShape();
    int64_t size = op.getBasis().getType().getDimSize(0);
    int64_t rank = op.getIndices().getType().getDimSize(0);
    BasisKind kind = basisKindOf(op.getBasis());
    bool l1 = op.getNorm() == ScoreNorm::l1;
    MatmulShape shape = projectionShape(gradShape, side, size);
    // Blocks along the reduced axis: rows of S for the right side.
    int64_t blocks = ceilDiv(side == Side::right ? shape.m : shape.n, kTile);
    Type f32 = rewriter.getF32Type();
    auto partialsType = RankedTensorType::get({blocks, size}, f32);

    ProjectionKernel projection{
        side, kind, size, /*selected=*/false,
        ScoreEpilogue{side == Side::right, l1, /*partialsArg=*/2}};
    SmallVector<Type> args = {bufferType(op.getGrad().getType()),
                              bufferType(op.getProjected().getType()),
                              bufferType(partialsType)};
    std::string name = llvm::formatv(
        "project_scores_{0}_{1}_{2}_{3}", shapeName(gradShape), sideName(side),
        stringifyEnum(kind), stringifyEnum(op.getNorm()));
    gpu::GPUFuncOp matmulKernel =
        projection.getOrCreate(library, loc, name, args, shape);
    ValueRange projected =
        launch(rewriter, loc, library, matmulKernel, shape.grid(),
               MatmulShape::block(), ValueRange{op.getGrad()},
               TypeRange{op.getProjected().getType(), partialsType});

    gpu::GPUFuncOp topK =
        getOrCreateTopKKernel(library, loc, blocks, size, rank);
    ValueRange selected = launch(rewriter, loc, library, topK, {1, 1, 1},
                                 {kTopKBlock, 1, 1}, ValueRange{projected[1]},
                                 TypeRange{op.getIndices().getType(),
                                           RankedTensorType::get({size}, f32)});
    rewriter.replaceOp(op, ValueRange{projected[0], selected[0]});
    return success();
  }
};

struct ProjectLowering : KernelPattern<ProjectOp> {
  using KernelPattern::KernelPattern;

  LogicalResult matchAndRewrite(ProjectOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Side side = op.getSide();
    ArrayRef<int64_t> gradShape = op.getGrad().getType().getShape();
    int64_t size = op.getBasis().getType().getDimSize(0);
    bool selected = bool(op.getIndices());
    int64_t columns = selected ? op.getIndices().getType().getDimSize(0) : size;
    BasisKind kind = basisKindOf(op.getBasis());
    MatmulShape shape = projectionShape(gradShape, side, columns);
    SmallVector<Value> inputs = {op.getGrad()};
    if (selected)
      inputs.push_back(op.getIndices());
    SmallVector<Type> args = kernelArgumentTypes(inputs);
    args.push_back(bufferType(op.getType()));
    std::string name =
        llvm::formatv("project_{0}_{1}_{2}_{3}", shapeName(gradShape),
                      selected ? "r" + std::to_string(columns) : "full",
                      sideName(side), stringifyEnum(kind));
    ProjectionKernel projection{side, kind, size, selected,
                                /*scores=*/std::nullopt};
    gpu::GPUFuncOp kernel =
        projection.getOrCreate(library, loc, name, args, shape);
    rewriter.replaceOp(op, launch(rewriter, loc, library, kernel, shape.grid(),
                                  MatmulShape::block(), inputs,
                                  TypeRange{op.getType()}));
    return success();
  }
};

struct ProjectBackApplyLowering : KernelPattern<ProjectBackApplyOp> {
  using KernelPattern::KernelPattern;

  LogicalResult matchAndRewrite(ProjectBackApplyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Side side = op.getSide();
    ArrayRef<int64_t> shape = op.getParam().getType().getShape();
    int64_t size = op.getBasis().getType().getDimSize(0);
    int64_t rank = op.getIndices().getType().getDimSize(0);
    BasisKind kind = basisKindOf(op.getBasis());
    Value decay, step;
    std::tie(decay, step) = updateFactors(
        rewriter, loc, op.getLrScale(), op.getLr().convertToDouble(),
        op.getWeightDecay().convertToDouble(), op.getScale().convertToDouble());
    SmallVector<Value> inputs = {op.getParam(), op.getDirection(),
                                 op.getIndices(), decay, step};
    SmallVector<Type> args = kernelArgumentTypes(inputs);
    args.push_back(bufferType(op.getType()));
    std::string name =
        llvm::formatv("project_back_apply_{0}_r{1}_{2}_{3}", shapeName(shape),
                      rank, sideName(side), stringifyEnum(kind));
    MatmulShape mm{shape[0], shape[1], rank};
    gpu::GPUFuncOp kernel =
        ProjectBackApplyKernel{side, kind, size}.getOrCreate(library, loc, name,
                                                             args, mm);
    rewriter.replaceOp(op, launch(rewriter, loc, library, kernel, mm.grid(),
                                  MatmulShape::block(), inputs,
                                  TypeRange{op.getType()}));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Elementwise kernels
//===----------------------------------------------------------------------===//

template <typename OpTy>
LogicalResult lowerAdam(OpTy op, Value source, Value indices, Value oldIndices,
                        std::optional<Side> side, KernelLibrary &library,
                        PatternRewriter &rewriter) {
  Location loc = op.getLoc();
  auto momentType = cast<RankedTensorType>(op.getExpAvg().getType());
  SmallVector<Value> inputs = {source};
  if (indices)
    inputs.push_back(indices);
  inputs.append({op.getExpAvg(), op.getExpAvgSq()});
  if (oldIndices)
    inputs.push_back(oldIndices);
  llvm::append_range(inputs, adamScalarsOf(rewriter, op));
  SmallVector<Type> args = kernelArgumentTypes(inputs);
  args.append(3, bufferType(momentType));
  int64_t rank =
      indices ? cast<ShapedType>(indices.getType()).getDimSize(0) : 0;
  std::string name = "adam_" + shapeName(momentType.getShape());
  if (side)
    name +=
        llvm::formatv("_gather_{0}_{1}",
                      shapeName(cast<ShapedType>(source.getType()).getShape()),
                      sideName(*side))
            .str();
  if (oldIndices)
    name += "_rotate";
  AdamKernel spec{momentType.getShape(), side, bool(oldIndices), rank};
  gpu::GPUFuncOp kernel = spec.getOrCreate(library, loc, name, args);
  rewriter.replaceOp(
      op,
      launchElementwise(rewriter, loc, library, kernel, momentType.getShape(),
                        inputs, TypeRange{momentType, momentType, momentType}));
  return success();
}

struct GatherAdamLowering : KernelPattern<GatherAdamOp> {
  using KernelPattern::KernelPattern;
  LogicalResult matchAndRewrite(GatherAdamOp op,
                                PatternRewriter &rewriter) const override {
    return lowerAdam(op, op.getProjected(), op.getIndices(), op.getOldIndices(),
                     op.getSide(), library, rewriter);
  }
};

struct AdamLowering : KernelPattern<AdamOp> {
  using KernelPattern::KernelPattern;
  LogicalResult matchAndRewrite(AdamOp op,
                                PatternRewriter &rewriter) const override {
    return lowerAdam(op, op.getGrad(), Value(), Value(), std::nullopt, library,
                     rewriter);
  }
};

struct ApplyLowering : KernelPattern<ApplyOp> {
  using KernelPattern::KernelPattern;
  LogicalResult matchAndRewrite(ApplyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getParam().getType();
    Value decay, step;
    std::tie(decay, step) = updateFactors(
        rewriter, loc, op.getLrScale(), op.getLr().convertToDouble(),
        op.getWeightDecay().convertToDouble(), op.getScale().convertToDouble());
    SmallVector<Value> inputs = {op.getParam(), op.getUpdate(), decay, step};
    SmallVector<Type> args = kernelArgumentTypes(inputs);
    args.push_back(bufferType(type));
    gpu::GPUFuncOp kernel = getOrCreateApplyKernel(
        library, loc, "apply_" + shapeName(type.getShape()), type.getShape(),
        args);
    rewriter.replaceOp(op, launchElementwise(rewriter, loc, library, kernel,
                                             type.getShape(), inputs,
                                             TypeRange{type}));
    return success();
  }
};

struct AdamWLowering : KernelPattern<AdamWOp> {
  using KernelPattern::KernelPattern;
  LogicalResult matchAndRewrite(AdamWOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getParam().getType();
    SmallVector<Value> inputs = {op.getParam(), op.getGrad(), op.getExpAvg(),
                                 op.getExpAvgSq()};
    llvm::append_range(inputs, adamScalarsOf(rewriter, op));
    Value decay, step;
    std::tie(decay, step) = updateFactors(
        rewriter, loc, op.getLrScale(), op.getLr().convertToDouble(),
        op.getWeightDecay().convertToDouble(), /*scale=*/1.0);
    inputs.append({decay, step});
    SmallVector<Type> args = kernelArgumentTypes(inputs);
    args.append(3, bufferType(type));
    gpu::GPUFuncOp kernel = getOrCreateAdamWKernel(
        library, loc, "adamw_" + shapeName(type.getShape()), type.getShape(),
        args);
    rewriter.replaceOp(op, launchElementwise(rewriter, loc, library, kernel,
                                             type.getShape(), inputs,
                                             TypeRange{type, type, type}));
    return success();
  }
};

} // namespace

void optgraph::populateOptimToGPUPatterns(RewritePatternSet &patterns,
                                          KernelLibrary &library) {
  patterns.add<ProjectSelectLowering, ProjectLowering, ProjectBackApplyLowering,
               GatherAdamLowering, AdamLowering, ApplyLowering, AdamWLowering>(
      patterns.getContext(), library);
}
