//===- OptimDialect.h - optim dialect ---------------------------*- C++ -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_H
#define OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "optgraph/Dialect/Optim/IR/OptimOpsDialect.h.inc"

namespace optgraph::optim {
/// Whether `name` may name a step's tensor (`optim.name`): it becomes a file
/// stem, so letters, digits, '_', '.' and '-', not starting with '.'.
bool isValidTensorName(llvm::StringRef name);
} // namespace optgraph::optim

#endif // OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_H
