//===- optgraph-run.cpp - run one compiled step on .npy files -------------===//
//
//   optgraph-run step.so --in DIR --out DIR
//
// Reads every input of the step from DIR/NAME.npy, runs one step and writes
// every output to OUT/NAME.npy. A CUDA step's tensors are copied to the
// device and back. Either every output appears or none does: a failure
// leaves the output folder exactly as it was (see OutputFolder).
//
//===----------------------------------------------------------------------===//

#include "optgraph/Runtime/CudaDriver.h"
#include "optgraph/Runtime/FileTransaction.h"
#include "optgraph/Runtime/Npy.h"
#include "optgraph/Runtime/StepLibrary.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace optgraph::runtime;

namespace {

void printUsage(FILE *stream) {
  std::fprintf(stream,
               "usage: optgraph-run STEP.so --in DIR --out DIR [--verbose]\n"
               "       optgraph-run STEP.so --manifest\n");
}

/// A command-line error: the message, then the usage.
int usage(const std::string &message) {
  std::fprintf(stderr, "optgraph-run: error: %s\n", message.c_str());
  printUsage(stderr);
  return 2;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "optgraph-run: error: %s\n", message.c_str());
  return 1;
}

/// A 64-byte aligned host buffer; `data` is null when the allocation failed.
struct Buffer {
  void *data = nullptr;
  explicit Buffer(size_t bytes) {
    data = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  }
  ~Buffer() { std::free(data); }
  Buffer(const Buffer &) = delete;
  Buffer(Buffer &&other) noexcept : data(other.data) { other.data = nullptr; }
};

/// A CUDA step's device copies of the tensors the manifest puts on the
/// device; freed when it goes out of scope.
struct DeviceBuffers {
  const CudaDriver *driver = nullptr;
  std::vector<CUdeviceptr> pointers;

  ~DeviceBuffers() {
    for (CUdeviceptr p : pointers)
      if (p)
        driver->memFree(p);
  }

  bool check(CUresult result, const char *call, std::string &error) {
    if (result == 0)
      return true;
    error = std::string(call) + " failed: " + describeCudaError(result);
    return false;
  }

  /// Replaces every device tensor's host pointer by a device pointer,
  /// uploading the inputs.
  bool upload(const Manifest &manifest, std::vector<void *> &hostPointers,
              std::vector<void *> &stepPointers, std::string &error) {
    driver = cudaDriver(error);
    if (!driver)
      return false;
    size_t i = 0;
    for (const auto *list : {&manifest.inputs, &manifest.outputs})
      for (const TensorSpec &spec : *list) {
        bool input = list == &manifest.inputs;
        CUdeviceptr device = 0;
        if (spec.onDevice) {
          if (!check(driver->memAlloc(&device, spec.byteSize() + 1),
                     "cuMemAlloc", error))
            return false;
          pointers.push_back(device);
          if (input && !check(driver->memcpyHtoD(device, hostPointers[i],
                                                 spec.byteSize()),
                              "cuMemcpyHtoD", error))
            return false;
        }
        stepPointers.push_back(spec.onDevice ? reinterpret_cast<void *>(device)
                                             : hostPointers[i]);
        ++i;
      }
    return true;
  }

  bool download(const Manifest &manifest, std::vector<void *> &hostPointers,
                std::vector<void *> &stepPointers, std::string &error) {
    size_t first = manifest.inputs.size();
    for (size_t i = 0; i < manifest.outputs.size(); ++i) {
      const TensorSpec &spec = manifest.outputs[i];
      if (spec.onDevice &&
          !check(driver->memcpyDtoH(
                     hostPointers[first + i],
                     reinterpret_cast<CUdeviceptr>(stepPointers[first + i]),
                     spec.byteSize()),
                 "cuMemcpyDtoH", error))
        return false;
    }
    return true;
  }
};

/// The output folder of a run: every output appears, or none does and the
/// folder is left as it was (FileTransaction).
class OutputFolder {
public:
  /// Checks the folder, creating it if missing, and that no destination is
  /// a directory or another file an output must not replace, so that such
  /// a run fails before the step.
  bool prepare(const std::string &folder, const std::vector<TensorSpec> &specs,
               std::string &error) {
    if (!files.useFolder(folder, error))
      return false;
    for (const TensorSpec &spec : specs) {
      temporaries.push_back(files.add(folder + "/" + spec.name + ".npy", error));
      if (temporaries.back().empty())
        return false;
    }
    return true;
  }

  /// Writes output `i` to its temporary.
  bool write(size_t i, const TensorSpec &spec, const void *data,
             std::string &error) {
    return writeNpy(temporaries[i], spec.dtype, spec.shape, data,
                    spec.byteSize(), error);
  }

  bool commit(std::string &error) { return files.commit(error); }

private:
  FileTransaction files;
  std::vector<std::string> temporaries;
};

} // namespace

int main(int argc, char **argv) {
  std::string libraryPath, inDir, outDir;
  bool printManifest = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--in" || arg == "--out") {
      if (i + 1 == argc)
        return usage("'" + arg + "' needs a folder");
      (arg == "--in" ? inDir : outDir) = argv[++i];
    } else if (arg == "--manifest") {
      printManifest = true;
    } else if (arg == "--verbose" || arg == "-v") {
      verbose = true;
    } else if (arg == "-h" || arg == "--help") {
      std::printf("optgraph-run: runs one optimizer step\n");
      printUsage(stdout);
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && libraryPath.empty()) {
      libraryPath = arg;
    } else {
      return usage("unexpected argument '" + arg + "'");
    }
  }
  if (libraryPath.empty())
    return usage("no step library given");

  std::string error;
  std::unique_ptr<StepLibrary> library = StepLibrary::open(libraryPath, error);
  if (!library)
    return fail(error);
  const Manifest &manifest = library->manifest();

  if (printManifest) {
    for (const auto *list : {&manifest.inputs, &manifest.outputs})
      for (const TensorSpec &t : *list)
        std::printf("%-6s %-32s %-6s %s %s\n",
                    list == &manifest.inputs ? "in" : "out", t.name.c_str(),
                    t.role.c_str(), t.dtype.c_str(),
                    formatShape(t.shape).c_str());
    return 0;
  }
  if (inDir.empty() || outDir.empty())
    return usage("--in and --out are required");
  OutputFolder out;
  if (!out.prepare(outDir, manifest.outputs, error))
    return fail(error);

  std::vector<Buffer> buffers;
  std::vector<void *> pointers;
  buffers.reserve(manifest.inputs.size() + manifest.outputs.size());
  auto allocate = [&](const TensorSpec &spec, const char *kind) {
    buffers.emplace_back(spec.byteSize());
    pointers.push_back(buffers.back().data);
    if (!buffers.back().data)
      error = std::string(kind) + " '" + spec.name + "': cannot allocate " +
              std::to_string(spec.byteSize()) + " bytes";
    return buffers.back().data != nullptr;
  };
  for (const TensorSpec &spec : manifest.inputs) {
    std::string path = inDir + "/" + spec.name + ".npy";
    if (!allocate(spec, "input") ||
        !readNpy(path, spec.dtype, spec.shape, pointers.back(), spec.byteSize(),
                 error) ||
        !checkIndexBounds(spec, pointers.back(), error))
      return fail(error);
  }
  for (const TensorSpec &spec : manifest.outputs)
    if (!allocate(spec, "output"))
      return fail(error);

  if (manifest.target == "cuda") {
    DeviceBuffers device;
    std::vector<void *> stepPointers;
    if (!device.upload(manifest, pointers, stepPointers, error) ||
        !library->run(stepPointers.data(), error) ||
        !device.download(manifest, pointers, stepPointers, error))
      return fail(error);
  } else if (!library->run(pointers.data(), error)) {
    return fail(error);
  }

  size_t first = manifest.inputs.size();
  for (size_t i = 0; i < manifest.outputs.size(); ++i)
    if (!out.write(i, manifest.outputs[i], pointers[first + i], error))
      return fail(error);
  if (!out.commit(error))
    return fail(error);
  if (verbose)
    std::printf("optgraph-run: read %zu arrays from %s, wrote %zu to %s\n",
                manifest.inputs.size(), inDir.c_str(), manifest.outputs.size(),
                outDir.c_str());
  return 0;
}
