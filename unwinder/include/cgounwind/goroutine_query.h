// The goroutine listing's options, as Delve's `goroutines` command spells them, parsed and run
// once for both debuggers (`info goroutines ARGS` in GDB, `goroutine list ARGS` in LLDB):
//
//   [-u|-r|-s] [-g] [-l] [-with|-without KIND [ARG]]... [-group KIND [KEY]]
//
// KIND: curloc, userloc, goloc, startloc EXPR (EXPR a substring of the location text
// "FUNC at FILE:LINE"), label KEY[=VALUE], status EXPR (a substring of "waiting (chan receive)"),
// running (on a thread), user (not a runtime goroutine). -u/-r/-s: the Location column shows the
// user location / where it is now (default) / its start function; -g adds a "created by" line
// under each goroutine, -l a line with its pprof labels.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgounwind/go_binary.h"
#include "cgounwind/goroutines.h"
#include "cgounwind/memory.h"

namespace cgounwind {

// What a filter or a grouping looks at.
enum class GoroutineField { None, CurLoc, UserLoc, GoLoc, StartLoc, Label, Status, Running, User };

struct GoroutineFilter {
  GoroutineField kind = GoroutineField::None;
  std::string arg;  // a substring (locations, status), or KEY / KEY=VALUE (label)
  bool negated = false;
};

enum class LocationColumn { Current, User, Start };

struct GoroutineQuery {
  std::vector<GoroutineFilter> filters;  // all must hold
  GoroutineField group = GoroutineField::None;
  std::string group_key;  // the label key of -group label KEY
  LocationColumn column = LocationColumn::Current;
  bool created_by = false;  // -g
  bool labels = false;      // -l
  bool plain() const;       // no option at all: the plain listing
};

// The command's words, as a shell would split them: blanks separate words, '…' and "…" quote
// (backslash escapes inside "…" and outside quotes). nullopt (and *error) on an open quote.
std::optional<std::vector<std::string>> split_args(std::string_view args, std::string* error);
// The inverse, for debuggers that hand commands their words already split (LLDB): words quoted
// so that split_args gives them back.
std::string join_args(const std::vector<std::string>& words);

// nullopt and a one-line *error (with the usage) on bad arguments.
std::optional<GoroutineQuery> parse_goroutine_query(std::string_view args, std::string* error);
extern const char* const kGoroutineQueryUsage;

// pprof labels of a goroutine, sorted by key.
using GoLabels = std::vector<std::pair<std::string, std::string>>;

// What the query needs to know about a goroutine beyond its table row. Answers are texts in the
// table's location form ("FUNC at FILE:LINE"), "" when unknown.
class GoroutineFacts {
 public:
  virtual ~GoroutineFacts() = default;
  virtual std::string start_function(const Goroutine& g) = 0;
  virtual std::string start_location(const Goroutine& g) = 0;
  virtual std::string go_location(const Goroutine& g) = 0;  // the `go` statement
  virtual const GoLabels& labels(const Goroutine& g) = 0;
  // The user location (the innermost frame that is not the runtime's or cgo's glue, else the
  // current location) of each goroutine: asked for all at once, so that stacks are read in bulk.
  virtual std::vector<std::string> user_locations(const std::vector<const Goroutine*>& gs) = 0;
  // One line about what could not be read (unreadable stacks or labels), or "".
  virtual std::string warning() const { return {}; }
};

struct GoroutineListing {
  std::string text;
  std::string warning;  // one line: the table or some goroutine's facts could not be read fully
  std::string error;    // one line: bad arguments (nothing was listed)
};

using ThreadLabel = std::function<std::string(uint64_t lwp)>;

// Filters, groups and formats an already read table.
GoroutineListing run_goroutine_query(const GoroutineQuery& q, const GoroutineTable& t,
                                     GoroutineFacts& facts, const ThreadLabel& thread_label);

// The whole command for a process: parses `args`, reads the goroutine table of every Go module
// and answers from memory. Never throws.
GoroutineListing goroutine_listing(const GoModules& mods, Memory& mem, std::string_view args,
                                   const ThreadLabel& thread_label);

// Facts about the goroutines of table `t` (which must outlive them) read from a process's
// memory: labels per Go version, stacks walked with the core's rules.
std::unique_ptr<GoroutineFacts> process_facts(const GoModules& mods, Memory& mem,
                                              const GoroutineTable& t);

// The pprof labels at g.labels for a runtime of Go 1.`go_minor` (0: unknown): Go <= 1.23 keeps
// a *map[string]string there, later ones a *struct{[]struct{key, value string}}. Bounded; false
// (and *error) when the memory does not hold a plausible label set.
bool read_pprof_labels(Memory& mem, uint64_t labels, int go_minor, GoLabels* out,
                       std::string* error);

}  // namespace cgounwind
