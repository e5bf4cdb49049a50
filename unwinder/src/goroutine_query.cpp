#include "cgounwind/goroutine_query.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <unordered_map>

#include "cgounwind/goroutine_threads.h"
#include "cgounwind/unwinder.h"

namespace cgounwind {

const char* const kGoroutineQueryUsage =
    "[-u|-r|-s] [-g] [-l] [-with|-without KIND [ARG]]... [-group KIND [KEY]]; KIND: curloc, "
    "userloc, goloc, startloc EXPR | label KEY[=VALUE] | status EXPR | running | user";

// ---------------------------------------------------------------------------------------------
// words

namespace {

// One word starting at s[i] (not a blank); i ends past it.
std::optional<std::string> next_word(std::string_view s, size_t& i, std::string* error) {
  std::string w;
  char quote = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        w += c;
    } else if (c == '\\' && i + 1 < s.size()) {
      w += s[++i];  // outside quotes and inside "…" (\" and \\); '…' takes it as it is
    } else if (quote == '"') {
      if (c == '"')
        quote = 0;
      else
        w += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      break;
    } else {
      w += c;
    }
  }
  if (quote != 0) {
    if (error) *error = fmt::format("unterminated {} quote", quote);
    return std::nullopt;
  }
  return w;
}

}  // namespace

std::optional<std::vector<std::string>> split_args(std::string_view args, std::string* error) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < args.size()) {
    if (args[i] == ' ' || args[i] == '\t' || args[i] == '\n') {
      ++i;
      continue;
    }
    auto w = next_word(args, i, error);
    if (!w) return std::nullopt;
    out.push_back(std::move(*w));
  }
  return out;
}

std::string join_args(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    bool plain = !w.empty() && w.find_first_of(" \t\n'\"\\") == std::string::npos;
    if (plain) {
      out += w;
      continue;
    }
    out += '"';
    for (char c : w) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// parsing

namespace {

std::optional<GoroutineField> field_named(std::string_view w) {
  static const std::pair<const char*, GoroutineField> kNames[] = {
      {"curloc", GoroutineField::CurLoc},   {"userloc", GoroutineField::UserLoc},
      {"goloc", GoroutineField::GoLoc},     {"startloc", GoroutineField::StartLoc},
      {"label", GoroutineField::Label},     {"status", GoroutineField::Status},
      {"running", GoroutineField::Running}, {"user", GoroutineField::User}};
  for (const auto& [name, f] : kNames)
    if (w == name) return f;
  return std::nullopt;
}

bool takes_arg(GoroutineField f) {
  return f != GoroutineField::Running && f != GoroutineField::User;
}

// Parses the words after -with/-without/-group at words[i]; i ends on the last word used.
std::optional<GoroutineFilter> filter_at(const std::vector<std::string>& words, size_t& i,
                                         bool group, std::string* error) {
  const std::string& opt = words[i];
  if (i + 1 >= words.size()) {
    *error = opt + " needs a KIND";
    return std::nullopt;
  }
  auto kind = field_named(words[++i]);
  if (!kind) {
    *error = fmt::format("unknown KIND '{}' after {}", words[i], opt);
    return std::nullopt;
  }
  GoroutineFilter f;
  f.kind = *kind;
  // Grouping takes an argument only for labels (the key); filters for every kind but two.
  bool wants = group ? *kind == GoroutineField::Label : takes_arg(*kind);
  if (!wants) return f;
  if (i + 1 >= words.size()) {
    *error =
        fmt::format("{} {} needs {}", opt, words[i],
                    *kind == GoroutineField::Label ? (group ? "a KEY" : "KEY[=VALUE]") : "an EXPR");
    return std::nullopt;
  }
  f.arg = words[++i];
  return f;
}

// One option at words[i] into q; false (and *error) when it is not one.
bool parse_option(const std::vector<std::string>& words, size_t& i, GoroutineQuery& q,
                  std::string* error) {
  const std::string& w = words[i];
  if (w == "-u" || w == "-r" || w == "-s") {
    q.column = w == "-u" ? LocationColumn::User
                         : (w == "-s" ? LocationColumn::Start : LocationColumn::Current);
  } else if (w == "-g") {
    q.created_by = true;
  } else if (w == "-l") {
    q.labels = true;
  } else if (w == "-with" || w == "-w" || w == "-without" || w == "-wo") {
    auto f = filter_at(words, i, false, error);
    if (!f) return false;
    f->negated = w == "-without" || w == "-wo";
    q.filters.push_back(std::move(*f));
  } else if (w == "-group") {
    auto f = filter_at(words, i, true, error);
    if (!f) return false;
    q.group = f->kind;
    q.group_key = f->arg;
  } else if (w == "-t" || w == "-exec") {
    *error = fmt::format("{} is not supported here (stacks: the goroutine backtrace command)", w);
    return false;
  } else {
    *error = fmt::format("unknown argument '{}'", w);
    return false;
  }
  return true;
}

}  // namespace

bool GoroutineQuery::plain() const {
  return filters.empty() && group == GoroutineField::None && column == LocationColumn::Current &&
         !created_by && !labels;
}

std::optional<GoroutineQuery> parse_goroutine_query(std::string_view args, std::string* error) {
  std::string why;
  auto words = split_args(args, &why);
  GoroutineQuery q;
  for (size_t i = 0; words && i < words->size(); ++i) {
    if (!parse_option(*words, i, q, &why)) {
      words.reset();
      break;
    }
  }
  if (!words) {
    if (error) *error = fmt::format("{}; usage: {}", why, kGoroutineQueryUsage);
    return std::nullopt;
  }
  return q;
}

// ---------------------------------------------------------------------------------------------
// the engine

namespace {

constexpr size_t kGroupExamples = 5;  // goroutine ids shown per group, as Delve shows members
constexpr size_t kMaxGroups = 100;    // groups shown; the rest are counted in one line

std::string status_text(const Goroutine& g) {
  return g.wait_reason.empty() ? g.status_name : g.status_name + " (" + g.wait_reason + ")";
}

// Go's isSystemGoroutine: started in the runtime, except the main goroutine.
bool is_system(const std::string& start_function) {
  return start_function.rfind("runtime.", 0) == 0 && start_function != "runtime.main" &&
         start_function != "runtime.handleAsyncEvent";
}

const std::string* label_value(const GoLabels& labels, const std::string& key) {
  for (const auto& [k, v] : labels)
    if (k == key) return &v;
  return nullptr;
}

// A label value as the listing shows it: quoted (Go syntax) when it could be misread.
std::string shown_value(const std::string& v) {
  if (!v.empty() && v.find_first_of(" ,=\"\\\t\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out + "\"";
}

// What the query asks of each goroutine, computed once per goroutine and field.
class Rows {
 public:
  Rows(const GoroutineTable& t, GoroutineFacts& facts) : t_(t), facts_(facts) {}

  std::string text(GoroutineField f, size_t i) {
    const Goroutine& g = t_.goroutines[i];
    switch (f) {
      case GoroutineField::CurLoc:
        return current(i);
      case GoroutineField::UserLoc:
        return user_[i];
      case GoroutineField::GoLoc:
        return facts_.go_location(g);
      case GoroutineField::StartLoc:
        return facts_.start_location(g);
      case GoroutineField::Status:
        return status_text(g);
      default:
        return {};
    }
  }
  std::string current(size_t i) {
    const Goroutine& g = t_.goroutines[i];
    auto it = current_.find(g.regs.pc);
    if (it == current_.end())
      it = current_.emplace(g.regs.pc, location_text(g.func, g.file, g.line, g.regs.pc)).first;
    return it->second;
  }
  bool matches(const GoroutineFilter& f, size_t i) {
    const Goroutine& g = t_.goroutines[i];
    bool m = false;
    if (f.kind == GoroutineField::Label) {
      size_t eq = f.arg.find('=');
      const std::string* v = label_value(facts_.labels(g), f.arg.substr(0, eq));
      m = v != nullptr && (eq == std::string::npos || *v == f.arg.substr(eq + 1));
    } else if (f.kind == GoroutineField::Running) {
      m = g.m != 0;
    } else if (f.kind == GoroutineField::User) {
      m = !is_system(facts_.start_function(g));
    } else {
      m = text(f.kind, i).find(f.arg) != std::string::npos;
    }
    return m != f.negated;
  }
  std::string group_key(const GoroutineQuery& q, size_t i) {
    const Goroutine& g = t_.goroutines[i];
    if (q.group == GoroutineField::Label) {
      const std::string* v = label_value(facts_.labels(g), q.group_key);
      return v ? q.group_key + "=" + shown_value(*v) : "(no " + q.group_key + " label)";
    }
    if (q.group == GoroutineField::Running) return g.m != 0 ? "yes" : "no";
    if (q.group == GoroutineField::User) return is_system(facts_.start_function(g)) ? "no" : "yes";
    std::string s = text(q.group, i);
    return s.empty() ? "(none)" : s;
  }
  // User locations of the goroutines at `idx`, read in bulk.
  void need_user(const std::vector<size_t>& idx) {
    std::vector<const Goroutine*> gs;
    for (size_t i : idx)
      if (!user_.count(i)) gs.push_back(&t_.goroutines[i]);
    std::vector<std::string> locs = facts_.user_locations(gs);
    for (size_t k = 0; k < gs.size() && k < locs.size(); ++k)
      user_[static_cast<size_t>(gs[k] - t_.goroutines.data())] = std::move(locs[k]);
  }
  std::string details(const GoroutineQuery& q, size_t i) {
    const Goroutine& g = t_.goroutines[i];
    std::string out;
    if (q.created_by) {
      std::string go = facts_.go_location(g);
      if (!go.empty()) out += "           created by " + go + "\n";
    }
    if (q.labels && !facts_.labels(g).empty()) {
      out += "           labels:";
      for (const auto& [k, v] : facts_.labels(g)) out += " " + k + "=" + shown_value(v);
      out += "\n";
    }
    return out;
  }

 private:
  const GoroutineTable& t_;
  GoroutineFacts& facts_;
  std::unordered_map<uint64_t, std::string> current_;
  std::unordered_map<size_t, std::string> user_;
};

bool uses_user(const GoroutineQuery& q) {
  if (q.group == GoroutineField::UserLoc || q.column == LocationColumn::User) return true;
  return std::any_of(q.filters.begin(), q.filters.end(),
                     [](const GoroutineFilter& f) { return f.kind == GoroutineField::UserLoc; });
}

// Indices of the goroutines every filter keeps: the cheap filters first, then user locations
// (stack reads) only for the goroutines still in.
std::vector<size_t> filter_rows(const GoroutineQuery& q, const GoroutineTable& t, Rows& rows) {
  std::vector<size_t> keep;
  for (size_t i = 0; i < t.goroutines.size(); ++i) {
    bool ok = std::all_of(q.filters.begin(), q.filters.end(), [&](const GoroutineFilter& f) {
      return f.kind == GoroutineField::UserLoc || rows.matches(f, i);
    });
    if (ok) keep.push_back(i);
  }
  if (!uses_user(q)) return keep;
  rows.need_user(keep);
  std::vector<size_t> out;
  for (size_t i : keep) {
    bool ok = std::all_of(q.filters.begin(), q.filters.end(), [&](const GoroutineFilter& f) {
      return f.kind != GoroutineField::UserLoc || rows.matches(f, i);
    });
    if (ok) out.push_back(i);
  }
  return out;
}

std::string group_title(const GoroutineQuery& q) {
  switch (q.group) {
    case GoroutineField::CurLoc:
      return "Location";
    case GoroutineField::UserLoc:
      return "User location";
    case GoroutineField::GoLoc:
      return "Created by";
    case GoroutineField::StartLoc:
      return "Start function";
    case GoroutineField::Label:
      return "Label " + q.group_key;
    case GoroutineField::Status:
      return "Status";
    case GoroutineField::Running:
      return "On a thread";
    case GoroutineField::User:
      return "User goroutine";
    default:
      return "Group";
  }
}

struct Group {
  std::string key;
  size_t count = 0;
  std::vector<uint64_t> ids;  // the kGroupExamples smallest, in order
};

std::string format_groups(const GoroutineQuery& q, const GoroutineTable& t,
                          const std::vector<size_t>& sel, Rows& rows) {
  std::unordered_map<std::string, size_t> index;
  std::vector<Group> groups;
  for (size_t i : sel) {
    std::string key = rows.group_key(q, i);
    auto [it, added] = index.emplace(key, groups.size());
    if (added) groups.push_back(Group{std::move(key), 0, {}});
    Group& gr = groups[it->second];
    ++gr.count;
    // The smallest ids: the same examples whatever order the runtime keeps goroutines in.
    uint64_t id = t.goroutines[i].goid;
    if (gr.ids.size() == kGroupExamples && id < gr.ids.back()) gr.ids.pop_back();
    if (gr.ids.size() < kGroupExamples)
      gr.ids.insert(std::upper_bound(gr.ids.begin(), gr.ids.end(), id), id);
  }
  std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });
  std::string out = fmt::format("  {:<8} {}  [goroutines]\n", "Count", group_title(q));
  size_t rest = 0;
  for (size_t k = 0; k < groups.size(); ++k) {
    const Group& gr = groups[k];
    if (k >= kMaxGroups) {
      rest += gr.count;
      continue;
    }
    out += fmt::format("  {:<8} {}  [{}{}]\n", gr.count, gr.key, fmt::join(gr.ids, " "),
                       gr.count > gr.ids.size() ? " ..." : "");
  }
  if (groups.size() > kMaxGroups)
    out += fmt::format("  ... {} more groups ({} goroutines)\n", groups.size() - kMaxGroups, rest);
  out += fmt::format("{} group{}, {} goroutine{}", groups.size(), groups.size() == 1 ? "" : "s",
                     sel.size(), sel.size() == 1 ? "" : "s");
  if (!q.filters.empty()) out += fmt::format(" (of {})", t.goroutines.size());
  return out + "\n";
}

std::string format_rows(const GoroutineQuery& q, const GoroutineTable& t,
                        const std::vector<size_t>& sel, Rows& rows, const ThreadLabel& label) {
  GoroutineTable shown;
  shown.goroutines.reserve(sel.size());
  for (size_t i : sel) shown.goroutines.push_back(t.goroutines[i]);
  GoroutineTableStyle style;
  if (q.column != LocationColumn::Current) {
    bool user = q.column == LocationColumn::User;
    style.location_header = user ? "User location" : "Start location";
    style.location = [&, user](size_t k) {
      std::string s = rows.text(user ? GoroutineField::UserLoc : GoroutineField::StartLoc, sel[k]);
      return s.empty() ? std::string("?") : s;
    };
  }
  if (q.created_by || q.labels) style.details = [&](size_t k) { return rows.details(q, sel[k]); };
  std::string out = format_goroutine_table(shown, label, style);
  if (!q.filters.empty())
    out += fmt::format("{} of {} goroutines\n", sel.size(), t.goroutines.size());
  return out;
}

}  // namespace

GoroutineListing run_goroutine_query(const GoroutineQuery& q, const GoroutineTable& t,
                                     GoroutineFacts& facts, const ThreadLabel& thread_label) {
  GoroutineListing out;
  Rows rows(t, facts);
  std::vector<size_t> sel = filter_rows(q, t, rows);
  if (q.group != GoroutineField::None) {
    if (q.group == GoroutineField::UserLoc) rows.need_user(sel);
    out.text = format_groups(q, t, sel, rows);
  } else {
    if (q.column == LocationColumn::User) rows.need_user(sel);
    out.text = format_rows(q, t, sel, rows, thread_label);
  }
  std::string facts_warning = facts.warning();
  out.warning = t.error;
  if (!facts_warning.empty()) out.warning += (out.warning.empty() ? "" : "; ") + facts_warning;
  return out;
}

// ---------------------------------------------------------------------------------------------
// pprof labels

namespace {

constexpr size_t kMaxLabels = 1024;     // labels read per goroutine
constexpr size_t kMaxLabelText = 1024;  // bytes of a key or value shown

bool read_string(Memory& mem, uint64_t hdr_ptr, uint64_t hdr_len, std::string* out) {
  if (hdr_len > (uint64_t{1} << 32)) return false;
  size_t n = std::min<uint64_t>(hdr_len, kMaxLabelText);
  out->assign(n, '\0');
  if (n != 0 && !mem.read(hdr_ptr, out->data(), n)) return false;
  if (hdr_len > n) *out += "...";
  return true;
}

uint64_t word_at(const uint8_t* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// {key, value string} pairs: 32 bytes each.
bool read_pairs(Memory& mem, uint64_t at, size_t n, GoLabels* out) {
  std::vector<uint8_t> b(n * 32);
  if (n != 0 && !mem.read(at, b.data(), b.size())) return false;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* e = b.data() + i * 32;
    std::string k, v;
    if (!read_string(mem, word_at(e), word_at(e + 8), &k) ||
        !read_string(mem, word_at(e + 16), word_at(e + 24), &v))
      return false;
    out->emplace_back(std::move(k), std::move(v));
  }
  return true;
}

// Go >= 1.24: labels point at runtime/pprof.labelMap{label.Set{List []label.Label}}.
bool read_label_slice(Memory& mem, uint64_t labels, GoLabels* out, std::string* error) {
  uint64_t hdr[3] = {};
  if (!mem.read(labels, hdr, sizeof hdr)) {
    *error = fmt::format("unreadable label set at {:#x}", labels);
    return false;
  }
  if (hdr[1] > hdr[2] || hdr[1] > kMaxLabels || (hdr[1] != 0 && hdr[0] == 0)) {
    *error = fmt::format("implausible label set at {:#x} (len {}, cap {})", labels, hdr[1], hdr[2]);
    return false;
  }
  if (!read_pairs(mem, hdr[0], hdr[1], out)) {
    *error = fmt::format("unreadable labels at {:#x}", hdr[0]);
    return false;
  }
  return true;
}

// Go <= 1.23: labels point at a runtime/pprof.labelMap, a map[string]string: a classic hash map
// (runtime.hmap) whose buckets hold 8 slots {tophash [8]uint8; keys [8]string; values [8]string;
// overflow *bucket}. Every full slot (tophash >= minTopHash) of the old buckets (not yet
// evacuated while growing) and of the buckets, overflow chains included.
constexpr uint64_t kBucketSize = 8 + 8 * 16 + 8 * 16 + 8, kKeysOff = 8, kValuesOff = 136,
                   kOverflowOff = 264;
constexpr uint8_t kMinTopHash = 5, kSameSizeGrow = 8;

// `budget`: buckets that may still be read for this map (garbage could chain many).
bool read_bucket_chain(Memory& mem, uint64_t b, GoLabels* out, int& budget) {
  std::vector<uint8_t> bb(kBucketSize);
  for (int chain = 0; b != 0 && chain < 64; ++chain) {
    if (--budget < 0 || !mem.read(b, bb.data(), bb.size())) return false;
    for (size_t slot = 0; slot < 8; ++slot) {
      if (bb[slot] < kMinTopHash) continue;
      if (out->size() >= kMaxLabels) return true;
      std::string k, v;
      const uint8_t* kp = bb.data() + kKeysOff + slot * 16;
      const uint8_t* vp = bb.data() + kValuesOff + slot * 16;
      if (!read_string(mem, word_at(kp), word_at(kp + 8), &k) ||
          !read_string(mem, word_at(vp), word_at(vp + 8), &v))
        return false;
      out->emplace_back(std::move(k), std::move(v));
    }
    b = word_at(bb.data() + kOverflowOff);
  }
  return true;
}

bool read_label_map(Memory& mem, uint64_t labels, GoLabels* out, std::string* error) {
  auto hmap = mem.u64(labels);
  if (!hmap) {
    *error = fmt::format("unreadable label map pointer at {:#x}", labels);
    return false;
  }
  if (*hmap == 0) return true;
  uint8_t h[48] = {};
  if (!mem.read(*hmap, h, sizeof h)) {
    *error = fmt::format("unreadable label map at {:#x}", *hmap);
    return false;
  }
  uint64_t count = word_at(h);
  uint8_t flags = h[8], B = h[9];
  if (B > 8 || count > kMaxLabels) {  // 1,024 labels fit in 2^8 buckets
    *error = fmt::format("implausible label map at {:#x} (count {}, B {})", *hmap, count, B);
    return false;
  }
  const uint64_t buckets = word_at(h + 16), old = word_at(h + 24);
  uint64_t nold = (flags & kSameSizeGrow) ? (uint64_t{1} << B) : (uint64_t{1} << B) / 2;
  int budget = 1024;
  for (int pass = 0; pass < 2; ++pass) {
    uint64_t base = pass == 0 ? old : buckets, n = pass == 0 ? nold : uint64_t{1} << B;
    for (uint64_t i = 0; base != 0 && i < n; ++i) {
      if (!read_bucket_chain(mem, base + i * kBucketSize, out, budget)) {
        *error = budget < 0
                     ? fmt::format("label map at {:#x} has too many buckets", *hmap)
                     : fmt::format("unreadable label map bucket at {:#x}", base + i * kBucketSize);
        return false;
      }
    }
  }
  return true;
}

// Go version unknown: the label set's header, read as a slice, says which layout it is.
bool looks_like_slice(Memory& mem, uint64_t labels) {
  uint64_t hdr[3] = {};
  return mem.read(labels, hdr, sizeof hdr) && hdr[1] <= hdr[2] && hdr[2] <= kMaxLabels &&
         (hdr[1] == 0 || hdr[0] != 0);
}

}  // namespace

bool read_pprof_labels(Memory& mem, uint64_t labels, int go_minor, GoLabels* out,
                       std::string* error) {
  out->clear();
  if (labels == 0) return true;
  std::string why;
  bool slice = go_minor >= 24 || (go_minor == 0 && looks_like_slice(mem, labels));
  bool ok =
      slice ? read_label_slice(mem, labels, out, &why) : read_label_map(mem, labels, out, &why);
  if (!ok) {
    out->clear();
    if (error) *error = why;
    return false;
  }
  std::sort(out->begin(), out->end());
  return true;
}

// ---------------------------------------------------------------------------------------------
// facts from a process

namespace {

constexpr int kUserFrames = 64;           // frames searched for the user's code
constexpr uint64_t kStackWindow = 1024;   // bytes of each stack read up front (from its SP)
constexpr uint64_t kMaxWindowGap = 4096;  // stack windows this close are read together
constexpr uint64_t kMaxRunBytes = 256 * 1024;
constexpr size_t kWindowChunk = 4096;  // goroutines whose windows are held at once

// Reads through prefetched byte ranges, and the underlying memory for anything else.
class OverlayMemory : public Memory {
 public:
  struct Region {
    uint64_t addr;
    const uint8_t* bytes;
    size_t len;
  };
  explicit OverlayMemory(Memory& base) : base_(base) {}
  void set(std::vector<Region> regions) { regions_ = std::move(regions); }
  bool read(uint64_t addr, void* buf, size_t len) override {
    for (const Region& r : regions_) {
      if (addr >= r.addr && addr - r.addr <= r.len && len <= r.len - (addr - r.addr)) {
        std::memcpy(buf, r.bytes + (addr - r.addr), len);
        return true;
      }
    }
    return base_.read(addr, buf, len);
  }

 private:
  Memory& base_;
  std::vector<Region> regions_;
};

struct Window {
  uint64_t addr = 0, len = 0;
  size_t owner = 0;  // index in the caller's list
  size_t at = 0;     // offset in the chunk's buffer
  bool ok = false;
};

// Reads each window into one buffer: windows closer than kMaxWindowGap in one read (one round
// trip for a remote target, one call of a debugger's reader), a run that fails window by window.
std::vector<uint8_t> read_windows(Memory& mem, std::vector<Window>& ws) {
  std::sort(ws.begin(), ws.end(), [](const Window& a, const Window& b) { return a.addr < b.addr; });
  size_t total = 0;
  for (Window& w : ws) {
    w.at = total;
    total += w.len;
  }
  std::vector<uint8_t> buf(total), run;
  for (size_t i = 0; i < ws.size();) {
    uint64_t start = ws[i].addr, end = start + ws[i].len;
    size_t j = i + 1;
    while (j < ws.size() && ws[j].addr >= start && ws[j].addr <= end + kMaxWindowGap &&
           ws[j].addr + ws[j].len - start <= kMaxRunBytes) {
      end = std::max(end, ws[j].addr + ws[j].len);
      ++j;
    }
    run.resize(end - start);
    bool whole = mem.read_uncached(start, run.data(), run.size());
    for (size_t k = i; k < j; ++k) {
      Window& w = ws[k];
      if (whole) {
        std::memcpy(buf.data() + w.at, run.data() + (w.addr - start), w.len);
        w.ok = true;
      } else {
        w.ok = mem.read_uncached(w.addr, buf.data() + w.at, w.len);
      }
    }
    i = j;
  }
  return buf;
}

class ProcessFacts : public GoroutineFacts {
 public:
  ProcessFacts(const GoModules& mods, Memory& mem, const GoroutineTable& t)
      : mods_(mods), mem_(mem), table_(t) {}

  std::string start_function(const Goroutine& g) override { return info(g.startpc).func; }
  std::string start_location(const Goroutine& g) override {
    return g.startpc ? info(g.startpc).loc : std::string();
  }
  std::string go_location(const Goroutine& g) override {
    // The runtime starts goroutine 1 (runtime.main) itself: like Go's tracebacks, no go
    // statement. gopc is the return address of the call to newproc: its line is the one before.
    return g.gopc && g.goid != 1 ? info(g.gopc - 1).loc : std::string();
  }
  const GoLabels& labels(const Goroutine& g) override;
  std::vector<std::string> user_locations(const std::vector<const Goroutine*>& gs) override;
  std::string warning() const override;

 private:
  struct PcInfo {
    std::string func;
    std::string loc;
    bool user = false;
  };
  // Function and location of a pc to look up (a return address already minus one), once each.
  const PcInfo& info(uint64_t lookup);
  const GoModule& module_of(const Goroutine& g) const;
  void read_label_pointers();
  std::string user_location(const Goroutine& g, OverlayMemory& mem);
  void user_chunk(const std::vector<const Goroutine*>& gs, std::vector<size_t>& order, size_t from,
                  size_t to, std::vector<std::string>& out);

  const GoModules& mods_;
  Memory& mem_;
  const GoroutineTable& table_;
  std::unordered_map<uint64_t, PcInfo> pcs_;
  std::optional<std::unordered_map<uint64_t, uint64_t>> label_ptrs_;  // g -> g.labels
  std::unordered_map<uint64_t, GoLabels> labels_;                     // by g.labels
  size_t bad_labels_ = 0, bad_stacks_ = 0;
  std::string labels_error_, stack_error_;
};

const ProcessFacts::PcInfo& ProcessFacts::info(uint64_t lookup) {
  auto it = pcs_.find(lookup);
  if (it != pcs_.end()) return it->second;
  PcInfo p;
  const GoModule* mod = mods_.for_pc(lookup);
  if (mod != nullptr) {
    if (auto f = mod->func_for_pc(lookup)) p.func = f->name;
    std::string file;
    int line = 0;
    if (auto fl = mod->file_line(lookup)) std::tie(file, line) = *fl;
    p.loc = location_text(p.func, file, line, lookup);
  }
  p.user = !p.func.empty() && !is_runtime_function(p.func);
  return pcs_.emplace(lookup, std::move(p)).first->second;
}

const GoModule& ProcessFacts::module_of(const Goroutine& g) const {
  for (uint64_t pc : {g.startpc, g.regs.pc - 1, g.regs.pc})
    if (const GoModule* m = mods_.for_pc(pc)) return *m;
  return mods_.all().front();
}

// g.labels of every goroutine of the table, in a few large reads (as read_goroutines reads the
// g structs): read here, only for queries about labels, so that the plain listing reads no more.
void ProcessFacts::read_label_pointers() {
  label_ptrs_.emplace();
  std::vector<uint64_t> addrs;
  std::vector<uint64_t> gs;
  for (const Goroutine& g : table_.goroutines) {
    int64_t off = module_of(g).layout().g_labels;
    if (off < 0) continue;  // no such field known: no labels
    gs.push_back(g.addr);
    addrs.push_back(g.addr + static_cast<uint64_t>(off));
  }
  std::vector<bool> ok;
  std::vector<uint8_t> words = read_many(mem_, addrs, 8, ok);
  for (size_t i = 0; i < gs.size(); ++i) {
    uint64_t p = 0;
    if (ok[i]) std::memcpy(&p, words.data() + i * 8, 8);
    (*label_ptrs_)[gs[i]] = p;
  }
}

const GoLabels& ProcessFacts::labels(const Goroutine& g) {
  if (!label_ptrs_) read_label_pointers();
  auto p = label_ptrs_->find(g.addr);
  uint64_t at = p == label_ptrs_->end() ? 0 : p->second;
  // Goroutines share their creator's label set: each set is read once.
  auto it = labels_.find(at);
  if (it != labels_.end()) return it->second;
  GoLabels l;
  std::string why;
  if (!read_pprof_labels(mem_, at, module_of(g).go_minor(), &l, &why)) {
    ++bad_labels_;
    labels_error_ = why;
  }
  return labels_.emplace(at, std::move(l)).first->second;
}

// Walks outward from where the goroutine is parked (the core's unwinding rules) to the first
// frame of user code; "" when there is none within kUserFrames.
std::string ProcessFacts::user_location(const Goroutine& g, OverlayMemory& mem) {
  Unwinder unw(module_of(g), mem);
  WalkState st;
  st.spliced = true;  // every Go frame here is ours to unwind
  st.g = g.addr;
  Regs r = g.regs;
  for (int i = 0; i < kUserFrames && r.pc != 0; ++i) {
    const PcInfo& p = info(r.pc - 1);
    if (p.func.empty()) break;
    if (p.user) return p.loc;
    Step s = unw.step(r, st, ThreadInfo{}, false);
    if (s.kind != StepKind::Caller || s.caller.sp <= r.sp) {
      if (s.kind == StepKind::Stop) {
        ++bad_stacks_;
        stack_error_ = fmt::format("goroutine {}: {}", g.goid, s.error);
      }
      break;
    }
    r = s.caller;
    st = s.state;
  }
  return {};
}

void ProcessFacts::user_chunk(const std::vector<const Goroutine*>& gs, std::vector<size_t>& order,
                              size_t from, size_t to, std::vector<std::string>& out) {
  std::vector<Window> ws;
  for (size_t k = from; k < to; ++k) {
    const Goroutine& g = *gs[order[k]];
    // From the SP up to the stack's top, at most kStackWindow bytes (none that would wrap).
    uint64_t len =
        g.stack_hi > g.regs.sp ? std::min(g.stack_hi - g.regs.sp, kStackWindow) : kStackWindow;
    if (g.regs.sp > UINT64_MAX - len) len = 0;
    if (len != 0) ws.push_back(Window{g.regs.sp, len, order[k], 0, false});
  }
  std::vector<uint8_t> buf = read_windows(mem_, ws);
  OverlayMemory overlay(mem_);
  for (const Window& w : ws) {
    const Goroutine& g = *gs[w.owner];
    const RuntimeLayout& L = module_of(g).layout();
    // The walk checks each frame against the goroutine's stack bounds: from the table, not
    // from another read of the g.
    uint64_t bounds[2] = {g.stack_lo, g.stack_hi};
    std::vector<OverlayMemory::Region> regions;
    if (w.ok) regions.push_back({w.addr, buf.data() + w.at, w.len});
    if (L.g_stack_hi == L.g_stack_lo + 8)
      regions.push_back({g.addr + static_cast<uint64_t>(L.g_stack_lo),
                         reinterpret_cast<const uint8_t*>(bounds), sizeof bounds});
    overlay.set(std::move(regions));
    out[w.owner] = user_location(g, overlay);
  }
}

std::vector<std::string> ProcessFacts::user_locations(const std::vector<const Goroutine*>& gs) {
  std::vector<std::string> out(gs.size());
  std::vector<size_t> walk;
  for (size_t i = 0; i < gs.size(); ++i) {
    const Goroutine& g = *gs[i];
    const PcInfo& now = info(g.regs.pc - 1);
    // Where it is now, when that is user code already, or when the saved context is stale
    // (a running goroutine's registers are its thread's, which the table does not have).
    bool running = g.status_name == "running" && !g.in_c;
    if (now.user || running || g.regs.sp == 0) continue;
    walk.push_back(i);
  }
  // Stacks in address order, so that neighbouring windows are read together.
  std::sort(walk.begin(), walk.end(),
            [&](size_t a, size_t b) { return gs[a]->regs.sp < gs[b]->regs.sp; });
  for (size_t from = 0; from < walk.size(); from += kWindowChunk)
    user_chunk(gs, walk, from, std::min(walk.size(), from + kWindowChunk), out);
  for (size_t i = 0; i < gs.size(); ++i) {
    if (out[i].empty()) {
      const Goroutine& g = *gs[i];
      out[i] = location_text(g.func, g.file, g.line, g.regs.pc);  // Delve's fallback too
    }
  }
  return out;
}

std::string ProcessFacts::warning() const {
  std::string out;
  if (bad_labels_ != 0)
    out = fmt::format("labels of {} goroutine{} unreadable ({})", bad_labels_,
                      bad_labels_ == 1 ? "" : "s", labels_error_);
  if (bad_stacks_ != 0)
    out += fmt::format("{}stacks of {} goroutine{} not walked to user code ({})",
                       out.empty() ? "" : "; ", bad_stacks_, bad_stacks_ == 1 ? "" : "s",
                       stack_error_);
  return out;
}

}  // namespace

std::unique_ptr<GoroutineFacts> process_facts(const GoModules& mods, Memory& mem,
                                              const GoroutineTable& t) {
  return std::make_unique<ProcessFacts>(mods, mem, t);
}

GoroutineListing goroutine_listing(const GoModules& mods, Memory& mem, std::string_view args,
                                   const ThreadLabel& thread_label) {
  GoroutineListing out;
  try {
    std::string error;
    auto q = parse_goroutine_query(args, &error);
    if (!q) {
      out.error = error;
      return out;
    }
    GoroutineTable t = read_all_goroutines(mods, mem);
    if (q->plain() || mods.empty()) {
      out.text = format_goroutine_table(t, thread_label);
      out.warning = t.error;
      return out;
    }
    auto facts = process_facts(mods, mem, t);
    return run_goroutine_query(*q, t, *facts, thread_label);
  } catch (const std::exception& e) {
    out = GoroutineListing{};
    out.error = std::string("internal error: ") + e.what();
  }
  return out;
}

}  // namespace cgounwind
