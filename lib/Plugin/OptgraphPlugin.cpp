//===- OptgraphPlugin.cpp - optgraph as a plugin of upstream mlir-opt -----===//
//
//   mlir-opt --load-dialect-plugin=libOptgraphPlugin.so \
//            --load-pass-plugin=libOptgraphPlugin.so \
//            --pass-pipeline='builtin.module(optgraph-cpu-pipeline)' step.mlir
//
// The dialect entry point adds the optim dialect (and its external models);
// both entry points register optgraph's passes and pipelines, once, so that
// either flag alone, or both, work.
//
//===----------------------------------------------------------------------===//

#include "optgraph/InitAll.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

#include <mutex>

static void registerPassesOnce() {
  static std::once_flag once;
  std::call_once(once, optgraph::registerAllPasses);
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "optgraph", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            optgraph::registerAllDialects(*registry);
            registerPassesOnce();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "optgraph", LLVM_VERSION_STRING,
          registerPassesOnce};
}
