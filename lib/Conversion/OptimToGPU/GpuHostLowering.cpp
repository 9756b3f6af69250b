//===- GpuHostLowering.cpp - host code of GPU steps to gpu ops -----------===//

#include "optgraph/Conversion/OptimToGPU/OptimToGPU.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace optgraph {
#define GEN_PASS_DEF_OPTGRAPHGPUHOSTLOWERING
#include "optgraph/Conversion/Passes.h.inc"
} // namespace optgraph

using namespace mlir;

namespace {

/// Tensor data (f32 parameters, gradients, moments; i64 indices), as
/// opposed to bufferization's index/i1 bookkeeping.
bool isDeviceData(Type type) {
  auto memref = dyn_cast<BaseMemRefType>(type);
  if (!memref)
    return false;
  Type element = memref.getElementType();
  return element.isF32() || element.isInteger(64);
}

/// Device memory: a gpu.alloc buffer, or a step argument holding tensor data
/// (the manifest puts every tensor but the 0-d host scalars on the device),
/// or a view of either.
bool isDeviceMemory(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  if (memref.getDefiningOp<gpu::AllocOp>())
    return true;
  auto argument = dyn_cast<BlockArgument>(memref);
  if (!argument || !isDeviceData(argument.getType()) ||
      !isa<FunctionOpInterface>(argument.getOwner()->getParentOp()) ||
      !argument.getOwner()->isEntryBlock())
    return false;
  return cast<BaseMemRefType>(argument.getType()).getRank() > 0;
}

struct OptgraphGpuHostLoweringPass
    : public optgraph::impl::OptgraphGpuHostLoweringBase<
          OptgraphGpuHostLoweringPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](Operation *op) {
      rewriter.setInsertionPoint(op);
      Location loc = op->getLoc();
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!isDeviceData(alloc.getType()))
          return;
        rewriter.replaceOpWithNewOp<gpu::AllocOp>(
            alloc, alloc.getType(), /*asyncToken=*/Type(), ValueRange(),
            alloc.getDynamicSizes(), alloc.getSymbolOperands());
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        if (!isDeviceData(dealloc.getMemref().getType()))
          return;
        gpu::DeallocOp::create(rewriter, loc, TypeRange(), ValueRange(),
                               dealloc.getMemref());
        rewriter.eraseOp(dealloc);
      } else if (auto launch = dyn_cast<optgraph::optim::LaunchOp>(op)) {
        if (launch.getNumResults() != 0)
          return;
        auto size = [&](ArrayRef<int64_t> sizes) {
          return gpu::KernelDim3{
              arith::ConstantIndexOp::create(rewriter, loc, sizes[0]),
              arith::ConstantIndexOp::create(rewriter, loc, sizes[1]),
              arith::ConstantIndexOp::create(rewriter, loc, sizes[2])};
        };
        SmallVector<Value> arguments(launch.getInputs());
        llvm::append_range(arguments, launch.getOutputs());
        gpu::LaunchFuncOp::create(rewriter, loc, launch.getKernel(),
                                  size(launch.getGrid()),
                                  size(launch.getBlock()),
                                  /*dynamicSharedMemorySize=*/Value(),
                                  arguments);
        rewriter.eraseOp(launch);
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        if (!isDeviceData(copy.getSource().getType()))
          return;
        gpu::MemcpyOp::create(rewriter, loc, TypeRange(), ValueRange(),
                              copy.getTarget(), copy.getSource());
        rewriter.eraseOp(copy);
      }
    });
    // Host code must never touch device memory.
    WalkResult touched = getOperation().walk([](Operation *op) {
      Value memref;
      if (auto load = dyn_cast<memref::LoadOp>(op))
        memref = load.getMemref();
      else if (auto store = dyn_cast<memref::StoreOp>(op))
        memref = store.getMemref();
      if (!memref || !isDeviceMemory(memref))
        return WalkResult::advance();
      op->emitOpError("reads or writes a device buffer on the host");
      return WalkResult::interrupt();
    });
    if (touched.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
