// The text format, for a person at a terminal (the default there): a
// header, then one line per event, in columns as execsnoop and opensnoop
// print them:
//
//   TIME            COMM            PID     EVENT        OBJECT
//   14:02:03.123456 cat             4242    exec         /usr/bin/cat  cat /etc/passwd
//   14:02:03.123801 cat             4242    open         /etc/passwd  O_RDONLY|O_CLOEXEC
//   14:02:03.123820 cat             4242    read         /etc/passwd  offset 0
//
// An event is the relation that carries it; the relations CamFlow records
// around it only to keep the graph's shape are folded into that line (see
// TextFolds). Names are escaped (formats/kernel_string.h) and quoted when
// they hold a space: no file or task name reaches the terminal raw.
#ifndef PROVTRACE_FORMATS_TEXT_H_
#define PROVTRACE_FORMATS_TEXT_H_

#include <memory>

#include "core/model.h"
#include "core/sink.h"
#include "formats/byte_sink.h"

namespace provtrace::formats {

struct TextOptions {
  // The terminal's columns (TIOCGWINSZ, COLUMNS): a line longer than that
  // has its details (flags, argv) cut at the end or left out, then its
  // object cut in the middle, each cut marked with an ellipsis. 0: lines
  // are never shortened (a file, a pipe).
  int width = 0;
  // SGR colours for event kinds; only for a terminal, never with NO_COLOR.
  bool color = false;
  // A line of column names first (in every file when rotating).
  bool header = true;
  // Whether the terminal shows UTF-8: if not, every byte from 0x80 up is
  // escaped too.
  bool utf8 = true;
  // One line per event (see TextFolds); false: one line per relation, for
  // a user who asked for the folded types (--only named, ...).
  bool fold = true;
};

std::unique_ptr<RecordSink> NewTextWriter(ByteSink* out);
std::unique_ptr<RecordSink> NewTextWriter(ByteSink* out, const TextOptions& options);

// Whether the text format, folding, shows no line of its own for relations
// of this type: versions (version_activity, version_entity), flows between
// a task and its process memory (memory_read, memory_write), naming
// (named: the next line shows the name), exec_task and arg (part of the
// exec line), clone_mem (part of clone), terminate_proc (part of the last
// thread's exit) and free.
bool TextFolds(RelationType type);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_TEXT_H_
