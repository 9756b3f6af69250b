//===- optgraph-compile.cpp - step.mlir to step.so ------------------------===//
//
// Compiles the step function of an optim module into a shared library with
// the step C ABI, and writes its JSON manifest beside it.
//
//===----------------------------------------------------------------------===//

#include "optgraph/InitAll.h"
#include "optgraph/Target/StepLibrary.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("optgraph-compile options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<step.mlir>"),
                                          cl::init("-"), cl::cat(category));
static cl::opt<std::string> outputFilename("o", cl::desc("Output library"),
                                           cl::value_desc("step.so"),
                                           cl::Required, cl::cat(category));
static cl::opt<std::string>
    manifestFilename("manifest",
                     cl::desc("Manifest path (default: the output with a "
                              ".json extension)"),
                     cl::value_desc("step.json"), cl::cat(category));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Step function (default: the only public function)"),
              cl::cat(category));
// The flags write straight into the options, whose initial values are the
// defaults (cl::location): no default is written here; the help shows them.
static optgraph::StepLibraryOptions options;
using optgraph::StepTarget;

static std::string withDefault(const char *help, const std::string &value) {
  return std::string(help) + " (default: " + value + ")";
}
static const std::string targetHelp =
    withDefault("Target", options.target == StepTarget::Cpu ? "cpu" : "cuda");
static const std::string hostCpuHelp = withDefault(
    "Host CPU to compile for: 'native' or an LLVM CPU name", options.hostCpu);
static const std::string tileHelp =
    withDefault("CPU: tile sizes M,N,K of the vectorized matmuls",
                llvm::join(llvm::map_range(options.cpu.matmulTileSizes,
                                           [](int64_t size) {
                                             return std::to_string(size);
                                           }),
                           ","));
static const std::string chipHelp =
    withDefault("CUDA: GPU architecture of the kernels", options.cuda.chip);
static const std::string ptxHelp =
    withDefault("CUDA: PTX features; sm_90 needs +ptx78 or later",
                options.cuda.ptxFeatures);
static const std::string optLevelHelp =
    withDefault("CUDA: optimization level of the kernels",
                std::to_string(options.cuda.optLevel));
static cl::opt<StepTarget, true>
    target("target", cl::desc(targetHelp), cl::location(options.target),
           cl::values(clEnumValN(StepTarget::Cpu, "cpu", "the host CPU"),
                      clEnumValN(StepTarget::Cuda, "cuda",
                                 "NVIDIA GPUs through the CUDA driver")),
           cl::cat(category));
static cl::opt<std::string, true> hostCpu("cpu", cl::desc(hostCpuHelp),
                                          cl::location(options.hostCpu),
                                          cl::cat(category));
static cl::opt<bool, true>
    vectorize("vectorize", cl::desc("CPU: tile and vectorize the matmuls"),
              cl::location(options.cpu.vectorize), cl::cat(category));
static cl::list<int64_t> matmulTileSizes("matmul-tile-sizes",
                                         cl::desc(tileHelp), cl::CommaSeparated,
                                         cl::cat(category));
static cl::opt<std::string, true> chip("chip", cl::desc(chipHelp),
                                       cl::location(options.cuda.chip),
                                       cl::cat(category));
static cl::opt<std::string, true>
    ptxFeatures("ptx-features", cl::desc(ptxHelp),
                cl::location(options.cuda.ptxFeatures), cl::cat(category));
static cl::opt<std::string, true>
    cudaPath("cuda-path",
             cl::desc("CUDA: toolkit with ptxas and libdevice (default: "
                      "$CUDA_ROOT, $CUDA_HOME, $CUDA_PATH or /usr/local/cuda)"),
             cl::location(options.cuda.cudaPath), cl::cat(category));
static cl::opt<int, true> optLevel("opt-level", cl::desc(optLevelHelp),
                                   cl::location(options.cuda.optLevel),
                                   cl::cat(category));

static const std::string emulationHelp = withDefault(
    "CUDA: also write the kernels as host code for the emulated driver, "
    "beside the library (X.so: X.emu.so)",
    options.cuda.emulationLibrary ? "true" : "false");
static cl::opt<bool, true>
    emulationLibrary("emulation-library", cl::desc(emulationHelp),
                     cl::location(options.cuda.emulationLibrary),
                     cl::cat(category));

static cl::opt<optgraph::EmulationSanitizer, true> emulationSanitizer(
    "emulation-sanitizer",
    cl::desc("CUDA: instrument the emulator's kernels (default: none)"),
    cl::location(options.cuda.emulationSanitizer),
    cl::values(clEnumValN(optgraph::EmulationSanitizer::None, "none",
                          "no instrumentation"),
               clEnumValN(optgraph::EmulationSanitizer::Address, "address",
                          "AddressSanitizer: out-of-bounds accesses"),
               clEnumValN(optgraph::EmulationSanitizer::Thread, "thread",
                          "ThreadSanitizer: races between a block's "
                          "threads (run with OPTGRAPH_CUDA_EMU_THREADS=1)")),
    cl::cat(category));
static cl::opt<std::string, true> emitKernels(
    "emit-kernels",
    cl::desc("CUDA: also write the generated GPU module (the kernels ptxas "
             "and the emulator compile) to this file"),
    cl::value_desc("kernels.mlir"), cl::location(options.emitKernelsPath),
    cl::cat(category));
static cl::opt<std::string, true> kernels(
    "kernels",
    cl::desc("CUDA: compile the GPU module of this file instead of the "
             "generated one (e.g. one written by --emit-kernels, edited)"),
    cl::value_desc("kernels.mlir"), cl::location(options.kernelsPath),
    cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM's own options (hundreds) stay out of --help.
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "optgraph step compiler\n");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  optgraph::registerAllDialects(registry);
  MLIRContext context(registry);
  // Diagnostics point at the source line; a dump of the failing op (a whole
  // function or kernel module) helps compiler engineers, not users.
  context.printOpOnDiagnostic(false);

  if (options.target != StepTarget::Cuda &&
      (!options.kernelsPath.empty() || !options.emitKernelsPath.empty())) {
    llvm::errs() << "optgraph-compile: error: --kernels and --emit-kernels "
                    "need --target=cuda\n";
    return 1;
  }
  if (!matmulTileSizes.empty()) {
    if (matmulTileSizes.size() != 3 ||
        llvm::any_of(matmulTileSizes, [](int64_t size) { return size < 1; })) {
      llvm::errs() << "optgraph-compile: error: --matmul-tile-sizes must be "
                      "three positive integers M,N,K\n";
      return 1;
    }
    options.cpu.matmulTileSizes.assign(matmulTileSizes.begin(),
                                       matmulTileSizes.end());
  }

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFilename, &error);
  if (!input) {
    llvm::errs() << "optgraph-compile: " << error << "\n";
    return 1;
  }
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  FailureOr<optgraph::StepSignature> signature =
      optgraph::analyzeStepFunction(*module, entryName);
  if (failed(signature))
    return 1;

  std::string manifestPath = manifestFilename;
  if (manifestPath.empty()) {
    SmallString<256> path(outputFilename.getValue());
    llvm::sys::path::replace_extension(path, "json");
    manifestPath = std::string(path);
  }

  if (failed(optgraph::compileStepLibrary(*module, *signature, outputFilename,
                                          manifestPath, options)))
    return 1;
  return 0;
}
