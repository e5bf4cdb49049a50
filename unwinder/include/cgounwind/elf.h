// Minimal, defensive ELF64 little-endian reader: sections and symbol tables.
// Never throws on malformed input: load() returns false and error() says why.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgounwind {

struct ElfSection {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t addr = 0;    // sh_addr (link-time virtual address)
  uint64_t offset = 0;  // file offset
  uint64_t size = 0;
};

struct ElfSymbol {
  std::string name;
  uint64_t value = 0;  // st_value
  uint64_t size = 0;
  uint8_t type = 0;  // STT_*
  uint16_t shndx = 0;
};

class ElfFile {
 public:
  bool load(const std::string& path);           // reads the whole file into memory
  bool load_bytes(std::vector<uint8_t> bytes);  // for tests / fuzzing
  const std::string& error() const { return error_; }

  const std::vector<ElfSection>& sections() const { return sections_; }
  const ElfSection* section(std::string_view name) const;
  // Bytes of a section (empty for SHT_NOBITS or out-of-range).
  std::string_view section_data(const ElfSection& s) const;
  // Reads `len` bytes at link-time virtual address `addr` from any PROGBITS section.
  bool read_vaddr(uint64_t addr, void* buf, size_t len) const;

  // .symtab (falls back to .dynsym). Sorted by value.
  const std::vector<ElfSymbol>& symbols() const { return symbols_; }
  std::optional<ElfSymbol> symbol(std::string_view name) const;
  // Function/object symbol containing addr (value <= addr < value+size, or nearest below
  // when size is 0).
  std::optional<ElfSymbol> symbol_at(uint64_t addr) const;
  uint16_t type() const { return e_type_; }        // ET_EXEC / ET_DYN
  uint16_t machine() const { return e_machine_; }  // EM_X86_64 (62), EM_AARCH64 (183), …
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  bool parse();
  std::vector<uint8_t> bytes_;
  std::vector<ElfSection> sections_;
  std::vector<ElfSymbol> symbols_;
  std::vector<uint32_t> by_name_;  // indices into symbols_, sorted by name
  std::string error_;
  uint16_t e_type_ = 0;
  uint16_t e_machine_ = 0;
};

// Names of the sections of the ELF file at `path`, read from its headers alone (empty when it is
// not a readable ELF64 little-endian file).
std::vector<std::string> elf_section_names(const std::string& path);
// e_machine of the ELF file at `path` (0 when it is not a readable ELF file).
uint16_t elf_machine(const std::string& path);

}  // namespace cgounwind
