//===- OptimDialect.h - optim dialect ---------------------------*- C++ -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_H
#define OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "optgraph/Dialect/Optim/IR/OptimOpsDialect.h.inc"

#endif // OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_H
