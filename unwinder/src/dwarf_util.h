// Small RAII and attribute helpers over the privately loaded libdwarf (dwarf_api.h). Internal to
// the core (unwinder/ and formatters/); call dwarf_api() successfully before using them.
#pragma once
#include <libdwarf.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "dwarf_api.h"

namespace cgounwind::dw {

// The loaded API (dwarf_api() must have succeeded once).
const DwarfApi& api();

// Owner of a Dwarf_Debug opened from a file path.
class Dwarf {
 public:
  explicit Dwarf(const std::string& path);
  ~Dwarf();
  Dwarf(const Dwarf&) = delete;
  Dwarf& operator=(const Dwarf&) = delete;
  bool ok() const { return ok_; }
  Dwarf_Debug get() const { return dbg_; }
  const std::string& error() const { return error_; }

 private:
  Dwarf_Debug dbg_ = nullptr;
  bool ok_ = false;
  std::string error_;
};

// Owner of one DIE.
class Die {
 public:
  Die() = default;
  explicit Die(Dwarf_Die d) : die_(d) {}
  ~Die();
  Die(const Die&) = delete;
  Die& operator=(const Die&) = delete;
  Die(Die&& o) noexcept : die_(o.die_) { o.die_ = nullptr; }
  Die& operator=(Die&& o) noexcept;
  Dwarf_Die get() const { return die_; }
  explicit operator bool() const { return die_ != nullptr; }

 private:
  Dwarf_Die die_ = nullptr;
};

Die offdie(Dwarf_Debug dbg, Dwarf_Off off);
std::string die_name(Dwarf_Die die);
int tag_of(Dwarf_Die die);  // 0 when unreadable
std::optional<Dwarf_Off> die_offset(Dwarf_Die die);
std::optional<int64_t> attr_int(Dwarf_Die die, Dwarf_Half at);
std::optional<Dwarf_Off> attr_ref(Dwarf_Die die, Dwarf_Half at);
// An address-class or constant attribute as a number.
std::optional<uint64_t> attr_addr(Dwarf_Die die, Dwarf_Half at);
bool has_attr(Dwarf_Die die, Dwarf_Half at);

// Visits the children of `parent` (bounded); `fn` returns false to stop.
void for_each_child(Dwarf_Debug dbg, Dwarf_Die parent, const std::function<bool(Dwarf_Die)>& fn);
// Visits every compile unit's DIE (bounded).
void for_each_cu(Dwarf_Debug dbg, const std::function<void(Dwarf_Die)>& fn);

}  // namespace cgounwind::dw
