// A "C view" of a Go executable's DWARF, for LLDB: LLDB has no Go type system, so in Go frames
// `frame variable`, `expression` and lldb-dap's hover fail. Given, as a separate symbol file
// (`target symbols add FILE`), a copy of the DWARF whose Go compile units say they are C99, LLDB's
// clang type system parses Go's DWARF and all of them work. Go's func values (a
// DW_TAG_subroutine_type with a DW_AT_byte_size, used directly as the type of fields and
// variables) become void pointers in that copy: read as C they would be function-typed fields,
// on which clang's code generation crashes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cgounwind {

struct CViewStats {
  int go_units = 0;      // units whose DW_AT_language said Go, now C99
  int other_units = 0;   // every other unit (C, assembly, no language), left as they were
  int func_abbrevs = 0;  // Go func-type abbreviations retagged as pointer types
  int param_abbrevs = 0;  // Go parameter abbreviations retagged as variables
};

// Patches, in place, decompressed .debug_info and .debug_abbrev bytes: every unit whose root DIE
// has DW_AT_language DW_LANG_Go (0x16) gets DW_LANG_C99 (0x0c); in the abbreviation tables used
// by those units, every DW_TAG_subroutine_type abbreviation with a DW_AT_byte_size becomes
// DW_TAG_pointer_type and every DW_TAG_formal_parameter one DW_TAG_variable. Every change keeps the byte length, so no offset moves. DWARF 2 to 5,
// 32- and 64-bit DWARF, every DWARF 5 unit type. On malformed input (or an attribute form this
// does not know): false, a one-line *error, and both buffers unchanged. `stats` and `error` may be
// null.
bool patch_go_units_as_c(std::vector<uint8_t>& debug_info, std::vector<uint8_t>& debug_abbrev,
                         CViewStats* stats, std::string* error);

// Writes `out`: a separate debug file for the ELF64 little-endian executable `exe` (matched to
// it by its GNU build-id, which it keeps), with uncompressed debug sections whose Go compile
// units read as C. Runs binutils' objcopy (from PATH; for a foreign architecture its
// <triplet>-objcopy first) to decompress and to keep only the debug sections; temporary files go
// to a directory next to `out`, removed on every path; `out` appears only complete. Refuses a
// .debug_info larger than 1 GiB. false + a one-line *error on any failure (no objcopy, not ELF,
// no .debug_info, no Go unit, …). `stats` and `error` may be null.
bool write_c_view_debug_file(const std::string& exe, const std::string& out, CViewStats* stats,
                             std::string* error);

}  // namespace cgounwind
