#include "cgounwind/go_text.h"

#include <fmt/format.h>

#include <cctype>

namespace cgounwind {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_len(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  return n;
}

}  // namespace

std::string quote_go_string(std::string_view bytes, int64_t total) {
  if (total < 0 || total > (int64_t{1} << 48)) return fmt::format("<bad string length {}>", total);
  std::string out = "\"";
  for (size_t i = 0; i < bytes.size();) {
    auto c = static_cast<unsigned char>(bytes[i]);
    size_t n = utf8_len(bytes, i);
    if (n > 1) {
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (n == 1 && c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += fmt::format("\\x{:02x}", c);
        }
    }
    ++i;
  }
  out += "\"";
  if (static_cast<uint64_t>(total) > bytes.size())
    out += fmt::format("...+{} more", static_cast<uint64_t>(total) - bytes.size());
  return out;
}

GoPath parse_go_path(std::string_view text) {
  GoPath out;
  size_t i = 0, derefs = 0;
  auto skip = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  auto ident = [&]() -> std::string {
    size_t start = i;
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                               text[i] == '_' || static_cast<unsigned char>(text[i]) >= 0x80)) {
      ++i;
    }
    return std::string(text.substr(start, i - start));
  };
  skip();
  while (i < text.size() && text[i] == '*') {
    ++derefs;
    ++i;
    skip();
  }
  out.root = ident();
  if (out.root.empty()) {
    out.error = "expected a variable name";
    return out;
  }
  while (skip(), i < text.size() && out.steps.size() < 256) {
    if (text[i] == '.') {
      ++i;
      std::string f = ident();
      if (f.empty()) {
        out.error = fmt::format("expected a field name at column {}", i + 1);
        return out;
      }
      out.steps.push_back(GoPathStep{GoPathStep::Field, f, 0});
    } else if (text[i] == '[') {
      ++i;
      skip();
      size_t start = i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
      std::string digits(text.substr(start, i - start));
      skip();
      if (digits.empty() || digits.size() > 18 || i >= text.size() || text[i] != ']') {
        out.error = fmt::format("expected [index] at column {}", start);
        return out;
      }
      ++i;
      out.steps.push_back(GoPathStep{GoPathStep::Index, {}, std::stoull(digits)});
    } else {
      out.error = fmt::format(
          "unexpected '{}' at column {} (go print takes NAME, .field, [index], *)", text[i], i + 1);
      return out;
    }
  }
  for (size_t k = 0; k < derefs; ++k) out.steps.push_back(GoPathStep{GoPathStep::Deref, {}, 0});
  return out;
}

}  // namespace cgounwind
