//===- OptimOps.h - optim dialect operations --------------------*- C++ -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_IR_OPTIMOPS_H
#define OPTGRAPH_DIALECT_OPTIM_IR_OPTIMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "optgraph/Dialect/Optim/IR/OptimDialect.h"

#include "optgraph/Dialect/Optim/IR/OptimEnums.h.inc"

namespace optgraph::optim {
/// The sizes the dialect accepts: every dimension in 1..kMaxDimSize and at
/// most kMaxElements elements per tensor. Index arithmetic in every lowering
/// then fits in 64 bits (a basis is N×N, so N ≤ 2^20), and a 0-sized
/// parameter, which has nothing to update, is an error at the op rather than
/// a special case in every pass.
constexpr int64_t kMaxDimSize = (int64_t(1) << 31) - 1;
constexpr int64_t kMaxElements = int64_t(1) << 40;

/// Whether a statically shaped `type` is within those limits (the type
/// constraint of every optim tensor operand and result).
inline bool hasSupportedSizes(mlir::ShapedType type) {
  int64_t elements = 1;
  for (int64_t size : type.getShape()) {
    if (size < 1 || size > kMaxDimSize)
      return false;
    // Both factors are below 2^41: the product fits in int64.
    elements *= size;
    if (elements > kMaxElements)
      return false;
  }
  return true;
}
} // namespace optgraph::optim

#define GET_ATTRDEF_CLASSES
#include "optgraph/Dialect/Optim/IR/OptimAttrs.h.inc"

#define GET_OP_CLASSES
#include "optgraph/Dialect/Optim/IR/OptimOps.h.inc"

#endif // OPTGRAPH_DIALECT_OPTIM_IR_OPTIMOPS_H
