/*===- optgraph-c/Optim.h - C API of the optim dialect ------------*- C -*-===*\
|*                                                                            *|
|* For ML compilers embedding optgraph from C or another language: register  *|
|* the dialect and the passes, and build the composite ops a frontend emits. *|
|* Built on MLIR's C API (mlir-c/IR.h).                                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef OPTGRAPH_C_OPTIM_H
#define OPTGRAPH_C_OPTIM_H

#include "mlir-c/IR.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Optim, optim);

/// Adds the optim dialect, its external interface models and the LLVM IR
/// translations that kernel serialization needs to `registry`. optgraph's
/// pipelines also need the upstream dialects and their external models
/// (mlirRegisterAllDialects in mlir-c/RegisterEverything.h).
MLIR_CAPI_EXPORTED void optgraphRegisterDialects(MlirDialectRegistry registry);

/// Registers optgraph's passes and named pipelines (optgraph-cpu-pipeline,
/// optgraph-cuda-pipeline) with the global registry; later calls do nothing.
MLIR_CAPI_EXPORTED void optgraphRegisterPasses(void);

typedef enum { OptgraphBasisDct2, OptgraphBasisDct3 } OptgraphBasis;
typedef enum { OptgraphNormL1, OptgraphNormL2 } OptgraphNorm;
typedef enum {
  OptgraphSideAuto,
  OptgraphSideLeft,
  OptgraphSideRight
} OptgraphSide;

/// AdamW's hyperparameters (ALGORITHM.md), for both rules.
typedef struct {
  double lr, beta1, beta2, eps, weightDecay;
} OptgraphAdamWOptions;

/// The low-rank rule's options besides AdamW's.
typedef struct {
  double scale;
  int64_t interval;
  bool rotate;
  OptgraphBasis basis;
  OptgraphNorm norm;
  OptgraphSide side;
} OptgraphLowRankOptions;

/// `optim.adamw param, grad, expAvg, expAvgSq, step [lr_scale lrScale]`:
/// tensors of one type, an i64 step (the 1-based step count) and an
/// optional f32 learning-rate factor (a null value for none). Returns a
/// verified operation not yet inserted anywhere, or a null operation after
/// reporting the verifier's diagnostics to the context's handlers.
MLIR_CAPI_EXPORTED MlirOperation optgraphAdamWOpCreate(
    MlirLocation location, MlirValue param, MlirValue grad, MlirValue expAvg,
    MlirValue expAvgSq, MlirValue step, MlirValue lrScale,
    OptgraphAdamWOptions options);

/// `optim.lowrank_adamw param, grad, expAvg, expAvgSq, subspace, step
/// [lr_scale lrScale]`: the rank is the size of `subspace`. As above.
MLIR_CAPI_EXPORTED MlirOperation optgraphLowRankAdamWOpCreate(
    MlirLocation location, MlirValue param, MlirValue grad, MlirValue expAvg,
    MlirValue expAvgSq, MlirValue subspace, MlirValue step, MlirValue lrScale,
    OptgraphAdamWOptions adamw, OptgraphLowRankOptions lowRank);

#ifdef __cplusplus
}
#endif

#endif // OPTGRAPH_C_OPTIM_H
