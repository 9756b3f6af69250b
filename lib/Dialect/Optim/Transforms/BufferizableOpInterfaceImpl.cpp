//===- BufferizableOpInterfaceImpl.cpp - bufferization of optim.launch ----===//

#include "optgraph/Dialect/Optim/Transforms/BufferizableOpInterfaceImpl.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace optgraph::optim;

namespace {

/// optim.launch on tensors → optim.launch on the operands' buffers. The outs
/// are written in place and never read: kernels overwrite them entirely.
struct LaunchOpInterface
    : public DstBufferizableOpInterfaceExternalModel<LaunchOpInterface,
                                                     LaunchOp> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    return !cast<LaunchOp>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto launch = cast<LaunchOp>(op);
    SmallVector<Value> arguments;
    for (Value operand : launch->getOperands()) {
      if (!isa<TensorType>(operand.getType())) {
        arguments.push_back(operand);
        continue;
      }
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      arguments.push_back(*buffer);
    }
    auto buffers = ArrayRef<Value>(arguments);
    size_t outputs = launch.getOutputs().size();
    LaunchOp::create(rewriter, launch.getLoc(), TypeRange(),
                     launch.getKernelAttr(), launch.getGridAttr(),
                     launch.getBlockAttr(), buffers.drop_back(outputs),
                     buffers.take_back(outputs));
    replaceOpWithBufferizedValues(
        rewriter, op,
        buffers.take_back(outputs));
    return success();
  }
};

} // namespace

void optgraph::optim::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, OptimDialect *) {
    LaunchOp::attachInterface<LaunchOpInterface>(*ctx);
  });
}
