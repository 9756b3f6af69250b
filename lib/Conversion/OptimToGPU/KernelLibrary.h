//===- KernelLibrary.h - the GPU module of the kernels ----------*- C++ -*-===//
//
// Private to the optim → GPU conversion.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELLIBRARY_H
#define OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELLIBRARY_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace optgraph {

/// The `gpu.module` the lowering emits kernels into. A kernel is created
/// once per name (which encodes everything its code depends on: shapes,
/// side, basis kind, norm) and shared by every launch that needs it.
class KernelLibrary {
public:
  static constexpr llvm::StringLiteral kModuleName = "optgraph_kernels";

  explicit KernelLibrary(mlir::ModuleOp module);

  mlir::gpu::GPUModuleOp getModule();

  /// The kernel `name`, emitted by `emitBody` (which must not terminate the
  /// body) if it does not exist yet.
  mlir::gpu::GPUFuncOp
  getOrCreate(llvm::StringRef name, mlir::TypeRange arguments,
              mlir::TypeRange workgroupBuffers,
              llvm::ArrayRef<int32_t> blockSize,
              llvm::function_ref<void(mlir::OpBuilder &, mlir::gpu::GPUFuncOp)>
                  emitBody);

  /// @optgraph_kernels::@name
  mlir::SymbolRefAttr symbolOf(mlir::gpu::GPUFuncOp kernel);

  /// Inside a kernel: the table cos(π·p/(2N)), p < 4N, as a constant global
  /// of the GPU module.
  mlir::Value cosineTable(mlir::OpBuilder &b, mlir::Location loc, int64_t size);

private:
  mlir::ModuleOp module;
  mlir::gpu::GPUModuleOp gpuModule;
};

} // namespace optgraph

#endif // OPTGRAPH_LIB_CONVERSION_OPTIMTOGPU_KERNELLIBRARY_H
