//===- Json.cpp - a small JSON reader for manifests -----------------------===//

#include "optgraph/Runtime/Json.h"

#include <cstdlib>

using namespace optgraph::runtime;

const JsonValue *JsonValue::get(const std::string &key) const {
  if (kind != Kind::Object)
    return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->second;
}

namespace {
class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  bool parseDocument(JsonValue &value, std::string &error) {
    if (!parseValue(value, 0) ||
        (skipSpace(), pos != text.size() && fail("trailing characters"))) {
      error = message + " at offset " + std::to_string(pos);
      return false;
    }
    return true;
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
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\t' || text[pos] == '\r'))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool literal(const char *word) {
    size_t n = std::char_traits<char>::length(word);
    if (text.compare(pos, n, word) != 0)
      return fail("invalid literal");
    pos += n;
    return true;
  }
  bool parseString(std::string &out) {
    if (!consume('"'))
      return fail("expected a string");
    while (pos < text.size() && text[pos] != '"') {
      char c = text[pos++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos >= text.size())
        break;
      char e = text[pos++];
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
      case 'u': {
        if (pos + 4 > text.size())
          return fail("truncated \\u escape");
        unsigned code = std::strtoul(text.substr(pos, 4).c_str(), nullptr, 16);
        pos += 4;
        // Manifests are ASCII; encode the BMP code point as UTF-8 anyway.
        if (code < 0x80) {
          out += char(code);
        } else if (code < 0x800) {
          out += char(0xC0 | (code >> 6));
          out += char(0x80 | (code & 0x3F));
        } else {
          out += char(0xE0 | (code >> 12));
          out += char(0x80 | ((code >> 6) & 0x3F));
          out += char(0x80 | (code & 0x3F));
        }
        break;
      }
      default:
        return fail("invalid escape");
      }
    }
    if (pos >= text.size())
      return fail("unterminated string");
    ++pos;
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
        if (!parseString(key) || !consume(':') ||
            !parseValue(value.object[key], depth + 1))
          return fail("expected \"key\": value");
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
    const char *begin = text.c_str() + pos;
    char *end = nullptr;
    value.kind = JsonValue::Kind::Number;
    value.number = std::strtod(begin, &end);
    if (end == begin)
      return fail("unexpected character");
    pos += end - begin;
    return true;
  }
};
} // namespace

bool optgraph::runtime::parseJson(const std::string &text, JsonValue &value,
                                  std::string &error) {
  return Parser(text).parseDocument(value, error);
}
