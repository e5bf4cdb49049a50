#include "cgounwind/go_binary.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>

namespace cgounwind {

std::shared_ptr<GoBinary> GoBinary::shared(const std::string& path, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::pair<std::shared_ptr<GoBinary>, std::string>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(path);
  if (it == cache.end()) {
    std::string err;
    std::shared_ptr<GoBinary> b;
    try {
      b = load(path, &err);
    } catch (const std::exception& e) {
      err = e.what();
    }
    it = cache.emplace(path, std::make_pair(std::move(b), err)).first;
  }
  if (error != nullptr) *error = it->second.second;
  return it->second.first;
}

std::unique_ptr<GoBinary> GoBinary::load(const std::string& path, std::string* error) {
  auto b = std::unique_ptr<GoBinary>(new GoBinary());
  b->path_ = path;
  if (!b->elf_.load(path)) {
    if (error) *error = fmt::format("{}: {}", path, b->elf_.error());
    return nullptr;
  }
  // Every architecture-specific rule comes from this object: a binary of an architecture the
  // core has no rules for is refused here, and the debugger is left as it is without us.
  b->arch_ = arch_for_machine(b->elf_.machine());
  if (b->arch_ == nullptr) {
    if (error)
      *error = fmt::format("{}: architecture {} is not supported (cgounwind knows amd64 and arm64)",
                           path, machine_name(b->elf_.machine()));
    return nullptr;
  }
  if (!b->pcln_.load(b->elf_)) {
    if (error) *error = fmt::format("{}: not a Go binary we can read ({})", path, b->pcln_.error());
    return nullptr;
  }
  b->version_ = go_build_version(b->elf_);
  b->has_go_cfi_ = b->elf_.section(".debug_frame") != nullptr;
  // Code range: every allocated, executable section (SHF_ALLOC | SHF_EXECINSTR).
  constexpr uint64_t kExecAlloc = 0x2 | 0x4;
  for (const ElfSection& sec : b->elf_.sections()) {
    if ((sec.flags & kExecAlloc) != kExecAlloc || sec.size == 0) continue;
    if (b->code_.hi == 0 || sec.addr < b->code_.lo) b->code_.lo = sec.addr;
    b->code_.hi = std::max(b->code_.hi, sec.addr + sec.size);
  }
  for (const char* name : {"crosscall1", "crosscall_amd64"}) {
    if (auto sym = b->elf_.symbol(name)) b->c_thread_entry_ = sym;
  }
  if (b->version_.rfind("go1.", 0) == 0) {
    int minor = 0;
    const char* s = b->version_.data() + 4;
    std::from_chars(s, b->version_.data() + b->version_.size(), minor);
    b->minor_ = minor;
  }
  std::string derr;
  if (auto lay = layout_from_dwarf(path, &derr)) {
    b->layout_ = *lay;
    b->has_dwarf_ = true;
  }
  if (!b->layout_.complete() || b->layout_.constants.empty()) {
    if (auto table = layout_from_table(b->version_)) b->layout_.merge_missing(*table);
  }
  return b;
}

std::string GoBinary::describe() const {
  return fmt::format("{} ({}, runtime layout from {}{})", version_.empty() ? "Go ?" : version_,
                     has_dwarf_ ? "DWARF" : "no DWARF",
                     layout_.source.empty() ? "nowhere" : layout_.source,
                     layout_.complete() ? "" : "; missing " + layout_.missing());
}

std::string GoBinary::func_name(uint64_t pc) const {
  auto f = pcln_.func_for_pc(pc);
  return f ? f->name : std::string();
}

std::optional<uint64_t> GoBinary::func_entry(const std::string& name) const {
  auto f = pcln_.func_by_name(name);
  if (!f) return std::nullopt;
  return f->entry;
}

std::vector<Range> GoBinary::func_ranges(const std::string& name) const {
  std::vector<Range> out;
  for (const auto& f : pcln_.funcs())
    if (f.name == name) out.push_back({f.entry, f.end});
  return out;
}

bool GoBinary::in_func(uint64_t pc, const std::string& name) const {
  auto f = pcln_.func_for_pc(pc);
  return f && f->name == name;
}

std::optional<uint64_t> GoBinary::data_symbol(const std::string& name) const {
  auto s = elf_.symbol(name);
  if (!s || s->value == 0) return std::nullopt;
  return s->value;
}

bool GoBinary::read_image(uint64_t addr, void* buf, size_t len) const {
  return elf_.read_vaddr(addr, buf, len);
}

bool GoBinary::is_go_pc(uint64_t pc) const { return pcln_.func_for_pc(pc).has_value(); }

bool looks_like_go(const std::string& path) {
  for (const std::string& name : elf_section_names(path))
    if (name == ".gopclntab" || name == ".go.buildinfo") return true;
  return false;
}

bool looks_like_supported_go(const std::string& path) {
  return arch_for_machine(elf_machine(path)) != nullptr && looks_like_go(path);
}

// ---- GoModule: the same facts at run-time addresses ----

std::optional<GoFunc> GoModule::func_for_pc(uint64_t pc) const {
  if (pc < bias_) return std::nullopt;
  auto f = bin_->pcln().func_for_pc(link(pc));
  if (f) {
    f->entry += bias_;
    f->end += bias_;
  }
  return f;
}

std::optional<int64_t> GoModule::sp_delta(uint64_t pc) const {
  return pc < bias_ ? std::nullopt : bin_->pcln().sp_delta(link(pc));
}

std::optional<std::pair<std::string, int>> GoModule::file_line(uint64_t pc) const {
  return pc < bias_ ? std::nullopt : bin_->pcln().file_line(link(pc));
}

std::string GoModule::func_name(uint64_t pc) const {
  return pc < bias_ ? std::string() : bin_->func_name(link(pc));
}

std::optional<uint64_t> GoModule::func_entry(const std::string& name) const {
  auto e = bin_->func_entry(name);
  if (e) *e += bias_;
  return e;
}

bool GoModule::in_func(uint64_t pc, const std::string& name) const {
  return pc >= bias_ && bin_->in_func(link(pc), name);
}

bool GoModule::is_go_pc(uint64_t pc) const { return pc >= bias_ && bin_->is_go_pc(link(pc)); }

std::optional<uint64_t> GoModule::data_symbol(const std::string& name) const {
  auto a = bin_->data_symbol(name);
  if (a) *a += bias_;
  return a;
}

bool GoModule::read_image(uint64_t addr, void* buf, size_t len) const {
  return addr >= bias_ && bin_->read_image(link(addr), buf, len);
}

std::optional<ElfSymbol> GoModule::c_thread_entry() const {
  auto s = bin_->c_thread_entry();
  if (s) s->value += bias_;
  return s;
}

std::optional<ElfSymbol> GoModule::symbol_at(uint64_t addr) const {
  if (addr < bias_) return std::nullopt;
  auto s = bin_->elf().symbol_at(link(addr));
  if (s) s->value += bias_;
  return s;
}

const GoModule* GoModules::for_pc(uint64_t pc) const {
  for (const GoModule& m : mods_)
    if (m.contains(pc)) return &m;
  return nullptr;
}

}  // namespace cgounwind
