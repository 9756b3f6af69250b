//===- InitAll.h - register optgraph's dialects and passes ------*- C++ -*-===//

#ifndef OPTGRAPH_INITALL_H
#define OPTGRAPH_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace optgraph {

/// Adds the optim dialect, its external interface models and the LLVM IR
/// translations that kernel serialization needs to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers optgraph's passes and named pipelines with the global registry.
void registerAllPasses();

} // namespace optgraph

#endif // OPTGRAPH_INITALL_H
