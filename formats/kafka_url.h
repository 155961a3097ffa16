// kafka://BROKER[:PORT][,BROKER[:PORT]...]/TOPIC, the -X KEY=VALUE
// properties passed to librdkafka, and where a consumer starts
// (--from-offset, --from-time). Parsing only: no librdkafka here.
#ifndef PROVTRACE_FORMATS_KAFKA_URL_H_
#define PROVTRACE_FORMATS_KAFKA_URL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace provtrace::formats {

inline constexpr int kDefaultKafkaPort = 9092;

struct KafkaUrl {
  std::vector<std::string> brokers;  // "host:port" ("[v6]:port"), port filled in
  std::string topic;

  // librdkafka's bootstrap.servers.
  std::string Bootstrap() const;
  // kafka://BROKERS/TOPIC again, for messages.
  std::string ToString() const;
};

bool IsKafkaUrl(std::string_view text);
Status ParseKafkaUrl(std::string_view text, KafkaUrl* url);

// -X KEY=VALUE, in command-line order (a later one wins, as in kcat).
using KafkaProperties = std::vector<std::pair<std::string, std::string>>;
Status ParseKafkaProperty(std::string_view text, KafkaProperties* properties);

// Where a consumer starts in every partition.
struct KafkaStart {
  enum class Kind { kBeginning, kEnd, kOffset, kTail, kTime };
  Kind kind = Kind::kBeginning;
  int64_t value = 0;  // kOffset: the offset; kTail: messages before the end;
                      // kTime: milliseconds since the Unix epoch
};

// --from-offset: "beginning", "end", N (that offset in every partition; a
// partition not that long yet is read from its end) or -N (the last N
// messages of every partition), as kcat -o.
Status ParseKafkaFromOffset(std::string_view text, KafkaStart* start);
// --from-time: milliseconds since the Unix epoch, or an ISO 8601 UTC time
// (2024-05-01T12:00:00Z; seconds and the Z may be left out; a fraction of
// a second is allowed).
Status ParseKafkaFromTime(std::string_view text, KafkaStart* start);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_KAFKA_URL_H_
