// libdwarf, loaded privately. GDB links elfutils' libdw, which exports functions with the same
// names as libdwarf's (dwarf_child, dwarf_tag, …): linking libdwarf normally would bind our calls
// (and libdwarf's calls to itself) to libdw. dlopen with RTLD_LOCAL | RTLD_DEEPBIND and calls
// through these pointers keep the two apart.
#pragma once
#include <libdwarf.h>

#include <string>

namespace cgounwind {

struct DwarfApi {
// clang-format off
#define CGOUNWIND_DWARF_FUNCS(X) \
  X(dwarf_init_path) \
  X(dwarf_errmsg) \
  X(dwarf_dealloc_error) \
  X(dwarf_finish) \
  X(dwarf_diename) \
  X(dwarf_attr) \
  X(dwarf_whatform) \
  X(dwarf_formsdata) \
  X(dwarf_formudata) \
  X(dwarf_dealloc_attribute) \
  X(dwarf_global_formref) \
  X(dwarf_child) \
  X(dwarf_siblingof_b) \
  X(dwarf_dealloc_die) \
  X(dwarf_tag) \
  X(dwarf_next_cu_header_d) \
  X(dwarf_dieoffset) \
  X(dwarf_offdie_b) \
  X(dwarf_lowpc) \
  X(dwarf_highpc_b) \
  X(dwarf_get_loclist_c) \
  X(dwarf_get_locdesc_entry_d) \
  X(dwarf_get_location_op_value_c) \
  X(dwarf_loc_head_c_dealloc) \
  X(dwarf_formaddr)
// fn names a declaration here; it cannot be parenthesized.
#define CGOUNWIND_DWARF_MEMBER(fn) decltype(&::fn) fn = nullptr;  // NOLINT(bugprone-macro-parentheses)
  CGOUNWIND_DWARF_FUNCS(CGOUNWIND_DWARF_MEMBER)
#undef CGOUNWIND_DWARF_MEMBER
  // clang-format on
};

// The loaded API, or nullptr with *error set (libdwarf missing).
const DwarfApi* dwarf_api(std::string* error);

}  // namespace cgounwind
