//===- optgraph-ir-fuzzer.cpp - libFuzzer target for optgraph's IR --------===//
//
// Parses its input as MLIR, verifies it, and runs the two pipelines that
// optgraph-compile runs on it: the whole CPU pipeline, and the CUDA pipeline
// up to the NVVM dialect (no ptxas). Diagnostics are expected and ignored; a crash, a sanitizer report
// or an LLVM fatal error is a finding. Build with scripts/fuzz.sh, which
// seeds the corpus from test/.
//
//===----------------------------------------------------------------------===//

#include "optgraph/InitAll.h"
#include "optgraph/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>

using namespace mlir;

namespace {

const DialectRegistry &registry() {
  static DialectRegistry *instance = [] {
    auto *r = new DialectRegistry();
    registerAllDialects(*r);
    registerAllExtensions(*r);
    optgraph::registerAllDialects(*r);
    return r;
  }();
  return *instance;
}

/// Runs `build`'s passes on a copy of `module`; failures are expected.
void runOn(ModuleOp module, function_ref<void(OpPassManager &)> build) {
  OwningOpRef<ModuleOp> copy = module.clone();
  PassManager pm(module.getContext());
  build(pm);
  (void)pm.run(*copy);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: nothing carries over, so every finding
  // reproduces from its input alone.
  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler ignore(&context, [](Diagnostic &) {
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      StringRef(reinterpret_cast<const char *>(data), size),
      ParserConfig(&context));
  if (!module || failed(verify(*module)))
    return 0;

  runOn(*module, [](OpPassManager &pm) {
    optgraph::buildCpuPipeline(pm, optgraph::CpuTargetOptions());
  });
  runOn(*module, [](OpPassManager &pm) {
    optgraph::CudaTargetOptions options;
    options.serialize = false;
    optgraph::buildCudaPipeline(pm, options);
  });
  return 0;
}
