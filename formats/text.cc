#include "formats/text.h"

#include <time.h>

#include <cstdio>
#include <string>

#include "formats/node_labels.h"

namespace provtrace::formats {
namespace {

class TextWriter : public RecordSink {
 public:
  explicit TextWriter(ByteSink* out) : out_(out) {}

  Status Begin(const CaptureInfo& info) override {
    info_ = info;
    return Status::Ok();
  }

  Status OnNode(const Node& node) override {
    labels_.OnNode(node);
    return Status::Ok();
  }

  Status OnRelation(const Relation& rel) override {
    // The task involved is the actor; the other end is the object.
    bool from_task = rel.from.type == NodeType::kTask;
    const NodeRef& actor = from_task || rel.to.type != NodeType::kTask ? rel.from : rel.to;
    const NodeRef& object = &actor == &rel.from ? rel.to : rel.from;
    std::string object_label = labels_.Label(object);
    if (object.id == actor.id) {  // a version, termination or free
      object_label =
          "v" + std::to_string(rel.from.version) + " -> v" + std::to_string(rel.to.version);
    }
    std::string text = Time(rel.time_ns) + "  ";
    Pad(&text, labels_.Label(actor), 21);
    Pad(&text, std::string(RelationTypeName(rel.type)), 17);
    text += object_label + "\n";
    labels_.OnRelation(rel);  // after: "named" shows what was named
    return out_->Write(text);
  }

  void OnFilteredNode(const Node& node) override { labels_.OnNode(node); }
  void OnFilteredRelation(const Relation& rel) override { labels_.OnRelation(rel); }

  Status OnLost(const Lost& lost) override {
    std::string text = Time(lost.time_ns) + "  LOST " + std::to_string(lost.count) +
                       " records on cpu " + std::to_string(lost.cpu) + "\n";
    return out_->Write(text);
  }

  Status Flush() override { return out_->Flush(); }
  Status End(const Stats&) override { return out_->Flush(); }

 private:
  // Appends field, padded with spaces to width (aligned columns).
  static void Pad(std::string* line, const std::string& field, size_t width) {
    *line += field;
    line->append(field.size() < width ? width - field.size() : 1, ' ');
  }

  std::string Time(uint64_t boot_ns) const {
    int64_t wall = info_.WallClockNs(boot_ns);
    time_t seconds = static_cast<time_t>(wall / 1000000000);
    struct tm tm;
    localtime_r(&seconds, &tm);
    char buf[32];
    snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
             static_cast<long>(((wall % 1000000000) + 1000000000) % 1000000000 / 1000));
    return buf;
  }

  ByteSink* out_;
  CaptureInfo info_;
  NodeLabels labels_;
};

}  // namespace

std::unique_ptr<RecordSink> NewTextWriter(ByteSink* out) {
  return std::make_unique<TextWriter>(out);
}

}  // namespace provtrace::formats
