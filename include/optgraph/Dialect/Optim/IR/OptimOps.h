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

#define GET_ATTRDEF_CLASSES
#include "optgraph/Dialect/Optim/IR/OptimAttrs.h.inc"

#define GET_OP_CLASSES
#include "optgraph/Dialect/Optim/IR/OptimOps.h.inc"

#endif // OPTGRAPH_DIALECT_OPTIM_IR_OPTIMOPS_H
