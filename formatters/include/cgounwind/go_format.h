// Go values as Go-syntax text, the same in every front end: `main.Point{X: 1, Name: "a"}`,
// `[]int len: 3, cap: 3 [10, 20, 30]`, `error(*errors.errorString) &errors.errorString{s:
// "boom"}`. Bounded (depth, elements, text length); unreadable memory is shown inline.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgounwind/go_values.h"
#include "cgounwind/memory.h"

namespace cgounwind {

// A child of a value that debuggers show expanded: a map entry (named `[key]`), a channel's
// queued element (`[i]`), an interface's dynamic value (`(T)`). Its bytes are at `address`, or
// are `data` (a pointer-shaped value held in an interface word).
struct GoChild {
  std::string name;
  uint64_t type = 0;
  std::optional<uint64_t> address;
  std::vector<uint8_t> data;
};

struct GoFormatter {
  const GoDwarf& dwarf;
  Memory& mem;
  uint64_t types_base = 0;  // address of runtime.types (interfaces' dynamic types)

  static constexpr int kMaxDepth = 3;
  static constexpr size_t kMaxElements = 16;
  size_t max_elements = kMaxElements;  // elements of a slice, array, map or channel shown
  static constexpr size_t kMaxText = 1024;

  // The value of type `type_id` whose bytes are `bytes` / which lies at `addr`.
  std::string format(uint64_t type_id, const std::vector<uint8_t>& bytes, int depth = 0) const;
  std::string format_at(uint64_t type_id, uint64_t addr, int depth = 0) const;
  // An interface value (two words) of static type `type_id`.
  std::string format_interface(uint64_t type_id, uint64_t w0, uint64_t w1, int depth = 0) const;
  // A C value (a type of the C compile units) as a C debugger shows it:
  // `{kind = ANIMAL_KIND_CAT, {cat_name = "Tom" <active>, tail_len = 7171924}}`. In a struct
  // whose enum member names a member of a union beside it (ANIMAL_KIND_CAT ↔ cat_name), that
  // member comes first in the union and is marked <active>; `{char *data; size_t len}` structs
  // and char arrays show as text. `active`: the union member to put first (lower case).
  std::string format_c(uint64_t type_id, const std::vector<uint8_t>& bytes, int depth = 0,
                       std::string_view active = {}) const;
  // A Go type name as shown: cgo's `main._Ctype_char` as `C.char`, `main._Ctype_struct___0` as
  // `C.Animal` (the C typedef), inside composite names too (`*C.char`, `[]C.int`).
  std::string display_name(const std::string& go_name) const;
  // The children of a map, channel or interface value (at most max_elements), in the order
  // its text shows them; empty for other kinds.
  std::vector<GoChild> children(uint64_t type_id, const std::vector<uint8_t>& bytes) const;
  // `sink`: also collects the entries shown, as children.
  std::string format_chan(const GoType& t, uint64_t hchan, int depth = 0,
                          std::vector<GoChild>* sink = nullptr) const;
  std::string format_map(const GoType& t, uint64_t hmap, int depth = 0,
                         std::vector<GoChild>* sink = nullptr) const;
  std::string format_swiss_map(const GoType& t, const GoType& m, const std::vector<uint8_t>& mb,
                               int depth, std::vector<GoChild>* sink = nullptr) const;
};

std::string cgo_display_name(const GoDwarf& dwarf, const std::string& go_name);

// For an enum value: the enumerator's own part, lower case, without the prefix every enumerator
// of the type shares (ANIMAL_KIND_CAT among ANIMAL_KIND_* → "cat"); empty when none matches.
std::string enumerator_token(const GoType& enum_type, int64_t value);
// Whether a union member's name is the one an enumerator token designates: `cat` names
// `cat`, `cat_name` and `the_cat`.
bool member_matches_token(std::string_view member, std::string_view token);

// The Go type id in a formatted mirror's name (`$iface_NAME_<hex id>`, `$chan_…`), or 0.
uint64_t type_id_from_mirror(const std::string& mirror_name);

}  // namespace cgounwind
