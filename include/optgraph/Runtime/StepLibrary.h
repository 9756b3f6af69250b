//===- StepLibrary.h - load and run a compiled step -------------*- C++ -*-===//
//
// Plain C++ with no MLIR or LLVM dependency: this is what runs on a training
// machine.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_RUNTIME_STEPLIBRARY_H
#define OPTGRAPH_RUNTIME_STEPLIBRARY_H

#include "optgraph/Runtime/StepABI.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace optgraph::runtime {

struct TensorSpec {
  std::string name;
  std::string role;
  std::string dtype; // "<f4" or "<i8"
  std::vector<int64_t> shape;
  int64_t indexBound = 0; // 0: unbounded
  bool onDevice = false;  // CUDA steps: a device pointer is passed

  size_t elementCount() const;
  size_t byteSize() const;
};

struct Manifest {
  std::string target; // "cpu" or "cuda"
  std::string entry;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

/// Parses and checks a manifest (ABI version, dtypes, shapes).
bool parseManifest(const std::string &text, Manifest &manifest,
                   std::string &error);

/// Checks that an index tensor's elements lie in [0, spec.indexBound) and
/// ascend strictly, as the subspaces a step stores do.
bool checkIndexBounds(const TensorSpec &spec, const void *data,
                      std::string &error);

class StepLibrary {
public:
  /// Loads `path` and reads its manifest; nullptr and a message on failure.
  static std::unique_ptr<StepLibrary> open(const std::string &path,
                                           std::string &error);
  ~StepLibrary();

  const Manifest &manifest() const { return manifestData; }

  /// Runs one step: inputs then outputs, in manifest order, each in the
  /// memory the manifest names. False and a message on failure.
  bool run(void **buffers, std::string &error) const;

private:
  StepLibrary() = default;
  void *handle = nullptr;
  optgraph_step_fn step = nullptr;
  Manifest manifestData;
};

} // namespace optgraph::runtime

#endif // OPTGRAPH_RUNTIME_STEPLIBRARY_H
