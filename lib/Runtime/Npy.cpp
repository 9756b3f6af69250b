//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "optgraph/Runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

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

/// NumPy refuses longer headers (numpy.lib.format's _MAX_HEADER_SIZE), so a
/// file with one is not an array NumPy would load.
constexpr size_t kMaxHeaderLength = 10000;

/// The header is a Python dict literal that NumPy evaluates with
/// ast.literal_eval:
///
///   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
///
/// then spaces up to a final '\n'. This parser takes the subset that NumPy
/// and other writers produce (either quote style, spaces between tokens,
/// keys in any order and each once, an optional trailing comma) and nothing
/// else, so that it never accepts a header that NumPy rejects or reads
/// differently.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  bool parse(NpyHeader &header, std::string &error) {
    if (!parseDict(header)) {
      error = message;
      return false;
    }
    return true;
  }

private:
  const std::string &text;
  size_t pos = 0;
  std::string message;

  bool fail(const std::string &what) {
    message = what + " at offset " + std::to_string(pos);
    return false;
  }
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  void skipSpaces() {
    while (peek() == ' ')
      ++pos;
  }
  bool consume(char c) {
    skipSpaces();
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  /// A Python string literal without escapes or prefixes, printable ASCII.
  bool parseString(std::string &out) {
    skipSpaces();
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return fail("expected a quoted string");
    size_t begin = ++pos;
    while (peek() != quote) {
      if (pos >= text.size())
        return fail("unterminated string");
      if (peek() < 0x20 || peek() > 0x7E || peek() == '\\')
        return fail("unsupported character in a string");
      ++pos;
    }
    out = text.substr(begin, pos++ - begin);
    return true;
  }
  bool parseBool(bool &out) {
    skipSpaces();
    for (bool value : {false, true}) {
      const char *word = value ? "True" : "False";
      size_t n = std::char_traits<char>::length(word);
      if (text.compare(pos, n, word) == 0) {
        pos += n;
        out = value;
        return true;
      }
    }
    return fail("fortran_order must be True or False");
  }
  /// A decimal integer as Python writes it: no sign, no leading zeros, no
  /// '_' separators; beyond int64 is malformed.
  bool parseDimension(int64_t &out) {
    skipSpaces();
    if (peek() < '0' || peek() > '9')
      return fail("expected a non-negative integer");
    if (peek() == '0' && text[pos + 1] >= '0' && text[pos + 1] <= '9')
      return fail("leading zero in an integer");
    out = 0;
    while (peek() >= '0' && peek() <= '9') {
      int digit = peek() - '0';
      if (out > (std::numeric_limits<int64_t>::max() - digit) / 10)
        return fail("dimension out of range");
      out = out * 10 + digit;
      ++pos;
    }
    return true;
  }
  /// A tuple: (), (n,), (a, b) or (a, b,); (n) is an integer in Python.
  bool parseShape(std::vector<int64_t> &shape) {
    if (!consume('('))
      return fail("shape must be a tuple");
    bool trailingComma = false;
    skipSpaces();
    while (peek() != ')') {
      int64_t dim;
      if (!parseDimension(dim))
        return false;
      shape.push_back(dim);
      trailingComma = consume(',');
      skipSpaces();
      if (!trailingComma && peek() != ')')
        return fail("expected ',' or ')' in the shape");
    }
    ++pos;
    if (shape.size() == 1 && !trailingComma)
      return fail("a 1-tuple must be written (n,)");
    return true;
  }
  bool parseDict(NpyHeader &header) {
    if (!consume('{'))
      return fail("expected '{'");
    bool seenDescr = false, seenFortran = false, seenShape = false;
    skipSpaces();
    while (peek() != '}') {
      std::string key;
      if (!parseString(key))
        return false;
      bool *seen = key == "descr"           ? &seenDescr
                   : key == "fortran_order" ? &seenFortran
                   : key == "shape"         ? &seenShape
                                            : nullptr;
      if (!seen)
        return fail("unexpected key '" + key + "'");
      if (*seen)
        return fail("repeated key '" + key + "'");
      *seen = true;
      if (!consume(':'))
        return fail("expected ':'");
      if (!(key == "descr"   ? parseString(header.dtype)
            : key == "shape" ? parseShape(header.shape)
                             : parseBool(header.fortranOrder)))
        return false;
      bool comma = consume(',');
      skipSpaces();
      if (!comma && peek() != '}')
        return fail("expected ',' or '}'");
    }
    ++pos;
    if (!seenDescr || !seenFortran || !seenShape)
      return fail(std::string("missing key '") +
                  (!seenDescr     ? "descr"
                   : !seenFortran ? "fortran_order"
                                  : "shape") +
                  "'");
    skipSpaces();
    if (pos + 1 != text.size() || text[pos] != '\n')
      return fail("expected only spaces and a final newline after the dict");
    return true;
  }
};

/// Opens `path` for reading if it is a regular file: O_NONBLOCK keeps a FIFO
/// from blocking the open until a writer appears.
File openRegularFile(const std::string &path, std::string &error) {
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return nullptr;
  }
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    error = path + ": not a regular file";
    close(fd);
    return nullptr;
  }
  File file(fdopen(fd, "rb"));
  if (!file) {
    error = path + ": cannot open: " + std::strerror(errno);
    close(fd);
  }
  return file;
}
} // namespace

bool optgraph::runtime::readNpy(const std::string &path,
                                const std::string &dtype,
                                const std::vector<int64_t> &shape, void *data,
                                size_t bytes, std::string &error) {
  File file = openRegularFile(path, error);
  if (!file)
    return false;
  unsigned char prefix[8];
  if (std::fread(prefix, 1, 8, file.get()) != 8 ||
      std::memcmp(prefix, "\x93NUMPY", 6) != 0) {
    error = path + ": not a NumPy .npy file (bad magic)";
    return false;
  }
  unsigned major = prefix[6], minor = prefix[7];
  if (major < 1 || major > 3 || minor != 0) {
    error = path + ": unsupported .npy format version " +
            std::to_string(major) + "." + std::to_string(minor) +
            " (NumPy reads 1.0, 2.0 and 3.0)";
    return false;
  }
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (std::fread(prefix, 1, lengthBytes, file.get()) != lengthBytes) {
    error = path + ": truncated .npy header";
    return false;
  }
  size_t headerLength = 0;
  for (size_t i = lengthBytes; i-- > 0;)
    headerLength = headerLength << 8 | prefix[i];
  if (headerLength > kMaxHeaderLength) {
    error = path + ": malformed .npy header: " + std::to_string(headerLength) +
            " bytes, more than NumPy's limit of " +
            std::to_string(kMaxHeaderLength);
    return false;
  }
  std::string text(headerLength, '\0');
  if (std::fread(text.data(), 1, headerLength, file.get()) != headerLength) {
    error = path + ": truncated .npy header";
    return false;
  }
  NpyHeader header;
  std::string problem;
  if (!HeaderParser(text).parse(header, problem)) {
    error = path + ": malformed .npy header: " + problem;
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
  // Fortran order only changes the layout of arrays of two or more
  // dimensions.
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
  if (dict.size() > 0xFFFF) {
    error = path + ": shape " + formatShape(shape) +
            " is too long for a version 1.0 header";
    return false;
  }
  // O_EXCL: never write through a file or a link that is already there.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  File file(fd < 0 ? nullptr : fdopen(fd, "wb"));
  if (!file) {
    error = path + ": cannot create: " + std::strerror(errno);
    if (fd >= 0)
      close(fd);
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
  // fclose flushes: a full disk may only show here.
  ok = std::fclose(file.release()) == 0 && ok;
  if (!ok) {
    error = path + ": write failed: " + std::strerror(errno);
    std::remove(path.c_str());
    return false;
  }
  return true;
}
