// A ByteSink into memory, for format tests.
#ifndef PROVTRACE_TESTS_UNIT_STRING_SINK_H_
#define PROVTRACE_TESTS_UNIT_STRING_SINK_H_

#include <string>

#include "formats/byte_sink.h"

namespace provtrace::formats {

class StringSink : public ByteSink {
 public:
  Status Write(std::string_view bytes) override {
    data.append(bytes);
    return Status::Ok();
  }
  Status Flush() override {
    ++flushes;
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t bytes_written() const override { return data.size(); }
  std::string data;
  int flushes = 0;
};

}  // namespace provtrace::formats

#endif  // PROVTRACE_TESTS_UNIT_STRING_SINK_H_
