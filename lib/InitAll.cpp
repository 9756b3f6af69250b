//===- InitAll.cpp - register optgraph's dialects and passes --------------===//

#include "optgraph/InitAll.h"
#include "optgraph/Conversion/Passes.h"
#include "optgraph/Dialect/Optim/IR/OptimDialect.h"
#include "optgraph/Dialect/Optim/Transforms/BufferizableOpInterfaceImpl.h"
#include "optgraph/Dialect/Optim/Transforms/Passes.h"
#include "optgraph/Pipelines/Pipelines.h"
#include "optgraph/Transforms/Passes.h"

#include "mlir/Target/LLVMIR/Dialect/All.h"

void optgraph::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<optim::OptimDialect>();
  optim::registerBufferizableOpInterfaceExternalModels(registry);
  // gpu-module-to-binary translates kernels to LLVM IR in-process.
  mlir::registerAllToLLVMIRTranslations(registry);
}

void optgraph::registerAllPasses() {
  optim::registerOptimPasses();
  registerOptgraphConversionPasses();
  registerOptgraphTransformsPasses();
  registerPipelines();
}
