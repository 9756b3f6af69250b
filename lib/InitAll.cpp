//===- InitAll.cpp - register optgraph's dialects and passes --------------===//

#include "optgraph/InitAll.h"
#include "optgraph/Conversion/Passes.h"
#include "optgraph/Dialect/Optim/IR/OptimDialect.h"
#include "optgraph/Dialect/Optim/Transforms/Passes.h"
#include "optgraph/Pipelines/Pipelines.h"
#include "optgraph/Transforms/Passes.h"

void optgraph::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<optim::OptimDialect>();
}

void optgraph::registerAllPasses() {
  optim::registerOptimPasses();
  registerOptgraphConversionPasses();
  registerOptgraphTransformsPasses();
  registerPipelines();
}
