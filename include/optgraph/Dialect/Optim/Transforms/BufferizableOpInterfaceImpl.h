//===- BufferizableOpInterfaceImpl.h - optim bufferization ------*- C++ -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace optgraph::optim {

/// Lets one-shot bufferization place the buffers of `optim.launch`.
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);

} // namespace optgraph::optim

#endif // OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
