//===- StepLibrary.cpp - load and run a compiled step ---------------------===//

#include "optgraph/Runtime/StepLibrary.h"
#include "optgraph/Runtime/Json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <initializer_list>
#include <link.h>
#include <map>
#include <set>

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

namespace {
/// `text` in quotes for a message, with bytes outside printable ASCII
/// written as \xNN so that the message stays on one line.
std::string quote(const std::string &text) {
  std::string out = "'";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F) {
      out += c;
      continue;
    }
    char escape[5];
    std::snprintf(escape, sizeof(escape), "\\x%02X", byte);
    out += escape;
  }
  return out + "'";
}

/// The first key of an object that is not in `known`, or nullptr.
const std::string *unknownKey(const JsonValue &object,
                              std::initializer_list<const char *> known) {
  for (const auto &member : object.object)
    if (std::none_of(known.begin(), known.end(),
                     [&](const char *key) { return member.first == key; }))
      return &member.first;
  return nullptr;
}

/// `value` as an integer in [min, max]; false when it is not one (checked
/// before the conversion, which would be undefined out of range).
bool getInteger(const JsonValue &value, int64_t min, int64_t max,
                int64_t &out) {
  if (value.kind != JsonValue::Kind::Number ||
      value.number != std::floor(value.number) || value.number < double(min) ||
      value.number > double(max))
    return false;
  out = int64_t(value.number);
  return true;
}

const std::string *getString(const JsonValue &object, const char *key) {
  const JsonValue *value = object.get(key);
  return value && value->kind == JsonValue::Kind::String ? &value->string
                                                         : nullptr;
}

/// Names become file names: the portable set optgraph-compile allows, and
/// no leading '.', which marks optgraph-run's own temporaries.
bool isValidName(const std::string &name) {
  return !name.empty() && name.size() <= kMaxNameLength && name[0] != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
         });
}

bool parseShape(const JsonValue *shape, const std::string &what,
                std::vector<int64_t> &dims, std::string &error) {
  if (!shape || shape->kind != JsonValue::Kind::Array) {
    error = "manifest: " + what + " lacks a shape (an array of dimensions)";
    return false;
  }
  if (shape->array.size() > kMaxRank) {
    error = "manifest: " + what + " has " +
            std::to_string(shape->array.size()) + " dimensions, more than " +
            std::to_string(kMaxRank);
    return false;
  }
  uint64_t count = 1;
  for (size_t i = 0; i < shape->array.size(); ++i) {
    int64_t dim;
    if (!getInteger(shape->array[i], 1, kMaxDimension, dim)) {
      error = "manifest: " + what + ": dimension " + std::to_string(i) +
              " is not an integer in 1.." + std::to_string(kMaxDimension);
      return false;
    }
    if (uint64_t(dim) > kMaxElements / count) {
      error = "manifest: " + what + " has more than " +
              std::to_string(kMaxElements) + " elements";
      return false;
    }
    count *= uint64_t(dim);
    dims.push_back(dim);
  }
  return true;
}

bool parseTensor(const JsonValue &entry, const std::string &kind, size_t index,
                 const std::string &target, TensorSpec &spec,
                 std::string &error) {
  std::string what = kind + " #" + std::to_string(index);
  if (entry.kind != JsonValue::Kind::Object) {
    error = "manifest: " + what + " is not an object";
    return false;
  }
  if (const std::string *key = unknownKey(
          entry, {"name", "role", "dtype", "shape", "memory", "index_bound"})) {
    error = "manifest: " + what + " has the unknown key " + quote(*key);
    return false;
  }
  const std::string *name = getString(entry, "name");
  if (!name || !isValidName(*name)) {
    error = "manifest: " + what + " has " +
            (name ? "the invalid name " + quote(*name) : "no name") +
            "; names are 1 to " + std::to_string(kMaxNameLength) +
            " letters, digits, '_', '.' and '-', not starting with '.'";
    return false;
  }
  spec.name = *name;
  what = kind + " '" + spec.name + "'";

  static const std::set<std::string> roles = {"param", "grad",  "state", "step",
                                              "hyper", "input", "output"};
  const std::string *role = getString(entry, "role");
  if (!role || !roles.count(*role)) {
    error = "manifest: " + what + " has " +
            (role ? "the unknown role " + quote(*role) : "no role");
    return false;
  }
  spec.role = *role;

  const std::string *dtype = getString(entry, "dtype");
  if (!dtype || (*dtype != "<f4" && *dtype != "<i8")) {
    error = "manifest: " + what + " has " +
            (dtype ? "the unsupported dtype " + quote(*dtype) : "no dtype") +
            " (expected '<f4' or '<i8')";
    return false;
  }
  spec.dtype = *dtype;

  if (!parseShape(entry.get("shape"), what, spec.shape, error))
    return false;

  if (const JsonValue *bound = entry.get("index_bound")) {
    if (!getInteger(*bound, 1, kMaxDimension, spec.indexBound)) {
      error = "manifest: " + what + ": index_bound is not an integer in 1.." +
              std::to_string(kMaxDimension);
      return false;
    }
    if (spec.dtype != "<i8") {
      error = "manifest: " + what +
              " has an index_bound but is not an index ('<i8') tensor";
      return false;
    }
  }

  const std::string *memory = getString(entry, "memory");
  if (!memory || (*memory != "host" && *memory != "device")) {
    error = "manifest: " + what + " lacks memory (host or device)";
    return false;
  }
  spec.onDevice = *memory == "device";
  if (spec.onDevice && target != "cuda") {
    error = "manifest: " + what + " is in device memory but the target is " +
            target;
    return false;
  }
  return true;
}

bool parseTensors(const JsonValue *list, const std::string &kind,
                  const std::string &target, std::vector<TensorSpec> &tensors,
                  std::string &error) {
  if (!list || list->kind != JsonValue::Kind::Array) {
    error = "manifest: '" + kind + "s' must be an array";
    return false;
  }
  // Names become file names: two tensors of one name would share a file.
  std::set<std::string> names;
  for (size_t i = 0; i < list->array.size(); ++i) {
    TensorSpec spec;
    if (!parseTensor(list->array[i], kind, i, target, spec, error))
      return false;
    if (!names.insert(spec.name).second) {
      error = "manifest: two " + kind + "s are named '" + spec.name + "'";
      return false;
    }
    tensors.push_back(std::move(spec));
  }
  return true;
}
} // namespace

bool optgraph::runtime::parseManifest(const std::string &text,
                                      Manifest &manifest, std::string &error) {
  JsonValue root;
  if (!parseJson(text, root, error)) {
    error = "manifest: " + error;
    return false;
  }
  if (root.kind != JsonValue::Kind::Object) {
    error = "manifest: not a JSON object";
    return false;
  }
  if (const std::string *key =
          unknownKey(root, {"abi", "target", "entry", "inputs", "outputs"})) {
    error = "manifest: unknown key " + quote(*key);
    return false;
  }
  const JsonValue *abi = root.get("abi");
  int64_t version;
  if (!abi || !getInteger(*abi, OPTGRAPH_STEP_ABI_VERSION,
                          OPTGRAPH_STEP_ABI_VERSION, version)) {
    error = "manifest: unsupported step ABI version (this runtime reads "
            "version " +
            std::to_string(OPTGRAPH_STEP_ABI_VERSION) + ")";
    return false;
  }
  const std::string *target = getString(root, "target");
  if (!target || (*target != "cpu" && *target != "cuda")) {
    error = "manifest: 'target' must be \"cpu\" or \"cuda\"";
    return false;
  }
  manifest.target = *target;
  const std::string *entry = getString(root, "entry");
  if (!entry) {
    error = "manifest: 'entry' must be a string";
    return false;
  }
  manifest.entry = *entry;
  if (!parseTensors(root.get("inputs"), "input", manifest.target,
                    manifest.inputs, error) ||
      !parseTensors(root.get("outputs"), "output", manifest.target,
                    manifest.outputs, error))
    return false;
  // An output named like an input is its next value, read back as that
  // input by the next step.
  for (const TensorSpec &output : manifest.outputs)
    for (const TensorSpec &input : manifest.inputs)
      if (input.name == output.name &&
          (input.dtype != output.dtype || input.shape != output.shape)) {
        error = "manifest: output '" + output.name +
                "' updates the input of that name but its dtype or shape "
                "differs";
        return false;
      }
  return true;
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

/// The ELF symbol that dlsym found at `address`: dlsym gives no size or
/// type, and both are needed to read the manifest without running past its
/// end and to never call data.
static const ElfW(Sym) * symbolAt(void *address) {
  Dl_info info;
  void *symbol = nullptr;
  if (!dladdr1(address, &info, &symbol, RTLD_DL_SYMENT))
    return nullptr;
  return static_cast<const ElfW(Sym) *>(symbol);
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
  void *manifest = dlsym(handle, "optgraph_manifest");
  void *step = dlsym(handle, "optgraph_step");
  if (!manifest || !step) {
    error = path + ": not an optgraph step library (no optgraph_manifest or "
                   "optgraph_step symbol)";
    return nullptr;
  }
  const ElfW(Sym) *manifestSymbol = symbolAt(manifest);
  const char *manifestText = static_cast<const char *>(manifest);
  if (!manifestSymbol || ELF64_ST_TYPE(manifestSymbol->st_info) != STT_OBJECT ||
      !std::memchr(manifestText, '\0', manifestSymbol->st_size)) {
    error = path + ": optgraph_manifest is not a NUL-terminated string";
    return nullptr;
  }
  const ElfW(Sym) *stepSymbol = symbolAt(step);
  if (!stepSymbol || (ELF64_ST_TYPE(stepSymbol->st_info) != STT_FUNC &&
                      ELF64_ST_TYPE(stepSymbol->st_info) != STT_GNU_IFUNC)) {
    error = path + ": optgraph_step is not a function";
    return nullptr;
  }
  library->step = reinterpret_cast<optgraph_step_fn>(step);
  if (!parseManifest(manifestText, library->manifestData, error)) {
    error = path + ": " + error;
    return nullptr;
  }
  return library;
}

bool StepLibrary::run(void **buffers, std::string &error) const {
  char message[1024] = {0};
  if (step(buffers, message, sizeof(message)) == 0)
    return true;
  // The step's message becomes one line of optgraph-run's error, whatever
  // the step wrote.
  message[sizeof(message) - 1] = '\0';
  error = message[0] ? message : "the step failed";
  std::replace_if(
      error.begin(), error.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20; }, ' ');
  return false;
}

StepLibrary::~StepLibrary() {
  if (handle)
    dlclose(handle);
}
