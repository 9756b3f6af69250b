//===- StepLibrary.cpp - compile a step function to a shared library ------===//

#include "optgraph/Target/StepLibrary.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"
#include "optgraph/Pipelines/Pipelines.h"
#include "optgraph/Runtime/CudaEmulation.h"
#include "optgraph/Runtime/FileTransaction.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Instrumentation/AddressSanitizer.h"
#include "llvm/Transforms/Instrumentation/ThreadSanitizer.h"

using namespace mlir;
using namespace optgraph;

static constexpr llvm::StringLiteral kBodyName = "optgraph_step_body";

//===----------------------------------------------------------------------===//
// Signature
//===----------------------------------------------------------------------===//

/// Names become file names (NAME.npy), so they stay within a portable set.
/// The largest index + 1 that an index tensor may hold, from the ops that
/// consume it; 0 when nothing bounds it.
static int64_t indexBoundOf(Value value) {
  for (Operation *user : value.getUsers()) {
    if (auto op = dyn_cast<optim::LowRankAdamWOp>(user)) {
      if (op.getIndices() != value)
        continue;
      ArrayRef<int64_t> shape = op.getParam().getType().getShape();
      return op.getResolvedSide() == optim::Side::right ? shape[1] : shape[0];
    }
    if (auto op = dyn_cast<optim::ProjectOp>(user))
      return op.getBasis().getType().getDimSize(0);
    if (auto op = dyn_cast<optim::ProjectBackOp>(user))
      return op.getBasis().getType().getDimSize(0);
  }
  return 0;
}

static FailureOr<StepTensor> describe(Location loc, Type type, StringRef what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return emitError(loc) << what << " must be a statically shaped tensor, got "
                          << type;
  StepTensor result;
  if (tensor.getElementType().isF32())
    result.dtype = "<f4";
  else if (tensor.getElementType().isInteger(64))
    result.dtype = "<i8";
  else
    return emitError(loc) << what << " must hold f32 or i64 elements, got "
                          << type;
  result.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return result;
}

FailureOr<StepSignature> optgraph::analyzeStepFunction(ModuleOp module,
                                                       StringRef entry) {
  func::FuncOp func;
  if (!entry.empty()) {
    func = module.lookupSymbol<func::FuncOp>(entry);
    if (!func || func.isDeclaration())
      return emitError(module.getLoc())
             << "no function named '" << entry << "' with a body";
  } else {
    SmallVector<func::FuncOp> candidates;
    for (auto f : module.getOps<func::FuncOp>())
      if (f.isPublic() && !f.isDeclaration())
        candidates.push_back(f);
    if (candidates.size() != 1)
      return emitError(module.getLoc())
             << "expected exactly one public function with a body, found "
             << candidates.size() << "; choose one with --entry";
    func = candidates.front();
  }

  StepSignature signature;
  signature.entry = func.getSymName().str();
  llvm::StringMap<size_t> inputByName;
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    std::string what = "argument #" + std::to_string(i);
    FailureOr<StepTensor> tensor = describe(arg.getLoc(), arg.getType(), what);
    if (failed(tensor))
      return failure();
    auto name = func.getArgAttrOfType<StringAttr>(
        i, optim::OptimDialect::kNameAttrName);
    auto role = func.getArgAttrOfType<StringAttr>(
        i, optim::OptimDialect::kRoleAttrName);
    tensor->name = name ? name.str() : "arg" + std::to_string(i);
    tensor->role = role ? role.str() : "input";
    if (!inputByName.try_emplace(tensor->name, i).second)
      return emitError(arg.getLoc())
             << what << " reuses the name '" << tensor->name << "'";
    if (tensor->dtype == "<i8")
      tensor->indexBound = indexBoundOf(arg);
    signature.inputs.push_back(std::move(*tensor));
  }

  llvm::StringSet<> outputNames;
  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    std::string what = "result #" + std::to_string(i);
    FailureOr<StepTensor> tensor = describe(func.getLoc(), type, what);
    if (failed(tensor))
      return failure();
    auto name = func.getResultAttrOfType<StringAttr>(
        i, optim::OptimDialect::kNameAttrName);
    tensor->name = name ? name.str() : "result" + std::to_string(i);
    tensor->role = "output";
    if (!outputNames.insert(tensor->name).second)
      return emitError(func.getLoc())
             << what << " reuses the name '" << tensor->name << "'";
    // A result named like an input is that input's next value.
    auto it = inputByName.find(tensor->name);
    if (it != inputByName.end()) {
      const StepTensor &input = signature.inputs[it->second];
      if (input.shape != tensor->shape || input.dtype != tensor->dtype)
        return emitError(func.getLoc())
               << what << " '" << tensor->name
               << "' updates the input of that name but its type " << type
               << " differs from the input's "
               << func.getArgument(it->second).getType();
      tensor->role = input.role;
      tensor->indexBound = input.indexBound;
    }
    signature.outputs.push_back(std::move(*tensor));
  }
  return signature;
}

/// On CUDA, scalars the host reads (the step count, schedule factors) stay
/// in host memory; every other tensor is device memory.
static bool isHostTensor(const StepTensor &tensor, StepTarget target) {
  return target == StepTarget::Cpu || tensor.shape.empty();
}

std::string optgraph::renderManifest(const StepSignature &signature,
                                     StepTarget target) {
  auto tensors = [&](const std::vector<StepTensor> &list) {
    llvm::json::Array array;
    for (const StepTensor &t : list) {
      llvm::json::Object object{
          {"name", t.name},
          {"role", t.role},
          {"dtype", t.dtype},
          {"shape", llvm::json::Array(t.shape)},
          {"memory", isHostTensor(t, target) ? "host" : "device"}};
      if (t.indexBound)
        object["index_bound"] = t.indexBound;
      array.push_back(std::move(object));
    }
    return array;
  };
  llvm::json::Object manifest{
      {"abi", 2},
      {"target", target == StepTarget::Cpu ? "cpu" : "cuda"},
      {"entry", signature.entry},
      {"inputs", tensors(signature.inputs)},
      {"outputs", tensors(signature.outputs)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
  return text;
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// Writes `contents` to a new file at `path`.
static LogicalResult writeFile(StringRef path, StringRef contents,
                               Location loc) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec) {
    os << contents;
    os.close();
    ec = os.error();
  }
  if (ec)
    return emitError(loc) << "cannot write '" << path << "': " << ec.message();
  return success();
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

/// `int optgraph_step(void **buffers, char *error, size_t size)`: inputs,
/// then outputs, in manifest order; 0 on success, else 1 and a message in
/// `error`. And the manifest itself as `const char optgraph_manifest[]`. The
/// lowered body takes every memref expanded as (allocated, aligned, offset,
/// sizes..., strides...); the wrapper builds those from dense row-major
/// buffers. A CUDA step is bracketed by the runtime's begin/end calls, which
/// make the context current and report the step's first CUDA error.
static LogicalResult addStepABI(llvm::Module &module,
                                const StepSignature &signature,
                                StepTarget target, Location loc) {
  llvm::Function *body = module.getFunction(kBodyName);
  SmallVector<const StepTensor *> tensors;
  size_t expectedArgs = 0;
  for (const auto *list : {&signature.inputs, &signature.outputs})
    for (const StepTensor &tensor : *list) {
      tensors.push_back(&tensor);
      expectedArgs += 3 + 2 * tensor.shape.size();
    }
  if (!body || body->arg_size() != expectedArgs)
    return emitError(loc) << "lowered step function has an unexpected "
                             "signature; expected "
                          << expectedArgs << " memref descriptor fields";
  body->setLinkage(llvm::GlobalValue::InternalLinkage);
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *type = llvm::FunctionType::get(i32, {ptr, ptr, i64}, false);
  auto *step = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                      "optgraph_step", module);
  llvm::Value *error = step->getArg(1), *errorSize = step->getArg(2);
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(ctx, "entry", step));
  auto *statusType = llvm::FunctionType::get(i32, {ptr, i64}, false);
  if (target == StepTarget::Cuda) {
    llvm::FunctionCallee begin =
        module.getOrInsertFunction("optgraph_cuda_begin_step", statusType);
    llvm::Value *status = builder.CreateCall(begin, {error, errorSize});
    auto *run = llvm::BasicBlock::Create(ctx, "run", step);
    auto *fail = llvm::BasicBlock::Create(ctx, "fail", step);
    builder.CreateCondBr(builder.CreateICmpEQ(status, builder.getInt32(0)), run,
                         fail);
    builder.SetInsertPoint(fail);
    builder.CreateRet(status);
    builder.SetInsertPoint(run);
  }
  SmallVector<llvm::Value *> args;
  for (auto [i, tensor] : llvm::enumerate(tensors)) {
    llvm::Value *buffer = builder.CreateLoad(
        ptr, builder.CreateConstGEP1_64(ptr, step->getArg(0), i));
    args.append({buffer, buffer, builder.getInt64(0)});
    for (int64_t size : tensor->shape)
      args.push_back(builder.getInt64(size));
    int64_t stride = 1;
    SmallVector<llvm::Value *> strides;
    for (int64_t size : llvm::reverse(tensor->shape)) {
      strides.push_back(builder.getInt64(stride));
      stride *= size;
    }
    args.append(strides.rbegin(), strides.rend());
  }
  builder.CreateCall(body, args);
  if (target == StepTarget::Cuda) {
    llvm::FunctionCallee end =
        module.getOrInsertFunction("optgraph_cuda_end_step", statusType);
    builder.CreateRet(builder.CreateCall(end, {error, errorSize}));
  } else {
    builder.CreateRet(builder.getInt32(0));
  }
  auto *manifest = llvm::ConstantDataArray::getString(
      ctx, renderManifest(signature, target), /*AddNull=*/true);
  new llvm::GlobalVariable(module, manifest->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, manifest,
                           "optgraph_manifest");
  return success();
}

static std::unique_ptr<llvm::TargetMachine>
createHostTargetMachine(StringRef cpu, Location loc) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    emitError(loc) << "no LLVM target for " << triple.str() << ": " << error;
    return nullptr;
  }
  std::string cpuName = cpu.str();
  std::string features;
  if (cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (feature.second ? "+" : "-") + feature.first().str() + ",";
  }
  // LLVM ignores an unknown CPU with a warning and may then abort in code
  // generation ("64-bit code requested on a subtarget that doesn't support
  // it"): reject it here.
  std::unique_ptr<llvm::MCSubtargetInfo> subtargets(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!subtargets || !subtargets->isCPUStringValid(cpuName)) {
    emitError(loc) << "unknown CPU '" << cpuName << "' for " << triple.str()
                   << " (try native, x86-64-v2, x86-64-v3 or generic)";
    return nullptr;
  }
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    emitError(loc) << "cannot create a target machine for CPU '" << cpuName
                   << "'";
  return machine;
}

/// Optimizes `module` at O3, instrumented with `sanitizer` as clang does:
/// every function definition asks for it, the pass runs last.
static void optimize(llvm::Module &module, llvm::TargetMachine &machine,
                     EmulationSanitizer sanitizer = EmulationSanitizer::None) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  if (sanitizer != EmulationSanitizer::None) {
    for (llvm::Function &function : module)
      if (!function.isDeclaration())
        function.addFnAttr(sanitizer == EmulationSanitizer::Address
                               ? llvm::Attribute::SanitizeAddress
                               : llvm::Attribute::SanitizeThread);
    builder.registerOptimizerLastEPCallback(
        [sanitizer](llvm::ModulePassManager &passes, llvm::OptimizationLevel,
                    llvm::ThinOrFullLTOPhase) {
          if (sanitizer == EmulationSanitizer::Address) {
            passes.addPass(
                llvm::AddressSanitizerPass(llvm::AddressSanitizerOptions()));
            return;
          }
          passes.addPass(llvm::ModuleThreadSanitizerPass());
          passes.addPass(llvm::createModuleToFunctionPassAdaptor(
              llvm::ThreadSanitizerPass()));
        });
  }
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, mam);
}

/// libOptgraphCudaRuntime.a in the lib directory beside the running tool's
/// bin directory (the build tree and the install tree both look like that).
static FailureOr<std::string> findCudaRuntimeArchive(Location loc) {
  std::string tool = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&findCudaRuntimeArchive));
  SmallString<256> path(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(tool)));
  llvm::sys::path::append(path, "lib", "libOptgraphCudaRuntime.a");
  if (!llvm::sys::fs::exists(path))
    return emitError(loc) << "cannot find the CUDA runtime library '" << path
                          << "' that CUDA steps link";
  return std::string(path);
}

/// Removes a file when it goes out of scope unless released.
struct TemporaryFile {
  std::string path;
  ~TemporaryFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

/// The emulated driver's side-car of the library at `libraryPath`: X.so →
/// X.emu.so, any other name NAME → NAME.emu.so (CudaEmulation.h).
std::string optgraph::emulationLibraryPath(StringRef libraryPath) {
  StringRef stem = libraryPath;
  stem.consume_back(".so");
  return (stem + OPTGRAPH_EMU_LIBRARY_SUFFIX).str();
}

/// Translates `module` (LLVM dialect) to LLVM IR for `machine`, optimized.
static std::unique_ptr<llvm::Module>
translateForHost(ModuleOp module, llvm::LLVMContext &llvmContext,
                 llvm::TargetMachine &machine, StringRef name) {
  // Argument attributes (names, roles, bufferization hints) have no meaning
  // in LLVM IR.
  module.walk([](LLVM::LLVMFuncOp f) {
    f.setArgAttrsAttr(nullptr);
    f.setResAttrsAttr(nullptr);
  });
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, name);
  if (!llvmModule) {
    emitError(module.getLoc()) << "translation to LLVM IR failed";
    return nullptr;
  }
  llvmModule->setDataLayout(machine.createDataLayout());
  llvmModule->setTargetTriple(machine.getTargetTriple());
  return llvmModule;
}

/// Compiles `module` to an object file and links it into a shared library at
/// `path` with the system compiler, adding `libraries` to the link.
static LogicalResult
linkSharedLibrary(llvm::Module &module, llvm::TargetMachine &machine,
                  StringRef path, StringRef driverName,
                  ArrayRef<StringRef> libraries, Location loc,
                  EmulationSanitizer sanitizer = EmulationSanitizer::None) {
  optimize(module, machine, sanitizer);
  TemporaryFile object;
  {
    int fd;
    SmallString<256> objectPath;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "optgraph-step", "o", fd, objectPath))
      return emitError(loc)
             << "cannot create a temporary object file: " << ec.message();
    object.path = std::string(objectPath);
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    llvm::legacy::PassManager codegen;
    if (machine.addPassesToEmitFile(codegen, os, nullptr,
                                    llvm::CodeGenFileType::ObjectFile))
      return emitError(loc) << "the target cannot emit object files";
    codegen.run(module);
  }
  llvm::ErrorOr<std::string> linker = llvm::sys::findProgramByName(driverName);
  if (!linker)
    return emitError(loc) << "cannot find the system compiler '" << driverName
                          << "' to link the shared library";
  std::string errorMessage;
  SmallVector<StringRef> args = {*linker, "-shared", "-o", path, object.path};
  args.append(libraries.begin(), libraries.end());
  int status = llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, {}, 0, 0,
                                         &errorMessage);
  if (status != 0)
    return emitError(loc) << "linking a shared library failed"
                          << (errorMessage.empty() ? "" : ": ") << errorMessage;
  return success();
}

/// --emit-kernels and --kernels: prints the generated gpu.module to
/// `emitted`, and replaces it by the one of a file.
static LogicalResult exchangeKernels(ModuleOp module,
                                     const StepLibraryOptions &options,
                                     std::string &emitted) {
  auto generated = llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
  if (!options.emitKernelsPath.empty()) {
    llvm::raw_string_ostream os(emitted);
    for (gpu::GPUModuleOp gpuModule : generated)
      os << gpuModule << "\n";
  }
  if (options.kernelsPath.empty())
    return success();
  OwningOpRef<ModuleOp> file =
      parseSourceFile<ModuleOp>(options.kernelsPath, module.getContext());
  if (!file)
    return failure();
  auto replacements = llvm::to_vector(file->getOps<gpu::GPUModuleOp>());
  if (replacements.empty())
    return emitError(file->getLoc())
           << "'" << options.kernelsPath << "' holds no gpu.module";
  for (gpu::GPUModuleOp gpuModule : generated)
    gpuModule.erase();
  for (gpu::GPUModuleOp gpuModule : replacements)
    module.push_back(gpuModule->clone());
  // The host code launches kernels by name and argument list.
  if (failed(verify(module)))
    return emitError(file->getLoc())
           << "the kernels of '" << options.kernelsPath
           << "' do not match the launches of the step";
  return success();
}

LogicalResult optgraph::compileStepLibrary(ModuleOp module,
                                           const StepSignature &signature,
                                           StringRef outputPath,
                                           StringRef manifestPath,
                                           const StepLibraryOptions &options) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  auto func = module.lookupSymbol<func::FuncOp>(signature.entry);
  // The caller's buffers are read-only: results always get buffers of their
  // own, so a step never clobbers its inputs.
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    func.setArgAttr(i, "bufferization.writable", BoolAttr::get(ctx, false));
  if (failed(SymbolTable::replaceAllSymbolUses(
          func, StringAttr::get(ctx, kBodyName), module)))
    return emitError(loc) << "cannot rename the entry function";
  SymbolTable::setSymbolName(func, kBodyName);
  bool cuda = options.target == StepTarget::Cuda;
  bool emulation = cuda && options.cuda.emulationLibrary;

  // On CUDA the kernels are cloned for the emulator between generation and
  // serialization: the side-car runs exactly what ptxas compiles.
  OwningOpRef<ModuleOp> kernels;
  std::string emittedKernels;
  {
    PassManager pm(ctx);
    if (cuda)
      addCudaKernelGeneration(pm);
    else
      buildCpuPipeline(pm, options.cpu);
    if (failed(pm.run(module)))
      return failure();
  }
  if (cuda) {
    if (failed(exchangeKernels(module, options, emittedKernels)))
      return failure();
    if (emulation) {
      kernels = ModuleOp::create(loc);
      for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
        kernels->push_back(gpuModule->clone());
      PassManager pm(ctx);
      buildGpuEmulationPipeline(pm);
      if (failed(pm.run(*kernels)))
        return failure();
    }
    PassManager pm(ctx);
    addCudaKernelSerialization(pm, options.cuda);
    if (failed(pm.run(module)))
      return failure();
  }

  std::unique_ptr<llvm::TargetMachine> machine =
      createHostTargetMachine(options.hostCpu, loc);
  if (!machine)
    return failure();
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateForHost(module, llvmContext, *machine, "optgraph_step");
  if (!llvmModule ||
      failed(addStepABI(*llvmModule, signature, options.target, loc)))
    return failure();
  std::unique_ptr<llvm::Module> kernelModule;
  if (kernels) {
    kernelModule = translateForHost(*kernels, llvmContext, *machine,
                                    "optgraph_step_kernels");
    if (!kernelModule)
      return failure();
  }

  // The CUDA runtime (C++) is linked in, so that the library needs nothing
  // but the driver on the GPU machine.
  std::string runtimeArchive;
  if (cuda) {
    FailureOr<std::string> archive = findCudaRuntimeArchive(loc);
    if (failed(archive))
      return failure();
    runtimeArchive = *archive;
  }
  // The library, its manifest and its side-car appear together or not at
  // all; a failure leaves whatever was at their paths as it was.
  runtime::FileTransaction outputs;
  std::string error;
  std::string library = outputs.add(outputPath.str(), error);
  std::string manifest =
      library.empty() ? "" : outputs.add(manifestPath.str(), error);
  std::string sideCar;
  if (!manifest.empty() && kernelModule)
    sideCar = outputs.add(emulationLibraryPath(outputPath), error);
  std::string kernelsFile;
  if (!options.emitKernelsPath.empty() && !manifest.empty())
    kernelsFile = outputs.add(options.emitKernelsPath, error);
  if (manifest.empty() || (kernelModule && sideCar.empty()) ||
      (!options.emitKernelsPath.empty() && kernelsFile.empty()))
    return emitError(loc) << error;
  SmallVector<StringRef> libraries;
  if (cuda)
    libraries.append({runtimeArchive, "-ldl"});
  libraries.push_back("-lm");
  if (failed(linkSharedLibrary(*llvmModule, *machine, library,
                               cuda ? "c++" : "cc", libraries, loc)))
    return failure();
  if (kernelModule &&
      failed(linkSharedLibrary(*kernelModule, *machine, sideCar, "cc", {"-lm"},
                               loc, options.cuda.emulationSanitizer)))
    return failure();
  if (failed(writeFile(manifest, renderManifest(signature, options.target),
                       loc)) ||
      (!kernelsFile.empty() &&
       failed(writeFile(kernelsFile, emittedKernels, loc))))
    return failure();
  if (!outputs.commit(error))
    return emitError(loc) << error;
  return success();
}
