// libFuzzer target: arbitrary bytes as a raw capture (replayed into every
// writer), and as a single wire record for the decoder. Nothing may crash,
// hang or read out of bounds; bad input must end in an error status.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/decoder.h"
#include "core/pipeline.h"
#include "formats/capture_reader.h"
#include "formats/dot.h"
#include "formats/json_lines.h"
#include "formats/prov_json.h"
#include "formats/spade_json.h"
#include "formats/text.h"

namespace {

class NullSink : public provtrace::formats::ByteSink {
 public:
  provtrace::Status Write(std::string_view bytes) override {
    size_ += bytes.size();
    return provtrace::Status::Ok();
  }
  provtrace::Status Flush() override { return provtrace::Status::Ok(); }
  provtrace::Status Close() override { return provtrace::Status::Ok(); }
  uint64_t bytes_written() const override { return size_; }

 private:
  uint64_t size_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provtrace;
  DecodedRecord record;
  DecodeRecord(data, size, &record);

  NullSink sink;
  auto json = formats::NewJsonLinesWriter(&sink);
  auto text = formats::NewTextWriter(&sink);
  auto prov = formats::NewProvJsonWriter(&sink);
  auto spade = formats::NewSpadeJsonWriter(&sink);
  auto dot = formats::NewDotWriter(&sink);
  Pipeline pipeline({json.get(), text.get(), prov.get(), spade.get(), dot.get()});
  std::unique_ptr<formats::CaptureReader> reader;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!formats::CaptureReader::FromBytes(bytes, &pipeline, &reader).ok()) return 0;
  if (!pipeline.Begin(reader->info()).ok()) return 0;
  reader->Drain();
  pipeline.End();
  return 0;
}
