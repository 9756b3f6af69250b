//===- KernelLibrary.cpp - the GPU module of the kernels ------------------===//

#include "KernelLibrary.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <cmath>

using namespace mlir;
using namespace optgraph;

KernelLibrary::KernelLibrary(ModuleOp module) : module(module) {}

gpu::GPUModuleOp KernelLibrary::getModule() {
  if (gpuModule)
    return gpuModule;
  gpuModule = module.lookupSymbol<gpu::GPUModuleOp>(kModuleName);
  if (!gpuModule) {
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), kModuleName);
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
  }
  return gpuModule;
}

gpu::GPUFuncOp KernelLibrary::getOrCreate(
    StringRef name, TypeRange arguments, TypeRange workgroupBuffers,
    ArrayRef<int32_t> blockSize,
    function_ref<void(OpBuilder &, gpu::GPUFuncOp)> emitBody) {
  gpu::GPUModuleOp container = getModule();
  if (auto existing = container.lookupSymbol<gpu::GPUFuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(container.getBody());
  auto type = b.getFunctionType(arguments, {});
  auto kernel =
      gpu::GPUFuncOp::create(b, module.getLoc(), name, type, workgroupBuffers);
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  kernel.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(blockSize));
  b.setInsertionPointToStart(&kernel.getBody().front());
  emitBody(b, kernel);
  gpu::ReturnOp::create(b, module.getLoc());
  return kernel;
}

SymbolRefAttr KernelLibrary::symbolOf(gpu::GPUFuncOp kernel) {
  return SymbolRefAttr::get(getModule().getSymNameAttr(),
                            {FlatSymbolRefAttr::get(kernel.getNameAttr())});
}

Value KernelLibrary::cosineTable(OpBuilder &b, Location loc, int64_t size) {
  std::string name = "cos_table_" + std::to_string(size);
  auto type = MemRefType::get({4 * size}, b.getF32Type());
  gpu::GPUModuleOp container = getModule();
  if (!container.lookupSymbol(name)) {
    // cos(π·p/(2N)) for p in [0, 4N): every basis entry is one of these.
    SmallVector<float> values;
    values.reserve(4 * size);
    for (int64_t p = 0; p < 4 * size; ++p)
      values.push_back(float(std::cos(M_PI * double(p) / (2.0 * size))));
    auto tensorType = RankedTensorType::get({4 * size}, b.getF32Type());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(container.getBody());
    memref::GlobalOp::create(
        b, loc, name, b.getStringAttr("private"), type,
        DenseElementsAttr::get(tensorType, ArrayRef<float>(values)),
        /*constant=*/true, /*alignment=*/IntegerAttr());
  }
  return memref::GetGlobalOp::create(b, loc, type, name);
}
