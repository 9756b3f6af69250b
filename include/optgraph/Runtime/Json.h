//===- Json.h - a small JSON reader for manifests ---------------*- C++ -*-===//
//
// The runtime reads manifests on machines with neither MLIR nor LLVM, so it
// carries its own reader: RFC 8259 values, no extensions. It is strict where
// a lenient reader would silently guess: repeated object keys, numbers beyond
// a double's range, malformed UTF-8 and lone surrogates are errors.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_RUNTIME_JSON_H
#define OPTGRAPH_RUNTIME_JSON_H

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace optgraph::runtime {

struct JsonValue {
  enum class Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object
  } kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;

  /// The member `key` of an object, or nullptr.
  const JsonValue *get(const std::string &key) const;
};

/// Parses `text`; on failure returns false and says where in `error`.
bool parseJson(const std::string &text, JsonValue &value, std::string &error);

} // namespace optgraph::runtime

#endif // OPTGRAPH_RUNTIME_JSON_H
