//===- StepLibrary.cpp - load and run a compiled step ---------------------===//

#include "optgraph/Runtime/StepLibrary.h"
#include "optgraph/Runtime/Json.h"

#include <cmath>
#include <cstring>
#include <dlfcn.h>

using namespace optgraph::runtime;

size_t TensorSpec::elementCount() const {
  size_t count = 1;
  for (int64_t dim : shape)
    count *= size_t(dim);
  return count;
}

size_t TensorSpec::byteSize() const {
  return elementCount() * (dtype == "<f4" ? 4 : 8);
}

static bool parseTensors(const JsonValue *list, const char *what,
                         std::vector<TensorSpec> &tensors, std::string &error) {
  if (!list || list->kind != JsonValue::Kind::Array) {
    error = std::string("manifest: '") + what + "' must be an array";
    return false;
  }
  for (const JsonValue &entry : list->array) {
    TensorSpec spec;
    const JsonValue *name = entry.get("name"), *role = entry.get("role"),
                    *dtype = entry.get("dtype"), *shape = entry.get("shape"),
                    *bound = entry.get("index_bound");
    if (!name || name->kind != JsonValue::Kind::String || !role ||
        role->kind != JsonValue::Kind::String || !dtype ||
        dtype->kind != JsonValue::Kind::String || !shape ||
        shape->kind != JsonValue::Kind::Array) {
      error = std::string("manifest: an entry of '") + what +
              "' lacks name, role, dtype or shape";
      return false;
    }
    spec.name = name->string;
    spec.role = role->string;
    spec.dtype = dtype->string;
    if (spec.dtype != "<f4" && spec.dtype != "<i8") {
      error = "manifest: '" + spec.name + "' has unsupported dtype '" +
              spec.dtype + "'";
      return false;
    }
    for (const JsonValue &dim : shape->array) {
      if (dim.kind != JsonValue::Kind::Number || dim.number < 0 ||
          dim.number != std::floor(dim.number)) {
        error = "manifest: '" + spec.name + "' has an invalid shape";
        return false;
      }
      spec.shape.push_back(int64_t(dim.number));
    }
    if (bound && bound->kind == JsonValue::Kind::Number)
      spec.indexBound = int64_t(bound->number);
    const JsonValue *memory = entry.get("memory");
    if (!memory || memory->kind != JsonValue::Kind::String ||
        (memory->string != "host" && memory->string != "device")) {
      error = "manifest: '" + spec.name + "' lacks memory (host or device)";
      return false;
    }
    spec.onDevice = memory->string == "device";
    tensors.push_back(std::move(spec));
  }
  return true;
}

bool optgraph::runtime::parseManifest(const std::string &text,
                                      Manifest &manifest, std::string &error) {
  JsonValue root;
  if (!parseJson(text, root, error)) {
    error = "manifest: " + error;
    return false;
  }
  const JsonValue *abi = root.get("abi");
  if (!abi || abi->kind != JsonValue::Kind::Number ||
      abi->number != OPTGRAPH_STEP_ABI_VERSION) {
    error = "manifest: unsupported step ABI version (this runtime reads "
            "version " +
            std::to_string(OPTGRAPH_STEP_ABI_VERSION) + ")";
    return false;
  }
  const JsonValue *target = root.get("target");
  if (!target || target->kind != JsonValue::Kind::String ||
      (target->string != "cpu" && target->string != "cuda")) {
    error = "manifest: 'target' must be \"cpu\" or \"cuda\"";
    return false;
  }
  manifest.target = target->string;
  if (const JsonValue *entry = root.get("entry"))
    manifest.entry = entry->string;
  return parseTensors(root.get("inputs"), "inputs", manifest.inputs, error) &&
         parseTensors(root.get("outputs"), "outputs", manifest.outputs, error);
}

bool optgraph::runtime::checkIndexBounds(const TensorSpec &spec,
                                         const void *data, std::string &error) {
  if (!spec.indexBound || spec.dtype != "<i8")
    return true;
  const int64_t *values = static_cast<const int64_t *>(data);
  for (size_t i = 0, e = spec.elementCount(); i < e; ++i) {
    if (values[i] < 0 || values[i] >= spec.indexBound) {
      error = "'" + spec.name + "': element " + std::to_string(i) + " is " +
              std::to_string(values[i]) + ", outside [0, " +
              std::to_string(spec.indexBound) + ")";
      return false;
    }
    if (i > 0 && values[i] <= values[i - 1]) {
      error = "'" + spec.name + "': element " + std::to_string(i) + " is " +
              std::to_string(values[i]) + ", not above the previous " +
              std::to_string(values[i - 1]) +
              " (a subspace's indices ascend strictly)";
      return false;
    }
  }
  return true;
}

std::unique_ptr<StepLibrary> StepLibrary::open(const std::string &path,
                                               std::string &error) {
  // dlopen searches the library path for names without a slash.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    error = path + ": cannot load: " + dlerror();
    return nullptr;
  }
  std::unique_ptr<StepLibrary> library(new StepLibrary());
  library->handle = handle;
  auto *manifest =
      static_cast<const char *>(dlsym(handle, "optgraph_manifest"));
  library->step =
      reinterpret_cast<optgraph_step_fn>(dlsym(handle, "optgraph_step"));
  if (!manifest || !library->step) {
    error = path + ": not an optgraph step library (no optgraph_manifest or "
                   "optgraph_step symbol)";
    return nullptr;
  }
  if (!parseManifest(manifest, library->manifestData, error)) {
    error = path + ": " + error;
    return nullptr;
  }
  return library;
}

bool StepLibrary::run(void **buffers, std::string &error) const {
  char message[1024] = {0};
  if (step(buffers, message, sizeof(message)) == 0)
    return true;
  error = message[0] ? message : "the step failed";
  return false;
}

StepLibrary::~StepLibrary() {
  if (handle)
    dlclose(handle);
}
