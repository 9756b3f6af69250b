//===- GPUToHostEmulation.cpp - GPU kernels as host functions -------------===//
//
// Each kernel becomes a host function called once per GPU thread with that
// thread's OptgraphEmuThread (include/optgraph/Runtime/CudaEmulation.h),
// plus a wrapper taking cuLaunchKernel's parameters and an info table. The
// rest of the kernel (arith, math, memref, scf) is left to the CPU path's
// LLVM lowering, so what runs is the kernel IR that ptxas compiles, minus
// the NVVM lowering.
//
//===----------------------------------------------------------------------===//

#include "optgraph/Conversion/GPUToHostEmulation/GPUToHostEmulation.h"
#include "optgraph/Runtime/CudaEmulation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

namespace optgraph {
#define GEN_PASS_DEF_OPTGRAPHGPUTOHOSTEMULATION
#include "optgraph/Conversion/Passes.h.inc"
} // namespace optgraph

using namespace mlir;

namespace {

/// Fields of OptgraphEmuThread, in declaration order.
enum ThreadField : int32_t {
  kBarrierField = 0,
  kThreadIdField = 1,
  kBlockIdField = 2,
  kBlockDimField = 3,
  kGridDimField = 4
};

/// Workgroup attributions start at multiples of this in `shared`.
constexpr int64_t kSharedAlignment = 16;

LLVM::LLVMStructType threadType(MLIRContext *ctx) {
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto dims = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 32), 3);
  return LLVM::LLVMStructType::getLiteral(ctx, {ptr, dims, dims, dims, dims});
}

/// The first op of the GPU module that cannot run on the host, if any.
LogicalResult checkEmulatable(gpu::GPUModuleOp gpuModule) {
  WalkResult result = gpuModule.walk([](Operation *op) {
    auto fail = [&](const Twine &why) {
      op->emitOpError() << "cannot be emulated on the host: " << why;
      return WalkResult::interrupt();
    };
    if (auto func = dyn_cast<gpu::GPUFuncOp>(op)) {
      if (!func.isKernel())
        return fail("device functions are not supported");
      if (func.getNumPrivateAttributions() != 0)
        return fail("private attributions are not supported");
      return WalkResult::advance();
    }
    if (isa<gpu::GPUModuleOp, gpu::ReturnOp, gpu::ThreadIdOp, gpu::BlockIdOp,
            gpu::BlockDimOp, gpu::GridDimOp, gpu::BarrierOp>(op))
      return WalkResult::advance();
    if (auto atomic = dyn_cast<memref::AtomicRMWOp>(op))
      if (!atomic.getType().isIntOrIndex())
        return fail("float atomics are not supported (their order, hence "
                    "their rounding, differs between runs)");
    if (isa<arith::ArithDialect, cf::ControlFlowDialect, index::IndexDialect,
            math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
            ub::UBDialect, vector::VectorDialect>(op->getDialect()))
      return WalkResult::advance();
    return fail("only arith, math, memref, scf, cf, index, ub and vector "
                "ops and gpu thread ids and barriers are supported");
  });
  return failure(result.wasInterrupted());
}

/// Drops GPU address spaces from every memref type in `op`.
void dropGpuAddressSpaces(Operation *op) {
  AttrTypeReplacer replacer;
  replacer.addReplacement([](MemRefType type) -> std::optional<Type> {
    if (!isa_and_nonnull<gpu::AddressSpaceAttr>(type.getMemorySpace()))
      return std::nullopt;
    return MemRefType::get(type.getShape(), type.getElementType(),
                           type.getLayout());
  });
  replacer.recursivelyReplaceElementsIn(op, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
}

/// `thread->field[dim]` as an index.
Value loadThreadField(OpBuilder &b, Location loc, Value thread,
                      ThreadField field, gpu::Dimension dim) {
  MLIRContext *ctx = b.getContext();
  Value address = LLVM::GEPOp::create(
      b, loc, LLVM::LLVMPointerType::get(ctx), threadType(ctx), thread,
      ArrayRef<LLVM::GEPArg>{0, field, static_cast<int32_t>(dim)});
  Value value = LLVM::LoadOp::create(b, loc, b.getI32Type(), address);
  return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), value);
}

/// Moves `kernel`'s body into a private host function taking the kernel's
/// arguments, its workgroup attributions and the thread; returns the
/// number of barrier sites.
int64_t convertKernel(gpu::GPUFuncOp kernel, ModuleOp module,
                      IRRewriter &rewriter) {
  MLIRContext *ctx = module.getContext();
  Location loc = kernel.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  Block &entry = kernel.getBody().front();
  Value thread = entry.addArgument(ptr, loc);

  rewriter.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(
      rewriter, loc, kernel.getName(),
      FunctionType::get(ctx, entry.getArgumentTypes(), {}));
  // Internal: LLVM inlines the kernel into its wrapper.
  func.setPrivate();
  func->setAttr("llvm.linkage",
                LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  rewriter.inlineRegionBefore(kernel.getBody(), func.getBody(), func.end());

  int32_t sites = 0;
  auto barrierType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                                 {ptr, rewriter.getI32Type()});
  func.walk([&](Operation *op) {
    rewriter.setInsertionPoint(op);
    Location opLoc = op->getLoc();
    auto replaceWithField = [&](ThreadField field, gpu::Dimension dim) {
      rewriter.replaceOp(op,
                         loadThreadField(rewriter, opLoc, thread, field, dim));
    };
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
      replaceWithField(kThreadIdField, id.getDimension());
    else if (auto id = dyn_cast<gpu::BlockIdOp>(op))
      replaceWithField(kBlockIdField, id.getDimension());
    else if (auto dim = dyn_cast<gpu::BlockDimOp>(op))
      replaceWithField(kBlockDimField, dim.getDimension());
    else if (auto dim = dyn_cast<gpu::GridDimOp>(op))
      replaceWithField(kGridDimField, dim.getDimension());
    else if (isa<gpu::BarrierOp>(op)) {
      Value barrier = LLVM::LoadOp::create(rewriter, opLoc, ptr, thread);
      Value site = LLVM::ConstantOp::create(
          rewriter, opLoc, rewriter.getI32IntegerAttr(sites++));
      LLVM::CallOp::create(rewriter, opLoc, barrierType,
                           ValueRange{barrier, thread, site});
      rewriter.eraseOp(op);
    } else if (isa<gpu::ReturnOp>(op)) {
      rewriter.replaceOpWithNewOp<func::ReturnOp>(op);
    }
  });
  return sites;
}

/// The flattened kernel parameters of `type` (gpu-to-llvm's order) and
/// their byte sizes.
FailureOr<SmallVector<Type>> parameterFields(Type type, Location loc) {
  MLIRContext *ctx = type.getContext();
  auto i64 = IntegerType::get(ctx, 64);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  if (auto memref = dyn_cast<MemRefType>(type)) {
    SmallVector<Type> fields = {ptr, ptr, i64};
    fields.append(2 * memref.getRank(), i64);
    return fields;
  }
  if (type.isIndex())
    return SmallVector<Type>{i64};
  if (type.isIntOrFloat() && type.getIntOrFloatBitWidth() % 8 == 0)
    return SmallVector<Type>{type};
  return emitError(loc) << "cannot pass a kernel argument of type " << type
                        << " to the emulated kernel";
}

int64_t byteSize(Type type) {
  if (isa<LLVM::LLVMPointerType>(type))
    return 8;
  return type.getIntOrFloatBitWidth() / 8;
}

/// A memref from its descriptor fields (allocated, aligned, offset, sizes,
/// strides); the casts meet their inverses in the LLVM lowering.
Value buildMemRef(OpBuilder &b, Location loc, MemRefType type,
                  ArrayRef<Value> fields) {
  MLIRContext *ctx = b.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  SmallVector<Type> members = {ptr, ptr, i64};
  int64_t rank = type.getRank();
  if (rank > 0) {
    auto array = LLVM::LLVMArrayType::get(i64, rank);
    members.append({array, array});
  }
  auto structType = LLVM::LLVMStructType::getLiteral(ctx, members);
  Value descriptor = LLVM::PoisonOp::create(b, loc, structType);
  for (int64_t i = 0; i < 3; ++i)
    descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, fields[i],
                                             ArrayRef<int64_t>{i});
  for (int64_t i = 0; i < rank; ++i) {
    descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, fields[3 + i],
                                             ArrayRef<int64_t>{3, i});
    descriptor = LLVM::InsertValueOp::create(
        b, loc, descriptor, fields[3 + rank + i], ArrayRef<int64_t>{4, i});
  }
  return UnrealizedConversionCastOp::create(b, loc, type, descriptor)
      .getResult(0);
}

/// `void NAME__emu(void **kernelParams, char *shared, thread)` and
/// `NAME__emu_info`.
LogicalResult buildWrapper(func::FuncOp kernel, unsigned numArguments,
                           ArrayRef<int32_t> knownBlockSize, int64_t sites,
                           ModuleOp module, OpBuilder &b) {
  MLIRContext *ctx = module.getContext();
  Location loc = kernel.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  std::string name = kernel.getName().str();

  b.setInsertionPointToEnd(module.getBody());
  auto wrapper =
      func::FuncOp::create(b, loc, name + OPTGRAPH_EMU_KERNEL_SUFFIX,
                           FunctionType::get(ctx, {ptr, ptr, ptr}, {}));
  Block *body = wrapper.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value params = body->getArgument(0), shared = body->getArgument(1),
        thread = body->getArgument(2);

  SmallVector<int64_t> paramBytes;
  SmallVector<Value> arguments;
  ArrayRef<Type> types = kernel.getArgumentTypes();
  for (Type type : types.take_front(numArguments)) {
    FailureOr<SmallVector<Type>> fields = parameterFields(type, loc);
    if (failed(fields))
      return failure();
    SmallVector<Value> values;
    for (Type field : *fields) {
      Value slot = LLVM::GEPOp::create(
          b, loc, ptr, ptr, params,
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(paramBytes.size())});
      Value address = LLVM::LoadOp::create(b, loc, ptr, slot);
      values.push_back(LLVM::LoadOp::create(b, loc, field, address));
      paramBytes.push_back(byteSize(field));
    }
    if (auto memref = dyn_cast<MemRefType>(type))
      arguments.push_back(buildMemRef(b, loc, memref, values));
    else if (type.isIndex())
      arguments.push_back(
          arith::IndexCastOp::create(b, loc, b.getIndexType(), values[0]));
    else
      arguments.push_back(values[0]);
  }

  int64_t sharedBytes = 0;
  for (Type type : types.drop_front(numArguments).drop_back()) {
    auto memref = cast<MemRefType>(type);
    if (!memref.hasStaticShape() || !memref.getLayout().isIdentity() ||
        !memref.getElementType().isIntOrFloat())
      return emitError(loc) << "cannot emulate the workgroup attribution of "
                               "type "
                            << type << ": it needs a static identity layout";
    int64_t offset = llvm::alignTo(sharedBytes, kSharedAlignment);
    sharedBytes =
        offset + memref.getNumElements() *
                     llvm::divideCeil(memref.getElementTypeBitWidth(), 8);
    Value base = LLVM::GEPOp::create(
        b, loc, ptr, b.getI8Type(), shared,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(offset)});
    auto constant = [&](int64_t value) -> Value {
      return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(value));
    };
    SmallVector<Value> fields = {base, base, constant(0)};
    for (int64_t size : memref.getShape())
      fields.push_back(constant(size));
    int64_t stride = 1;
    SmallVector<Value> strides;
    for (int64_t size : llvm::reverse(memref.getShape())) {
      strides.push_back(constant(stride));
      stride *= size;
    }
    fields.append(strides.rbegin(), strides.rend());
    arguments.push_back(buildMemRef(b, loc, memref, fields));
  }
  arguments.push_back(thread);
  func::CallOp::create(b, loc, kernel, arguments);
  func::ReturnOp::create(b, loc);

  SmallVector<int64_t> info = {kEmuInfoVersion};
  for (int i = 0; i < 3; ++i)
    info.push_back(knownBlockSize.empty() ? 0 : knownBlockSize[i]);
  info.append({sites, sharedBytes, static_cast<int64_t>(paramBytes.size())});
  info.append(paramBytes);
  b.setInsertionPointToEnd(module.getBody());
  auto infoType =
      RankedTensorType::get({static_cast<int64_t>(info.size())}, i64);
  LLVM::GlobalOp::create(b, loc, LLVM::LLVMArrayType::get(i64, info.size()),
                         /*isConstant=*/true, LLVM::Linkage::External,
                         name + OPTGRAPH_EMU_INFO_SUFFIX,
                         DenseIntElementsAttr::get(infoType, info));
  return success();
}

struct GpuToHostEmulationPass
    : public optgraph::impl::OptgraphGpuToHostEmulationBase<
          GpuToHostEmulationPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto gpuModule :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
      if (failed(optgraph::lowerGpuModuleToHostEmulation(gpuModule, module)))
        return signalPassFailure();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace

LogicalResult
optgraph::lowerGpuModuleToHostEmulation(gpu::GPUModuleOp gpuModule,
                                        ModuleOp module) {
  if (failed(checkEmulatable(gpuModule)))
    return failure();
  SymbolTable symbols(module);
  for (Operation &op : gpuModule.getBody()->without_terminator()) {
    auto symbol = dyn_cast<SymbolOpInterface>(op);
    if (!symbol)
      continue;
    for (StringRef name :
         {symbol.getName().str(),
          (symbol.getName() + OPTGRAPH_EMU_KERNEL_SUFFIX).str(),
          (symbol.getName() + OPTGRAPH_EMU_INFO_SUFFIX).str()})
      if (symbols.lookup(name))
        return op.emitOpError() << "cannot be emulated: the module already "
                                   "defines '"
                                << name << "'";
  }
  dropGpuAddressSpaces(gpuModule);

  IRRewriter rewriter(module.getContext());
  for (Operation &op :
       llvm::make_early_inc_range(gpuModule.getBody()->without_terminator())) {
    auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
    if (!kernel) {
      op.moveBefore(module.getBody(), module.getBody()->end());
      continue;
    }
    SmallVector<int32_t> knownBlockSize;
    if (std::optional<ArrayRef<int32_t>> size = kernel.getKnownBlockSize())
      knownBlockSize.assign(size->begin(), size->end());
    unsigned numArguments = kernel.getNumArguments();
    int64_t sites = convertKernel(kernel, module, rewriter);
    auto func = cast<func::FuncOp>(module.getBody()->back());
    if (failed(buildWrapper(func, numArguments, knownBlockSize, sites, module,
                            rewriter)))
      return failure();
    rewriter.eraseOp(kernel);
  }
  rewriter.eraseOp(gpuModule);
  return success();
}
