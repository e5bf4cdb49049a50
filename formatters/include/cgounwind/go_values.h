// Go variables of a frame, from the binary's DWARF: which variables are in scope at a pc, where
// their bytes are (location expressions and lists), and what their types are. Debugger-neutral;
// adapters supply memory, the frame's CFA and, for the innermost frame, its registers.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgounwind/memory.h"

namespace cgounwind {

// reflect.Kind numbering, as Go writes it in DW_AT_go_kind.
enum class GoKind : uint8_t {
  Invalid = 0,
  Bool,
  Int,
  Int8,
  Int16,
  Int32,
  Int64,
  Uint,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Uintptr,
  Float32,
  Float64,
  Complex64,
  Complex128,
  Array,
  Chan,
  Func,
  Interface,
  Map,
  Pointer,
  Slice,
  String,
  Struct,
  UnsafePointer
};

struct GoField {
  std::string name;
  uint64_t offset = 0;
  uint64_t type = 0;  // DIE offset
};

struct GoType {
  uint64_t id = 0;  // DIE offset
  std::string name;
  GoKind kind = GoKind::Invalid;
  uint64_t size = 0;
  uint64_t elem = 0;            // pointee / array element (DIE offset, 0 if none)
  uint64_t count = 0;           // array length
  uint64_t go_elem = 0;         // channel element type (DW_AT_go_elem)
  std::vector<GoField> fields;  // structs (also string, slice, interface: their runtime layout)
  // C types (from the C compile units): unions are Struct with is_union, enums are integers
  // with their enumerators; `char` keeps its name.
  bool is_union = false;
  bool is_enum = false;
  std::vector<std::pair<std::string, int64_t>> enumerators;
  const GoField* field(std::string_view name) const {
    for (const GoField& f : fields)
      if (f.name == name) return &f;
    return nullptr;
  }
};

struct LocOp {
  uint8_t atom = 0;
  uint64_t op1 = 0, op2 = 0;
};

struct GoVariable {
  std::string name;
  bool is_arg = false;
  uint64_t type = 0;
  std::vector<LocOp> expr;  // the location in force at the pc (empty: optimized out)
};

// Where a variable's bytes are.
struct VarPiece {
  enum Kind : uint8_t { Memory, Register, Unavailable } kind = Unavailable;
  uint64_t where = 0;  // address, or DWARF register number
  uint64_t size = 0;   // 0: the whole value
};
struct VarLocation {
  std::vector<VarPiece> pieces;
  std::string error;  // set when the expression is not supported
};

// Evaluates a Go location expression: frame base is DW_OP_call_frame_cfa.
VarLocation locate(const std::vector<LocOp>& expr, uint64_t cfa,
                   const std::map<int, uint64_t>& regs);

class GoDwarf {
 public:
  // nullptr + *error when the file has no Go DWARF (stripped, -w) or libdwarf is missing.
  static std::unique_ptr<GoDwarf> open(const std::string& path, std::string* error);
  // The one GoDwarf of a file for the whole process (opened on first use; a failure is kept
  // too), shared like GoBinary::shared.
  static std::shared_ptr<const GoDwarf> shared(const std::string& path, std::string* error);
  ~GoDwarf();
  GoDwarf(const GoDwarf&) = delete;
  GoDwarf& operator=(const GoDwarf&) = delete;

  // Arguments, then locals, of the Go function containing `pc` (a lookup pc: callers pass a
  // return address minus one), with the location in force at `pc`. Empty outside Go functions.
  // Results (~r0, ~r1, …) only with `with_results`: before the return they hold whatever the
  // stack slot holds (a debugger shows them among the arguments, as GDB does).
  std::vector<GoVariable> variables(uint64_t pc, bool with_results = false) const;
  // The type with this DIE offset (cached), or nullptr.
  const GoType* type(uint64_t id) const;
  // The Go type with this name (e.g. "main.Point", "seed/app._Ctype_struct___0"), or nullopt.
  std::optional<uint64_t> type_by_name(const std::string& name) const;
  // For a cgo struct or union type (`pkg._Ctype_struct_TAG`, `pkg._Ctype_union_TAG`, anonymous
  // ones `_Ctype_struct___N`): the C type it stands for, spelled for a C debugger ("struct TAG",
  // or the typedef name of an anonymous one, found by its layout in the C compile units).
  // nullopt when the C DWARF does not have it (or the match is ambiguous).
  std::optional<std::string> c_type_for(uint64_t id) const;
  // The same C type as a DIE offset, for formatting the bytes of the cgo value as C.
  std::optional<uint64_t> c_type_id_for(uint64_t id) const;
  // The C types of every cgo struct and union of the binary, spelled as c_type_for does.
  std::vector<std::string> cgo_c_types() const;
  // A C struct, union or typedef by the name a C debugger shows ("Animal", "struct point").
  std::optional<uint64_t> c_type_by_name(const std::string& name) const;
  // The type whose runtime type descriptor lies at `off` from runtime.types (Go's
  // DW_AT_go_runtime_type), for interfaces' dynamic types.
  std::optional<uint64_t> type_for_runtime_offset(uint64_t off) const;

 private:
  GoDwarf() = default;
  std::optional<std::pair<std::string, uint64_t>> c_type_match(uint64_t id) const;
  std::optional<std::pair<std::string, uint64_t>> c_type_match_uncached(uint64_t id) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// cgo's C.char (`pkg._Ctype_char`): C's char, whose pointers are C strings.
bool is_c_char(const GoType& t);

// A variable's bytes: from memory and registers, per its location. nullopt + *why when not all
// of it is available.
std::optional<std::vector<uint8_t>> read_variable(const VarLocation& loc, uint64_t size,
                                                  Memory& mem, const std::map<int, uint64_t>& regs,
                                                  std::string* why);

// C declarations that mirror Go types, for debuggers that can show only C types (LLDB has no Go
// type system). Struct layouts are pinned with explicit padding; names start with `$` (LLDB's
// persistent expression types, which keep the first declaration they see: so no forward
// declarations). Stateful: each type is declared once per CMirror.
// What adapters need to recognize in the C mirror types: type-name prefixes, and the field names
// Go's DWARF gives slices and strings.
namespace mirror {
constexpr const char* kStringRegex = "^\\$string(_g[0-9]+)?$";
constexpr const char* kSliceRegex = "^\\$slice_";
// Mirrors whose names end in _<hex Go type id>, formatted as a whole by GoFormatter.
constexpr const char* kFormattedRegex = "^\\$(iface|chan|map)_";
constexpr const char* kStructPointerRegex = "^struct \\$[^ ]+ \\*$";
constexpr const char* kSlicePrefix = "$slice_";
constexpr const char* kSliceArray = "array";
constexpr const char* kSliceLen = "len";
constexpr const char* kStringData = "str";
constexpr const char* kStringLen = "len";
}  // namespace mirror

class CMirror {
 public:
  // `generation` > 0 gives fresh names, for when a debugger kept part of a failed declaration.
  explicit CMirror(const GoDwarf& dwarf, int generation = 0)
      : dwarf_(dwarf), generation_(generation) {}
  // The C spelling for a Go type (e.g. `long long`, `struct $main_T`, `void *`), declaring
  // what it needs; pending() returns the declarations made since the last call.
  std::string spelling(uint64_t type_id);
  std::string pending();
  // One expression for LLDB: the pending declarations, then a struct whose field i has type
  // ids[i], and `(struct NAME *)0` so that the caller can take each field's type.
  std::string holder_expression(const std::vector<uint64_t>& ids);

 private:
  std::string struct_for(const GoType& t, int depth);
  std::string field_spelling(uint64_t type_id, const std::string& field, int depth);
  std::string scalar(const GoType& t) const;
  std::string unique_name(const GoType& t);

  const GoDwarf& dwarf_;
  std::map<uint64_t, std::string> structs_;  // type id -> `struct $name`
  std::set<std::string> names_;
  std::set<uint64_t> in_progress_;  // structs whose definition is being generated
  std::string decls_;
  int declared_ = 0;
  int holders_ = 0;
  int generation_ = 0;
};

}  // namespace cgounwind
