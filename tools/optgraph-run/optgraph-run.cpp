//===- optgraph-run.cpp - run one compiled step on .npy files -------------===//
//
//   optgraph-run step.so --in DIR --out DIR
//
// Reads every input of the step from DIR/NAME.npy, runs one step and writes
// every output to OUT/NAME.npy. A CUDA step's tensors are copied to the
// device and back. Outputs are written to temporary files first
// and renamed only once all of them are complete, so a failure leaves the
// output folder as it was.
//
//===----------------------------------------------------------------------===//

#include "optgraph/Runtime/CudaDriver.h"
#include "optgraph/Runtime/Npy.h"
#include "optgraph/Runtime/StepLibrary.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace optgraph::runtime;

namespace {

int usage(const char *message) {
  std::fprintf(stderr,
               "optgraph-run: %s\n"
               "usage: optgraph-run STEP.so --in DIR --out DIR [--verbose]\n"
               "       optgraph-run STEP.so --manifest\n",
               message);
  return 2;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "optgraph-run: error: %s\n", message.c_str());
  return 1;
}

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

bool isWritableDirectory(const std::string &dir, std::string &error) {
  struct stat info;
  if (stat(dir.c_str(), &info) != 0) {
    if (errno == ENOENT && mkdir(dir.c_str(), 0777) == 0)
      return true;
    error = "output folder '" + dir + "': " + std::strerror(errno);
    return false;
  }
  if (!S_ISDIR(info.st_mode)) {
    error = "output folder '" + dir + "' is not a directory";
    return false;
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    error =
        "output folder '" + dir + "' is not writable: " + std::strerror(errno);
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::string libraryPath, inDir, outDir;
  bool printManifest = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--in" || arg == "--out") && i + 1 < argc)
      (arg == "--in" ? inDir : outDir) = argv[++i];
    else if (arg == "--manifest")
      printManifest = true;
    else if (arg == "--verbose" || arg == "-v")
      verbose = true;
    else if (arg == "-h" || arg == "--help")
      return usage("runs one optimizer step"), 0;
    else if (!arg.empty() && arg[0] != '-' && libraryPath.empty())
      libraryPath = arg;
    else
      return usage(("unexpected argument '" + arg + "'").c_str());
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
  if (!isWritableDirectory(outDir, error))
    return fail(error);

  std::vector<Buffer> buffers;
  std::vector<void *> pointers;
  for (const TensorSpec &spec : manifest.inputs) {
    buffers.emplace_back(spec.byteSize());
    std::string path = inDir + "/" + spec.name + ".npy";
    if (!readNpy(path, spec.dtype, spec.shape, buffers.back().data,
                 spec.byteSize(), error) ||
        !checkIndexBounds(spec, buffers.back().data, error))
      return fail(error);
    pointers.push_back(buffers.back().data);
  }
  for (const TensorSpec &spec : manifest.outputs) {
    buffers.emplace_back(spec.byteSize());
    pointers.push_back(buffers.back().data);
  }

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

  // All outputs go to temporary files; only when every one is complete are
  // they renamed into place.
  std::vector<std::string> temporaries;
  auto discard = [&] {
    for (const std::string &t : temporaries)
      std::remove(t.c_str());
  };
  size_t first = manifest.inputs.size();
  for (size_t i = 0; i < manifest.outputs.size(); ++i) {
    const TensorSpec &spec = manifest.outputs[i];
    std::string temp =
        outDir + "/." + spec.name + ".npy.tmp-" + std::to_string(getpid());
    temporaries.push_back(temp);
    if (!writeNpy(temp, spec.dtype, spec.shape, pointers[first + i],
                  spec.byteSize(), error)) {
      discard();
      return fail(error);
    }
  }
  for (size_t i = 0; i < manifest.outputs.size(); ++i) {
    std::string path = outDir + "/" + manifest.outputs[i].name + ".npy";
    if (std::rename(temporaries[i].c_str(), path.c_str()) != 0) {
      error = path + ": " + std::strerror(errno);
      discard();
      return fail(error);
    }
  }
  if (verbose)
    std::printf("optgraph-run: read %zu arrays from %s, wrote %zu to %s\n",
                manifest.inputs.size(), inDir.c_str(), manifest.outputs.size(),
                outDir.c_str());
  return 0;
}
