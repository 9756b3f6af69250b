//===- Passes.h - optgraph conversion passes --------------------*- C++ -*-===//

#ifndef OPTGRAPH_CONVERSION_PASSES_H
#define OPTGRAPH_CONVERSION_PASSES_H

#include "optgraph/Conversion/GPUToHostEmulation/GPUToHostEmulation.h"
#include "optgraph/Conversion/OptimToGPU/OptimToGPU.h"
#include "optgraph/Conversion/OptimToLinalg/OptimToLinalg.h"

namespace optgraph {

#define GEN_PASS_REGISTRATION
#include "optgraph/Conversion/Passes.h.inc"

} // namespace optgraph

#endif // OPTGRAPH_CONVERSION_PASSES_H
