#include "cgounwind/go_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>

#include "cgounwind/go_text.h"

namespace cgounwind {
namespace {

uint64_t word(const std::vector<uint8_t>& b, size_t off, size_t n = 8) {
  uint64_t v = 0;
  if (off + n <= b.size()) std::memcpy(&v, b.data() + off, n);
  return v;
}

int64_t sword(const std::vector<uint8_t>& b, size_t n) {
  uint64_t v = word(b, 0, n);
  if (n < 8 && (v >> (8 * n - 1) & 1)) v |= ~uint64_t{0} << (8 * n);
  return static_cast<int64_t>(v);
}

// Kinds whose values an interface holds in its data word itself (pointer-shaped types).
bool direct_iface(GoKind k) {
  return k == GoKind::Pointer || k == GoKind::Chan || k == GoKind::Map || k == GoKind::Func ||
         k == GoKind::UnsafePointer;
}

// C's plain `char` (not `signed char` / `unsigned char`): signed on amd64, unsigned on arm64
// (DW_ATE_unsigned_char), named "char" in DWARF on both.
bool is_plain_char(const GoType& t) {
  return (t.kind == GoKind::Int8 || t.kind == GoKind::Uint8) && t.name == "char";
}

bool is_integer(GoKind k) { return k >= GoKind::Int && k <= GoKind::Uintptr; }

bool is_signed(GoKind k) { return k >= GoKind::Int && k <= GoKind::Int64; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string enumerator_token(const GoType& enum_type, int64_t value) {
  const auto& es = enum_type.enumerators;
  auto it = std::find_if(es.begin(), es.end(), [&](const auto& e) { return e.second == value; });
  if (it == es.end() || es.empty()) return {};
  // The prefix all enumerators share, cut after its last '_'.
  size_t common = es[0].first.size();
  for (const auto& e : es) {
    size_t i = 0;
    while (i < common && i < e.first.size() && e.first[i] == es[0].first[i]) ++i;
    common = i;
  }
  size_t cut = es[0].first.rfind('_', common == 0 ? 0 : common - 1);
  size_t from = (cut == std::string::npos || common == 0) ? 0 : cut + 1;
  if (from >= it->first.size()) return {};
  return lower(std::string_view(it->first).substr(from));
}

bool member_matches_token(std::string_view member, std::string_view token) {
  if (token.empty() || member.empty()) return false;
  std::string m = lower(member), t(token);
  return m == t || m.rfind(t + "_", 0) == 0 ||
         (m.size() > t.size() + 1 &&
          m.compare(m.size() - t.size() - 1, t.size() + 1, "_" + t) == 0);
}

std::string GoFormatter::display_name(const std::string& go_name) const {
  return cgo_display_name(dwarf, go_name);
}

std::string cgo_display_name(const GoDwarf& dwarf, const std::string& go_name) {
  static constexpr std::string_view kCtype = "._Ctype_";
  auto word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '/' ||
           c == '-';
  };
  std::string out;
  size_t from = 0;
  for (size_t at = go_name.find(kCtype); at != std::string::npos && out.size() < 4096;
       at = go_name.find(kCtype, from)) {
    size_t start = at;  // the package path before `._Ctype_`
    while (start > from && word_char(go_name[start - 1])) --start;
    size_t end = at + kCtype.size();
    while (end < go_name.size() &&
           (std::isalnum(static_cast<unsigned char>(go_name[end])) || go_name[end] == '_'))
      ++end;
    std::string rest = go_name.substr(at + kCtype.size(), end - at - kCtype.size());
    std::string c = "C." + rest;  // C.char, C.int, C.struct_point, C.Animal (a typedef)
    if (rest.rfind("struct___", 0) == 0 || rest.rfind("union___", 0) == 0) {
      auto id = dwarf.type_by_name(go_name.substr(start, end - start));
      auto spelled = id ? dwarf.c_type_for(*id) : std::nullopt;
      if (spelled && spelled->find(' ') == std::string::npos) c = "C." + *spelled;
    }
    out += go_name.substr(from, start - from) + c;
    from = end;
  }
  return out + go_name.substr(std::min(from, go_name.size()));
}

uint64_t type_id_from_mirror(const std::string& mirror_name) {
  auto us = mirror_name.rfind('_');
  bool formatted = mirror_name.rfind("$iface_", 0) == 0 || mirror_name.rfind("$chan_", 0) == 0 ||
                   mirror_name.rfind("$map_", 0) == 0;
  if (!formatted || us == std::string::npos) return 0;
  std::string hex = mirror_name.substr(us + 1);
  if (hex.empty() || hex.size() > 16 ||
      hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    return 0;
  return std::stoull(hex, nullptr, 16);
}

std::string GoFormatter::format_at(uint64_t type_id, uint64_t addr, int depth) const {
  const GoType* t = dwarf.type(type_id);
  if (t == nullptr) return "<unknown type>";
  if (t->size > (1u << 16)) return fmt::format("<{} bytes at {:#x}>", t->size, addr);
  std::vector<uint8_t> bytes(t->size);
  if (t->size > 0 && !mem.read(addr, bytes.data(), bytes.size()))
    return fmt::format("<unreadable at {:#x}>", addr);
  return format(type_id, bytes, depth);
}

std::string GoFormatter::format_interface(uint64_t type_id, uint64_t w0, uint64_t w1,
                                          int depth) const {
  const GoType* t = dwarf.type(type_id);
  std::string name = t ? display_name(t->name) : "interface";
  if (w0 == 0) return name + "(nil)";
  // iface {tab *itab; data} (itab's type at 8) or eface {_type; data}.
  bool eface = t && !t->fields.empty() && t->fields[0].name != "tab";
  uint64_t type_addr = w0;
  if (!eface) {
    auto v = mem.u64(w0 + 8);
    if (!v) return fmt::format("{}(<unreadable itab at {:#x}>)", name, w0);
    type_addr = *v;
  }
  auto dyn = type_addr >= types_base ? dwarf.type_for_runtime_offset(type_addr - types_base)
                                     : std::nullopt;
  const GoType* d = dyn ? dwarf.type(*dyn) : nullptr;
  if (d == nullptr) return fmt::format("{}(<type at {:#x}>) {:#x}", name, type_addr, w1);
  std::string value;
  if (direct_iface(d->kind)) {
    std::vector<uint8_t> bytes(8);
    std::memcpy(bytes.data(), &w1, 8);
    value = format(*dyn, bytes, depth + 1);
  } else {
    value = format_at(*dyn, w1, depth + 1);
  }
  return fmt::format("{}({}) {}", name, display_name(d->name), value);
}

// A map. Classic hash maps (Go <= 1.23): every full slot (tophash >= minTopHash) of the old
// buckets (not yet evacuated while growing) and of the buckets, with overflow chains; layouts
// from the DWARF of hash<K,V> and bucket<K,V>. Swiss tables (Go >= 1.24): the count only, yet.
std::string GoFormatter::format_map(const GoType& t, uint64_t hmap, int depth,
                                    std::vector<GoChild>* sink) const {
  if (hmap == 0) return display_name(t.name) + "(nil)";
  const GoType* h = dwarf.type(t.elem);  // the pointer's target
  if (h == nullptr || h->kind != GoKind::Struct)
    return fmt::format("{}({:#x})", display_name(t.name), hmap);
  std::vector<uint8_t> hb(h->size);
  if (!mem.read(hmap, hb.data(), hb.size()))
    return fmt::format("{}(<unreadable at {:#x}>)", display_name(t.name), hmap);
  const GoField* count = h->field("count");
  if (count == nullptr) return format_swiss_map(t, *h, hb, depth, sink);
  const GoField* bf = h->field("B");
  const GoField* buckets = h->field("buckets");
  const GoField* old = h->field("oldbuckets");
  const GoType* bptr = buckets ? dwarf.type(buckets->type) : nullptr;
  const GoType* bucket = bptr ? dwarf.type(bptr->elem) : nullptr;
  if (bf == nullptr || bucket == nullptr)
    return fmt::format("{}({:#x})", display_name(t.name), hmap);
  const GoField* tophash = bucket->field("tophash");
  const GoField* keys = bucket->field("keys");
  const GoField* values = bucket->field("values");
  const GoField* overflow = bucket->field("overflow");
  const GoType* karr = keys ? dwarf.type(keys->type) : nullptr;
  const GoType* varr = values ? dwarf.type(values->type) : nullptr;
  const GoType* kt = karr ? dwarf.type(karr->elem) : nullptr;
  const GoType* vt = varr ? dwarf.type(varr->elem) : nullptr;
  if (!tophash || !overflow || !kt || !vt)
    return fmt::format("{}({:#x})", display_name(t.name), hmap);
  uint64_t n = word(hb, count->offset), B = word(hb, bf->offset, 1);
  std::string out = fmt::format("{} len: {} [", display_name(t.name), n);
  if (B > 24) return out + "<bad bucket count>]";
  size_t shown = 0, visited = 0;
  bool truncated = false;
  constexpr size_t kMinTopHash = 5, kSlots = 8, kMaxBuckets = 1 << 16;
  for (int pass = 0; pass < 2 && !truncated; ++pass) {
    uint64_t base = word(hb, pass == 0 ? (old ? old->offset : 0) : buckets->offset);
    if (pass == 0 && (old == nullptr || base == 0 || B == 0)) continue;
    uint64_t nb = uint64_t{1} << (pass == 0 ? B - 1 : B);
    for (uint64_t i = 0; i < nb && !truncated; ++i) {
      uint64_t b = base + i * bucket->size;
      for (int chain = 0; b != 0 && chain < 1024 && !truncated; ++chain) {
        if (++visited > kMaxBuckets) {
          truncated = true;
          break;
        }
        std::vector<uint8_t> bb(bucket->size);
        if (!mem.read(b, bb.data(), bb.size())) {
          out += fmt::format("{}<unreadable bucket at {:#x}>", shown ? ", " : "", b);
          truncated = true;
          break;
        }
        for (size_t slot = 0; slot < kSlots; ++slot) {
          if (bb[tophash->offset + slot] < kMinTopHash) continue;
          if (shown == max_elements) {
            truncated = true;
            break;
          }
          out += shown++ ? ", " : "";
          std::string k = format_at(karr->elem, b + keys->offset + slot * kt->size, depth + 1);
          uint64_t v = b + values->offset + slot * vt->size;
          out += k + ": " + format_at(varr->elem, v, depth + 1);
          if (sink) sink->push_back(GoChild{"[" + k + "]", varr->elem, v, {}});
        }
        b = word(bb, overflow->offset);
      }
    }
  }
  if (truncated && shown < n) out += fmt::format(", ...+{} more", n - shown);
  return out + "]";
}

// A Swiss-table map (Go >= 1.24, internal/runtime/maps.Map): with dirLen == 0, dirPtr is one
// group; else a directory of dirLen table pointers (a table can fill several entries), each
// table an array of lengthMask+1 groups. A group is a control word (a byte per slot: high bit
// clear when the slot is full) and 8 slots {key; elem}: noalg.map.group[K]V in the DWARF.
std::string GoFormatter::format_swiss_map(const GoType& t, const GoType& m,
                                          const std::vector<uint8_t>& mb, int depth,
                                          std::vector<GoChild>* sink) const {
  const GoField* used = m.field("used");
  const GoField* dir_ptr = m.field("dirPtr");
  const GoField* dir_len = m.field("dirLen");
  uint64_t n = used ? word(mb, used->offset) : 0;
  std::string out = fmt::format("{} len: {} [", display_name(t.name), n);
  auto gid = t.name.rfind("map[", 0) == 0 ? dwarf.type_by_name("noalg.map.group" + t.name.substr(3))
                                          : std::nullopt;
  const GoType* group = gid ? dwarf.type(*gid) : nullptr;
  const GoField* ctrl = group ? group->field("ctrl") : nullptr;
  const GoField* slots = group ? group->field("slots") : nullptr;
  const GoType* sarr = slots ? dwarf.type(slots->type) : nullptr;
  const GoType* slot = sarr ? dwarf.type(sarr->elem) : nullptr;
  const GoField* key = slot ? slot->field("key") : nullptr;
  const GoField* elem = slot ? slot->field("elem") : nullptr;
  auto tid = dwarf.type_by_name("internal/runtime/maps.table");
  const GoType* table = tid ? dwarf.type(*tid) : nullptr;
  const GoField* groups = table ? table->field("groups") : nullptr;
  if (!dir_ptr || !dir_len || !ctrl || !key || !elem || !groups || sarr->count == 0)
    return out + "<unknown Swiss map layout>]";
  size_t shown = 0;
  bool truncated = false;
  auto read_group = [&](uint64_t g) {
    std::vector<uint8_t> gb(group->size);
    if (!mem.read(g, gb.data(), gb.size())) {
      out += fmt::format("{}<unreadable group at {:#x}>", shown ? ", " : "", g);
      truncated = true;
      return;
    }
    for (uint64_t i = 0; i < sarr->count && i < 8 && !truncated; ++i) {
      if (gb[ctrl->offset + i] & 0x80) continue;  // empty or deleted
      if (shown == max_elements) {
        truncated = true;
        return;
      }
      uint64_t at = g + slots->offset + i * slot->size;
      out += shown++ ? ", " : "";
      std::string k = format_at(key->type, at + key->offset, depth + 1);
      out += k + ": " + format_at(elem->type, at + elem->offset, depth + 1);
      if (sink) sink->push_back(GoChild{"[" + k + "]", elem->type, at + elem->offset, {}});
    }
  };
  uint64_t dir = word(mb, dir_ptr->offset), dlen = word(mb, dir_len->offset);
  if (dir != 0 && dlen == 0) {
    read_group(dir);
  } else if (dir != 0 && dlen <= (1u << 16)) {
    // Each table once (one table can fill several directory entries), and a bound on the groups
    // read in all: a garbage directory of distinct tables with empty groups would otherwise
    // cost 2^16 × 2^16 reads.
    constexpr uint64_t kMaxGroups = 1u << 16;
    uint64_t groups_read = 0;
    std::set<uint64_t> tables;
    for (uint64_t d = 0; d < dlen && !truncated; ++d) {
      auto tp = mem.u64(dir + d * 8);
      if (!tp) break;
      if (!tables.insert(*tp).second) continue;
      auto data = mem.u64(*tp + groups->offset), mask = mem.u64(*tp + groups->offset + 8);
      if (!data || !mask || *mask >= (1u << 16)) continue;
      for (uint64_t g = 0; g <= *mask && !truncated; ++g) {
        if (groups_read++ == kMaxGroups) {
          truncated = true;
          break;
        }
        read_group(*data + g * group->size);
      }
    }
  }
  if (truncated && shown < n) out += fmt::format(", ...+{} more", n - shown);
  return out + "]";
}

// A channel: runtime.hchan's queue, oldest first (recvx onwards, around the ring).
std::string GoFormatter::format_chan(const GoType& t, uint64_t hchan, int depth,
                                     std::vector<GoChild>* sink) const {
  if (hchan == 0) return display_name(t.name) + "(nil)";
  const GoType* h = dwarf.type(t.elem);  // the pointer's target: hchan<T>
  const GoType* e = dwarf.type(t.go_elem);
  if (h == nullptr || h->kind != GoKind::Struct)
    return fmt::format("{}({:#x})", display_name(t.name), hchan);
  std::vector<uint8_t> hb(h->size);
  if (!mem.read(hchan, hb.data(), hb.size()))
    return fmt::format("{}(<unreadable at {:#x}>)", display_name(t.name), hchan);
  auto field = [&](const char* name, size_t n) -> uint64_t {
    const GoField* f = h->field(name);
    return f ? word(hb, f->offset, n) : 0;
  };
  uint64_t len = field("qcount", 8), cap = field("dataqsiz", 8), buf = field("buf", 8);
  uint64_t recvx = field("recvx", 8), closed = field("closed", 4);
  std::string out = fmt::format("{} len: {}, cap: {}", display_name(t.name), len, cap);
  if (closed) out += ", closed";
  if (len > cap || recvx >= std::max<uint64_t>(cap, 1)) return out + " <bad queue>";
  if (len > 0 && e != nullptr && buf != 0) {
    out += " [";
    for (uint64_t i = 0; i < len && i < max_elements; ++i) {
      if (i) out += ", ";
      uint64_t at = buf + ((recvx + i) % cap) * e->size;
      out += format_at(t.go_elem, at, depth + 1);
      if (sink) sink->push_back(GoChild{fmt::format("[{}]", i), t.go_elem, at, {}});
    }
    if (len > max_elements) out += fmt::format(", ...+{} more", len - max_elements);
    out += "]";
  }
  return out;
}

std::vector<GoChild> GoFormatter::children(uint64_t type_id, const std::vector<uint8_t>& b) const {
  std::vector<GoChild> out;
  const GoType* t = dwarf.type(type_id);
  if (t == nullptr || b.size() < t->size || b.size() < 8) return out;
  if (t->kind == GoKind::Map) {
    format_map(*t, word(b, 0), 0, &out);
  } else if (t->kind == GoKind::Chan) {
    format_chan(*t, word(b, 0), 0, &out);
  } else if (t->kind == GoKind::Interface && b.size() >= 16 && word(b, 0) != 0) {
    // The dynamic value: in the data word itself (pointer-shaped types) or where it points.
    bool eface = !t->fields.empty() && t->fields[0].name != "tab";
    uint64_t type_addr = word(b, 0), w1 = word(b, 8);
    if (!eface) {
      auto v = mem.u64(type_addr + 8);
      if (!v) return out;
      type_addr = *v;
    }
    auto dyn = type_addr >= types_base ? dwarf.type_for_runtime_offset(type_addr - types_base)
                                       : std::nullopt;
    const GoType* d = dyn ? dwarf.type(*dyn) : nullptr;
    if (d == nullptr) return out;
    std::string name = "(" + display_name(d->name) + ")";
    if (direct_iface(d->kind)) {
      out.push_back(GoChild{name, *dyn, std::nullopt, {b.begin() + 8, b.begin() + 16}});
    } else {
      out.push_back(GoChild{name, *dyn, w1, {}});
    }
  }
  return out;
}

std::string GoFormatter::format_c(uint64_t type_id, const std::vector<uint8_t>& b, int depth,
                                  std::string_view active) const {
  const GoType* t = dwarf.type(type_id);
  if (t == nullptr) return "<unknown type>";
  if (b.size() < t->size) return "<short value>";
  if (depth > 2 * kMaxDepth) return "{...}";
  auto slice = [&](uint64_t off, uint64_t n) {
    if (off > b.size() || n > b.size() - off) return std::vector<uint8_t>();  // then "<short …>"
    return std::vector<uint8_t>(b.begin() + static_cast<long>(off),
                                b.begin() + static_cast<long>(off + n));
  };
  auto c_string = [&](uint64_t p, uint64_t max) -> std::optional<std::string> {
    std::string text;
    char c = 1;
    while (text.size() < std::min<uint64_t>(max, kMaxStringBytes) &&
           mem.read(p + text.size(), &c, 1) && c != 0)
      text += c;
    if (text.empty() && c != 0 && max > 0) return std::nullopt;
    return quote_go_string(text, static_cast<int64_t>(text.size())) +
           (text.size() == kMaxStringBytes && c != 0 ? "..." : "");
  };
  if (t->is_enum) {
    int64_t v = sword(b, t->size);
    for (const auto& [name, value] : t->enumerators)
      if (value == v) return name;
    return std::to_string(v);
  }
  if (is_plain_char(*t)) {
    auto v =
        t->kind == GoKind::Int8 ? static_cast<int>(sword(b, 1)) : static_cast<int>(word(b, 0, 1));
    if (v >= 0x20 && v < 0x7f) return fmt::format("{} '{}'", v, static_cast<char>(v));
    return std::to_string(v);
  }
  switch (t->kind) {
    case GoKind::Pointer: {
      uint64_t p = word(b, 0);
      const GoType* e = dwarf.type(t->elem);
      if (p == 0) return "0x0";
      if (e != nullptr && is_plain_char(*e)) {
        if (auto s = c_string(p, kMaxStringBytes)) return fmt::format("{:#x} {}", p, *s);
      }
      return fmt::format("{:#x}", p);
    }
    case GoKind::Array: {
      const GoType* e = dwarf.type(t->elem);
      if (e == nullptr || e->size == 0) return "<unknown element type>";
      if (is_plain_char(*e)) {  // char name[16]: the text up to its NUL
        std::string text;
        for (uint64_t i = 0; i < t->count && i < b.size() && b[i] != 0; ++i)
          text += static_cast<char>(b[i]);
        return quote_go_string(text, static_cast<int64_t>(text.size()));
      }
      std::string out = "{";
      for (uint64_t i = 0; i < t->count && i < max_elements; ++i) {
        if (i) out += ", ";
        out += format_c(t->elem, slice(i * e->size, e->size), depth + 1);
      }
      if (t->count > max_elements) out += fmt::format(", ...+{} more", t->count - max_elements);
      return out + "}";
    }
    case GoKind::Struct: {
      // {char *data; size_t len}: the text.
      if (!t->is_union && t->fields.size() == 2) {
        const GoType* a = dwarf.type(t->fields[0].type);
        const GoType* n = dwarf.type(t->fields[1].type);
        const GoType* ae = a && a->kind == GoKind::Pointer ? dwarf.type(a->elem) : nullptr;
        if (ae && is_plain_char(*ae) && n && is_integer(n->kind) && !n->is_enum &&
            t->fields[1].offset + n->size <= b.size()) {
          uint64_t p = word(b, t->fields[0].offset);
          uint64_t len = word(b, t->fields[1].offset, n->size);
          std::string text(std::min<uint64_t>(len, kMaxStringBytes), '\0');
          bool ok = len < (1ull << 40) &&
                    (text.empty() || (p != 0 && mem.read(p, text.data(), text.size())));
          if (ok) return quote_go_string(text, static_cast<int64_t>(len));
        }
      }
      // A tagged union: the enum member's enumerator names the active union member.
      std::string token;
      if (!t->is_union) {
        for (const GoField& f : t->fields) {
          const GoType* ft = dwarf.type(f.type);
          if (ft && ft->is_enum && f.offset + ft->size <= b.size()) {
            token = enumerator_token(*ft, sword(slice(f.offset, ft->size), ft->size));
            if (!token.empty()) break;
          }
        }
      }
      std::vector<size_t> order(t->fields.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      bool marked = false;
      if (t->is_union && !active.empty()) {
        auto it = std::find_if(order.begin(), order.end(), [&](size_t i) {
          return member_matches_token(t->fields[i].name, active);
        });
        if (it != order.end()) {
          std::rotate(order.begin(), it, it + 1);
          marked = true;
        }
      }
      std::string out = "{";
      for (size_t k = 0; k < order.size(); ++k) {
        const GoField& f = t->fields[order[k]];
        const GoType* ft = dwarf.type(f.type);
        if (ft == nullptr || f.offset + ft->size > b.size()) continue;
        if (out.size() > 1) out += ", ";
        if (!f.name.empty()) out += f.name + " = ";
        out += format_c(f.type, slice(f.offset, ft->size), depth + 1, ft->is_union ? token : "");
        if (marked && k == 0) out += " <active>";
        if (out.size() > kMaxText) return out + ", ...}";
      }
      return out + "}";
    }
    case GoKind::Bool:
    case GoKind::Float32:
    case GoKind::Float64:
      return format(type_id, b, depth);
    default:
      if (is_integer(t->kind))
        return is_signed(t->kind) ? std::to_string(sword(b, t->size))
                                  : std::to_string(word(b, 0, t->size));
      return fmt::format("<{} bytes>", t->size);
  }
}

std::string GoFormatter::format(uint64_t type_id, const std::vector<uint8_t>& b, int depth) const {
  const GoType* t = dwarf.type(type_id);
  if (t == nullptr) return "<unknown type>";
  if (b.size() < t->size) return "<short value>";
  if (depth > kMaxDepth) return "...";
  std::string out;
  auto items = [&](uint64_t elem, uint64_t base, uint64_t count, std::string& text) {
    const GoType* e = dwarf.type(elem);
    if (e == nullptr) return;
    text += "[";
    for (uint64_t i = 0; i < count && i < max_elements && text.size() < kMaxText; ++i) {
      if (i) text += ", ";
      text += format_at(elem, base + i * e->size, depth + 1);
    }
    if (count > max_elements) text += fmt::format(", ...+{} more", count - max_elements);
    text += "]";
  };
  switch (t->kind) {
    case GoKind::Bool:
      return word(b, 0, 1) ? "true" : "false";
    case GoKind::Int:
    case GoKind::Int64:
      return std::to_string(sword(b, 8));
    case GoKind::Int32:
      return std::to_string(sword(b, 4));
    case GoKind::Int16:
      return std::to_string(sword(b, 2));
    case GoKind::Int8:
      return std::to_string(sword(b, 1));
    case GoKind::Uint:
    case GoKind::Uint64:
    case GoKind::Uintptr:
      return std::to_string(word(b, 0));
    case GoKind::Uint32:
      return std::to_string(word(b, 0, 4));
    case GoKind::Uint16:
      return std::to_string(word(b, 0, 2));
    case GoKind::Uint8:
      return std::to_string(word(b, 0, 1));
    case GoKind::Float32: {
      float f = 0;
      std::memcpy(&f, b.data(), 4);
      return fmt::format("{}", f);
    }
    case GoKind::Float64: {
      double f = 0;
      std::memcpy(&f, b.data(), 8);
      return fmt::format("{}", f);
    }
    case GoKind::String: {
      uint64_t p = word(b, 0);
      auto n = static_cast<int64_t>(word(b, 8));
      std::string bytes;
      if (n > 0 && p != 0) {
        bytes.resize(
            static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(n), kMaxStringBytes)));
        if (!mem.read(p, bytes.data(), bytes.size()))
          return fmt::format("<unreadable string at {:#x}>", p);
      }
      return quote_go_string(bytes, n);
    }
    case GoKind::Slice: {
      uint64_t p = word(b, 0), n = word(b, 8), c = word(b, 16);
      out = fmt::format("{} len: {}, cap: {}", display_name(t->name), n, c);
      if (n > c || n > (1ull << 40)) return out + " <bad length>";
      // The element type: what the slice's array pointer (its first field) points to.
      const GoType* array = t->fields.empty() ? nullptr : dwarf.type(t->fields[0].type);
      if (n > 0 && p != 0 && array != nullptr) {
        out += " ";
        items(array->elem, p, n, out);
      }
      return out;
    }
    case GoKind::Array: {
      const GoType* e = dwarf.type(t->elem);
      if (e == nullptr) return "<unknown element type>";
      out = "[";
      for (uint64_t i = 0; i < t->count && i < max_elements; ++i) {
        if ((i + 1) * e->size > b.size()) return out + "<short array>]";
        if (i) out += ", ";
        std::vector<uint8_t> eb(b.begin() + static_cast<long>(i * e->size),
                                b.begin() + static_cast<long>((i + 1) * e->size));
        out += format(t->elem, eb, depth + 1);
      }
      if (t->count > max_elements) out += fmt::format(", ...+{} more", t->count - max_elements);
      return out + "]";
    }
    case GoKind::Struct: {
      if (auto c = dwarf.c_type_id_for(type_id)) return format_c(*c, b, depth);  // cgo struct
      out = display_name(t->name) + "{";
      bool first = true;
      for (const GoField& f : t->fields) {
        const GoType* ft = dwarf.type(f.type);
        if (ft == nullptr || f.offset + ft->size > b.size()) continue;
        if (!first) out += ", ";
        first = false;
        std::vector<uint8_t> fb(b.begin() + static_cast<long>(f.offset),
                                b.begin() + static_cast<long>(f.offset + ft->size));
        out += f.name + ": " + format(f.type, fb, depth + 1);
        if (out.size() > kMaxText) return out + ", ...}";
      }
      return out + "}";
    }
    case GoKind::Pointer: {
      uint64_t p = word(b, 0);
      const GoType* e = dwarf.type(t->elem);
      if (p == 0) return fmt::format("({})(nil)", display_name(t->name));
      if (e != nullptr && is_c_char(*e)) {  // *C.char: the NUL-terminated C string
        std::string text;
        char c = 0;
        while (text.size() < kMaxStringBytes && mem.read(p + text.size(), &c, 1) && c != 0)
          text += c;
        bool more = c != 0;
        return fmt::format("({})({:#x}) {}{}", display_name(t->name), p,
                           quote_go_string(text, static_cast<int64_t>(text.size())),
                           more ? "..." : "");
      }
      if (e != nullptr && e->kind == GoKind::Struct && depth < kMaxDepth)
        return "&" + format_at(t->elem, p, depth + 1);
      return fmt::format("({})({:#x})", display_name(t->name), p);
    }
    case GoKind::Interface:
      return format_interface(type_id, word(b, 0), word(b, 8), depth);
    case GoKind::Chan:
      return format_chan(*t, word(b, 0), depth);
    case GoKind::Map:
      return format_map(*t, word(b, 0), depth);
    default:  // maps, channels, funcs, unsafe.Pointer: the pointer for now
      return fmt::format("{}({:#x})", display_name(t->name), word(b, 0));
  }
}

}  // namespace cgounwind
