//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//

#ifndef OPTGRAPH_RUNTIME_NPY_H
#define OPTGRAPH_RUNTIME_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace optgraph::runtime {

/// The header of a .npy file (format versions 1.0, 2.0 and 3.0).
struct NpyHeader {
  std::string dtype; // e.g. "<f4"
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Reads a C-ordered array whose dtype and shape must equal the expected
/// ones; `data` must hold exactly the array's bytes. The header must be one
/// that NumPy reads the same way (see Npy.cpp). Every failure (missing or
/// irregular file, bad magic, malformed header, other dtype or shape,
/// truncated data, trailing bytes) returns false with a message that names
/// the file.
bool readNpy(const std::string &path, const std::string &dtype,
             const std::vector<int64_t> &shape, void *data, size_t bytes,
             std::string &error);

/// Writes a version 1.0 .npy file to `path`, which must not exist yet; a
/// failed write removes what it created.
bool writeNpy(const std::string &path, const std::string &dtype,
              const std::vector<int64_t> &shape, const void *data, size_t bytes,
              std::string &error);

/// "(3, 4)" as NumPy prints shapes.
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace optgraph::runtime

#endif // OPTGRAPH_RUNTIME_NPY_H
