// The command line in three steps:
//  1. SplitArguments walks argv with the option table CLI11 was given: it
//     finds where the options end (the first operand, or --), and reports
//     unknown options, missing values and repeated ones;
//  2. CLI11 assigns the options, handed over in one canonical form
//     (--name VALUE), and makes --help;
//  3. every value is text until Check* here converts it, so each bad one
//     is one line naming the option and what it allows.
#include "cli/options.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "cli/version.h"
#include "core/model.h"
#include "core/record.h"
#include "formats/kafka_url.h"
#include "formats/output.h"
#include "formats/zstd_sink.h"

namespace provtrace::cli {
namespace {

constexpr long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC
constexpr uint64_t kMaxPid = INT_MAX;       // pid_t: larger ones would wrap to process groups
constexpr int kMaxZstdLevel = 19;
constexpr int kMaxRotateCount = 100000;
constexpr size_t kMaxQuoted = 60;  // bytes of a value a message repeats
constexpr size_t kMaxLine = 512;   // an error line at most

// Every option that takes a value is read as text; Check* convert it.
struct Raw {
  std::string format, compress, rotate_count, duration, backend, buffer_pages, shell_command;
  std::string node_filter, relation_filter, only, max_records, on_loss, transport;
  std::vector<std::string> pids, track, kafka_properties;
  std::string from_offset, from_time;
  std::vector<std::string> command;  // for --help only: SplitArguments takes the command
};

// `text` with control characters escaped (\n, \t, \xNN), so that it stays
// on one line.
std::string Printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// A Status's text as an option error: one printable line.
std::string OneLineStatus(const Status& status) { return Printable(status.ToString()); }

// A value as a message repeats it: quoted, printable, cut when long.
std::string Quote(const std::string& value) {
  if (value.size() <= kMaxQuoted) return "'" + Printable(value) + "'";
  return "'" + Printable(value.substr(0, kMaxQuoted)) + "...'";
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

template <typename Type>
std::vector<std::string> TypeNames(int end, std::string_view (*name_of)(Type)) {
  std::vector<std::string> names;
  for (int t = 1; t < end; ++t) {
    std::string name(name_of(static_cast<Type>(t)));
    if (name == "unknown") continue;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

const std::vector<std::string>& NodeTypeNames() {
  static const std::vector<std::string> names = TypeNames(PT_NODE_TYPE_MAX, &NodeTypeName);
  return names;
}

const std::vector<std::string>& RelationTypeNames() {
  static const std::vector<std::string> names = TypeNames(PT_RELATION_TYPE_MAX, &RelationTypeName);
  return names;
}

// The backends by the names probes::BackendName gives them (a unit test
// holds the two together), so that parsing needs no BCC.
struct BackendEntry {
  const char* name;
  std::optional<probes::Backend> backend;  // nullopt: auto
};
constexpr BackendEntry kBackends[] = {{"auto", std::nullopt},
                                      {"lsm", probes::Backend::kLsm},
                                      {"fentry", probes::Backend::kFentry},
                                      {"kprobe", probes::Backend::kKprobe},
                                      {"tracepoint", probes::Backend::kTracepoint}};

std::vector<std::string> BackendNames() {
  std::vector<std::string> names;
  for (const BackendEntry& e : kBackends) names.push_back(e.name);
  return names;
}

const std::vector<std::string> kOnLossNames = {"ignore", "warn", "exit"};
const std::vector<std::string> kTransportNames = {"perf", "ring"};

std::string DurationHelp() {
  char text[96];
  snprintf(text, sizeof(text), "a positive number, at most %.0f: a year", kMaxDurationSeconds);
  return text;
}

std::string BufferPagesHelp() {
  return "a power of two from 1 to " + std::to_string(kMaxBufferPages) + "; " +
         std::to_string(kMaxBufferPages) +
         " pages of 4 KiB are 1 GiB per CPU, the largest perf buffer the kernel accepts";
}

void Define(CLI::App& app, Options* o, Raw* raw) {
  app.add_option("-o,--output", o->output,
                 "Write records to FILE (created 0600; '-' is standard output), or to a Kafka "
                 "topic, kafka://BROKER[:PORT][,BROKER...]/TOPIC (JSON Lines unless -F); a name "
                 "ending .jsonl, .json, .txt, .prov.json, .spade.json, .dot or .gv (also with "
                 ".zst) sets the format unless -F does")
      ->type_name("FILE");
  app.add_option("-F,--format", raw->format,
                 "Output format: " + Join(formats::FormatNames()) +
                     " (default: from the -o name, else text on a terminal and json otherwise)")
      ->type_name("FORMAT");
  app.add_option("-w,--write", o->write_capture,
                 "Write a raw capture to FILE or kafka://BROKERS/TOPIC (replay it with -r); "
                 "alone, no other output")
      ->type_name("FILE");
  app.add_option("-r,--read", o->read_capture,
                 "Read a raw capture instead of the kernel ('-' is standard input), or a topic "
                 "of them, kafka://BROKERS/TOPIC (all its machines; followed until Ctrl-C or -d)")
      ->type_name("FILE");
  app.add_option("-X,--kafka-property", raw->kafka_properties,
                 "Pass a property to librdkafka for kafka:// (repeatable), e.g. "
                 "security.protocol=SASL_SSL, acks=all, linger.ms=50")
      ->type_name("KEY=VALUE")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--from-offset", raw->from_offset,
                 "With -r kafka://: start every partition at OFFSET: beginning (default), end, N, "
                 "or -N (its last N messages)")
      ->type_name("OFFSET");
  app.add_option("--from-time", raw->from_time,
                 "With -r kafka://: start at the messages of TIME and later (milliseconds since "
                 "the epoch, or UTC as 2024-05-01T12:00:00Z)")
      ->type_name("TIME");
  app.add_option("-z,--compress", raw->compress,
                 "Compress output with zstd at LEVEL, 1 to " + std::to_string(kMaxZstdLevel) +
                     " (default " + std::to_string(formats::kDefaultZstdLevel) +
                     "); on for names ending .zst. -z takes the next argument as LEVEL only "
                     "when it is a number")
      ->type_name("LEVEL")
      ->expected(0, 1);
  app.add_option("--rotate-size", o->rotate_size,
                 "Start a new output file when this one reaches SIZE on disk (e.g. 100M); the "
                 "full one is renamed with a number before its suffix: l.jsonl -> l.1.jsonl")
      ->type_name("SIZE");
  app.add_option("--rotate-count", raw->rotate_count,
                 "Keep at most N output files when rotating (l.jsonl, l.1.jsonl, ...)")
      ->type_name("N");
  app.add_flag("--force", o->force,
               "Replace an existing output file (or a link under its name) with a new 0600 file");
  app.add_option("-d,--duration", raw->duration, "Stop after SECONDS (" + DurationHelp() + ")")
      ->type_name("SECONDS");
  app.add_flag("-v,--verbose", o->verbose,
               "Explain what provtrace does (backend choice, timings) on stderr");
  app.add_option("--backend", raw->backend, "Attach backend: " + Join(BackendNames()))
      ->type_name("BACKEND");
  app.add_flag("--info", o->info, "Print what the kernel allows and the backend auto picks");
  app.add_flag("--stats", o->stats, "Print counters (records, losses) on stderr at exit");
  app.add_flag("-u,--unbuffered", o->unbuffered, "Write each record as soon as it arrives");
  app.add_flag("--envp", o->envp, "Record the environment of exec'd programs (envp nodes)");
  app.add_flag("--all-flows", o->all_flows,
               "Also record reads and writes that bring their target nothing new");
  app.add_option("--buffer-pages", raw->buffer_pages,
                 "Perf buffer size per CPU, in pages: a power of two up to " +
                     std::to_string(kMaxBufferPages) + " (1 GiB with 4 KiB pages; default 512)")
      ->type_name("N");
  app.add_option("--cache-dir", o->cache_dir,
                 "Where kernel headers made from BTF are cached (default /var/cache/provtrace)")
      ->type_name("DIR");
  app.add_option("--btf", o->btf_path,
                 "Kernel BTF to build headers from (default /sys/kernel/btf/vmlinux)")
      ->type_name("FILE");
  app.add_option("-c,--command", raw->shell_command,
                 "Trace CMD (run by /bin/sh -c) and its descendants; exit with its status")
      ->type_name("CMD");
  app.add_option("-p,--pid", raw->pids,
                 "Trace the running process PID and its new descendants (repeatable; with "
                 "--cgroup: either; not with a command)")
      ->type_name("PID")
      ->expected(1)
      ->allow_extra_args(false)  // else CLI11 splits a value "[a,b]" in two
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--cgroup", o->cgroup,
                 "Trace the tasks of a cgroup v2 directory (a container's) and below it")
      ->type_name("PATH");
  app.add_option("--node-filter", raw->node_filter,
                 "Leave out nodes of these types (comma-separated CamFlow names)")
      ->type_name("TYPES");
  app.add_option("--relation-filter", raw->relation_filter, "Leave out relations of these types")
      ->type_name("TYPES");
  app.add_option("--only", raw->only, "Keep only relations of these types")->type_name("TYPES");
  app.add_option("--path", o->filter.include_paths,
                 "Keep file relations only for files under PREFIX (repeatable)")
      ->type_name("PREFIX")
      ->expected(1)
      ->allow_extra_args(false)  // else CLI11 splits a value "[a,b]" in two
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--exclude-path", o->filter.exclude_paths,
                 "Leave out relations of files under PREFIX (repeatable)")
      ->type_name("PREFIX")
      ->expected(1)
      ->allow_extra_args(false)  // else CLI11 splits a value "[a,b]" in two
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--track", raw->track,
                 "Keep only relations of tracked objects: a file PATH or pid:N (repeatable)")
      ->type_name("WHAT")
      ->expected(1)
      ->allow_extra_args(false)  // else CLI11 splits a value "[a,b]" in two
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--propagate", o->filter.propagate,
               "With --track: what receives information from a tracked object is tracked");
  app.add_option("--max-records", raw->max_records, "Stop after N records")->type_name("N");
  app.add_option("--on-loss", raw->on_loss,
                 "When records are lost: ignore, warn (default), or exit (status 3)")
      ->type_name("WHAT");
  app.add_option("--transport", raw->transport,
                 "Kernel to user space: perf (per-CPU buffers, default) or ring (one BPF ring "
                 "buffer)")
      ->type_name("KIND");
  app.add_flag("-q,--quiet", o->quiet, "No status line on a terminal, no loss warning");
  app.add_option("COMMAND", raw->command,
                 "Command to trace with its descendants, and its arguments; the options end at "
                 "its name (or at --)")
      ->type_name("ARGS");
  app.set_version_flag("-V,--version", std::string("provtrace ") + kVersion);
}

// ---- Step 1: where the options end, and their shape.

enum class Arity { kNone, kOptional, kRequired };

struct KnownOption {
  const CLI::Option* option;
  Arity arity;
  bool repeatable;        // a vector, or a flag (-vv)
  std::string label;      // how messages name it: -d, or --cgroup
  std::string canonical;  // how CLI11 is given it: --duration
};

class OptionTable {
 public:
  explicit OptionTable(const CLI::App& app) {
    for (const CLI::Option* opt : app.get_options()) {
      if (opt->get_lnames().empty() && opt->get_snames().empty()) continue;  // the operand
      KnownOption known;
      known.option = opt;
      known.arity = opt->get_items_expected_max() == 0   ? Arity::kNone
                    : opt->get_items_expected_min() == 0 ? Arity::kOptional
                                                         : Arity::kRequired;
      known.repeatable = known.arity == Arity::kNone ||
                         opt->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
      known.label =
          opt->get_snames().empty() ? "--" + opt->get_lnames()[0] : "-" + opt->get_snames()[0];
      known.canonical = opt->get_lnames().empty() ? known.label : "--" + opt->get_lnames()[0];
      known_.push_back(known);
    }
    for (const KnownOption& known : known_) {
      for (const std::string& name : known.option->get_lnames()) by_name_["--" + name] = &known;
      for (const std::string& name : known.option->get_snames()) by_name_["-" + name] = &known;
    }
  }
  OptionTable(const OptionTable&) = delete;
  OptionTable& operator=(const OptionTable&) = delete;

  const KnownOption* Find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }

 private:
  std::vector<KnownOption> known_;  // never resized after by_name_ points into it
  std::map<std::string, const KnownOption*> by_name_;
};

struct Occurrence {
  const KnownOption* known;
  std::optional<std::string> value;
};

struct SplitArgs {
  std::vector<Occurrence> options;
  std::vector<std::string> command;  // from the first operand, or after --
  std::string error;                 // the first problem with the options' shape
};

// -z's level is optional: it takes the next argument only when that is a
// number, so `-z make` compresses and traces make.
bool LooksLikeLevel(const std::string& token) {
  return !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
}

SplitArgs SplitArguments(const OptionTable& table, int argc, const char* const* argv) {
  SplitArgs split;
  std::map<const KnownOption*, int> seen;
  auto problem = [&](const std::string& why) {
    if (split.error.empty()) split.error = why;
  };
  auto arg = [&](int i) { return std::string(argv[i] != nullptr ? argv[i] : ""); };
  auto add = [&](const KnownOption* known, std::optional<std::string> value) {
    if (++seen[known] == 2 && !known->repeatable) problem(known->label + ": given more than once");
    split.options.push_back({known, std::move(value)});
  };
  // The value of an option whose name ended its token, from the next one.
  auto next_value = [&](const KnownOption* known, int* i) -> std::optional<std::string> {
    if (known->arity == Arity::kRequired) {
      if (*i + 1 < argc) return arg(++*i);
      problem(known->label + (known->label == known->canonical ? "" : "/" + known->canonical) +
              " needs a value (" + known->option->get_type_name() + ")");
    } else if (known->arity == Arity::kOptional && *i + 1 < argc && LooksLikeLevel(arg(*i + 1))) {
      return arg(++*i);
    }
    return std::nullopt;
  };
  int i = 1;
  for (; i < argc; ++i) {
    std::string token = arg(i);
    if (token == "--") {
      ++i;
      break;
    }
    if (token.size() < 2 || token[0] != '-') break;  // the first operand: the command
    if (token[1] == '-') {
      size_t equals = token.find('=');
      std::string name = token.substr(0, equals);
      const KnownOption* known = table.Find(name);
      if (known == nullptr) {
        problem("unknown option " + Quote(name));
        continue;
      }
      if (equals != std::string::npos) {
        add(known, token.substr(equals + 1));
      } else {
        std::optional<std::string> value = next_value(known, &i);
        if (value || known->arity != Arity::kRequired) add(known, std::move(value));
      }
      continue;
    }
    // A cluster of short options: flags, then at most one that takes the
    // rest of the token (-ofile, -z9) or the next argument as its value.
    for (size_t j = 1; j < token.size(); ++j) {
      const KnownOption* known = table.Find(std::string("-") + token[j]);
      if (known == nullptr) {
        std::string name = Quote(std::string("-") + token[j]);
        problem("unknown option " + name + (token.size() > 2 ? " in " + Quote(token) : ""));
        break;
      }
      if (known->arity == Arity::kNone) {
        add(known, std::nullopt);
        continue;
      }
      std::optional<std::string> value;
      if (j + 1 < token.size()) {
        value = token.substr(j + 1);
      } else {
        value = next_value(known, &i);
        if (!value && known->arity == Arity::kRequired) break;
      }
      add(known, std::move(value));
      break;
    }
  }
  for (; i < argc; ++i) split.command.push_back(arg(i));
  return split;
}

// The options in the one form CLI11 reads without guessing: a value
// always follows its option as a separate argument (taken whatever it
// looks like), a flag's value is attached, and no operand is left for
// CLI11 to attach to an option with an optional value. Reversed, as
// CLI::App::parse wants it.
std::vector<std::string> CanonicalArguments(const SplitArgs& split) {
  std::vector<std::string> args;
  for (const Occurrence& o : split.options) {
    const KnownOption& known = *o.known;
    if (known.arity == Arity::kNone) {
      args.push_back(o.value ? known.canonical + "=" + *o.value : known.canonical);
    } else if (known.arity == Arity::kOptional && o.value && !o.value->empty()) {
      args.push_back(known.canonical + "=" + *o.value);
    } else {
      args.push_back(known.canonical);
      if (o.value) args.push_back(*o.value);  // "" included: an empty value is checked later
    }
  }
  std::reverse(args.begin(), args.end());
  return args;
}

// ---- Step 3: the values.

// Parses a whole number made of digits only, from 1 to `max`.
bool ParseCount(const std::string& text, uint64_t max, uint64_t* value) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  uint64_t v = 0;
  for (char c : text) {
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (v == 0 || v > max) return false;
  *value = v;
  return true;
}

bool ParseSeconds(const std::string& text, double* seconds) {
  if (text.empty() || isspace(static_cast<unsigned char>(text[0]))) return false;
  errno = 0;
  char* end = nullptr;
  double v = strtod(text.c_str(), &end);
  if (errno == ERANGE || end != text.c_str() + text.size()) return false;
  if (!std::isfinite(v) || v <= 0 || v > kMaxDurationSeconds) return false;
  *seconds = v;
  return true;
}

bool IsOneOf(const std::string& value, const std::vector<std::string>& names) {
  return std::find(names.begin(), names.end(), value) != names.end();
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) items.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// "" when `list` names only valid types, else why not.
std::string CheckTypeList(const std::string& label, const std::string& list, const char* what,
                          const std::vector<std::string>& names) {
  std::vector<std::string> items = SplitList(list);
  if (items.empty()) {
    return label + ": " + Quote(list) + " is not a list of " + what +
           " types (comma-separated, from: " + Join(names) + ")";
  }
  for (const std::string& item : items) {
    if (!IsOneOf(item, names)) {
      return label + ": " + Quote(item) + " is not a " + what + " type (one of: " + Join(names) +
             ")";
    }
  }
  return "";
}

// The format an output name implies, if any: the part before an optional
// .zst decides. (.json is the JSON Lines format of that name.)
std::optional<std::string> FormatForName(const std::string& path) {
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::string name = path;
  if (ends_with(name, ".zst")) name.resize(name.size() - 4);
  static const std::pair<const char*, const char*> kSuffixes[] = {{".prov.json", "prov-json"},
                                                                  {".spade.json", "spade-json"},
                                                                  {".jsonl", "json"},
                                                                  {".json", "json"},
                                                                  {".txt", "text"},
                                                                  {".dot", "dot"},
                                                                  {".gv", "dot"}};
  for (const auto& [suffix, format] : kSuffixes) {
    if (ends_with(name, suffix)) return std::string(format);
  }
  return std::nullopt;
}

// Why the file at `path` is not kernel BTF, or "" when its header is
// sound: BTF's magic 0xeB9F in this machine's byte order, version 1, and
// both sections inside the file. (libbpf checks the types themselves when
// the capture loads them.) *missing: there is no such file, which the
// capture reports with where BTF comes from.
std::string BtfProblem(const std::string& path, bool* missing) {
  *missing = false;
  // O_NONBLOCK: a FIFO must not hang the parser; it is refused below.
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) *missing = true;
    return std::string("cannot be read: ") + strerror(errno);
  }
  struct stat st;
  struct {
    uint16_t magic;
    uint8_t version, flags;
    uint32_t hdr_len, type_off, type_len, str_off, str_len;
  } header;
  static_assert(sizeof(header) == 24, "struct btf_header");
  std::string why;
  ssize_t got = -1;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else if ((got = pread(fd, &header, sizeof(header), 0)) !=
             static_cast<ssize_t>(sizeof(header))) {
    why = "shorter than a BTF header";
  } else if (header.magic == 0x9FEB) {
    why = "BTF of the other byte order";
  } else if (header.magic != 0xEB9F) {
    why = "no BTF magic 0xeB9F at its start";
  } else if (header.version != 1) {
    why = "BTF version " + std::to_string(header.version) + ", not 1";
  } else {
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t types_end = uint64_t{header.hdr_len} + header.type_off + header.type_len;
    uint64_t strings_end = uint64_t{header.hdr_len} + header.str_off + header.str_len;
    if (header.hdr_len < sizeof(header) || types_end > size || strings_end > size ||
        header.str_len == 0) {
      why = "its header's sections do not fit the file";
    }
  }
  close(fd);
  return why.empty() ? "" : "is not BTF (" + why + ")";
}

class Parser {
 public:
  Parser(Options* options, std::string* text) : o_(options), text_(text) {}

  ParseOutcome Parse(int argc, const char* const* argv);

 private:
  ParseOutcome Fail(const std::string& why) {
    *text_ = why;
    return ParseOutcome::kError;
  }
  bool Given(const char* name) const { return app_.count(name) > 0; }
  // The checks, in order; each returns the first problem or "".
  std::string CheckValues();
  std::string CheckCombinations() const;
  std::string CheckFiles();

  Options* o_;
  std::string* text_;
  CLI::App app_{"provtrace: whole-system provenance capture with eBPF", "provtrace"};
  Raw raw_;
  std::optional<std::string> compress_level_;  // -z LEVEL; nullopt: -z alone (or no -z)
};

ParseOutcome Parser::Parse(int argc, const char* const* argv) {
  Define(app_, o_, &raw_);
  app_.footer(
      "Examples:\n"
      "  provtrace make -j2              trace make and its descendants\n"
      "  provtrace -d 10 -o cap.json     whole system for 10 seconds\n"
      "  provtrace --info                what this kernel allows");
  OptionTable table(app_);
  SplitArgs split = SplitArguments(table, argc, argv);
  // Help and version win over problems elsewhere among the options.
  for (const Occurrence& occurrence : split.options) {
    if (occurrence.known->option == app_.get_help_ptr()) {
      *text_ = app_.help();
      return ParseOutcome::kHelp;
    }
  }
  for (const Occurrence& occurrence : split.options) {
    if (occurrence.known->option == app_.get_version_ptr()) {
      *text_ = app_.version();
      return ParseOutcome::kVersion;
    }
  }
  if (!split.error.empty()) return Fail(split.error);
  for (const Occurrence& occurrence : split.options) {
    if (occurrence.known->option == app_.get_option("--compress"))
      compress_level_ = occurrence.value;
  }
  try {
    app_.parse(CanonicalArguments(split));
  } catch (const CLI::CallForHelp&) {
    *text_ = app_.help();
    return ParseOutcome::kHelp;
  } catch (const CLI::CallForVersion&) {
    *text_ = app_.version();
    return ParseOutcome::kVersion;
  } catch (const CLI::ParseError& e) {
    return Fail(e.what());  // e.g. a flag given a value: --stats=maybe
  }
  o_->command = std::move(split.command);
  std::string why = CheckValues();
  if (why.empty()) why = CheckCombinations();
  if (why.empty()) why = CheckFiles();
  if (!why.empty()) return Fail(why);
  return ParseOutcome::kRun;
}

std::string Parser::CheckValues() {
  Options& o = *o_;
  o.output_given = Given("--output");
  if (o.output_given && o.output.empty())
    return "-o: '' is not a file name (FILE, or - for standard output)";
  if (Given("--write") && o.write_capture.empty()) return "-w: '' is not a file name";
  if (Given("--read") && o.read_capture.empty())
    return "-r: '' is not a file name (FILE, or - for standard input)";
  if (Given("--cache-dir") && o.cache_dir.empty()) return "--cache-dir: '' is not a directory";
  if (Given("--btf") && o.btf_path.empty()) return "--btf: '' is not a file name";
  if (Given("--cgroup") && o.cgroup.empty()) return "--cgroup: '' is not a cgroup v2 directory";
  if (Given("--command") && raw_.shell_command.empty()) return "-c: '' is not a command";
  if (!o.command.empty() && o.command[0].empty()) {
    return "'' is not a command name (the command starts at the first argument after the "
           "options)";
  }
  for (const std::string& property : raw_.kafka_properties) {
    Status s = formats::ParseKafkaProperty(property, &o.kafka_properties);
    if (!s.ok()) return OneLineStatus(s);
  }
  for (const std::string* url : {&o.output, &o.write_capture, &o.read_capture}) {
    formats::KafkaUrl parsed;
    if (formats::IsKafkaUrl(*url)) {
      Status s = formats::ParseKafkaUrl(*url, &parsed);
      if (!s.ok()) return OneLineStatus(s);
    }
  }
  if (Given("--from-offset")) {
    formats::KafkaStart start;
    Status s = formats::ParseKafkaFromOffset(raw_.from_offset, &start);
    if (!s.ok()) return OneLineStatus(s);
    o.from_offset = raw_.from_offset;
  }
  if (Given("--from-time")) {
    formats::KafkaStart start;
    Status s = formats::ParseKafkaFromTime(raw_.from_time, &start);
    if (!s.ok()) return OneLineStatus(s);
    o.from_time = raw_.from_time;
  }
  if (Given("--format")) {
    if (!IsOneOf(raw_.format, formats::FormatNames())) {
      return "-F: " + Quote(raw_.format) +
             " is not a format (one of: " + Join(formats::FormatNames()) + ")";
    }
    o.format = raw_.format;
  } else if (o.output_given && !formats::IsKafkaUrl(o.output)) {
    o.format = FormatForName(o.output);
  }
  if (Given("--compress")) {
    // From the split, which tells -z alone from --compress= (CLI11 makes
    // both "").
    uint64_t level = formats::kDefaultZstdLevel;
    if (compress_level_ && !ParseCount(*compress_level_, kMaxZstdLevel, &level)) {
      return "-z: " + Quote(*compress_level_) + " is not a zstd level (a whole number from 1 to " +
             std::to_string(kMaxZstdLevel) + ")";
    }
    o.compress = static_cast<int>(level);
  }
  if (Given("--rotate-size")) {
    std::optional<uint64_t> size = formats::ParseSize(o.rotate_size);
    // 0 would be read as "never rotate": a size is at least a byte.
    if (!size || *size == 0) {
      return "--rotate-size: " + Quote(o.rotate_size) +
             " is not a size (bytes, at least 1, or with k, M, G: e.g. 500k, 100M, 2G)";
    }
  }
  if (Given("--rotate-count")) {
    uint64_t count;
    if (!ParseCount(raw_.rotate_count, kMaxRotateCount, &count)) {
      return "--rotate-count: " + Quote(raw_.rotate_count) +
             " is not a number of files (a whole number from 1 to " +
             std::to_string(kMaxRotateCount) + ")";
    }
    o.rotate_count = static_cast<int>(count);
  }
  if (Given("--duration")) {
    double seconds;
    if (!ParseSeconds(raw_.duration, &seconds)) {
      return "-d: " + Quote(raw_.duration) + " is not a number of seconds (" + DurationHelp() + ")";
    }
    o.duration_seconds = seconds;
  }
  if (Given("--backend")) {
    const BackendEntry* entry = nullptr;
    for (const BackendEntry& e : kBackends) {
      if (raw_.backend == e.name) entry = &e;
    }
    if (entry == nullptr) {
      return "--backend: " + Quote(raw_.backend) +
             " is not a backend (one of: " + Join(BackendNames()) + ")";
    }
    o.backend = entry->backend;
  }
  if (Given("--buffer-pages")) {
    uint64_t pages;
    if (!ParseCount(raw_.buffer_pages, kMaxBufferPages, &pages) || (pages & (pages - 1)) != 0) {
      return "--buffer-pages: " + Quote(raw_.buffer_pages) + " is not a number of pages (" +
             BufferPagesHelp() + ")";
    }
    o.buffer_pages = static_cast<int>(pages);
  }
  for (const std::string& pid : raw_.pids) {
    uint64_t value;
    if (!ParseCount(pid, kMaxPid, &value)) {
      return "-p: " + Quote(pid) + " is not a process id (a whole number from 1 to " +
             std::to_string(kMaxPid) + ")";
    }
    o.pids.push_back(static_cast<uint32_t>(value));
  }
  if (Given("--max-records") && !ParseCount(raw_.max_records, UINT64_MAX, &o.max_records)) {
    return "--max-records: " + Quote(raw_.max_records) +
           " is not a number of records (a whole number from 1 to " + std::to_string(UINT64_MAX) +
           ")";
  }
  if (Given("--on-loss")) {
    if (!IsOneOf(raw_.on_loss, kOnLossNames)) {
      return "--on-loss: " + Quote(raw_.on_loss) +
             " is not an action (one of: " + Join(kOnLossNames) + ")";
    }
    o.on_loss = raw_.on_loss == "ignore" ? Options::OnLoss::kIgnore
                : raw_.on_loss == "exit" ? Options::OnLoss::kExit
                                         : Options::OnLoss::kWarn;
  }
  if (Given("--transport")) {
    if (!IsOneOf(raw_.transport, kTransportNames)) {
      return "--transport: " + Quote(raw_.transport) +
             " is not a transport (one of: " + Join(kTransportNames) + ")";
    }
    o.ring = raw_.transport == "ring";
  }
  FilterSpec& f = o.filter;
  const struct {
    const char* option;
    const std::string& list;
    bool node;
  } kTypeLists[] = {{"--node-filter", raw_.node_filter, true},
                    {"--relation-filter", raw_.relation_filter, false},
                    {"--only", raw_.only, false}};
  for (const auto& t : kTypeLists) {
    if (!Given(t.option)) continue;
    std::string why = CheckTypeList(t.option, t.list, t.node ? "node" : "relation",
                                    t.node ? NodeTypeNames() : RelationTypeNames());
    if (!why.empty()) return why;
  }
  // Checked above, so these only fill the sets.
  if (!ParseNodeTypes(raw_.node_filter, &f.exclude_nodes).ok() ||
      !ParseRelationTypes(raw_.relation_filter, &f.exclude_relations).ok() ||
      !ParseRelationTypes(raw_.only, &f.only_relations).ok()) {
    return "a type name the model does not know (see provtrace(8) for the type names)";
  }
  for (const std::string& t : raw_.track) {
    if (t.rfind("pid:", 0) == 0) {
      uint64_t pid;
      if (!ParseCount(t.substr(4), UINT32_MAX, &pid))
        return "--track: " + Quote(t) + " is not pid:N";
      f.track_pids.push_back(static_cast<uint32_t>(pid));
    } else if (!t.empty() && t[0] == '/') {
      f.track_paths.push_back(t);
    } else {
      return "--track: " + Quote(t) + " is neither an absolute path nor pid:N";
    }
  }
  for (const auto& [option, list] :
       {std::pair{"--path", &f.include_paths}, std::pair{"--exclude-path", &f.exclude_paths}}) {
    for (const std::string& p : *list) {
      if (p.empty() || p[0] != '/')
        return std::string(option) + ": " + Quote(p) + " is not an absolute path";
    }
  }
  o.filtering = !f.exclude_nodes.empty() || !f.exclude_relations.empty() ||
                !f.only_relations.empty() || !f.include_paths.empty() || !f.exclude_paths.empty() ||
                f.tracking();
  return "";
}

std::string Parser::CheckCombinations() const {
  const Options& o = *o_;
  bool has_command = !o.command.empty();
  if (!raw_.shell_command.empty() && has_command) {
    return "-c and COMMAND both name a command (give one)";
  }
  if (!raw_.shell_command.empty()) has_command = true;
  if (o.info && has_command) return "--info takes no command";
  if (o.info && !o.read_capture.empty())
    return "--info takes no -r (it reports what the kernel allows)";
  const char* command_name = raw_.shell_command.empty() ? "a command" : "-c";
  for (const char* scope : {"-p", "--cgroup"}) {
    bool given = scope[1] == 'p' ? !o.pids.empty() : !o.cgroup.empty();
    if (given && has_command) {
      return std::string("conflicting scopes: ") + scope + " and " + command_name +
             " (with a command provtrace traces the command and its descendants and stops when "
             "it exits; give one)";
    }
  }
  if (o.filter.propagate && !o.filter.tracking()) return "--propagate needs --track";
  if (!o.rotate_size.empty() && !o.output_given && o.write_capture.empty()) {
    return "--rotate-size needs an output file (-o FILE or -w FILE)";
  }
  if (o.rotate_count > 0 && o.rotate_size.empty()) return "--rotate-count needs --rotate-size";
  bool kafka_out = formats::IsKafkaUrl(o.output) && o.output_given;
  bool kafka_write = formats::IsKafkaUrl(o.write_capture);
  bool kafka_read = formats::IsKafkaUrl(o.read_capture);
  if (!o.kafka_properties.empty() && !kafka_out && !kafka_write && !kafka_read) {
    return "-X sets librdkafka properties: it needs a kafka:// URL (-o, -w or -r)";
  }
  if ((o.from_offset || o.from_time) && !kafka_read) {
    return std::string(o.from_offset ? "--from-offset" : "--from-time") +
           " needs -r kafka://BROKERS/TOPIC";
  }
  if (o.from_offset && o.from_time) return "--from-offset and --from-time: give one";
  // -z and --rotate-size apply to files (and standard output), not topics.
  bool plain_formatted =
      (o.write_capture.empty() || o.output_given || o.format.has_value()) && !kafka_out;
  bool plain_raw = !o.write_capture.empty() && !kafka_write;
  if (o.compress && !plain_formatted && !plain_raw) {
    return "-z: kafka:// outputs are compressed by librdkafka (zstd; -X compression.type=...)";
  }
  if (!o.rotate_size.empty() && !(plain_formatted && o.output_given) && !plain_raw) {
    return "--rotate-size needs an output file (-o FILE or -w FILE; a topic keeps its own "
           "size)";
  }
  if (!o.read_capture.empty()) {
    if (has_command) return "-r replays a capture; it takes no command";
    const struct {
      const char* label;
      bool given;
    } kLiveOnly[] = {{"-d", o.duration_seconds.has_value() && !kafka_read},
                     {"-p", !o.pids.empty()},
                     {"--cgroup", !o.cgroup.empty()},
                     {"--backend", o.backend.has_value()},
                     {"--transport", o.ring},
                     {"--buffer-pages", Given("--buffer-pages")},
                     {"--envp", o.envp},
                     {"--all-flows", o.all_flows},
                     {"--cache-dir", Given("--cache-dir")},
                     {"--btf", Given("--btf")}};
    for (const auto& live : kLiveOnly) {
      if (live.given) {
        return std::string("-r replays a capture; ") + live.label +
               " applies to live captures only";
      }
    }
  }
  if (!o.write_capture.empty() && o.write_capture == o.output && o.output_given) {
    return "-w and -o name the same file";
  }
  return "";
}

std::string Parser::CheckFiles() {
  Options& o = *o_;
  if (!raw_.shell_command.empty()) o.command = {"/bin/sh", "-c", raw_.shell_command};
  if (!o.cgroup.empty()) {
    struct statfs fs;
    struct stat st;
    if (statfs(o.cgroup.c_str(), &fs) != 0 || stat(o.cgroup.c_str(), &st) != 0) {
      return "--cgroup: cannot read " + Printable(o.cgroup) + ": " + strerror(errno);
    }
    if (fs.f_type != kCgroup2Magic || !S_ISDIR(st.st_mode)) {
      return "--cgroup: " + Printable(o.cgroup) + " is not a cgroup v2 directory";
    }
    o.cgroup_id = st.st_ino;  // a cgroup's id is its directory's inode
  }
  for (uint32_t pid : o.pids) {
    if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      return "-p: no process " + std::to_string(pid);
    }
  }
  if (Given("--btf")) {
    bool missing;
    std::string why = BtfProblem(o.btf_path, &missing);
    if (!why.empty() && !missing) return "--btf: " + Printable(o.btf_path) + " " + why;
  }
  if (!o.read_capture.empty() && o.read_capture != "-" && !formats::IsKafkaUrl(o.read_capture) &&
      access(o.read_capture.c_str(), R_OK) != 0) {
    return "-r: cannot read " + Printable(o.read_capture) + ": " + strerror(errno);
  }
  // An output file goes in a directory that is there (the file itself is
  // made when the capture starts: formats/output_file.h).
  const std::pair<const char*, std::string> outputs[] = {
      {"-o", o.output_given ? o.output : std::string()}, {"-w", o.write_capture}};
  for (const auto& [label, path] : outputs) {
    if (path.empty() || path == "-" || formats::IsKafkaUrl(path)) continue;
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    struct stat st;
    int err = stat(dir.c_str(), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (err != 0)
      return std::string(label) + ": cannot create " + Printable(path) + ": " + strerror(err);
  }
  return "";
}

// One line, without control characters, of a bounded length.
std::string OneLine(const std::string& text) {
  std::string line = Printable(text);
  if (line.size() > kMaxLine) line = line.substr(0, kMaxLine - 3) + "...";
  return line;
}

}  // namespace

ParseOutcome ParseOptions(int argc, const char* const* argv, Options* options, std::string* text) {
  ParseOutcome outcome;
  try {
    outcome = Parser(options, text).Parse(argc, argv);
  } catch (const std::exception& e) {
    // Not expected (the fuzzer fails on it), but a crash is worse.
    *text = std::string("internal error reading the options: ") + e.what();
    outcome = ParseOutcome::kError;
  }
  if (outcome == ParseOutcome::kError) *text = OneLine(*text);
  return outcome;
}

int RingBufferPages(int buffer_pages, long cpus) {
  int64_t pages = int64_t{buffer_pages} * (cpus > 0 ? cpus : 1);
  int ring_pages = 1;
  while (ring_pages < kMaxRingPages && int64_t{ring_pages} * 2 <= pages) ring_pages *= 2;
  return ring_pages;
}

std::vector<std::string> LongOptionNames() {
  CLI::App app;
  Options options;
  Raw raw;
  Define(app, &options, &raw);
  std::vector<std::string> names = {"help"};
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      if (name != "help") names.push_back(name);
    }
  }
  return names;
}

}  // namespace provtrace::cli
