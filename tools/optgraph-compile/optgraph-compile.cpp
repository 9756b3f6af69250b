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

#include "llvm/ADT/SmallString.h"
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
static cl::opt<std::string>
    targetName("target", cl::desc("Target: cpu (the default) or cuda"),
               cl::init("cpu"), cl::cat(category));
static cl::opt<std::string>
    chipName("chip", cl::desc("CUDA: GPU architecture of the kernels"),
             cl::init("sm_90"), cl::cat(category));
static cl::opt<std::string>
    ptxFeatures("ptx-features",
                cl::desc("CUDA: PTX features (sm_90 needs +ptx78 or later)"),
                cl::init("+ptx80"), cl::cat(category));
static cl::opt<std::string>
    cudaPath("cuda-path",
             cl::desc("CUDA: toolkit with ptxas and libdevice (default: "
                      "$CUDA_ROOT, $CUDA_HOME or /usr/local/cuda)"),
             cl::cat(category));
static cl::opt<std::string>
    cpuName("cpu",
            cl::desc("Host CPU to tune for: 'native' or an LLVM CPU name"),
            cl::init("native"), cl::cat(category));
static cl::opt<bool> vectorize("vectorize",
                               cl::desc("Tile and vectorize the matmuls"),
                               cl::init(true), cl::cat(category));
static cl::list<int64_t>
    matmulTileSizes("matmul-tile-sizes",
                    cl::desc("Tile sizes (M,N,K) of the vectorized matmuls"),
                    cl::CommaSeparated, cl::cat(category));

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

  if (targetName != "cpu" && targetName != "cuda") {
    llvm::errs() << "optgraph-compile: error: unknown --target '" << targetName
                 << "' (supported: cpu, cuda)\n";
    return 1;
  }
  if (!matmulTileSizes.empty() &&
      (matmulTileSizes.size() != 3 ||
       llvm::any_of(matmulTileSizes, [](int64_t size) { return size < 1; }))) {
    llvm::errs() << "optgraph-compile: error: --matmul-tile-sizes must be "
                    "three positive integers M,N,K\n";
    return 1;
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

  optgraph::StepLibraryOptions options;
  options.target = targetName == "cuda" ? optgraph::StepTarget::Cuda
                                        : optgraph::StepTarget::Cpu;
  options.chip = chipName;
  options.features = ptxFeatures;
  options.cudaPath = cudaPath;
  options.cpu = cpuName;
  options.vectorize = vectorize;
  options.matmulTileSizes.assign(matmulTileSizes.begin(),
                                 matmulTileSizes.end());
  if (failed(optgraph::compileStepLibrary(*module, *signature, outputFilename,
                                          manifestPath, options)))
    return 1;
  return 0;
}
