#include "formats/output.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <cstring>

#include "formats/byte_sink.h"
#include "formats/capture_writer.h"
#include "formats/dot.h"
#include "formats/json_lines.h"
#include "formats/prov_json.h"
#include "formats/spade_json.h"
#include "formats/text.h"
#include "formats/zstd_sink.h"

namespace provtrace::formats {
namespace {

struct FormatEntry {
  Format format;
  const char* name;
};
constexpr FormatEntry kFormats[] = {
    {Format::kJson, "json"},
    {Format::kText, "text"},
    {Format::kProvJson, "prov-json"},
    {Format::kSpadeJson, "spade-json"},
    {Format::kDot, "dot"},
    {Format::kRaw, "raw"},
};

// Standard output on a terminal it shares with a status line: records are
// buffered here and written between the terminal's BeforeRecords and
// AfterRecords, whole lines at a time, through an unbuffered inner sink.
class SharedTerminalSink : public ByteSink {
 public:
  SharedTerminalSink(std::unique_ptr<ByteSink> inner, SharedTerminal* terminal, bool unbuffered)
      : inner_(std::move(inner)), terminal_(terminal), unbuffered_(unbuffered) {}
  ~SharedTerminalSink() override { Close(); }

  Status Write(std::string_view bytes) override {
    buffer_.append(bytes.data(), bytes.size());
    if (unbuffered_ || buffer_.size() >= kBufferSize) return WriteOut();
    return Status::Ok();
  }
  Status Flush() override {
    PT_RETURN_IF_ERROR(WriteOut());
    return inner_->Flush();
  }
  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    Status s = WriteOut();
    Status c = inner_->Close();
    return s.ok() ? c : s;
  }
  uint64_t bytes_written() const override { return inner_->bytes_written() + buffer_.size(); }

 private:
  static constexpr size_t kBufferSize = 64 * 1024;

  Status WriteOut() {
    if (buffer_.empty()) return Status::Ok();
    terminal_->BeforeRecords();
    Status s = inner_->Write(buffer_);
    buffer_.clear();
    terminal_->AfterRecords();
    return s;
  }

  std::unique_ptr<ByteSink> inner_;
  SharedTerminal* terminal_;
  bool unbuffered_;
  bool closed_ = false;
  std::string buffer_;
};

// The part of a file name that says what it holds: ".zst" and the
// format's extension before it (".prov.json" and ".spade.json" are one).
size_t SuffixStart(const std::string& path) {
  size_t base = path.rfind('/');
  base = base == std::string::npos ? 0 : base + 1;
  auto ends_with = [&](size_t end, const char* suffix) {
    size_t n = strlen(suffix);
    return end >= base + n + 1 && path.compare(end - n, n, suffix) == 0;
  };
  size_t end = path.size();
  if (ends_with(end, ".zst")) end -= 4;
  for (const char* two : {".prov.json", ".spade.json"}) {
    if (ends_with(end, two)) return end - strlen(two);
  }
  size_t dot = path.rfind('.', end == 0 ? 0 : end - 1);
  // No extension (or a leading dot, as in ".hidden"): the number goes last.
  if (dot == std::string::npos || dot <= base || dot >= end) return end;
  return dot;
}

std::unique_ptr<RecordSink> NewWriter(const OutputSpec& spec, ByteSink* out) {
  switch (spec.format) {
    case Format::kJson:
      return NewJsonLinesWriter(out);
    case Format::kText:
      return NewTextWriter(out, spec.text);
    case Format::kProvJson:
      return NewProvJsonWriter(out);
    case Format::kSpadeJson:
      return NewSpadeJsonWriter(out);
    case Format::kDot:
      return NewDotWriter(out);
    case Format::kRaw:
      return NewCaptureWriter(out);
  }
  return nullptr;
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view name) {
  for (const FormatEntry& e : kFormats) {
    if (name == e.name) return e.format;
  }
  return std::nullopt;
}

std::string_view FormatName(Format format) {
  for (const FormatEntry& e : kFormats) {
    if (format == e.format) return e.name;
  }
  return "unknown";
}

std::vector<std::string> FormatNames() {
  std::vector<std::string> names;
  for (const FormatEntry& e : kFormats) {
    if (e.format != Format::kRaw) names.push_back(e.name);
  }
  return names;
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = text.substr(i);
  uint64_t scale = 1;
  if (unit == "k" || unit == "K" || unit == "KiB") {
    scale = 1ULL << 10;
  } else if (unit == "M" || unit == "MiB") {
    scale = 1ULL << 20;
  } else if (unit == "G" || unit == "GiB") {
    scale = 1ULL << 30;
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  if (value > UINT64_MAX / scale) return std::nullopt;
  return value * scale;
}

std::string RotatedName(const std::string& path, int n) {
  size_t suffix = SuffixStart(path);
  return path.substr(0, suffix) + "." + std::to_string(n) + path.substr(suffix);
}

Status Output::Open(const OutputSpec& spec, std::unique_ptr<Output>* output) {
  std::unique_ptr<Output> out(new Output(spec));
  if (spec.rotate_size > 0 && spec.path == "-") {
    return InvalidArgument("--rotate-size needs an output file (-o or -w)");
  }
  PT_RETURN_IF_ERROR(out->OpenFile());
  *output = std::move(out);
  return Status::Ok();
}

Output::~Output() {
  if (!ended_) CloseFile(Stats());
}

Status Output::OpenFile() {
  std::unique_ptr<ByteSink> sink;
  if (spec_.path == "-" && spec_.terminal != nullptr) {
    sink = std::make_unique<SharedTerminalSink>(StdoutSink(/*unbuffered=*/true), spec_.terminal,
                                                spec_.unbuffered);
  } else if (spec_.path == "-") {
    sink = StdoutSink(spec_.unbuffered);
  } else {
    PT_RETURN_IF_ERROR(OpenFileSink(spec_.path, spec_.force, spec_.unbuffered, &sink));
  }
  if (spec_.zstd_level > 0) {
    std::unique_ptr<ByteSink> compressed;
    PT_RETURN_IF_ERROR(NewZstdSink(std::move(sink), spec_.zstd_level, &compressed));
    sink = std::move(compressed);
  }
  bytes_ = std::move(sink);
  writer_ = NewWriter(spec_, bytes_.get());
  return Status::Ok();
}

Status Output::CloseFile(const Stats& stats) {
  if (writer_ == nullptr) return Status::Ok();
  Status s = writer_->End(stats);
  Status c = bytes_->Close();
  closed_bytes_ += bytes_->bytes_written();
  writer_.reset();
  bytes_.reset();
  return s.ok() ? c : s;
}

// FILE -> FILE's 1st rotated name -> its 2nd ... (RotatedName); with
// rotate_count N, N files are kept.
Status Output::Rotate() {
  PT_RETURN_IF_ERROR(CloseFile(Stats()));
  int keep = spec_.rotate_count;
  int last = 1;
  if (keep > 0) {
    last = keep - 1;
    if (last >= 1) unlink(RotatedName(spec_.path, last).c_str());
  } else {
    while (access(RotatedName(spec_.path, last).c_str(), F_OK) == 0) ++last;
  }
  for (int i = last - 1; i >= 1; --i) {
    std::string from = RotatedName(spec_.path, i);
    std::string to = RotatedName(spec_.path, i + 1);
    if (rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return IoError("cannot rotate " + from + ": " + strerror(errno));
    }
  }
  if (keep == 1) {
    unlink(spec_.path.c_str());
  } else if (rename(spec_.path.c_str(), RotatedName(spec_.path, 1).c_str()) != 0) {
    return IoError("cannot rotate " + spec_.path + ": " + strerror(errno));
  }
  PT_RETURN_IF_ERROR(OpenFile());
  return writer_->Begin(info_);
}

Status Output::Begin(const CaptureInfo& info) {
  info_ = info;
  return writer_->Begin(info);
}

// A full file is rotated when the next record comes, so the last file is
// never an empty one. Formats with one record per write can rotate between
// any two records (a zstd frame ends where the file does), counting the
// bytes that reach the disk: compressed ones behind zstd, which come out a
// block (up to 128 KiB of input) at a time. Documents (prov-json, dot) end
// only at a flush.
Status Output::RotateIfDue() {
  if (!rotate_due_ && spec_.rotate_size > 0 && spec_.format != Format::kProvJson &&
      spec_.format != Format::kDot && bytes_->bytes_written() >= spec_.rotate_size) {
    rotate_due_ = true;
  }
  if (!rotate_due_) return Status::Ok();
  rotate_due_ = false;
  return Rotate();
}

Status Output::OnRaw(std::string_view bytes) {
  PT_RETURN_IF_ERROR(RotateIfDue());
  return writer_->OnRaw(bytes);
}
Status Output::OnNode(const Node& node) {
  PT_RETURN_IF_ERROR(RotateIfDue());
  return writer_->OnNode(node);
}
Status Output::OnRelation(const Relation& relation) {
  PT_RETURN_IF_ERROR(RotateIfDue());
  return writer_->OnRelation(relation);
}
Status Output::OnLost(const Lost& lost) {
  PT_RETURN_IF_ERROR(RotateIfDue());
  return writer_->OnLost(lost);
}

Status Output::Flush() {
  PT_RETURN_IF_ERROR(writer_->Flush());
  if (spec_.rotate_size > 0 && bytes_->bytes_written() >= spec_.rotate_size) rotate_due_ = true;
  return Status::Ok();
}

Status Output::End(const Stats& stats) {
  ended_ = true;
  return CloseFile(stats);
}

uint64_t Output::bytes_written() const {
  return closed_bytes_ + (bytes_ ? bytes_->bytes_written() : 0);
}

}  // namespace provtrace::formats
