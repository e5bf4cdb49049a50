#include "dwarf_util.h"

#include <dwarf.h>

namespace cgounwind::dw {

const DwarfApi& api() { return *dwarf_api(nullptr); }

namespace {
// Called for an error of a libdwarf call made without an error argument (libdwarf aborts the
// process otherwise): the call then just fails, and the caller treats it as a missing value.
void ignore_error(Dwarf_Error /*error*/, Dwarf_Ptr /*arg*/) {}
}  // namespace

Dwarf::Dwarf(const std::string& path) {
  const DwarfApi& D = api();
  Dwarf_Error err = nullptr;
  int rc = D.dwarf_init_path(path.c_str(), nullptr, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY,
                             ignore_error, nullptr, &dbg_, nullptr, 0, nullptr, &err);
  ok_ = rc == DW_DLV_OK;
  if (rc == DW_DLV_ERROR) {
    error_ = D.dwarf_errmsg(err);
    D.dwarf_dealloc_error(dbg_, err);
  } else if (rc == DW_DLV_NO_ENTRY) {
    error_ = "no DWARF";
  }
}

Dwarf::~Dwarf() {
  if (ok_) api().dwarf_finish(dbg_, nullptr);
}

Die::~Die() {
  if (die_ != nullptr) api().dwarf_dealloc_die(die_);
}

Die& Die::operator=(Die&& o) noexcept {
  if (this != &o) {
    if (die_ != nullptr) api().dwarf_dealloc_die(die_);
    die_ = o.die_;
    o.die_ = nullptr;
  }
  return *this;
}

Die offdie(Dwarf_Debug dbg, Dwarf_Off off) {
  Dwarf_Die d = nullptr;
  if (api().dwarf_offdie_b(dbg, off, true, &d, nullptr) != DW_DLV_OK) return Die();
  return Die(d);
}

std::string die_name(Dwarf_Die die) {
  char* name = nullptr;
  if (api().dwarf_diename(die, &name, nullptr) != DW_DLV_OK || name == nullptr) return {};
  return name;
}

int tag_of(Dwarf_Die die) {
  Dwarf_Half tag = 0;
  return api().dwarf_tag(die, &tag, nullptr) == DW_DLV_OK ? tag : 0;
}

std::optional<Dwarf_Off> die_offset(Dwarf_Die die) {
  Dwarf_Off off = 0;
  if (api().dwarf_dieoffset(die, &off, nullptr) != DW_DLV_OK) return std::nullopt;
  return off;
}

std::optional<int64_t> attr_int(Dwarf_Die die, Dwarf_Half at) {
  const DwarfApi& D = api();
  Dwarf_Attribute attr = nullptr;
  if (D.dwarf_attr(die, at, &attr, nullptr) != DW_DLV_OK) return std::nullopt;
  std::optional<int64_t> out;
  Dwarf_Half form = 0;
  D.dwarf_whatform(attr, &form, nullptr);
  if (form == DW_FORM_sdata) {
    Dwarf_Signed s = 0;
    if (D.dwarf_formsdata(attr, &s, nullptr) == DW_DLV_OK) out = s;
  } else {
    Dwarf_Unsigned u = 0;
    if (D.dwarf_formudata(attr, &u, nullptr) == DW_DLV_OK) {
      out = static_cast<int64_t>(u);
    } else {
      Dwarf_Signed s = 0;
      if (D.dwarf_formsdata(attr, &s, nullptr) == DW_DLV_OK) out = s;
    }
  }
  D.dwarf_dealloc_attribute(attr);
  return out;
}

std::optional<Dwarf_Off> attr_ref(Dwarf_Die die, Dwarf_Half at) {
  const DwarfApi& D = api();
  Dwarf_Attribute attr = nullptr;
  if (D.dwarf_attr(die, at, &attr, nullptr) != DW_DLV_OK) return std::nullopt;
  Dwarf_Off off = 0;
  int rc = D.dwarf_global_formref(attr, &off, nullptr);
  D.dwarf_dealloc_attribute(attr);
  if (rc != DW_DLV_OK) return std::nullopt;
  return off;
}

std::optional<uint64_t> attr_addr(Dwarf_Die die, Dwarf_Half at) {
  const DwarfApi& D = api();
  Dwarf_Attribute attr = nullptr;
  if (D.dwarf_attr(die, at, &attr, nullptr) != DW_DLV_OK) return std::nullopt;
  Dwarf_Addr a = 0;
  int rc = D.dwarf_formaddr(attr, &a, nullptr);
  D.dwarf_dealloc_attribute(attr);
  if (rc == DW_DLV_OK) return a;
  if (auto v = attr_int(die, at)) return static_cast<uint64_t>(*v);
  return std::nullopt;
}

bool has_attr(Dwarf_Die die, Dwarf_Half at) {
  Dwarf_Attribute attr = nullptr;
  if (api().dwarf_attr(die, at, &attr, nullptr) != DW_DLV_OK) return false;
  api().dwarf_dealloc_attribute(attr);
  return true;
}

void for_each_child(Dwarf_Debug dbg, Dwarf_Die parent, const std::function<bool(Dwarf_Die)>& fn) {
  const DwarfApi& D = api();
  Dwarf_Die child = nullptr;
  if (D.dwarf_child(parent, &child, nullptr) != DW_DLV_OK) return;
  for (int n = 0; child != nullptr && n < 2000000; ++n) {
    bool go_on = fn(child);
    Dwarf_Die next = nullptr;
    int rc = go_on ? D.dwarf_siblingof_b(dbg, child, true, &next, nullptr) : DW_DLV_NO_ENTRY;
    D.dwarf_dealloc_die(child);
    child = rc == DW_DLV_OK ? next : nullptr;
  }
}

void for_each_cu(Dwarf_Debug dbg, const std::function<void(Dwarf_Die)>& fn) {
  const DwarfApi& D = api();
  for (int cu = 0; cu < 100000; ++cu) {
    Dwarf_Unsigned next = 0;
    Dwarf_Half cu_type = 0;
    int rc = D.dwarf_next_cu_header_d(dbg, true, nullptr, nullptr, nullptr, nullptr, nullptr,
                                      nullptr, nullptr, nullptr, &next, &cu_type, nullptr);
    if (rc != DW_DLV_OK) break;
    Dwarf_Die cu_die = nullptr;
    if (D.dwarf_siblingof_b(dbg, nullptr, true, &cu_die, nullptr) != DW_DLV_OK) continue;
    Die owner(cu_die);
    fn(cu_die);
  }
}

}  // namespace cgounwind::dw
