#include "cgounwind/go_values.h"

#include <dwarf.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include "dwarf_api.h"
#include "dwarf_util.h"

namespace cgounwind {
namespace {

constexpr Dwarf_Half kAtGoKind = 0x2900;         // DW_AT_go_kind
constexpr Dwarf_Half kAtGoRuntimeType = 0x2904;  // DW_AT_go_runtime_type
constexpr Dwarf_Half kAtGoElem = 0x2902;         // DW_AT_go_elem
constexpr int64_t kLangGo = 0x16;                // DW_LANG_Go
constexpr size_t kMaxTypes = 200000;
constexpr int kMaxMirrorStructs = 400;
constexpr int kMaxPointerDepth = 2;

struct FuncRange {
  uint64_t lo = 0, hi = 0;
  Dwarf_Off die = 0;
};

std::optional<std::pair<uint64_t, uint64_t>> pc_range(Dwarf_Die die) {
  const DwarfApi& D = dw::api();
  Dwarf_Addr lo = 0, hi = 0;
  Dwarf_Half form = 0;
  Dwarf_Form_Class cls = DW_FORM_CLASS_UNKNOWN;
  if (D.dwarf_lowpc(die, &lo, nullptr) != DW_DLV_OK) return std::nullopt;
  if (D.dwarf_highpc_b(die, &hi, &form, &cls, nullptr) != DW_DLV_OK) return std::nullopt;
  if (cls == DW_FORM_CLASS_CONSTANT) hi += lo;
  if (hi <= lo) return std::nullopt;
  return std::make_pair(static_cast<uint64_t>(lo), static_cast<uint64_t>(hi));
}

// The location expression of `die` in force at `pc` (empty when none is).
std::vector<LocOp> location_at(Dwarf_Die die, uint64_t pc) {
  const DwarfApi& D = dw::api();
  std::vector<LocOp> ops;
  Dwarf_Attribute attr = nullptr;
  if (D.dwarf_attr(die, DW_AT_location, &attr, nullptr) != DW_DLV_OK) return ops;
  Dwarf_Loc_Head_c head = nullptr;
  Dwarf_Unsigned count = 0;
  if (D.dwarf_get_loclist_c(attr, &head, &count, nullptr) == DW_DLV_OK) {
    for (Dwarf_Unsigned i = 0; i < count && i < 100000 && ops.empty(); ++i) {
      Dwarf_Small lle = 0, source = 0;
      Dwarf_Unsigned rawlo = 0, rawhi = 0, nops = 0, exoff = 0, ldoff = 0;
      Dwarf_Bool unavailable = false;
      Dwarf_Addr lo = 0, hi = 0;
      Dwarf_Locdesc_c desc = nullptr;
      if (D.dwarf_get_locdesc_entry_d(head, i, &lle, &rawlo, &rawhi, &unavailable, &lo, &hi, &nops,
                                      &desc, &source, &exoff, &ldoff, nullptr) != DW_DLV_OK) {
        break;
      }
      bool in_force = source == 0 || (pc >= lo && pc < hi);  // 0: a plain expression
      if (!in_force || unavailable) continue;
      for (Dwarf_Unsigned j = 0; j < nops && j < 256; ++j) {
        Dwarf_Small atom = 0;
        Dwarf_Unsigned op1 = 0, op2 = 0, op3 = 0, branch = 0;
        if (D.dwarf_get_location_op_value_c(desc, j, &atom, &op1, &op2, &op3, &branch, nullptr) !=
            DW_DLV_OK) {
          ops.clear();
          break;
        }
        ops.push_back(LocOp{atom, op1, op2});
      }
    }
    D.dwarf_loc_head_c_dealloc(head);
  }
  D.dwarf_dealloc_attribute(attr);
  return ops;
}

GoKind kind_from_base(Dwarf_Die die, uint64_t size) {
  auto enc = dw::attr_int(die, DW_AT_encoding).value_or(0);
  switch (enc) {
    case DW_ATE_boolean:
      return GoKind::Bool;
    case DW_ATE_float:
      return size == 4 ? GoKind::Float32 : GoKind::Float64;
    case DW_ATE_complex_float:
      return size == 8 ? GoKind::Complex64 : GoKind::Complex128;
    case DW_ATE_signed:
    case DW_ATE_signed_char:  // C's char (and signed char)
      return size == 1   ? GoKind::Int8
             : size == 2 ? GoKind::Int16
             : size == 4 ? GoKind::Int32
                         : GoKind::Int64;
    case DW_ATE_unsigned:
    case DW_ATE_unsigned_char:
      return size == 1   ? GoKind::Uint8
             : size == 2 ? GoKind::Uint16
             : size == 4 ? GoKind::Uint32
                         : GoKind::Uint64;
    default:
      return GoKind::Invalid;
  }
}

bool is_struct_like(GoKind k) {
  return k == GoKind::Struct || k == GoKind::String || k == GoKind::Slice ||
         k == GoKind::Interface || k == GoKind::Complex64 || k == GoKind::Complex128;
}

}  // namespace

// A struct or union of a C compile unit: its tag (empty if anonymous), the typedefs naming it,
// its size and named members (name -> offset).
struct CAggregate {
  uint64_t die = 0;
  bool is_union = false;
  std::string tag;
  std::vector<std::string> typedefs;
  uint64_t size = 0;
  std::map<std::string, uint64_t> members;
};

struct GoDwarf::Impl {
  explicit Impl(const std::string& path) : dwarf(path) {}
  dw::Dwarf dwarf;
  std::vector<FuncRange> funcs;  // sorted by lo
  mutable std::unordered_map<uint64_t, GoType> types;
  mutable std::optional<std::map<std::string, uint64_t>> go_names;  // Go type name -> DIE
  mutable std::map<uint64_t, uint64_t> runtime_types;               // runtime type offset -> DIE
  mutable std::optional<std::vector<CAggregate>> c_aggregates;
  // Go type id -> its C type (c_type_match), looked up once: the layout match scans every C
  // aggregate of the binary.
  mutable std::unordered_map<uint64_t, std::optional<std::pair<std::string, uint64_t>>> c_matches;

  const std::map<std::string, uint64_t>& go_type_names() const {
    if (go_names) return *go_names;
    go_names.emplace();
    Dwarf_Debug dbg = dwarf.get();
    dw::for_each_cu(dbg, [&](Dwarf_Die cu) {
      if (dw::attr_int(cu, DW_AT_language).value_or(0) != kLangGo) return;
      dw::for_each_child(dbg, cu, [&](Dwarf_Die d) {
        int tag = dw::tag_of(d);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_variable || tag == DW_TAG_constant)
          return true;
        std::string name = dw::die_name(d);
        auto off = dw::die_offset(d);
        if (!name.empty() && off && go_names->size() < kMaxTypes) go_names->emplace(name, *off);
        if (auto rt = dw::attr_addr(d, kAtGoRuntimeType); rt && *rt != 0 && off)
          runtime_types.emplace(*rt, *off);
        return true;
      });
    });
    return *go_names;
  }

  const std::vector<CAggregate>& c_types() const {
    if (c_aggregates) return *c_aggregates;
    c_aggregates.emplace();
    Dwarf_Debug dbg = dwarf.get();
    std::map<Dwarf_Off, size_t> by_offset;
    std::vector<std::pair<std::string, Dwarf_Off>> typedefs;
    dw::for_each_cu(dbg, [&](Dwarf_Die cu) {
      if (dw::attr_int(cu, DW_AT_language).value_or(kLangGo) == kLangGo) return;
      dw::for_each_child(dbg, cu, [&](Dwarf_Die d) {
        int tag = dw::tag_of(d);
        if (tag == DW_TAG_typedef) {
          if (auto target = dw::attr_ref(d, DW_AT_type))
            typedefs.emplace_back(dw::die_name(d), *target);
        } else if ((tag == DW_TAG_structure_type || tag == DW_TAG_union_type) &&
                   !dw::has_attr(d, DW_AT_declaration) && c_aggregates->size() < kMaxTypes) {
          CAggregate a;
          a.is_union = tag == DW_TAG_union_type;
          a.tag = dw::die_name(d);
          a.size = static_cast<uint64_t>(dw::attr_int(d, DW_AT_byte_size).value_or(0));
          dw::for_each_child(dbg, d, [&](Dwarf_Die m) {
            std::string name = dw::die_name(m);
            if (dw::tag_of(m) == DW_TAG_member && !name.empty())
              a.members[name] =
                  static_cast<uint64_t>(dw::attr_int(m, DW_AT_data_member_location).value_or(0));
            return true;
          });
          if (auto off = dw::die_offset(d)) {
            by_offset[*off] = c_aggregates->size();
            a.die = *off;
          }
          c_aggregates->push_back(std::move(a));
        }
        return true;
      });
    });
    for (const auto& [name, target] : typedefs) {
      auto it = by_offset.find(target);
      if (it != by_offset.end() && !name.empty())
        (*c_aggregates)[it->second].typedefs.push_back(name);
    }
    return *c_aggregates;
  }

  void collect_vars(Dwarf_Die parent, uint64_t pc, std::vector<GoVariable>& args,
                    std::vector<GoVariable>& locals, int depth, bool with_results) const {
    dw::for_each_child(dwarf.get(), parent, [&](Dwarf_Die d) {
      int tag = dw::tag_of(d);
      if (tag == DW_TAG_formal_parameter || tag == DW_TAG_variable) {
        GoVariable v;
        v.name = dw::die_name(d);
        v.is_arg = tag == DW_TAG_formal_parameter;
        v.type = dw::attr_ref(d, DW_AT_type).value_or(0);
        // Results (~r0, ~r1, …) are not meaningful before the return: left out unless asked.
        if (!v.name.empty() && (with_results || v.name[0] != '~') && v.type != 0) {
          v.expr = location_at(d, pc);
          (v.is_arg ? args : locals).push_back(std::move(v));
        }
      } else if (tag == DW_TAG_lexical_block && depth < 32) {
        auto r = pc_range(d);
        if (!r || (pc >= r->first && pc < r->second))
          collect_vars(d, pc, args, locals, depth + 1, with_results);
      }
      return true;
    });
  }
};

GoDwarf::~GoDwarf() = default;

std::shared_ptr<const GoDwarf> GoDwarf::shared(const std::string& path, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::pair<std::shared_ptr<const GoDwarf>, std::string>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(path);
  if (it == cache.end()) {
    std::string err;
    std::shared_ptr<const GoDwarf> d;
    try {
      d = open(path, &err);
    } catch (const std::exception& e) {
      err = e.what();
    }
    it = cache.emplace(path, std::make_pair(std::move(d), err)).first;
  }
  if (error != nullptr) *error = it->second.second;
  return it->second.first;
}

std::unique_ptr<GoDwarf> GoDwarf::open(const std::string& path, std::string* error) {
  if (dwarf_api(error) == nullptr) return nullptr;
  std::unique_ptr<GoDwarf> g(new GoDwarf());
  g->impl_ = std::make_unique<Impl>(path);
  if (!g->impl_->dwarf.ok()) {
    if (error) *error = g->impl_->dwarf.error();
    return nullptr;
  }
  Dwarf_Debug dbg = g->impl_->dwarf.get();
  auto& funcs = g->impl_->funcs;
  dw::for_each_cu(dbg, [&](Dwarf_Die cu) {
    if (dw::attr_int(cu, DW_AT_language).value_or(0) != kLangGo) return;
    dw::for_each_child(dbg, cu, [&](Dwarf_Die d) {
      if (dw::tag_of(d) != DW_TAG_subprogram) return true;
      auto r = pc_range(d);
      auto off = dw::die_offset(d);
      if (r && off) funcs.push_back(FuncRange{r->first, r->second, *off});
      return true;
    });
  });
  if (funcs.empty()) {
    if (error) *error = "no Go functions in DWARF";
    return nullptr;
  }
  std::sort(funcs.begin(), funcs.end(),
            [](const FuncRange& a, const FuncRange& b) { return a.lo < b.lo; });
  return g;
}

std::vector<GoVariable> GoDwarf::variables(uint64_t pc, bool with_results) const {
  const auto& funcs = impl_->funcs;
  auto it = std::upper_bound(funcs.begin(), funcs.end(), pc,
                             [](uint64_t p, const FuncRange& f) { return p < f.lo; });
  if (it == funcs.begin()) return {};
  --it;
  if (pc >= it->hi) return {};
  dw::Die fn = dw::offdie(impl_->dwarf.get(), it->die);
  if (!fn) return {};
  std::vector<GoVariable> args, locals;
  impl_->collect_vars(fn.get(), pc, args, locals, 0, with_results);
  args.insert(args.end(), std::make_move_iterator(locals.begin()),
              std::make_move_iterator(locals.end()));
  return args;
}

const GoType* GoDwarf::type(uint64_t id) const {
  auto& cache = impl_->types;
  if (auto it = cache.find(id); it != cache.end()) return &it->second;
  if (cache.size() >= kMaxTypes || id == 0) return nullptr;
  Dwarf_Debug dbg = impl_->dwarf.get();
  dw::Die die = dw::offdie(dbg, id);
  if (!die) return nullptr;
  GoType t;
  t.id = id;
  t.name = dw::die_name(die.get());
  int tag = dw::tag_of(die.get());
  auto go_kind = dw::attr_int(die.get(), kAtGoKind);
  t.go_elem = dw::attr_ref(die.get(), kAtGoElem).value_or(0);
  // A typedef (named map/chan/func/interface types, named scalars): the layout is its target's.
  dw::Die layout = dw::Die();
  Dwarf_Die l = die.get();
  auto is_alias = [](int tg) {
    return tg == DW_TAG_typedef || tg == DW_TAG_const_type || tg == DW_TAG_volatile_type ||
           tg == DW_TAG_restrict_type || tg == DW_TAG_atomic_type;
  };
  for (int hop = 0; is_alias(tag) && hop < 8; ++hop) {
    auto target = dw::attr_ref(l, DW_AT_type);
    if (!target) break;
    layout = dw::offdie(dbg, *target);
    if (!layout) break;
    l = layout.get();
    tag = dw::tag_of(l);
    if (!go_kind) go_kind = dw::attr_int(l, kAtGoKind);
  }
  t.size = static_cast<uint64_t>(dw::attr_int(l, DW_AT_byte_size).value_or(0));
  if (go_kind && *go_kind > 0 && *go_kind <= static_cast<int64_t>(GoKind::UnsafePointer)) {
    t.kind = static_cast<GoKind>(*go_kind);
  } else if (tag == DW_TAG_base_type) {
    t.kind = kind_from_base(l, t.size);
  } else if (tag == DW_TAG_pointer_type) {
    t.kind = GoKind::Pointer;
  } else if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
    t.kind = GoKind::Struct;
    t.is_union = tag == DW_TAG_union_type;
  } else if (tag == DW_TAG_array_type) {
    t.kind = GoKind::Array;
  } else if (tag == DW_TAG_enumeration_type) {
    t.is_enum = true;
    t.kind = t.size == 1   ? GoKind::Int8
             : t.size == 2 ? GoKind::Int16
             : t.size == 8 ? GoKind::Int64
                           : GoKind::Int32;
    dw::for_each_child(dbg, l, [&](Dwarf_Die e) {
      if (dw::tag_of(e) != DW_TAG_enumerator || t.enumerators.size() >= 4096) return true;
      if (auto v = dw::attr_int(e, DW_AT_const_value))
        t.enumerators.emplace_back(dw::die_name(e), *v);
      return true;
    });
  }
  if (t.name.empty() && l != die.get()) t.name = dw::die_name(l);  // `const char` → "char"
  if (tag == DW_TAG_pointer_type) {
    t.size = 8;
    t.elem = dw::attr_ref(l, DW_AT_type).value_or(0);
    if (t.elem == 0 && t.kind == GoKind::Pointer) t.kind = GoKind::UnsafePointer;
  } else if (tag == DW_TAG_array_type) {
    t.elem = dw::attr_ref(l, DW_AT_type).value_or(0);
    dw::for_each_child(dbg, l, [&](Dwarf_Die s) {
      if (dw::tag_of(s) == DW_TAG_subrange_type) {
        if (auto c = dw::attr_int(s, DW_AT_count)) {
          t.count = static_cast<uint64_t>(*c);
        } else if (auto u = dw::attr_int(s, DW_AT_upper_bound)) {
          t.count = static_cast<uint64_t>(*u + 1);
        }
        return false;
      }
      return true;
    });
    if (t.size == 0 && t.count > 0 && t.count < (1u << 24)) {  // C arrays: no DW_AT_byte_size
      const GoType* e = type(t.elem);
      if (e != nullptr) t.size = t.count * e->size;
    }
  } else if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
    dw::for_each_child(dbg, l, [&](Dwarf_Die m) {
      if (dw::tag_of(m) != DW_TAG_member || t.fields.size() >= 4096) return true;
      if (dw::has_attr(m, DW_AT_bit_size)) return true;  // C bit-fields: not shown
      auto off = dw::attr_int(m, DW_AT_data_member_location);
      if (!off && t.is_union) off = 0;  // union members may leave their offset out
      auto ty = dw::attr_ref(m, DW_AT_type);
      if (off && ty && *off >= 0) {
        t.fields.push_back(GoField{dw::die_name(m), static_cast<uint64_t>(*off), *ty});
      }
      return true;
    });
  }
  if (t.kind == GoKind::Map || t.kind == GoKind::Chan || t.kind == GoKind::Func ||
      t.kind == GoKind::UnsafePointer) {
    t.size = 8;
  }
  return &cache.emplace(id, std::move(t)).first->second;
}

std::optional<uint64_t> GoDwarf::type_by_name(const std::string& name) const {
  const auto& names = impl_->go_type_names();
  auto it = names.find(name);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> GoDwarf::type_for_runtime_offset(uint64_t off) const {
  impl_->go_type_names();  // builds the index too
  auto it = impl_->runtime_types.find(off);
  if (it == impl_->runtime_types.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> GoDwarf::c_type_for(uint64_t id) const {
  auto c = c_type_match(id);
  if (!c) return std::nullopt;
  return c->first;
}

std::optional<uint64_t> GoDwarf::c_type_id_for(uint64_t id) const {
  auto c = c_type_match(id);
  if (!c) return std::nullopt;
  return c->second;
}

std::vector<std::string> GoDwarf::cgo_c_types() const {
  std::vector<std::string> out;
  for (const auto& [name, id] : impl_->go_type_names()) {
    if (name.find("._Ctype_struct_") == std::string::npos &&
        name.find("._Ctype_union_") == std::string::npos)
      continue;
    if (auto c = c_type_for(id); c && std::find(out.begin(), out.end(), *c) == out.end())
      out.push_back(*c);
  }
  return out;
}

std::optional<uint64_t> GoDwarf::c_type_by_name(const std::string& name) const {
  for (const CAggregate& a : impl_->c_types()) {
    std::string spelled = std::string(a.is_union ? "union " : "struct ") + a.tag;
    if ((!a.tag.empty() && (spelled == name || a.tag == name)) ||
        std::find(a.typedefs.begin(), a.typedefs.end(), name) != a.typedefs.end())
      return a.die;
  }
  return std::nullopt;
}

std::optional<std::pair<std::string, uint64_t>> GoDwarf::c_type_match(uint64_t id) const {
  if (auto it = impl_->c_matches.find(id); it != impl_->c_matches.end()) return it->second;
  auto found = c_type_match_uncached(id);
  if (impl_->c_matches.size() < kMaxTypes) impl_->c_matches.emplace(id, found);
  return found;
}

std::optional<std::pair<std::string, uint64_t>> GoDwarf::c_type_match_uncached(uint64_t id) const {
  const GoType* t = type(id);
  if (t == nullptr || t->kind != GoKind::Struct) return std::nullopt;
  static constexpr std::string_view kCtype = "._Ctype_";
  auto at = t->name.find(kCtype);
  if (at == std::string::npos) return std::nullopt;
  std::string rest = t->name.substr(at + kCtype.size());
  bool is_union = rest.rfind("union_", 0) == 0;
  if (!is_union && rest.rfind("struct_", 0) != 0) return std::nullopt;
  std::string tag = rest.substr(is_union ? 6 : 7);
  bool anonymous = tag.rfind("__", 0) == 0;  // cgo's ___0, ___1, … for typedef'd anonymous ones
  std::vector<std::pair<std::string, uint64_t>> found;
  for (const CAggregate& a : impl_->c_types()) {
    if (a.is_union != is_union || a.size != t->size) continue;
    if (!anonymous) {
      if (a.tag == tag)
        return std::make_pair(std::string(is_union ? "union " : "struct ") + tag, a.die);
      continue;
    }
    if (!a.tag.empty() || a.typedefs.empty()) continue;
    // Same layout: every named Go field (cgo names unions anonN) at the C member's offset.
    bool same = true;
    for (const GoField& f : t->fields) {
      if (f.name.rfind("anon", 0) == 0 || f.name == "_") continue;
      auto m = a.members.find(f.name);
      if (m == a.members.end() || m->second != f.offset) same = false;
    }
    bool seen = std::any_of(found.begin(), found.end(),
                            [&](const auto& x) { return x.first == a.typedefs[0]; });
    if (same && !seen) found.emplace_back(a.typedefs[0], a.die);
  }
  if (found.size() != 1) return std::nullopt;
  return found[0];
}

VarLocation locate(const std::vector<LocOp>& expr, uint64_t cfa,
                   const std::map<int, uint64_t>& regs) {
  VarLocation out;
  std::vector<uint64_t> stack;
  std::optional<int> reg;  // DW_OP_regN: the value is in a register
  auto reg_value = [&](uint64_t n) -> std::optional<uint64_t> {
    auto it = regs.find(static_cast<int>(n));
    if (it == regs.end()) return std::nullopt;
    return it->second;
  };
  auto finish_piece = [&](uint64_t size) {
    VarPiece p;
    p.size = size;
    if (reg) {
      p.kind = VarPiece::Register;
      p.where = static_cast<uint64_t>(*reg);
    } else if (!stack.empty()) {
      p.kind = VarPiece::Memory;
      p.where = stack.back();
    }
    out.pieces.push_back(p);
    stack.clear();
    reg.reset();
  };
  for (const LocOp& op : expr) {
    uint8_t a = op.atom;
    if (a >= DW_OP_reg0 && a <= DW_OP_reg31) {
      reg = a - DW_OP_reg0;
    } else if (a == DW_OP_regx) {
      reg = static_cast<int>(op.op1);
    } else if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
      auto v = reg_value(a - DW_OP_breg0);
      if (!v) {
        out.error = "register not available in this frame";
        return out;
      }
      stack.push_back(*v + op.op1);
    } else if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
      stack.push_back(a - DW_OP_lit0);
    } else {
      switch (a) {
        case DW_OP_call_frame_cfa:
          stack.push_back(cfa);
          break;
        case DW_OP_fbreg:
          stack.push_back(cfa + op.op1);
          break;  // Go's frame base is the CFA
        case DW_OP_addr:
        case DW_OP_constu:
        case DW_OP_consts:
          stack.push_back(op.op1);
          break;
        case DW_OP_plus_uconst:
          if (stack.empty()) {
            out.error = "malformed location";
            return out;
          }
          stack.back() += op.op1;
          break;
        case DW_OP_piece:
          finish_piece(op.op1);
          break;
        default:
          out.error = fmt::format("unsupported location operation {:#x}", a);
          return out;
      }
    }
  }
  if (reg || !stack.empty()) finish_piece(0);
  if (out.pieces.empty()) out.pieces.push_back(VarPiece{});
  return out;
}

std::optional<std::vector<uint8_t>> read_variable(const VarLocation& loc, uint64_t size,
                                                  Memory& mem, const std::map<int, uint64_t>& regs,
                                                  std::string* why) {
  if (!loc.error.empty()) {
    *why = loc.error;
    return std::nullopt;
  }
  if (size > (1u << 20)) {
    *why = "too large";
    return std::nullopt;
  }
  std::vector<uint8_t> out;
  out.reserve(size);
  for (const VarPiece& p : loc.pieces) {
    uint64_t n = p.size ? p.size : size - out.size();
    if (n > size - out.size()) {
      *why = "location larger than the type";
      return std::nullopt;
    }
    size_t at = out.size();
    out.resize(at + n);
    switch (p.kind) {
      case VarPiece::Unavailable:
        *why = "optimized out";
        return std::nullopt;
      case VarPiece::Memory:
        if (!mem.read(p.where, out.data() + at, n)) {
          *why = fmt::format("unreadable memory at {:#x}", p.where);
          return std::nullopt;
        }
        break;
      case VarPiece::Register: {
        auto it = regs.find(static_cast<int>(p.where));
        if (it == regs.end() || n > 8) {
          *why = "register not available in this frame";
          return std::nullopt;
        }
        std::memcpy(out.data() + at, &it->second, n);
        break;
      }
    }
  }
  if (out.size() != size) {
    *why = "location smaller than the type";
    return std::nullopt;
  }
  return out;
}

// ---- C mirror -------------------------------------------------------------------------------

namespace {

bool is_cpp_keyword(const std::string& s) {
  static const std::set<std::string> kw = {
      "alignas",  "alignof",  "and",      "asm",      "auto",     "bool",      "break",
      "case",     "catch",    "char",     "class",    "const",    "constexpr", "continue",
      "default",  "delete",   "do",       "double",   "else",     "enum",      "explicit",
      "export",   "extern",   "false",    "float",    "for",      "friend",    "goto",
      "if",       "inline",   "int",      "long",     "mutable",  "namespace", "new",
      "noexcept", "not",      "nullptr",  "operator", "or",       "private",   "protected",
      "public",   "register", "return",   "short",    "signed",   "sizeof",    "static",
      "struct",   "switch",   "template", "this",     "throw",    "true",      "try",
      "typedef",  "typeid",   "typename", "union",    "unsigned", "using",     "virtual",
      "void",     "volatile", "while",    "xor",      "id",       "self",      "super",
      "nil",      "YES",      "NO"};
  return kw.count(s) > 0;
}

std::string c_identifier(const std::string& go) {
  std::string s;
  for (char c : go) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "_" + s;
  if (is_cpp_keyword(s)) s += "_";
  return s;
}

}  // namespace

bool is_c_char(const GoType& t) {
  // cgo's C.char follows the target's char: int8 on amd64, uint8 on arm64.
  static constexpr std::string_view kSuffix = "._Ctype_char";
  return (t.kind == GoKind::Int8 || t.kind == GoKind::Uint8) && t.name.size() > kSuffix.size() &&
         t.name.compare(t.name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

std::string CMirror::scalar(const GoType& t) const {
  if (is_c_char(t)) return "char";  // LLDB then shows a *C.char as the C string it points to
  switch (t.kind) {
    case GoKind::Bool:
      return "bool";
    case GoKind::Int8:
      return "signed char";
    case GoKind::Int16:
      return "short";
    case GoKind::Int32:
      return "int";
    // `long`, as LLDB names Go's 64-bit integers in a module's C view (LP64 on every target):
    // a variable reads alike in LLDB's own frames and in the recognizer's.
    case GoKind::Int:
    case GoKind::Int64:
      return "long";
    case GoKind::Uint8:
      return "unsigned char";
    case GoKind::Uint16:
      return "unsigned short";
    case GoKind::Uint32:
      return "unsigned int";
    case GoKind::Uint:
    case GoKind::Uint64:
    case GoKind::Uintptr:
      return "unsigned long";
    case GoKind::Float32:
      return "float";
    case GoKind::Float64:
      return "double";
    default:
      return {};
  }
}

std::string CMirror::unique_name(const GoType& t) {
  std::string base;
  switch (t.kind) {
    case GoKind::String:
      base = "string";
      break;
    case GoKind::Slice:
      base = "slice_" + c_identifier(t.name.size() > 2 ? t.name.substr(2) : t.name);
      break;
    case GoKind::Interface:
      base = fmt::format("iface_{}_{:x}", c_identifier(t.name), t.id);  // id: for formatters
      break;
    case GoKind::Chan:
      base = fmt::format("chan_{}_{:x}", c_identifier(t.name), t.id);
      break;
    case GoKind::Map:
      base = fmt::format("map_{}_{:x}", c_identifier(t.name), t.id);
      break;
    default:
      base = c_identifier(t.name.empty() ? "anon" : t.name);
  }
  std::string name = "$" + base;
  if (generation_ > 0) name += fmt::format("_g{}", generation_);
  if (names_.count(name)) name += fmt::format("_{:x}", t.id);
  names_.insert(name);
  return name;
}

std::string CMirror::field_spelling(uint64_t type_id, const std::string& field, int depth) {
  const GoType* t = dwarf_.type(type_id);
  std::string sep = field.empty() ? "" : " ";
  if (t == nullptr) return "unsigned long long" + sep + field;
  if (auto s = scalar(*t); !s.empty()) return s + sep + field;
  if (t->kind == GoKind::Chan || t->kind == GoKind::Map) {  // one pointer in a struct of its
                                                            // own: a summary formats it
    auto it = structs_.find(t->id);
    if (it == structs_.end()) {
      std::string spelled = "struct " + unique_name(*t);
      decls_ += spelled + " {\n  void *hchan;\n} __attribute__((packed));\n";
      it = structs_.emplace(t->id, spelled).first;
    }
    return it->second + sep + field;
  }
  if (auto c = dwarf_.c_type_for(type_id)) return *c + sep + field;  // the real C type
  if (is_struct_like(t->kind)) return struct_for(*t, depth) + sep + field;
  if (t->kind == GoKind::Array) {
    return field_spelling(t->elem, (field.empty() ? "" : field) + fmt::format("[{}]", t->count),
                          depth);
  }
  if (t->kind == GoKind::Pointer) {
    const GoType* p = dwarf_.type(t->elem);
    if (p != nullptr && depth < kMaxPointerDepth && declared_ < kMaxMirrorStructs) {
      if (auto s = scalar(*p); !s.empty()) return s + " *" + field;
      // A struct still being defined (a recursive type) would need a forward declaration,
      // which LLDB keeps as the (incomplete) persistent type: such pointers stay void *.
      if (auto c = dwarf_.c_type_for(p->id)) return *c + " *" + field;
      if (is_struct_like(p->kind) && !in_progress_.count(p->id))
        return struct_for(*p, depth + 1) + " *" + field;
    }
  }
  return "void *" + field;  // maps, channels, funcs, unsafe.Pointer, deep pointers
}

std::string CMirror::struct_for(const GoType& t, int depth) {
  if (auto it = structs_.find(t.id); it != structs_.end()) return it->second;
  std::string spelled = "struct " + unique_name(t);
  in_progress_.insert(t.id);
  ++declared_;
  std::vector<GoField> fields = t.fields;
  if (t.kind == GoKind::Complex64 || t.kind == GoKind::Complex128) fields.clear();
  std::sort(fields.begin(), fields.end(),
            [](const GoField& a, const GoField& b) { return a.offset < b.offset; });
  std::string body;
  uint64_t cursor = 0;
  int pads = 0;
  std::set<std::string> used;
  auto pad = [&](uint64_t n) { body += fmt::format("  unsigned char __pad{}[{}];\n", pads++, n); };
  if (t.kind == GoKind::Complex64 || t.kind == GoKind::Complex128) {
    const char* f = t.kind == GoKind::Complex64 ? "float" : "double";
    body += fmt::format("  {} real;\n  {} imag;\n", f, f);
    cursor = t.size;
  }
  for (const GoField& f : fields) {
    const GoType* ft = dwarf_.type(f.type);
    uint64_t size = ft ? ft->size : 0;
    if (f.offset < cursor || size == 0 || f.offset + size > t.size) continue;
    if (f.offset > cursor) pad(f.offset - cursor);
    std::string name = c_identifier(f.name.empty() ? "_" : f.name);
    while (used.count(name)) name += "_";
    used.insert(name);
    body += "  " + field_spelling(f.type, name, depth) + ";\n";
    cursor = f.offset + size;
  }
  if (t.size > cursor) pad(t.size - cursor);
  decls_ += spelled + " {\n" + body + "} __attribute__((packed));\n";
  in_progress_.erase(t.id);
  structs_[t.id] = spelled;
  return spelled;
}

std::string CMirror::spelling(uint64_t type_id) { return field_spelling(type_id, "", 0); }

std::string CMirror::holder_expression(const std::vector<uint64_t>& ids) {
  std::string name = fmt::format("$cgounwind_vars_{}_{}", generation_, holders_++);
  std::string body;
  for (size_t i = 0; i < ids.size(); ++i)
    body += "  " + field_spelling(ids[i], fmt::format("f{}", i), 0) + ";\n";
  return pending() + "struct " + name + " {\n" + body + "};\n(struct " + name + " *)0";
}

std::string CMirror::pending() {
  std::string out = decls_;
  decls_.clear();
  return out;
}

}  // namespace cgounwind
