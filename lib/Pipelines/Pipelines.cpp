//===- Pipelines.cpp - named end-to-end pipelines -------------------------===//

#include "optgraph/Pipelines/Pipelines.h"
#include "optgraph/Conversion/Passes.h"
#include "optgraph/Dialect/Optim/Transforms/Passes.h"
#include "optgraph/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <cstdlib>

using namespace mlir;

optgraph::CpuTargetOptions
optgraph::CpuPipelineOptions::getTargetOptions() const {
  CpuTargetOptions target;
  target.vectorize = vectorize;
  if (!matmulTileSizes.empty())
    target.matmulTileSizes.assign(matmulTileSizes.begin(),
                                  matmulTileSizes.end());
  return target;
}

optgraph::CudaTargetOptions
optgraph::CudaPipelineOptions::getTargetOptions() const {
  CudaTargetOptions target;
  target.chip = chip;
  target.ptxFeatures = ptxFeatures;
  target.cudaPath = cudaPath;
  target.optLevel = optLevel;
  target.serialize = serialize;
  return target;
}

void optgraph::buildCpuPipeline(OpPassManager &pm,
                                const CpuTargetOptions &options) {
  // optim → linalg on tensors, one function per distinct update.
  pm.addPass(optim::createOptimOutlineUpdates());
  pm.addPass(optim::createOptimDecompose());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertOptimToLinalg());
  // A basis read only by the refresh branch is computed there, not on
  // every step.
  pm.addPass(createControlFlowSinkPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.vectorize) {
    OptgraphTileAndVectorizeOptions tiling;
    tiling.tileSizes.assign(options.matmulTileSizes.begin(),
                            options.matmulTileSizes.end());
    pm.addNestedPass<func::FuncOp>(createOptgraphTileAndVectorize(tiling));
    pm.addPass(createCanonicalizerPass());
  }

  addBufferization(pm, bufferization::LayoutMapOption::FullyDynamicLayoutMap);

  // Buffers → LLVM.
  pm.addPass(createConvertLinalgToLoopsPass());
  VectorTransferToSCFOptions vectorToSCF;
  vectorToSCF.enableFullUnroll();
  pm.addPass(createConvertVectorToSCFPass(vectorToSCF));
  pm.addPass(createSCFToControlFlowPass());
  addHostToLLVM(pm);
}

/// The toolkit whose ptxas and libdevice serialize the kernels. Named
/// explicitly: without it, upstream finds ptxas on PATH but silently skips
/// libdevice.
static std::string defaultCudaPath() {
  for (const char *variable : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (const char *value = std::getenv(variable); value && *value)
      return value;
  return "/usr/local/cuda";
}

void optgraph::addCudaKernelGeneration(OpPassManager &pm) {
  // optim → fused ops → kernel launches on tensors. No outlining: launches
  // are few per parameter and kernels are shared by shape anyway, and a
  // step in one function lets every result be written in place.
  pm.addPass(optim::createOptimDecompose());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(optim::createOptimFuse());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertOptimToGPU());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Identity layouts everywhere: gpu.memcpy needs contiguous buffers, and
  // every buffer here is a whole tensor.
  addBufferization(pm, bufferization::LayoutMapOption::IdentityLayoutMap);

  // Host code: device buffers, one stream, one synchronization per step.
  pm.addNestedPass<func::FuncOp>(createOptgraphGpuHostLowering());
  pm.addNestedPass<func::FuncOp>(createOptgraphGpuAsyncChain());
}

void optgraph::addCudaKernelSerialization(OpPassManager &pm,
                                          const CudaTargetOptions &options) {

  // Kernels → NVVM → cubin (ptxas from the CUDA toolkit).
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.ptxFeatures;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(createOptgraphNvvmIeeeSqrt());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  // Tokens cross the refresh branch as block arguments: lower scf first.
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createGpuToLLVMConversionPass());
  if (options.serialize) {
    GpuModuleToBinaryPassOptions binary;
    binary.toolkitPath =
        options.cudaPath.empty() ? defaultCudaPath() : options.cudaPath;
    pm.addPass(createGpuModuleToBinaryPass(binary));
  }
  addHostToLLVM(pm);
}

void optgraph::buildCudaPipeline(OpPassManager &pm,
                                 const CudaTargetOptions &options) {
  addCudaKernelGeneration(pm);
  addCudaKernelSerialization(pm, options);
}

void optgraph::buildGpuEmulationPipeline(OpPassManager &pm) {
  pm.addPass(createOptgraphGpuToHostEmulation());
  pm.addPass(createSCFToControlFlowPass());
  addHostToLLVM(pm);
}

void optgraph::addBufferization(
    OpPassManager &pm, bufferization::LayoutMapOption unknownTypeConversion) {
  // Tensors → buffers. Results become out-parameters so that the compiled
  // step takes `(in..., out...)` memrefs; optgraph-compile wraps that in the
  // flat C ABI.
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  bufferizeOptions.unknownTypeConversion = unknownTypeConversion;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  pm.addNestedPass<func::FuncOp>(createOptgraphCopyRepeatedResults());
  bufferization::BufferResultsToOutParamsPassOptions outParamsOptions;
  outParamsOptions.modifyPublicFunctions = true;
  outParamsOptions.hoistStaticAllocs = true;
  pm.addPass(
      bufferization::createBufferResultsToOutParamsPass(outParamsOptions));
  bufferization::BufferDeallocationPipelineOptions deallocOptions;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOptions);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());
}

void optgraph::addHostToLLVM(OpPassManager &pm) {
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void optgraph::registerPipelines() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "optgraph-cpu-pipeline",
      "Compile an optim step to the LLVM dialect for the host CPU",
      [](OpPassManager &pm, const CpuPipelineOptions &options) {
        buildCpuPipeline(pm, options.getTargetOptions());
      });
  PassPipelineRegistration<CudaPipelineOptions>(
      "optgraph-cuda-pipeline",
      "Compile an optim step to fused CUDA kernels (cubins) and host code in "
      "the LLVM dialect",
      [](OpPassManager &pm, const CudaPipelineOptions &options) {
        buildCudaPipeline(pm, options.getTargetOptions());
      });
  PassPipelineRegistration<>(
      "optgraph-gpu-emulation-pipeline",
      "Compile a module holding a gpu.module to host code in the LLVM dialect "
      "for the emulated CUDA driver",
      [](OpPassManager &pm) { buildGpuEmulationPipeline(pm); });
}
