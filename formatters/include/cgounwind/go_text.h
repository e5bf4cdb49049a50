// Go-syntax text for values, shared by every front end.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cgounwind {

// Longest string prefix the formatters read.
constexpr uint64_t kMaxStringBytes = 512;

// `bytes` (the first bytes of a Go string of `total` bytes) as a Go string literal; a truncated
// string ends with `...+N more`, a negative or absurd length gives `<bad string length N>`.
std::string quote_go_string(std::string_view bytes, int64_t total);

// A Go selector/index path as typed after `go print`: `p.Name`, `xs[2]`, `*p`, `pt.Inner.Xs[0]`.
struct GoPathStep {
  enum Kind : uint8_t { Field, Index, Deref } kind = Field;
  std::string field;
  uint64_t index = 0;
};
struct GoPath {
  std::string root;  // the variable
  std::vector<GoPathStep> steps;
  std::string error;  // set when the text is not such a path
};
GoPath parse_go_path(std::string_view text);

}  // namespace cgounwind
