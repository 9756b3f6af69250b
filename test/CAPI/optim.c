/* The C API builds optgraph's composite ops into a module, reports what
 * does not verify, and runs optgraph's pipeline through MLIR's C API. */
// RUN: optgraph-capi-test 2>&1 | FileCheck %s

#include "optgraph-c/Optim.h"

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"

#include <stdio.h>

static void printToStdout(MlirStringRef text, void *userData) {
  (void)userData;
  fwrite(text.data, 1, text.length, stdout);
}

static MlirLogicalResult printDiagnostic(MlirDiagnostic diagnostic,
                                         void *userData) {
  (void)userData;
  printf("diagnostic: ");
  mlirDiagnosticPrint(diagnostic, printToStdout, NULL);
  printf("\n");
  return mlirLogicalResultSuccess();
}

static const char *kModule =
    "func.func @step(%w: tensor<96x40xf32>, %g: tensor<96x40xf32>,\n"
    "                %m: tensor<96x8xf32>, %v: tensor<96x8xf32>,\n"
    "                %idx: tensor<8xi64>, %t: i64, %s: f32,\n"
    "                %b: tensor<40xf32>, %bad: tensor<50xi64>) {\n"
    "  return\n"
    "}\n";

int main(void) {
  MlirContext ctx = mlirContextCreate();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  // The upstream dialects and their external models (bufferization,
  // tiling), which optgraph's pipelines use, then optgraph's own.
  mlirRegisterAllDialects(registry);
  optgraphRegisterDialects(registry);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  mlirContextAttachDiagnosticHandler(ctx, printDiagnostic, NULL, NULL);
  optgraphRegisterPasses();

  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kModule));
  MlirOperation func = mlirBlockGetFirstOperation(mlirModuleGetBody(module));
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
  MlirOperation ret = mlirBlockGetTerminator(body);
  MlirValue arg[9];
  for (int i = 0; i < 9; ++i)
    arg[i] = mlirBlockGetArgument(body, i);
  MlirLocation loc = mlirLocationUnknownGet(ctx);

  OptgraphAdamWOptions adamw = {1e-3, 0.9, 0.999, 1e-8, 0.1};
  OptgraphLowRankOptions lowRank = {0.25, 200, true, OptgraphBasisDct2,
                                    OptgraphNormL2, OptgraphSideAuto};
  // Attributes at their default value (beta1, beta2, eps, side) print
  // elided.
  // CHECK: = optim.lowrank_adamw %arg0, %arg1, %arg2, %arg3, %arg4, %arg5 lr_scale %arg6 {basis = #optim<basis dct2>, interval = 200 : i64, lr = 1.000000e-03 : f64, norm = #optim<norm l2>, rotate = true, scale = 2.500000e-01 : f64, weight_decay = 1.000000e-01 : f64} : tensor<96x40xf32>, tensor<96x8xf32>, tensor<8xi64>
  MlirOperation lowrank = optgraphLowRankAdamWOpCreate(
      loc, arg[0], arg[1], arg[2], arg[3], arg[4], arg[5], arg[6], adamw,
      lowRank);
  mlirBlockInsertOwnedOperationBefore(body, ret, lowrank);
  // CHECK: = optim.adamw %arg7, %arg7, %arg7, %arg7, %arg5 {lr = 1.000000e-03 : f64, weight_decay = 1.000000e-01 : f64} : tensor<40xf32>
  MlirOperation bias = optgraphAdamWOpCreate(
      loc, arg[7], arg[7], arg[7], arg[7], arg[5], (MlirValue){NULL}, adamw);
  mlirBlockInsertOwnedOperationBefore(body, ret, bias);
  mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
  printf("\n");

  // A rank of 50 for a basis of 40: the verifier's diagnostic, no op.
  // CHECK: diagnostic: 'optim.lowrank_adamw' op rank 50 is outside 1..40 (the number of basis vectors)
  // CHECK: invalid op: null
  MlirOperation invalid = optgraphLowRankAdamWOpCreate(
      loc, arg[0], arg[1], arg[2], arg[3], arg[8], arg[5], (MlirValue){NULL},
      adamw, lowRank);
  printf("invalid op: %s\n", mlirOperationIsNull(invalid) ? "null" : "built");

  // optgraph's CPU pipeline, through MLIR's pass manager.
  // CHECK: pipeline: success
  // CHECK: llvm.func @step
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager top = mlirPassManagerGetAsOpPassManager(pm);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      top, mlirStringRefCreateFromCString("builtin.module(optgraph-cpu-pipeline)"),
      printToStdout, NULL);
  MlirLogicalResult ran = mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module));
  printf("pipeline: %s\n", mlirLogicalResultIsSuccess(parsed) &&
                                   mlirLogicalResultIsSuccess(ran)
                               ? "success"
                               : "failure");
  mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
  printf("\n");

  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return 0;
}
