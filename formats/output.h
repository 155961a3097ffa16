// An output: a format's writer over a chain of byte sinks (file or stdout,
// zstd, rotation), as one RecordSink the pipeline feeds.
#ifndef PROVTRACE_FORMATS_OUTPUT_H_
#define PROVTRACE_FORMATS_OUTPUT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sink.h"
#include "core/status.h"
#include "formats/byte_sink.h"
#include "formats/text.h"
#include "formats/zstd_sink.h"

namespace provtrace::formats {

enum class Format { kJson, kText, kProvJson, kSpadeJson, kDot, kRaw };

// A terminal that standard output shares with something else drawn on it
// (the capture's status line on stderr): told just before records are
// written to it and just after, so the two never share a line.
class SharedTerminal {
 public:
  virtual ~SharedTerminal() = default;
  // Records are about to be written at the start of a line.
  virtual void BeforeRecords() = 0;
  // They were written, ending with a whole line.
  virtual void AfterRecords() = 0;
};

std::optional<Format> ParseFormat(std::string_view name);
std::string_view FormatName(Format format);
// The names -F accepts (not "raw": that is -w).
std::vector<std::string> FormatNames();

struct OutputSpec {
  Format format = Format::kJson;
  std::string path = "-";  // "-": standard output
  bool force = false;      // overwrite an existing file
  bool unbuffered = false;
  int zstd_level = 0;        // 0: no compression
  uint64_t rotate_size = 0;  // bytes; 0: never rotate
  int rotate_count = 0;      // files kept when rotating; 0: all
  TextOptions text;          // Format::kText: width, colour, header
  // path "-" on a terminal shared with a status line; nullptr: not shared.
  SharedTerminal* terminal = nullptr;
};

// "10M" -> 10485760; k, M, G (powers of 1024) or bytes.
std::optional<uint64_t> ParseSize(std::string_view text);

// The name of the n-th rotated file (n >= 1) of `path`: the number goes
// before the format's suffix, which stays last (as logrotate's "extension"
// keeps it), so tools still know the file: l.jsonl.zst -> l.1.jsonl.zst,
// cap.prov.json -> cap.1.prov.json, out -> out.1.
std::string RotatedName(const std::string& path, int n);

class Output : public RecordSink {
 public:
  static Status Open(const OutputSpec& spec, std::unique_ptr<Output>* output);
  ~Output() override;

  Status Begin(const CaptureInfo& info) override;
  Status OnRaw(std::string_view bytes) override;
  Status OnNode(const Node& node) override;
  Status OnRelation(const Relation& relation) override;
  Status OnLost(const Lost& lost) override;
  Status OnCaptureInfo(const CaptureInfo& info) override {
    info_ = info;
    return writer_->OnCaptureInfo(info);
  }
  void OnFilteredNode(const Node& node) override { writer_->OnFilteredNode(node); }
  void OnFilteredRelation(const Relation& relation) override {
    writer_->OnFilteredRelation(relation);
  }
  // Flushes; a file that reached rotate_size is followed by a new one at
  // the next record. Sizes are the bytes that reach the disk: compressed
  // ones behind zstd.
  Status Flush() override;
  Status End(const Stats& stats) override;

  uint64_t bytes_written() const;

 private:
  explicit Output(OutputSpec spec) : spec_(std::move(spec)) {}
  Status OpenFile();
  Status CloseFile(const Stats& stats);
  Status Rotate();
  Status RotateIfDue();

  OutputSpec spec_;
  CaptureInfo info_;
  std::unique_ptr<ByteSink> bytes_;
  std::unique_ptr<RecordSink> writer_;
  uint64_t closed_bytes_ = 0;  // bytes of files already rotated out
  bool ended_ = false;
  bool rotate_due_ = false;
};

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_OUTPUT_H_
