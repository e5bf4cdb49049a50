// Offsets and constants of the Go runtime structures the unwinder and goroutine table need.
// Read from the binary's DWARF by name first; per-version tables fill what DWARF cannot give
// (stripped binaries).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cgounwind {

struct RuntimeLayout {
  // runtime.g
  int64_t g_stack_lo = -1, g_stack_hi = -1, g_m = -1, g_sched = -1, g_syscallsp = -1,
          g_syscallpc = -1, g_atomicstatus = -1, g_goid = -1, g_waitreason = -1, g_startpc = -1,
          g_gopc = -1;
  int64_t g_labels = -1;  // pprof labels (runtime/pprof.Do): a pointer, layout per Go version
  // runtime.gobuf
  int64_t gobuf_sp = -1, gobuf_pc = -1, gobuf_bp = -1;
  int64_t gobuf_lr = -1;  // the link register a goroutine resumes with (arm64: morestack saves it)
  // runtime.m
  int64_t m_g0 = -1, m_curg = -1, m_procid = -1, m_gsignal = -1, m_alllink = -1, m_id = -1;
  // Optional (DWARF only): where a vDSO call left its Go caller (nanotime1, walltime).
  int64_t m_vdsoSP = -1, m_vdsoPC = -1;
  // runtime.stack / slices
  int64_t ptr_size = 8;
  // goroutine status constants (runtime._Grunning …) by name without the "runtime." prefix.
  std::map<std::string, int64_t> constants;
  std::string source;  // "dwarf", "table go1.21", "dwarf+table go1.21"

  bool complete() const;        // every offset the unwinder needs is known
  std::string missing() const;  // names of unknown fields, for a one-line message
  // Fills unknown (-1) fields from `other`.
  void merge_missing(const RuntimeLayout& other);
  int64_t constant(std::string_view name, int64_t fallback) const;
};

// Reads runtime.g/m/gobuf/stack member offsets and runtime._G* constants from DWARF.
// Returns nullopt when the file has no usable DWARF (e.g. -ldflags=-w).
std::optional<RuntimeLayout> layout_from_dwarf(const std::string& path, std::string* error);

// Built-in table for a Go version string ("go1.21.13" → the go1.21 row). nullopt if unknown.
std::optional<RuntimeLayout> layout_from_table(std::string_view go_version);

}  // namespace cgounwind
