#include "formats/text.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "formats/kernel_string.h"
#include "formats/node_labels.h"

namespace provtrace::formats {
namespace {

// Column widths: a comm is at most 15 bytes (TASK_COMM_LEN), a pid 7
// digits, the longest event names 12 characters. Longer values push the
// rest of their line to the right rather than being cut.
constexpr size_t kTimeWidth = 15;  // 14:02:03.123456
constexpr size_t kCommWidth = 15;
constexpr size_t kPidWidth = 7;
constexpr size_t kEventWidth = 12;
// An object and its details keep at least this many columns, however
// narrow the terminal.
constexpr size_t kMinTailWidth = 16;
// Details shorter than this once cut are left out.
constexpr size_t kMinDetailWidth = 6;

constexpr char kReset[] = "\033[0m";
constexpr char kBold[] = "\033[1m";
constexpr char kDim[] = "\033[2m";

// The colour of an event's name: process life, changes to files, changes
// of identity and losses stand out; reads and opens, most lines, do not.
const char* EventColor(RelationType type) {
  switch (type) {
    case RelationType::kExec:
      return "\033[1;36m";
    case RelationType::kClone:
    case RelationType::kTerminateTask:
      return "\033[36m";
    case RelationType::kWrite:
    case RelationType::kInodeCreate:
    case RelationType::kUnlink:
    case RelationType::kRename:
    case RelationType::kLink:
    case RelationType::kSetattr:
      return "\033[33m";
    case RelationType::kSetuid:
    case RelationType::kSetgid:
      return "\033[1;35m";
    default:
      return nullptr;
  }
}
constexpr char kLostColor[] = "\033[1;31m";

struct FlagName {
  uint64_t bits;
  const char* name;
};

// Appends the names of the set flags joined by '|', and what is left as hex.
void AppendFlags(std::string* out, uint64_t flags, const FlagName* names, size_t count) {
  size_t start = out->size();
  for (size_t i = 0; i < count; ++i) {
    if ((flags & names[i].bits) != names[i].bits) continue;
    if (out->size() > start) out->push_back('|');
    *out += names[i].name;
    flags &= ~names[i].bits;
  }
  if (flags != 0) {
    char hex[24];
    snprintf(hex, sizeof(hex), "0x%llx", static_cast<unsigned long long>(flags));
    if (out->size() > start) out->push_back('|');
    *out += hex;
  }
}

void AppendOpenFlags(std::string* out, uint64_t flags) {
  static constexpr const char* kAccess[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  *out += kAccess[flags & 3];
  static constexpr FlagName kNames[] = {
      {04010000, "O_SYNC"},     {020200000, "O_TMPFILE"}, {0100, "O_CREAT"},
      {0200, "O_EXCL"},         {0400, "O_NOCTTY"},       {01000, "O_TRUNC"},
      {02000, "O_APPEND"},      {04000, "O_NONBLOCK"},    {010000, "O_DSYNC"},
      {020000, "O_ASYNC"},      {040000, "O_DIRECT"},     {0100000, "O_LARGEFILE"},
      {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"},  {01000000, "O_NOATIME"},
      {02000000, "O_CLOEXEC"},  {010000000, "O_PATH"},
  };
  uint64_t rest = flags & ~uint64_t{3};
  if (rest == 0) return;
  out->push_back('|');
  AppendFlags(out, rest, kNames, sizeof(kNames) / sizeof(kNames[0]));
}

void AppendProt(std::string* out, uint64_t prot) {
  static constexpr FlagName kNames[] = {{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}};
  if (prot == 0) {
    *out += "PROT_NONE";
    return;
  }
  AppendFlags(out, prot, kNames, 3);
}

void AppendAccessMask(std::string* out, uint64_t mask) {
  static constexpr FlagName kNames[] = {{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}};
  if (mask == 0) {
    *out += "F_OK";
    return;
  }
  AppendFlags(out, mask, kNames, 3);
}

void AppendCloneFlags(std::string* out, uint64_t flags) {
  static constexpr FlagName kNames[] = {{0x100, "CLONE_VM"},
                                        {0x200, "CLONE_FS"},
                                        {0x400, "CLONE_FILES"},
                                        {0x800, "CLONE_SIGHAND"},
                                        {0x10000, "CLONE_THREAD"}};
  AppendFlags(out, flags, kNames, 5);
}

// Display columns of text escaped by AppendEscaped (valid UTF-8): East Asian
// wide characters and most emoji take two, everything else one.
bool Wide(uint32_t c) {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f) ||
         (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
         (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
         (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
         (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

size_t UnitColumns(std::string_view s, size_t i, size_t length) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0xe0 || length < 3) return length > 1 && c == '\\' ? length : 1;
  uint32_t codepoint = c & (length == 3 ? 0x0f : 0x07);
  for (size_t k = 1; k < length; ++k) codepoint = (codepoint << 6) | (s[i + k] & 0x3f);
  return Wide(codepoint) ? 2 : 1;
}

size_t Columns(std::string_view s) {
  if (NeedsNoEscape(s)) return s.size();  // printable ASCII: one each
  size_t columns = 0;
  for (size_t i = 0; i < s.size();) {
    size_t length = EscapedUnitLength(s, i);
    columns += UnitColumns(s, i, length);
    i += length;
  }
  return columns;
}

// Shortens escaped text to `columns` by cutting out its middle (keeping a
// path's head and, longer, its file name) or its end; the cut is marked
// with an ellipsis and never splits a character or an escape.
void Shorten(std::string* s, size_t columns, bool middle, const std::string& ellipsis) {
  if (Columns(*s) <= columns) return;
  size_t ellipsis_columns = Columns(ellipsis);
  size_t keep = columns > ellipsis_columns ? columns - ellipsis_columns : 0;
  size_t head_columns = middle ? keep / 3 : keep;
  if (NeedsNoEscape(*s)) {  // printable ASCII: a column per byte
    size_t tail = middle ? keep - head_columns : 0;
    s->replace(head_columns, s->size() - head_columns - tail, ellipsis);
    return;
  }
  struct Unit {
    size_t offset, columns;
  };
  std::vector<Unit> units;
  for (size_t i = 0; i < s->size();) {
    size_t length = EscapedUnitLength(*s, i);
    units.push_back({i, UnitColumns(*s, i, length)});
    i += length;
  }
  size_t head_end = 0, used = 0, u = 0;
  for (; u < units.size() && used + units[u].columns <= head_columns; ++u) {
    used += units[u].columns;
  }
  head_end = u < units.size() ? units[u].offset : s->size();
  size_t tail_start = s->size();
  if (middle) {
    size_t tail_columns = keep - used;
    size_t t = units.size();
    size_t tail_used = 0;
    while (t > u && tail_used + units[t - 1].columns <= tail_columns) {
      tail_used += units[--t].columns;
    }
    tail_start = t < units.size() ? units[t].offset : s->size();
  }
  *s = s->substr(0, head_end) + ellipsis + s->substr(tail_start);
}

// What one line shows. Strings are escaped already.
struct Line {
  uint64_t time_ns = 0;
  std::string comm;
  std::string pid;
  std::string_view event;
  const char* color = nullptr;
  std::string object;
  std::string detail;

  void Clear() {
    comm.clear();
    pid.clear();
    event = {};
    color = nullptr;
    object.clear();
    detail.clear();
  }
};

// What a task node says of its task, kept for the lines it acts in.
struct TaskInfo {
  char raw_comm[16] = {};
  uint32_t pid = 0, tid = 0;
  std::string comm;  // escaped, quoted if it holds a space
  std::string pid_text;
};

struct MemoryInfo {
  uint32_t uid = 0, gid = 0;
  uint64_t task = 0;  // the task whose exec made it (exec_task), 0 if none
};

// Maps that only help to label lines are bounded like NodeLabels': a long
// capture forgets old entries rather than grow.
constexpr size_t kMaxEntries = 1 << 20;
template <typename Map>
void Bound(Map* map) {
  if (map->size() >= kMaxEntries) map->clear();
}

class TextWriter : public RecordSink {
 public:
  TextWriter(ByteSink* out, const TextOptions& options)
      : out_(out),
        options_(options),
        labels_(options.utf8),
        ellipsis_(options.utf8 ? "\u2026" : "...") {}

  Status OnCaptureInfo(const CaptureInfo& info) override {
    info_ = info;
    return Status::Ok();
  }

  Status Begin(const CaptureInfo& info) override {
    info_ = info;
    if (!options_.header) return Status::Ok();
    std::string header;
    if (options_.color) header += kBold;
    Pad(&header, "TIME", kTimeWidth);
    Pad(&header, "COMM", kCommWidth);
    Pad(&header, "PID", kPidWidth);
    Pad(&header, "EVENT", kEventWidth);
    header += "OBJECT";
    if (options_.color) header += kReset;
    header += '\n';
    return out_->Write(header);
  }

  Status OnNode(const Node& node) override {
    Learn(node);
    return Status::Ok();
  }
  void OnFilteredNode(const Node& node) override { Learn(node); }

  Status OnRelation(const Relation& rel) override {
    if (!options_.fold) {
      Describe(rel, &line_);
      Learn(rel);
      return Emit(line_);
    }
    switch (rel.type) {
      case RelationType::kNamed:
        Learn(rel);
        if (pending_ && pending_wait_ == RelationType::kNamed && pending_id_ == rel.to.id) {
          // rename, link: the new name completes the line.
          pending_line_.object += " -> ";
          AppendObject(&pending_line_.object, rel.to);
          return EmitPending();
        }
        return Status::Ok();
      case RelationType::kArg: {
        auto argv = argv_.find(rel.from.id);
        if (argv == argv_.end()) return Status::Ok();
        bool completes =
            pending_ && pending_wait_ == RelationType::kArg && pending_id_ == rel.to.id;
        if (completes) pending_line_.detail = std::move(argv->second);
        argv_.erase(argv);  // an argv node is the source of one arg relation
        return completes ? EmitPending() : Status::Ok();
      }
      default:
        break;
    }
    if (TextFolds(rel.type)) {
      Learn(rel);
      return Status::Ok();
    }
    PT_RETURN_IF_ERROR(EmitPending());
    if (rel.type == RelationType::kExec) {
      // file -> process memory: the task is the one whose exec_task made
      // the memory; the line waits for the memory's argv.
      pending_line_.Clear();
      pending_line_.time_ns = rel.time_ns;
      auto memory = memory_.find(rel.to.id);
      uint64_t task = memory != memory_.end() ? memory->second.task : 0;
      SetActor(NodeRef{task, 0, NodeType::kTask}, &pending_line_);
      SetEvent(rel.type, &pending_line_);
      AppendObject(&pending_line_.object, rel.from);
      return Wait(RelationType::kArg, rel.to.id);
    }
    Describe(rel, &pending_line_);
    if ((rel.type == RelationType::kRename || rel.type == RelationType::kLink) &&
        IsInodeType(rel.to.type)) {
      return Wait(RelationType::kNamed, rel.to.id);
    }
    return Emit(pending_line_);
  }

  void OnFilteredRelation(const Relation& rel) override { Learn(rel); }

  Status OnLost(const Lost& lost) override {
    PT_RETURN_IF_ERROR(EmitPending());
    line_.Clear();
    line_.time_ns = lost.time_ns;
    line_.comm = "-";
    line_.pid = "-";
    line_.event = "LOST";
    line_.color = kLostColor;
    line_.object = std::to_string(lost.count) + " records";
    line_.detail = lost.source == LostSource::kBpfOutput ? "BPF output" : "perf buffer";
    if (lost.cpu >= 0) line_.detail += ", cpu " + std::to_string(lost.cpu);
    return Emit(line_);
  }

  Status Flush() override {
    PT_RETURN_IF_ERROR(EmitPending());
    return out_->Flush();
  }
  Status End(const Stats&) override { return Flush(); }

 private:
  void Learn(const Node& node) {
    labels_.OnNode(node);
    switch (node.type) {
      case NodeType::kTask:
        LearnTask(node);
        break;
      case NodeType::kProcessMemory: {
        Bound(&memory_);
        MemoryInfo& m = memory_[node.id];
        m.uid = node.proc.uid;
        m.gid = node.proc.gid;
        break;
      }
      case NodeType::kArgv: {
        if (!options_.fold) break;  // only the exec line shows it
        Bound(&argv_);
        std::string& argv = argv_[node.id];
        argv.clear();
        AppendStrings(&argv, node.strings, options_.utf8);
        break;
      }
      default:
        break;
    }
  }

  void LearnTask(const Node& node) {
    const pt_task_node& t = node.task;
    auto it = tasks_.find(node.id);
    if (it != tasks_.end() && it->second.pid == t.pid && it->second.tid == t.tid &&
        memcmp(it->second.raw_comm, t.comm, sizeof(t.comm)) == 0) {
      return;  // a new version of a task that changed nothing shown
    }
    if (it == tasks_.end()) {
      Bound(&tasks_);
      it = tasks_.emplace(node.id, TaskInfo()).first;
    }
    TaskInfo& info = it->second;
    memcpy(info.raw_comm, t.comm, sizeof(t.comm));
    info.pid = t.pid;
    info.tid = t.tid;
    info.comm.clear();
    AppendEscapedField(&info.comm, std::string_view(t.comm, strnlen(t.comm, sizeof(t.comm))),
                       options_.utf8);
    info.pid_text = std::to_string(t.pid);
    if (t.tid != t.pid) info.pid_text += "/" + std::to_string(t.tid);  // a thread
  }

  void Learn(const Relation& rel) {
    labels_.OnRelation(rel);
    if (rel.type == RelationType::kExecTask) {
      Bound(&memory_);
      memory_[rel.to.id].task = rel.from.id;
    }
  }

  // The line of any relation: its task is the actor, the other end the
  // object; without a task at either end, the actor is "-" and the object
  // "from -> to".
  void Describe(const Relation& rel, Line* line) {
    line->Clear();
    line->time_ns = rel.time_ns;
    SetEvent(rel.type, line);
    bool from_task = rel.from.type == NodeType::kTask;
    bool to_task = rel.to.type == NodeType::kTask;
    const NodeRef* object = from_task ? &rel.to : &rel.from;
    if (from_task || to_task) {
      SetActor(from_task ? rel.from : rel.to, line);
    } else {
      line->comm = "-";
      line->pid = "-";
    }
    if (rel.from.id == rel.to.id) {
      // A version, a termination or a free: the node, old -> new version.
      if (!(from_task && options_.fold)) {
        if (!from_task) AppendObject(&line->object, rel.from);
        if (!line->object.empty()) line->object.push_back(' ');
        line->object +=
            "v" + std::to_string(rel.from.version) + " -> v" + std::to_string(rel.to.version);
      }
    } else if (from_task || to_task) {
      AppendObject(&line->object, *object);
    } else {
      AppendObject(&line->object, rel.from);
      line->object += " -> ";
      AppendObject(&line->object, rel.to);
    }
    AppendDetail(rel, &line->detail);
  }

  void AppendDetail(const Relation& rel, std::string* detail) {
    switch (rel.type) {
      case RelationType::kOpen:
        return AppendOpenFlags(detail, rel.flags);
      case RelationType::kRead:
      case RelationType::kWrite:
        if (rel.offset >= 0) *detail += "offset " + std::to_string(rel.offset);
        return;
      case RelationType::kMmap:
      case RelationType::kMmapPrivate:
        return AppendProt(detail, rel.flags);
      case RelationType::kPermCheck:
        return AppendAccessMask(detail, rel.flags);
      case RelationType::kInodeCreate: {
        char mode[24];
        snprintf(mode, sizeof(mode), "mode %llo", static_cast<unsigned long long>(rel.flags));
        *detail += mode;
        return;
      }
      case RelationType::kClone:
        return AppendCloneFlags(detail, rel.flags);
      case RelationType::kSetuid:
      case RelationType::kSetgid: {
        auto memory = memory_.find(rel.to.id);
        if (memory == memory_.end()) return;
        *detail += "uid " + std::to_string(memory->second.uid) + " gid " +
                   std::to_string(memory->second.gid);
        return;
      }
      default:
        if (rel.flags != 0) {
          char hex[32];
          snprintf(hex, sizeof(hex), "flags 0x%llx", static_cast<unsigned long long>(rel.flags));
          *detail += hex;
        }
        return;
    }
  }

  void SetEvent(RelationType type, Line* line) {
    line->event = options_.fold && type == RelationType::kTerminateTask ? std::string_view("exit")
                                                                        : RelationTypeName(type);
    line->color = EventColor(type);
  }

  void SetActor(const NodeRef& task, Line* line) {
    auto it = tasks_.find(task.id);
    if (it != tasks_.end()) {
      line->comm = it->second.comm;
      line->pid = it->second.pid_text;
      return;
    }
    line->comm = task.id == 0 ? "?" : labels_.Label(task);
    line->pid = "?";
  }

  // A node's label as one field: quoted when it holds a space or a quote.
  void AppendObject(std::string* out, const NodeRef& ref) {
    scratch_.clear();
    labels_.AppendLabel(&scratch_, ref.id, ref.type);
    if (scratch_.find_first_of(" \"") == std::string::npos) {
      *out += scratch_;
      return;
    }
    out->push_back('"');
    for (char c : scratch_) {
      if (c == '"') out->push_back('\\');
      out->push_back(c);
    }
    out->push_back('"');
  }

  Status Wait(RelationType completion, uint64_t id) {
    pending_ = true;
    pending_wait_ = completion;
    pending_id_ = id;
    return Status::Ok();
  }

  Status EmitPending() {
    if (!pending_) return Status::Ok();
    pending_ = false;
    return Emit(pending_line_);
  }

  // Appends field, padded with spaces to width columns, and a space.
  static void Pad(std::string* text, std::string_view field, size_t width,
                  size_t columns = std::string::npos) {
    if (columns == std::string::npos) columns = field.size();
    *text += field;
    text->append(columns < width ? width - columns + 1 : 1, ' ');
  }

  Status Emit(Line& line) {
    size_t comm_columns = Columns(line.comm);
    if (options_.width > 0) Fit(line, &comm_columns);
    text_.clear();
    AppendTime(&text_, line.time_ns);
    text_.push_back(' ');
    Pad(&text_, line.comm, kCommWidth, comm_columns);
    Pad(&text_, line.pid, kPidWidth);
    if (options_.color && line.color != nullptr) text_ += line.color;
    if (line.object.empty() && line.detail.empty()) {
      text_ += line.event;
    } else {
      Pad(&text_, line.event, kEventWidth);
    }
    if (options_.color && line.color != nullptr) text_ += kReset;
    text_ += line.object;
    if (!line.detail.empty()) {
      if (!line.object.empty()) text_ += "  ";
      if (options_.color) text_ += kDim;
      text_ += line.detail;
      if (options_.color) text_ += kReset;
    }
    text_.push_back('\n');
    return out_->Write(text_);
  }

  // Shortens a line to the terminal's width: a comm escaped beyond its
  // column to the column, then the object and details to what is left.
  void Fit(Line& line, size_t* comm_columns) {
    size_t width = static_cast<size_t>(options_.width);
    size_t fixed = kTimeWidth + 1 + std::max(line.pid.size(), kPidWidth) + 1 +
                   std::max(line.event.size(), kEventWidth) + 1;
    if (*comm_columns > kCommWidth && fixed + *comm_columns + 1 + kMinTailWidth > width) {
      Shorten(&line.comm, kCommWidth, true, ellipsis_);
      *comm_columns = Columns(line.comm);
    }
    size_t used = fixed + std::max(*comm_columns, kCommWidth) + 1;
    size_t budget = width > used + kMinTailWidth ? width - used : kMinTailWidth;
    size_t object = Columns(line.object);
    size_t detail = Columns(line.detail);
    size_t gap = line.detail.empty() || line.object.empty() ? 0 : 2;
    if (object + gap + detail <= budget) return;
    // The object says more than its flags or argv: it is cut only when it
    // does not fit alone, and the details get what it leaves.
    Shorten(&line.object, std::min(object, budget), true, ellipsis_);
    if (line.detail.empty()) return;
    object = Columns(line.object);
    if (object + gap + kMinDetailWidth > budget) {
      line.detail.clear();
      return;
    }
    Shorten(&line.detail, budget - object - gap, false, ellipsis_);
  }

  // Local time of day to the microsecond; localtime_r once a second.
  void AppendTime(std::string* out, uint64_t boot_ns) {
    int64_t wall = info_.WallClockNs(boot_ns);
    int64_t seconds = wall / 1000000000;
    int64_t micros = ((wall % 1000000000) + 1000000000) % 1000000000 / 1000;
    if (wall < 0 && micros != 0) --seconds;
    if (seconds != cached_second_ || cached_hms_[0] == '\0') {
      time_t t = static_cast<time_t>(seconds);
      struct tm tm;
      localtime_r(&t, &tm);
      snprintf(cached_hms_, sizeof(cached_hms_), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
               tm.tm_sec);
      cached_second_ = seconds;
    }
    char buf[16];
    snprintf(buf, sizeof(buf), ".%06ld", static_cast<long>(micros));
    *out += cached_hms_;
    *out += buf;
  }

  ByteSink* out_;
  TextOptions options_;
  CaptureInfo info_;
  NodeLabels labels_;
  std::string ellipsis_;
  std::unordered_map<uint64_t, TaskInfo> tasks_;
  std::unordered_map<uint64_t, MemoryInfo> memory_;
  std::unordered_map<uint64_t, std::string> argv_;
  // A line waiting for the relation that completes it (exec for its argv,
  // rename and link for the new name); written before any other line.
  bool pending_ = false;
  RelationType pending_wait_ = RelationType::kArg;
  uint64_t pending_id_ = 0;
  Line pending_line_;
  Line line_;
  std::string text_;
  std::string scratch_;
  int64_t cached_second_ = 0;
  char cached_hms_[16] = {};
};

}  // namespace

bool TextFolds(RelationType type) {
  switch (type) {
    case RelationType::kVersionActivity:
    case RelationType::kVersionEntity:
    case RelationType::kMemoryRead:
    case RelationType::kMemoryWrite:
    case RelationType::kNamed:
    case RelationType::kExecTask:
    case RelationType::kArg:
    case RelationType::kCloneMem:
    case RelationType::kTerminateProc:
    case RelationType::kFree:
      return true;
    default:
      return false;
  }
}

std::unique_ptr<RecordSink> NewTextWriter(ByteSink* out) {
  return NewTextWriter(out, TextOptions());
}

std::unique_ptr<RecordSink> NewTextWriter(ByteSink* out, const TextOptions& options) {
  return std::make_unique<TextWriter>(out, options);
}

}  // namespace provtrace::formats
