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

/// ASan's defaults for this binary (ASAN_OPTIONS still overrides each key).
/// allow_user_poisoning=0: LLVM's headers poison a BumpPtrAllocator slab
/// when the *includer* is ASan-instrumented (LLVM_ADDRESS_SANITIZER_BUILD),
/// so the inline allocator code compiled into optgraph (e.g. an Optim
/// attribute's storage) poisons each slab it starts, while Debian's
/// uninstrumented libMLIR/libLLVM allocate later objects from the same slab
/// without unpoisoning them. Every read of those objects is then a false
/// "use-after-poison" (fuzz/regressions/asan-bump-slab-poison.mlir).
/// Heap redzones, use-after-free and UBSan are unaffected.
extern "C" __attribute__((used, visibility("default"))) const char *
__asan_default_options() {
  return "allow_user_poisoning=0";
}

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
