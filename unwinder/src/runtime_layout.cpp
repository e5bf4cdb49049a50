#include "cgounwind/runtime_layout.h"

#include <dwarf.h>
#include <fmt/format.h>
#include <libdwarf.h>

#include <array>
#include <cctype>
#include <functional>
#include <vector>

#include "dwarf_api.h"
#include "dwarf_util.h"

namespace cgounwind {
namespace {

using dw::attr_int;
using dw::attr_ref;
using dw::die_name;
using dw::for_each_child;

// Set by layout_from_dwarf before any other use (see dwarf_api.h for why not direct calls).
const DwarfApi* D = nullptr;

struct FieldRef {
  const char* name;
  int64_t RuntimeLayout::*field;
};

// Each runtime field the core reads, listed once so `complete()` and `missing()` agree.
constexpr std::array<FieldRef, 18> kRequired = {{
    {"g.stack.lo", &RuntimeLayout::g_stack_lo},
    {"g.stack.hi", &RuntimeLayout::g_stack_hi},
    {"g.m", &RuntimeLayout::g_m},
    {"g.sched", &RuntimeLayout::g_sched},
    {"g.syscallsp", &RuntimeLayout::g_syscallsp},
    {"g.syscallpc", &RuntimeLayout::g_syscallpc},
    {"g.atomicstatus", &RuntimeLayout::g_atomicstatus},
    {"g.goid", &RuntimeLayout::g_goid},
    {"g.waitreason", &RuntimeLayout::g_waitreason},
    {"gobuf.sp", &RuntimeLayout::gobuf_sp},
    {"gobuf.pc", &RuntimeLayout::gobuf_pc},
    {"gobuf.bp", &RuntimeLayout::gobuf_bp},
    {"m.g0", &RuntimeLayout::m_g0},
    {"m.curg", &RuntimeLayout::m_curg},
    {"m.procid", &RuntimeLayout::m_procid},
    {"m.gsignal", &RuntimeLayout::m_gsignal},
    {"m.alllink", &RuntimeLayout::m_alllink},
    {"m.id", &RuntimeLayout::m_id},
}};

constexpr std::array<FieldRef, 6> kOptional = {{
    {"m.vdsoSP", &RuntimeLayout::m_vdsoSP},
    {"m.vdsoPC", &RuntimeLayout::m_vdsoPC},
    {"gobuf.lr", &RuntimeLayout::gobuf_lr},
    {"g.startpc", &RuntimeLayout::g_startpc},
    {"g.gopc", &RuntimeLayout::g_gopc},
    {"g.labels", &RuntimeLayout::g_labels},
}};

// Member name → offset for a struct DIE (plus the member's type DIE offset).
struct Member {
  int64_t offset;
  std::optional<Dwarf_Off> type;
};
using Members = std::map<std::string, Member>;

Members members_of(Dwarf_Debug dbg, Dwarf_Die st) {
  Members out;
  for_each_child(dbg, st, [&](Dwarf_Die m) {
    Dwarf_Half tag = 0;
    if (D->dwarf_tag(m, &tag, nullptr) == DW_DLV_OK && tag == DW_TAG_member) {
      auto off = attr_int(m, DW_AT_data_member_location);
      if (off) out[die_name(m)] = Member{*off, attr_ref(m, DW_AT_type)};
    }
    return true;
  });
  return out;
}

}  // namespace

bool RuntimeLayout::complete() const {
  for (const auto& f : kRequired)
    if (this->*f.field < 0) return false;
  return true;
}

std::string RuntimeLayout::missing() const {
  std::string out;
  for (const auto& f : kRequired)
    if (this->*f.field < 0) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

void RuntimeLayout::merge_missing(const RuntimeLayout& other) {
  bool used = false;
  auto fill = [&](const auto& list) {
    for (const auto& f : list)
      if (this->*f.field < 0 && other.*f.field >= 0) {
        this->*f.field = other.*f.field;
        used = true;
      }
  };
  fill(kRequired);
  fill(kOptional);
  for (const auto& [k, v] : other.constants)
    if (constants.emplace(k, v).second) used = true;
  if (used) source = source.empty() ? other.source : source + "+" + other.source;
}

int64_t RuntimeLayout::constant(std::string_view name, int64_t fallback) const {
  auto it = constants.find(std::string(name));
  return it == constants.end() ? fallback : it->second;
}

std::optional<RuntimeLayout> layout_from_dwarf(const std::string& path, std::string* error) {
  D = dwarf_api(error);
  if (D == nullptr) return std::nullopt;
  dw::Dwarf dwarf(path);
  if (!dwarf.ok()) {
    if (error) *error = dwarf.error();
    return std::nullopt;
  }
  Dwarf_Debug dbg = dwarf.get();
  // Struct DIE offsets by name, found among the top-level DIEs of every CU.
  std::map<std::string, Dwarf_Off> structs;
  const std::array<const char*, 4> wanted = {"runtime.g", "runtime.m", "runtime.gobuf",
                                             "runtime.stack"};
  RuntimeLayout lay;
  lay.source = "dwarf";
  dw::for_each_cu(dbg, [&](Dwarf_Die cu_die) {
    for_each_child(dbg, cu_die, [&](Dwarf_Die d) {
      Dwarf_Half tag = 0;
      if (D->dwarf_tag(d, &tag, nullptr) != DW_DLV_OK) return true;
      if (tag == DW_TAG_structure_type) {
        std::string n = die_name(d);
        for (const char* w : wanted) {
          if (n == w && !structs.count(n)) {
            Dwarf_Off off = 0;
            if (D->dwarf_dieoffset(d, &off, nullptr) == DW_DLV_OK) structs[n] = off;
          }
        }
      } else if (tag == DW_TAG_constant) {
        std::string n = die_name(d);
        // Goroutine statuses only: runtime._Grunning …, not runtime._GCmark ….
        bool status = n.size() > 10 && n.rfind("runtime._G", 0) == 0 && std::islower(n[10]);
        if (status || n == "runtime._Gscan") {
          if (auto v = attr_int(d, DW_AT_const_value)) lay.constants[n.substr(8)] = *v;
        }
      }
      return true;
    });
  });
  auto members = [&](const char* name) -> Members {
    auto it = structs.find(name);
    if (it == structs.end()) return {};
    Dwarf_Die d = nullptr;
    if (D->dwarf_offdie_b(dbg, it->second, true, &d, nullptr) != DW_DLV_OK) return {};
    Members m = members_of(dbg, d);
    D->dwarf_dealloc_die(d);
    return m;
  };
  auto get = [](const Members& m, const char* f) -> int64_t {
    auto it = m.find(f);
    return it == m.end() ? -1 : it->second.offset;
  };
  Members g = members(wanted[0]), mm = members(wanted[1]), gobuf = members(wanted[2]),
          stack = members(wanted[3]);
  if (g.empty() && mm.empty()) {
    if (error) *error = "DWARF has no runtime.g/runtime.m";
    return std::nullopt;
  }
  int64_t st = get(g, "stack");
  if (st >= 0 && get(stack, "lo") >= 0) lay.g_stack_lo = st + get(stack, "lo");
  if (st >= 0 && get(stack, "hi") >= 0) lay.g_stack_hi = st + get(stack, "hi");
  lay.g_m = get(g, "m");
  lay.g_sched = get(g, "sched");
  lay.g_syscallsp = get(g, "syscallsp");
  lay.g_syscallpc = get(g, "syscallpc");
  lay.g_atomicstatus = get(g, "atomicstatus");
  lay.g_goid = get(g, "goid");
  lay.g_waitreason = get(g, "waitreason");
  lay.g_startpc = get(g, "startpc");
  lay.g_gopc = get(g, "gopc");
  lay.g_labels = get(g, "labels");
  lay.gobuf_sp = get(gobuf, "sp");
  lay.gobuf_pc = get(gobuf, "pc");
  lay.gobuf_bp = get(gobuf, "bp");
  lay.gobuf_lr = get(gobuf, "lr");
  lay.m_g0 = get(mm, "g0");
  lay.m_curg = get(mm, "curg");
  lay.m_procid = get(mm, "procid");
  lay.m_gsignal = get(mm, "gsignal");
  lay.m_alllink = get(mm, "alllink");
  lay.m_id = get(mm, "id");
  lay.m_vdsoSP = get(mm, "vdsoSP");
  lay.m_vdsoPC = get(mm, "vdsoPC");
  return lay;
}

}  // namespace cgounwind
