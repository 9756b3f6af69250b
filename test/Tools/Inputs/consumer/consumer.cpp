// Registers optgraph in a fresh context, parses an optimizer step and runs
// the decomposition, as a project embedding optgraph would.
#include "optgraph/InitAll.h"
#include "optgraph/Dialect/Optim/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

int main() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::func::FuncDialect>();
  optgraph::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  const char *source = R"mlir(
    func.func @step(%w: tensor<9xf32>, %t: i64) -> tensor<9xf32> {
      %0:3 = optim.adamw %w, %w, %w, %w, %t {lr = 1.0e-3 : f64} : tensor<9xf32>
      return %0#0 : tensor<9xf32>
    })mlir";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  pm.addPass(optgraph::optim::createOptimDecompose());
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  return 0;
}
