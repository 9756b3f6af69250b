//===- Json.cpp - a small JSON reader for manifests -----------------------===//

#include "optgraph/Runtime/Json.h"

#include <cmath>
#include <cstdlib>

using namespace optgraph::runtime;

const JsonValue *JsonValue::get(const std::string &key) const {
  if (kind != Kind::Object)
    return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->second;
}

namespace {
bool isDigit(char c) { return c >= '0' && c <= '9'; }

int hexValue(char c) {
  if (isDigit(c))
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string &out, unsigned code) {
  if (code < 0x80) {
    out += char(code);
  } else if (code < 0x800) {
    out += char(0xC0 | (code >> 6));
    out += char(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += char(0xE0 | (code >> 12));
    out += char(0x80 | ((code >> 6) & 0x3F));
    out += char(0x80 | (code & 0x3F));
  } else {
    out += char(0xF0 | (code >> 18));
    out += char(0x80 | ((code >> 12) & 0x3F));
    out += char(0x80 | ((code >> 6) & 0x3F));
    out += char(0x80 | (code & 0x3F));
  }
}

class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  bool parseDocument(JsonValue &value, std::string &error) {
    bool ok = parseValue(value, 0);
    if (ok) {
      skipSpace();
      ok = pos == text.size() || fail("trailing characters");
    }
    if (!ok)
      error = message + " at offset " + std::to_string(pos);
    return ok;
  }

private:
  const std::string &text;
  size_t pos = 0;
  std::string message;

  bool fail(const char *what) {
    if (message.empty())
      message = what;
    return false;
  }
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\t' || text[pos] == '\r'))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  bool literal(const char *word) {
    size_t n = std::char_traits<char>::length(word);
    if (text.compare(pos, n, word) != 0)
      return fail("invalid literal");
    pos += n;
    return true;
  }
  /// The four hex digits of a \u escape.
  bool parseHex4(unsigned &code) {
    code = 0;
    for (int i = 0; i < 4; ++i) {
      int digit = hexValue(peek());
      if (digit < 0)
        return fail("\\u must be followed by four hex digits");
      code = code << 4 | unsigned(digit);
      ++pos;
    }
    return true;
  }
  /// A \u escape, or a surrogate pair of them, as one code point.
  bool parseUnicodeEscape(std::string &out) {
    unsigned code;
    if (!parseHex4(code))
      return false;
    if (code >= 0xDC00 && code <= 0xDFFF)
      return fail("unpaired surrogate in \\u escape");
    if (code >= 0xD800 && code <= 0xDBFF) {
      unsigned low;
      if (text.compare(pos, 2, "\\u") != 0 || (pos += 2, !parseHex4(low)) ||
          low < 0xDC00 || low > 0xDFFF)
        return fail("unpaired surrogate in \\u escape");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    appendUtf8(out, code);
    return true;
  }
  /// One UTF-8 encoded code point beyond ASCII (RFC 8259 text is UTF-8;
  /// overlong forms and surrogates are not).
  bool copyUtf8(std::string &out) {
    auto lead = static_cast<unsigned char>(text[pos]);
    size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    unsigned min = length == 4 ? 0x10000 : length == 3 ? 0x800 : 0x80;
    unsigned code = lead & (0x7F >> length);
    if (lead < 0xC2 || lead > 0xF4 || pos + length > text.size())
      return fail("invalid UTF-8");
    for (size_t i = 1; i < length; ++i) {
      auto next = static_cast<unsigned char>(text[pos + i]);
      if ((next & 0xC0) != 0x80)
        return fail("invalid UTF-8");
      code = code << 6 | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      return fail("invalid UTF-8");
    out.append(text, pos, length);
    pos += length;
    return true;
  }
  bool parseString(std::string &out) {
    if (!consume('"'))
      return fail("expected a string");
    while (pos < text.size() && text[pos] != '"') {
      auto c = static_cast<unsigned char>(text[pos]);
      if (c < 0x20)
        return fail("unescaped control character in a string");
      if (c >= 0x80) {
        if (!copyUtf8(out))
          return false;
        continue;
      }
      ++pos;
      if (c != '\\') {
        out += char(c);
        continue;
      }
      char e = peek();
      ++pos;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u':
        if (!parseUnicodeEscape(out))
          return false;
        break;
      default:
        return fail("invalid escape");
      }
    }
    if (pos >= text.size())
      return fail("unterminated string");
    ++pos;
    return true;
  }
  /// RFC 8259's number grammar, which strtod alone would widen (hex, inf,
  /// nan, leading '+' or '.'); values beyond a double's range are errors.
  bool parseNumber(JsonValue &value) {
    size_t begin = pos;
    if (peek() == '-')
      ++pos;
    if (peek() == '0')
      ++pos;
    else if (isDigit(peek()))
      while (isDigit(peek()))
        ++pos;
    else
      return fail("unexpected character");
    if (peek() == '.') {
      ++pos;
      if (!isDigit(peek()))
        return fail("expected a digit after '.'");
      while (isDigit(peek()))
        ++pos;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos;
      if (peek() == '+' || peek() == '-')
        ++pos;
      if (!isDigit(peek()))
        return fail("expected a digit in the exponent");
      while (isDigit(peek()))
        ++pos;
    }
    value.kind = JsonValue::Kind::Number;
    value.number =
        std::strtod(text.substr(begin, pos - begin).c_str(), nullptr);
    if (!std::isfinite(value.number)) {
      pos = begin;
      return fail("number out of range");
    }
    return true;
  }
  bool parseValue(JsonValue &value, int depth) {
    if (depth > 64)
      return fail("nesting too deep");
    skipSpace();
    if (pos >= text.size())
      return fail("unexpected end of input");
    char c = text[pos];
    if (c == '{') {
      ++pos;
      value.kind = JsonValue::Kind::Object;
      if (consume('}'))
        return true;
      do {
        std::string key;
        if (!parseString(key) || !consume(':'))
          return fail("expected \"key\": value");
        // A repeated key would silently override the first one.
        auto [it, inserted] = value.object.try_emplace(key);
        if (!inserted)
          return fail("duplicate key");
        if (!parseValue(it->second, depth + 1))
          return false;
      } while (consume(','));
      return consume('}') || fail("expected '}'");
    }
    if (c == '[') {
      ++pos;
      value.kind = JsonValue::Kind::Array;
      if (consume(']'))
        return true;
      do {
        value.array.emplace_back();
        if (!parseValue(value.array.back(), depth + 1))
          return false;
      } while (consume(','));
      return consume(']') || fail("expected ']'");
    }
    if (c == '"') {
      value.kind = JsonValue::Kind::String;
      return parseString(value.string);
    }
    if (c == 't' || c == 'f') {
      value.kind = JsonValue::Kind::Bool;
      value.boolean = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n')
      return literal("null");
    return parseNumber(value);
  }
};
} // namespace

bool optgraph::runtime::parseJson(const std::string &text, JsonValue &value,
                                  std::string &error) {
  return Parser(text).parseDocument(value, error);
}
