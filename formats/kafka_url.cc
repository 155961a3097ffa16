#include "formats/kafka_url.h"

#include <time.h>

#include <cctype>

namespace provtrace::formats {
namespace {

constexpr std::string_view kScheme = "kafka://";
constexpr size_t kMaxTopicLength = 249;  // Kafka's own limit

const char kUrlHint[] = "write kafka://BROKER[:PORT][,BROKER[:PORT]...]/TOPIC";

bool ParseInt(std::string_view text, int64_t max, int64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  *value = v;
  return true;
}

bool HostChar(char c) {
  return isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

// "host", "host:port", "[v6]", "[v6]:port" -> "host:port".
Status ParseBroker(std::string_view text, std::string* broker) {
  std::string_view host, port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close == 1) {
      return InvalidArgument("kafka URL: bad IPv6 broker address '" + std::string(text) + "'",
                             kUrlHint);
    }
    for (char c : text.substr(1, close - 1)) {
      if (!isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return InvalidArgument("kafka URL: bad IPv6 broker address '" + std::string(text) + "'",
                               kUrlHint);
      }
    }
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return InvalidArgument("kafka URL: bad broker '" + std::string(text) + "'", kUrlHint);
      }
      port = rest.substr(1);
      if (port.empty()) {
        return InvalidArgument("kafka URL: broker '" + std::string(text) + "' has an empty port",
                               kUrlHint);
      }
    }
  } else {
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) {
        return InvalidArgument("kafka URL: broker '" + std::string(text) + "' has an empty port",
                               kUrlHint);
      }
    }
    if (host.empty()) {
      return InvalidArgument("kafka URL: a broker has no host name", kUrlHint);
    }
    for (char c : host) {
      if (!HostChar(c)) {
        return InvalidArgument("kafka URL: bad broker host name '" + std::string(host) + "'",
                               kUrlHint);
      }
    }
  }
  int64_t number = kDefaultKafkaPort;
  if (!port.empty() && (!ParseInt(port, 65535, &number) || number == 0)) {
    return InvalidArgument("kafka URL: bad port '" + std::string(port) + "'",
                           "a port is a number from 1 to 65535");
  }
  *broker = std::string(host) + ":" + std::to_string(number);
  return Status::Ok();
}

}  // namespace

std::string KafkaUrl::Bootstrap() const {
  std::string out;
  for (const std::string& b : brokers) {
    if (!out.empty()) out += ',';
    out += b;
  }
  return out;
}

std::string KafkaUrl::ToString() const { return std::string(kScheme) + Bootstrap() + "/" + topic; }

bool IsKafkaUrl(std::string_view text) { return text.substr(0, kScheme.size()) == kScheme; }

Status ParseKafkaUrl(std::string_view text, KafkaUrl* url) {
  if (!IsKafkaUrl(text)) {
    return InvalidArgument("'" + std::string(text) + "' is not a kafka:// URL", kUrlHint);
  }
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument("kafka URL '" + std::string(text) + "' names no topic", kUrlHint);
  }
  std::string_view brokers = rest.substr(0, slash);
  std::string_view topic = rest.substr(slash + 1);
  KafkaUrl parsed;
  if (brokers.empty()) {
    return InvalidArgument("kafka URL '" + std::string(text) + "' names no broker", kUrlHint);
  }
  while (true) {
    size_t comma = brokers.find(',');
    std::string broker;
    PT_RETURN_IF_ERROR(ParseBroker(brokers.substr(0, comma), &broker));
    parsed.brokers.push_back(broker);
    if (comma == std::string_view::npos) break;
    brokers = brokers.substr(comma + 1);
  }
  if (topic.empty()) {
    return InvalidArgument("kafka URL '" + std::string(text) + "' names no topic", kUrlHint);
  }
  if (topic.size() > kMaxTopicLength || topic == "." || topic == "..") {
    return InvalidArgument("kafka URL: '" + std::string(topic) + "' is not a Kafka topic name",
                           "topic names are 1 to 249 of a-z A-Z 0-9 . _ -");
  }
  for (char c : topic) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return InvalidArgument("kafka URL: '" + std::string(topic) + "' is not a Kafka topic name",
                             "topic names are 1 to 249 of a-z A-Z 0-9 . _ -");
    }
  }
  parsed.topic = std::string(topic);
  *url = std::move(parsed);
  return Status::Ok();
}

Status ParseKafkaProperty(std::string_view text, KafkaProperties* properties) {
  size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return InvalidArgument("-X " + std::string(text) + ": expected KEY=VALUE",
                           "e.g. -X security.protocol=SASL_SSL (librdkafka's properties)");
  }
  properties->emplace_back(std::string(text.substr(0, equals)),
                           std::string(text.substr(equals + 1)));
  return Status::Ok();
}

Status ParseKafkaFromOffset(std::string_view text, KafkaStart* start) {
  KafkaStart parsed;
  int64_t n = 0;
  if (text == "beginning") {
    parsed.kind = KafkaStart::Kind::kBeginning;
  } else if (text == "end") {
    parsed.kind = KafkaStart::Kind::kEnd;
  } else if (!text.empty() && text[0] == '-' && ParseInt(text.substr(1), INT64_MAX, &n) && n > 0) {
    parsed.kind = KafkaStart::Kind::kTail;
    parsed.value = n;
  } else if (ParseInt(text, INT64_MAX, &n)) {
    parsed.kind = KafkaStart::Kind::kOffset;
    parsed.value = n;
  } else {
    return InvalidArgument("--from-offset " + std::string(text) + ": not an offset",
                           "give beginning, end, an offset N or -N (the last N messages of "
                           "each partition)");
  }
  *start = parsed;
  return Status::Ok();
}

Status ParseKafkaFromTime(std::string_view text, KafkaStart* start) {
  const char kHint[] =
      "give milliseconds since the epoch or a UTC time such as 2024-05-01T12:00:00Z";
  int64_t ms = 0;
  if (ParseInt(text, INT64_MAX, &ms)) {
    start->kind = KafkaStart::Kind::kTime;
    start->value = ms;
    return Status::Ok();
  }
  std::string s(text);
  struct tm tm = {};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M", &tm);
  if (end == nullptr) return InvalidArgument("--from-time " + s + ": not a time", kHint);
  int64_t fraction_ms = 0;
  if (*end == ':') {
    const char* seconds = strptime(end, ":%S", &tm);
    if (seconds == nullptr) return InvalidArgument("--from-time " + s + ": not a time", kHint);
    end = seconds;
    if (*end == '.') {
      ++end;
      int digits = 0;
      while (isdigit(static_cast<unsigned char>(*end))) {
        if (digits < 3) fraction_ms = fraction_ms * 10 + (*end - '0');
        ++digits;
        ++end;
      }
      if (digits == 0) return InvalidArgument("--from-time " + s + ": not a time", kHint);
      for (; digits < 3; ++digits) fraction_ms *= 10;
    }
  }
  if (*end == 'Z') ++end;
  if (*end != '\0') {
    return InvalidArgument("--from-time " + s + ": not a time",
                           std::string(kHint) + " (UTC only: no +HH:MM offset)");
  }
  time_t seconds = timegm(&tm);
  start->kind = KafkaStart::Kind::kTime;
  start->value = static_cast<int64_t>(seconds) * 1000 + fraction_ms;
  return Status::Ok();
}

}  // namespace provtrace::formats
