//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "optgraph/Runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace optgraph::runtime;

std::string optgraph::runtime::formatShape(const std::vector<int64_t> &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

namespace {
struct FileCloser {
  void operator()(FILE *f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

/// The value of 'key' in the header's Python dict literal, as text.
bool findField(const std::string &header, const std::string &key,
               std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  size_t colon = header.find(':', at);
  if (colon == std::string::npos)
    return false;
  size_t begin = header.find_first_not_of(' ', colon + 1);
  if (begin == std::string::npos)
    return false;
  size_t end;
  if (header[begin] == '(')
    end = header.find(')', begin) + 1;
  else if (header[begin] == '\'')
    end = header.find('\'', begin + 1) + 1;
  else
    end = header.find_first_of(",}", begin);
  if (end == std::string::npos || end == 0)
    return false;
  value = header.substr(begin, end - begin);
  return true;
}

bool parseHeader(const std::string &text, NpyHeader &header) {
  std::string descr, fortran, shape;
  if (!findField(text, "descr", descr) ||
      !findField(text, "fortran_order", fortran) ||
      !findField(text, "shape", shape) || descr.size() < 2 ||
      shape.front() != '(')
    return false;
  header.dtype = descr.substr(1, descr.size() - 2);
  header.fortranOrder = fortran == "True";
  header.shape.clear();
  const char *p = shape.c_str() + 1;
  while (*p && *p != ')') {
    while (*p == ' ' || *p == ',')
      ++p;
    if (*p == ')')
      break;
    char *end;
    long long dim = std::strtoll(p, &end, 10);
    if (end == p || dim < 0)
      return false;
    header.shape.push_back(dim);
    p = end;
  }
  return true;
}
} // namespace

bool optgraph::runtime::readNpy(const std::string &path,
                                const std::string &dtype,
                                const std::vector<int64_t> &shape, void *data,
                                size_t bytes, std::string &error) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  unsigned char prefix[10];
  if (std::fread(prefix, 1, 8, file.get()) != 8 ||
      std::memcmp(prefix, "\x93NUMPY", 6) != 0) {
    error = path + ": not a NumPy .npy file (bad magic)";
    return false;
  }
  unsigned major = prefix[6];
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3 ||
      std::fread(prefix, 1, lengthBytes, file.get()) != lengthBytes) {
    error = path + ": unsupported or truncated .npy header";
    return false;
  }
  size_t headerLength = prefix[0] | (prefix[1] << 8);
  if (lengthBytes == 4)
    headerLength |= size_t(prefix[2]) << 16 | size_t(prefix[3]) << 24;
  std::string text(headerLength, '\0');
  NpyHeader header;
  if (headerLength > (1u << 20) ||
      std::fread(text.data(), 1, headerLength, file.get()) != headerLength ||
      !parseHeader(text, header)) {
    error = path + ": malformed .npy header";
    return false;
  }
  if (header.dtype != dtype) {
    error = path + ": dtype '" + header.dtype + "' but the step expects '" +
            dtype + "'";
    return false;
  }
  if (header.shape != shape) {
    error = path + ": shape " + formatShape(header.shape) +
            " but the step expects " + formatShape(shape);
    return false;
  }
  if (header.fortranOrder && shape.size() > 1) {
    error = path + ": Fortran-ordered array; save a C-ordered one "
                   "(numpy.ascontiguousarray)";
    return false;
  }
  size_t got = std::fread(data, 1, bytes, file.get());
  if (got != bytes) {
    error = path + ": truncated: " + std::to_string(got) + " of " +
            std::to_string(bytes) + " data bytes";
    return false;
  }
  if (std::fgetc(file.get()) != EOF) {
    error = path + ": trailing bytes after the array data";
    return false;
  }
  return true;
}

bool optgraph::runtime::writeNpy(const std::string &path,
                                 const std::string &dtype,
                                 const std::vector<int64_t> &shape,
                                 const void *data, size_t bytes,
                                 std::string &error) {
  std::string dict =
      "{'descr': '" + dtype +
      "', 'fortran_order': False, 'shape': " + formatShape(shape) + ", }";
  // Magic (6) + version (2) + length (2) + dict + padding + '\n' is a
  // multiple of 64, as NumPy writes it.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  File file(std::fopen(path.c_str(), "wb"));
  if (!file) {
    error = path + ": cannot create: " + std::strerror(errno);
    return false;
  }
  unsigned char prefix[10] = {0x93,
                              'N',
                              'U',
                              'M',
                              'P',
                              'Y',
                              1,
                              0,
                              (unsigned char)(dict.size() & 0xFF),
                              (unsigned char)(dict.size() >> 8)};
  bool ok =
      std::fwrite(prefix, 1, 10, file.get()) == 10 &&
      std::fwrite(dict.data(), 1, dict.size(), file.get()) == dict.size() &&
      std::fwrite(data, 1, bytes, file.get()) == bytes;
  ok = (std::fflush(file.get()) == 0) && ok;
  if (!ok) {
    error = path + ": write failed: " + std::strerror(errno);
    return false;
  }
  return true;
}
