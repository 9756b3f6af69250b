//===- OptimOps.cpp - optim dialect operations ----------------------------===//

#include "optgraph/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

#include <array>
#include <cmath>
#include <tuple>

using namespace mlir;
using namespace optgraph::optim;

//===----------------------------------------------------------------------===//
// Shared verification helpers
//===----------------------------------------------------------------------===//

static LogicalResult verifyResolvedSide(Operation *op, Side side) {
  if (side == Side::automatic)
    return op->emitOpError("expects side 'left' or 'right'; 'auto' is only "
                           "accepted by composite ops");
  return success();
}

/// The number of basis vectors for a matrix projected on `side`.
static int64_t basisSize(ArrayRef<int64_t> shape, Side side) {
  return side == Side::right ? shape[1] : shape[0];
}

/// The shape of the low-rank slice of an n×m matrix at rank r.
static SmallVector<int64_t, 2> lowRankShape(ArrayRef<int64_t> shape, Side side,
                                            int64_t rank) {
  if (side == Side::right)
    return {shape[0], rank};
  return {rank, shape[1]};
}

static LogicalResult verifyRank(Operation *op, int64_t rank, int64_t size) {
  if (rank < 1 || rank > size)
    return op->emitOpError("rank ") << rank << " is outside 1.." << size
                                    << " (the number of basis vectors)";
  return success();
}

static LogicalResult verifyBasis(Operation *op, RankedTensorType basis,
                                 int64_t size) {
  if (basis.getDimSize(0) != basis.getDimSize(1))
    return op->emitOpError("expects a square basis, got ") << basis;
  if (basis.getDimSize(0) != size)
    return op->emitOpError("basis of size ")
           << basis.getDimSize(0) << " does not match the projected dimension "
           << size;
  return success();
}

static LogicalResult verifyShape(Operation *op, StringRef what, ShapedType type,
                                 ArrayRef<int64_t> expected) {
  if (type.getShape() != expected) {
    InFlightDiagnostic diag = op->emitOpError() << what << " has shape ";
    llvm::interleave(type.getShape(), diag, "x");
    diag << ", expected ";
    llvm::interleave(expected, diag, "x");
    return diag;
  }
  return success();
}

/// The basis, rank and direction of a back-projection to `result`'s shape.
static LogicalResult verifyBackProjection(Operation *op, Side side,
                                          ShapedType result,
                                          RankedTensorType basis,
                                          RankedTensorType indices,
                                          ShapedType direction) {
  int64_t size = basisSize(result.getShape(), side);
  if (failed(verifyBasis(op, basis, size)))
    return failure();
  int64_t rank = indices.getDimSize(0);
  if (failed(verifyRank(op, rank, size)))
    return failure();
  return verifyShape(op, "direction", direction,
                     lowRankShape(result.getShape(), side, rank));
}

static LogicalResult verifyMoments(Operation *op, double beta1, double beta2,
                                   double eps) {
  auto isBeta = [](double beta) { return beta >= 0.0 && beta < 1.0; };
  if (!isBeta(beta1))
    return op->emitOpError("beta1 must be in [0, 1), got ") << beta1;
  if (!isBeta(beta2))
    return op->emitOpError("beta2 must be in [0, 1), got ") << beta2;
  if (!std::isfinite(eps) || eps < 0.0)
    return op->emitOpError("eps must be finite and non-negative, got ") << eps;
  return success();
}

static LogicalResult verifyStepSize(Operation *op, double lr,
                                    double weightDecay, double scale) {
  if (!std::isfinite(lr) || lr < 0.0)
    return op->emitOpError("lr must be finite and non-negative, got ") << lr;
  if (!std::isfinite(weightDecay) || weightDecay < 0.0)
    return op->emitOpError("weight_decay must be finite and non-negative, got ")
           << weightDecay;
  if (!std::isfinite(scale))
    return op->emitOpError("scale must be finite, got ") << scale;
  return success();
}

//===----------------------------------------------------------------------===//
// DctBasisOp
//===----------------------------------------------------------------------===//

LogicalResult DctBasisOp::verify() {
  RankedTensorType type = getBasis().getType();
  if (type.getDimSize(0) != type.getDimSize(1))
    return emitOpError("expects a square result, got ") << type;
  return success();
}

//===----------------------------------------------------------------------===//
// ProjectOp
//===----------------------------------------------------------------------===//

LogicalResult ProjectOp::verify() {
  if (failed(verifyResolvedSide(*this, getSide())))
    return failure();
  ArrayRef<int64_t> gradShape = getGrad().getType().getShape();
  int64_t size = basisSize(gradShape, getSide());
  if (failed(verifyBasis(*this, getBasis().getType(), size)))
    return failure();
  if (!getIndices())
    return verifyShape(*this, "result", getResult().getType(), gradShape);
  int64_t rank = getIndices().getType().getDimSize(0);
  if (failed(verifyRank(*this, rank, size)))
    return failure();
  return verifyShape(*this, "result", getResult().getType(),
                     lowRankShape(gradShape, getSide(), rank));
}

//===----------------------------------------------------------------------===//
// SelectOp
//===----------------------------------------------------------------------===//

LogicalResult SelectOp::verify() {
  if (failed(verifyResolvedSide(*this, getSide())))
    return failure();
  return verifyRank(*this, getIndices().getType().getDimSize(0),
                    basisSize(getProjected().getType().getShape(), getSide()));
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::verify() {
  if (failed(verifyResolvedSide(*this, getSide())))
    return failure();
  ArrayRef<int64_t> shape = getProjected().getType().getShape();
  int64_t rank = getIndices().getType().getDimSize(0);
  if (failed(verifyRank(*this, rank, basisSize(shape, getSide()))))
    return failure();
  return verifyShape(*this, "result", getResult().getType(),
                     lowRankShape(shape, getSide(), rank));
}

namespace {
/// gather(project(G, Q), idx) → project(G, Q[idx]) when nothing else reads
/// the full projection: the skinny matmul costs 2·n·m·r FLOPs instead of
/// 2·n·m·N.
struct GatherOfUnsharedProjection : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp gather,
                                PatternRewriter &rewriter) const override {
    auto project = gather.getProjected().getDefiningOp<ProjectOp>();
    if (!project || project.getIndices() || !project->hasOneUse() ||
        project.getSide() != gather.getSide())
      return failure();
    rewriter.replaceOpWithNewOp<ProjectOp>(
        gather, gather.getType(), project.getGrad(), project.getBasis(),
        gather.getIndices(), gather.getSide());
    return success();
  }
};
} // namespace

void GatherOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<GatherOfUnsharedProjection>(context);
}

//===----------------------------------------------------------------------===//
// RotateOp
//===----------------------------------------------------------------------===//

LogicalResult RotateOp::verify() {
  if (failed(verifyResolvedSide(*this, getSide())))
    return failure();
  int64_t rank = getOldIndices().getType().getDimSize(0);
  int64_t momentsRank = getSide() == Side::right
                            ? getExpAvg().getType().getDimSize(1)
                            : getExpAvg().getType().getDimSize(0);
  if (momentsRank != rank)
    return emitOpError("moments hold ")
           << momentsRank << " basis slices but the indices select " << rank;
  return success();
}

LogicalResult RotateOp::fold(FoldAdaptor,
                             SmallVectorImpl<OpFoldResult> &results) {
  // An unchanged subspace leaves every slice where it is.
  if (getOldIndices() != getNewIndices())
    return failure();
  results.push_back(getExpAvg());
  results.push_back(getExpAvgSq());
  return success();
}

//===----------------------------------------------------------------------===//
// AdamOp
//===----------------------------------------------------------------------===//

LogicalResult AdamOp::verify() {
  return verifyMoments(*this, getBeta1().convertToDouble(),
                       getBeta2().convertToDouble(),
                       getEps().convertToDouble());
}

//===----------------------------------------------------------------------===//
// ProjectBackOp
//===----------------------------------------------------------------------===//

LogicalResult ProjectBackOp::verify() {
  if (failed(verifyResolvedSide(*this, getSide())))
    return failure();
  return verifyBackProjection(*this, getSide(), getResult().getType(),
                              getBasis().getType(), getIndices().getType(),
                              getDirection().getType());
}

//===----------------------------------------------------------------------===//
// ApplyOp
//===----------------------------------------------------------------------===//

LogicalResult ApplyOp::verify() {
  return verifyStepSize(*this, getLr().convertToDouble(),
                        getWeightDecay().convertToDouble(),
                        getScale().convertToDouble());
}

OpFoldResult ApplyOp::fold(FoldAdaptor) {
  // A zero step size leaves the weight as it is, decay included.
  if (getLr().isZero())
    return getParam();
  return {};
}

//===----------------------------------------------------------------------===//
// AdamWOp
//===----------------------------------------------------------------------===//

LogicalResult AdamWOp::verify() {
  if (failed(verifyMoments(*this, getBeta1().convertToDouble(),
                           getBeta2().convertToDouble(),
                           getEps().convertToDouble())))
    return failure();
  return verifyStepSize(*this, getLr().convertToDouble(),
                        getWeightDecay().convertToDouble(), /*scale=*/1.0);
}

//===----------------------------------------------------------------------===//
// LowRankAdamWOp
//===----------------------------------------------------------------------===//

Side LowRankAdamWOp::getResolvedSide() {
  if (getSide() != Side::automatic)
    return getSide();
  ArrayRef<int64_t> shape = getParam().getType().getShape();
  return shape[0] >= shape[1] ? Side::right : Side::left;
}

LogicalResult LowRankAdamWOp::verify() {
  if (failed(verifyMoments(*this, getBeta1().convertToDouble(),
                           getBeta2().convertToDouble(),
                           getEps().convertToDouble())) ||
      failed(verifyStepSize(*this, getLr().convertToDouble(),
                            getWeightDecay().convertToDouble(),
                            getScale().convertToDouble())))
    return failure();
  ArrayRef<int64_t> shape = getParam().getType().getShape();
  Side side = getResolvedSide();
  if (failed(verifyRank(*this, getRank(), basisSize(shape, side))))
    return failure();
  return verifyShape(
      *this,
      side == Side::right ? "moments (right side)" : "moments (left side)",
      getExpAvg().getType(), lowRankShape(shape, side, getRank()));
}

//===----------------------------------------------------------------------===//
// ProjectSelectOp
//===----------------------------------------------------------------------===//

LogicalResult ProjectSelectOp::verify() {
  if (failed(verifyResolvedSide(*this, getSide())))
    return failure();
  ArrayRef<int64_t> gradShape = getGrad().getType().getShape();
  int64_t size = basisSize(gradShape, getSide());
  if (failed(verifyBasis(*this, getBasis().getType(), size)) ||
      failed(verifyShape(*this, "projection", getProjected().getType(),
                         gradShape)))
    return failure();
  return verifyRank(*this, getIndices().getType().getDimSize(0), size);
}

//===----------------------------------------------------------------------===//
// GatherAdamOp
//===----------------------------------------------------------------------===//

LogicalResult GatherAdamOp::verify() {
  if (failed(verifyResolvedSide(*this, getSide())) ||
      failed(verifyMoments(*this, getBeta1().convertToDouble(),
                           getBeta2().convertToDouble(),
                           getEps().convertToDouble())))
    return failure();
  ArrayRef<int64_t> shape = getProjected().getType().getShape();
  int64_t rank = getIndices().getType().getDimSize(0);
  if (failed(verifyRank(*this, rank, basisSize(shape, getSide()))))
    return failure();
  if (getOldIndices() && getOldIndices().getType() != getIndices().getType())
    return emitOpError("old indices ")
           << getOldIndices().getType() << " differ in type from the indices "
           << getIndices().getType();
  SmallVector<int64_t, 2> moments = lowRankShape(shape, getSide(), rank);
  for (Value value : llvm::concat<Value>(
           ValueRange{getExpAvg(), getExpAvgSq()}, getResults()))
    if (failed(verifyShape(*this, "moment", cast<ShapedType>(value.getType()),
                           moments)))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// ProjectBackApplyOp
//===----------------------------------------------------------------------===//

LogicalResult ProjectBackApplyOp::verify() {
  if (failed(verifyResolvedSide(*this, getSide())) ||
      failed(verifyStepSize(*this, getLr().convertToDouble(),
                            getWeightDecay().convertToDouble(),
                            getScale().convertToDouble())))
    return failure();
  return verifyBackProjection(*this, getSide(), getParam().getType(),
                              getBasis().getType(), getIndices().getType(),
                              getDirection().getType());
}

//===----------------------------------------------------------------------===//
// LaunchOp
//===----------------------------------------------------------------------===//

LogicalResult LaunchOp::verify() {
  // CUDA's limits: gridDim.x < 2^31, gridDim.y and .z ≤ 65535; blockDim.x
  // and .y ≤ 1024, .z ≤ 64.
  for (auto [what, sizes, limits] :
       {std::tuple<StringRef, ArrayRef<int64_t>, std::array<int64_t, 3>>{
            "grid", getGrid(), {std::numeric_limits<int32_t>::max(), 65535,
                                65535}},
        {"block", getBlock(), {1024, 1024, 64}}}) {
    if (sizes.size() != 3)
      return emitOpError() << what << " must have three sizes";
    for (auto [size, limit] : llvm::zip_equal(sizes, limits))
      if (size < 1 || size > limit)
        return emitOpError() << what << " (" << sizes[0] << ", " << sizes[1]
                             << ", " << sizes[2] << ") is outside CUDA's 1..("
                             << limits[0] << ", " << limits[1] << ", "
                             << limits[2] << ")";
  }
  if (getBlock()[0] * getBlock()[1] * getBlock()[2] > 1024)
    return emitOpError("a block holds at most 1024 threads");
  bool onTensors = llvm::all_of(getOutputs().getTypes(), [](Type type) {
    return isa<RankedTensorType>(type);
  });
  bool onBuffers = llvm::all_of(getOutputs().getTypes(), [](Type type) {
    return isa<MemRefType>(type);
  });
  if (!onTensors && !onBuffers)
    return emitOpError("outs must be all tensors or all buffers");
  if (onTensors && getResultTypes() != getOutputs().getTypes())
    return emitOpError("result types must match the outs' types");
  if (onBuffers && getNumResults() != 0)
    return emitOpError("has no results when its outs are buffers");
  return success();
}

void LaunchOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getInputsMutable())
    if (isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  for (OpOperand &operand : getOutputsMutable())
    if (isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
}

/// A kernel argument matches a launch operand when it is the same scalar, or
/// a memref of the tensor's shape and element type.
static bool matchesKernelArgument(Type operand, Type argument) {
  auto tensor = dyn_cast<RankedTensorType>(operand);
  if (!tensor)
    return operand == argument;
  auto memref = dyn_cast<MemRefType>(argument);
  return memref && memref.getShape() == tensor.getShape() &&
         memref.getElementType() == tensor.getElementType();
}

LogicalResult
LaunchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto kernel =
      symbolTable.lookupNearestSymbolFrom<gpu::GPUFuncOp>(*this, getKernel());
  if (!kernel || !kernel.isKernel())
    return emitOpError("'") << getKernel() << "' is not a GPU kernel";
  SmallVector<Type> operands(getInputs().getTypes());
  llvm::append_range(operands, getOutputs().getTypes());
  ArrayRef<Type> arguments = kernel.getArgumentTypes();
  if (operands.size() != arguments.size())
    return emitOpError("passes ") << operands.size() << " arguments to '"
                                  << getKernel() << "', which takes "
                                  << arguments.size();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(operands, arguments)))
    if (!matchesKernelArgument(std::get<0>(pair), std::get<1>(pair)))
      return emitOpError("argument #")
             << i << " of type " << std::get<0>(pair)
             << " does not match the kernel's " << std::get<1>(pair);
  return success();
}

#define GET_OP_CLASSES
#include "optgraph/Dialect/Optim/IR/OptimOps.cpp.inc"
