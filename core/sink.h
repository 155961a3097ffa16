// Where decoded records go. Every output format implements this; the
// pipeline calls it in stream order.
#ifndef PROVTRACE_CORE_SINK_H_
#define PROVTRACE_CORE_SINK_H_

#include <string>
#include <string_view>

#include "core/model.h"
#include "core/stats.h"
#include "core/status.h"

namespace provtrace {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual Status Begin(const CaptureInfo& info) = 0;
  // Every record as received, before decoding (the raw capture writer's
  // hook; formats that decode ignore it).
  virtual Status OnRaw(std::string_view bytes) { return Status::Ok(); }
  virtual Status OnNode(const Node& node) = 0;
  virtual Status OnRelation(const Relation& relation) = 0;
  virtual Status OnLost(const Lost& lost) = 0;
  // The records that follow belong to another capture (-r kafka:// merges
  // the captures of many machines): a writer stamps its identity on them.
  // A writer that holds one capture only (the raw capture file) refuses.
  virtual Status OnCaptureInfo(const CaptureInfo& info) {
    return Unsupported(
        "this output holds the records of one capture, and the input has "
        "several (machine " +
            std::to_string(info.machine_id) + " boot " + std::to_string(info.boot_id) +
            " is another)",
        "write a format (-o, -F) to merge many machines' records");
  }
  // Records the user's filters left out: writers that keep context (the
  // names of files, for labels) may learn from them; nothing is written.
  //
  // With a filter, every node but the machine's comes here first, as it
  // arrives, whether the filter keeps it or not: a kept node is held back
  // (core/filter.h, HeldNodes) and reaches OnNode only later, just before
  // the first kept relation that names it, and may never reach it (no kept
  // relation names it, or it was dropped to bound memory). So a sink learns
  // every node's context in stream order, even of nodes it never writes,
  // and may see a node here and then again in OnNode.
  virtual void OnFilteredNode(const Node& node) {}
  virtual void OnFilteredRelation(const Relation& relation) {}
  // Pushes buffered output through (called periodically for live use).
  virtual Status Flush() = 0;
  // The capture is over: complete the output and flush it.
  virtual Status End(const Stats& stats) = 0;
};

}  // namespace provtrace

#endif  // PROVTRACE_CORE_SINK_H_
