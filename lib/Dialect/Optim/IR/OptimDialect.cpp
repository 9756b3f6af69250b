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

//===----------------------------------------------------------------------===//
// optim.name and optim.role
//===----------------------------------------------------------------------===//

bool optgraph::optim::isValidTensorName(StringRef name) {
  if (name.empty() || name.front() == '.')
    return false;
  return llvm::all_of(name, [](char c) {
    return llvm::isAlnum(c) || c == '_' || c == '.' || c == '-';
  });
}

/// Checks `optim.name` (and, on arguments, `optim.role`) at `loc`, the
/// argument or the function; `what` names the argument or result.
static LogicalResult verifyTensorAttribute(Location loc, Twine what,
                                           NamedAttribute attribute,
                                           bool argument) {
  auto text = dyn_cast<StringAttr>(attribute.getValue());
  if (attribute.getName() == OptimDialect::kNameAttrName) {
    if (!text || !isValidTensorName(text.getValue()))
      return emitError(loc)
             << what << " has name " << attribute.getValue()
             << "; names must be non-empty strings, must not start with '.', "
                "and may hold only letters, digits, '_', '.' and '-'";
    return success();
  }
  if (attribute.getName() == OptimDialect::kRoleAttrName && argument) {
    if (!text || !symbolizeTensorRole(text.getValue()))
      return emitError(loc) << what << " has role " << attribute.getValue()
                            << "; expected param, grad, state, step, hyper "
                               "or input";
    return success();
  }
  return emitError(loc) << what << " has the unknown attribute '"
                        << attribute.getName().getValue() << "'"
                        << (argument ? "" : " (results take only optim.name)");
}

LogicalResult OptimDialect::verifyRegionArgAttribute(Operation *op,
                                                     unsigned region,
                                                     unsigned index,
                                                     NamedAttribute attribute) {
  Location loc = op->getLoc();
  if (region < op->getNumRegions() && !op->getRegion(region).empty() &&
      index < op->getRegion(region).getNumArguments())
    loc = op->getRegion(region).getArgument(index).getLoc();
  return verifyTensorAttribute(loc, "argument #" + Twine(index), attribute,
                               /*argument=*/true);
}

LogicalResult OptimDialect::verifyRegionResultAttribute(
    Operation *op, unsigned, unsigned index, NamedAttribute attribute) {
  return verifyTensorAttribute(op->getLoc(), "result #" + Twine(index),
                               attribute, /*argument=*/false);
}

LogicalResult OptimDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attribute) {
  return op->emitError("'")
         << attribute.getName().getValue()
         << "' belongs on the arguments and results of a step function";
}

#include "optgraph/Dialect/Optim/IR/OptimEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "optgraph/Dialect/Optim/IR/OptimAttrs.cpp.inc"
