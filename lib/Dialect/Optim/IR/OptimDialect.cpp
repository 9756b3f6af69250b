//===- OptimDialect.cpp - optim dialect -----------------------------------===//

#include "optgraph/Dialect/Optim/IR/OptimDialect.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace optgraph::optim;

#include "optgraph/Dialect/Optim/IR/OptimOpsDialect.cpp.inc"

void OptimDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "optgraph/Dialect/Optim/IR/OptimAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "optgraph/Dialect/Optim/IR/OptimOps.cpp.inc"
      >();
}

#include "optgraph/Dialect/Optim/IR/OptimEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "optgraph/Dialect/Optim/IR/OptimAttrs.cpp.inc"
