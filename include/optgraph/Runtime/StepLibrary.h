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

/// The largest dimension, rank and element count a manifest may declare.
/// Every dimension lies in 1..kMaxDimension and every tensor holds at most
/// kMaxElements elements, so that no size computation can overflow; the
/// rank is NumPy's (1.x) limit, so that every tensor loads in NumPy.
constexpr int64_t kMaxDimension = (int64_t(1) << 31) - 1;
constexpr size_t kMaxRank = 32;
constexpr uint64_t kMaxElements = uint64_t(1) << 40;

/// The longest tensor name: names become file names (NAME.npy, and hidden
/// temporaries beside it), which must stay within NAME_MAX.
constexpr size_t kMaxNameLength = 200;

struct TensorSpec {
  std::string name;
  std::string role;
  std::string dtype; // "<f4" or "<i8"
  std::vector<int64_t> shape;
  int64_t indexBound = 0; // 0: unbounded
  bool onDevice = false;  // CUDA steps: a device pointer is passed

  /// Sizes of a spec that parseManifest accepted, within the limits above.
  size_t elementCount() const;
  size_t byteSize() const;
};

struct Manifest {
  std::string target; // "cpu" or "cuda"
  std::string entry;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

/// Parses and checks a manifest: the ABI version, the target, and for every
/// tensor a file-name-safe name unique among the inputs (or the outputs), a
/// known role, a supported dtype, a shape within the limits above, an
/// index_bound only on index tensors, and a memory the target has; an
/// output named like an input must have its dtype and shape. Unknown keys
/// are errors, so that a misspelt one is never ignored.
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
