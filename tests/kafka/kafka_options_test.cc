// provtrace's kafka:// options as the command line gives them: -o, -w and
// -r take a topic, -X a librdkafka property, --from-offset and --from-time
// where -r kafka:// starts; misuse is one line naming the option.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/options.h"

namespace provtrace::cli {
namespace {

ParseOutcome Parse(std::vector<const char*> args, Options* options, std::string* text) {
  args.insert(args.begin(), "provtrace");
  return ParseOptions(static_cast<int>(args.size()), args.data(), options, text);
}

TEST(KafkaOptionsTest, TopicsPropertiesAndStarts) {
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"-o", "kafka://k1,k2:9093/prov", "-w", "kafka://k1/raw", "-X", "acks=all", "-X",
                   "linger.ms=50", "--", "true"},
                  &o, &text),
            ParseOutcome::kRun)
      << text;
  EXPECT_EQ(o.output, "kafka://k1,k2:9093/prov");
  EXPECT_EQ(o.write_capture, "kafka://k1/raw");
  EXPECT_FALSE(o.format.has_value());  // JSON Lines: not from the URL's name
  using Properties = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(o.kafka_properties, (Properties{{"acks", "all"}, {"linger.ms", "50"}}));

  Options r;
  ASSERT_EQ(Parse({"-r", "kafka://k1/raw", "--from-offset", "-5", "-d", "3"}, &r, &text),
            ParseOutcome::kRun)
      << text;
  EXPECT_EQ(r.read_capture, "kafka://k1/raw");
  EXPECT_EQ(r.from_offset, std::optional<std::string>("-5"));
  Options t;
  ASSERT_EQ(Parse({"-r", "kafka://k1/raw", "--from-time", "2024-05-01T12:00:00Z"}, &t, &text),
            ParseOutcome::kRun)
      << text;
  EXPECT_EQ(t.from_time, std::optional<std::string>("2024-05-01T12:00:00Z"));
}

TEST(KafkaOptionsTest, MisuseIsOneLineError) {
  struct Case {
    std::vector<const char*> args;
    const char* mentions;
  };
  const Case cases[] = {
      {{"-X", "acks=all", "--", "true"}, "-X"},
      {{"-o", "kafka://k1/prov", "-X", "noequals", "--", "true"}, "noequals"},
      {{"--from-offset", "end"}, "--from-offset"},
      {{"-r", "/dev/null", "--from-time", "0"}, "--from-time"},
      {{"-r", "kafka://k1/t", "--from-offset", "sideways"}, "sideways"},
      {{"-r", "kafka://k1/t", "--from-time", "yesterday"}, "yesterday"},
      {{"-r", "kafka://k1/t", "--from-offset", "end", "--from-time", "0"}, "give one"},
      {{"-o", "kafka://k1/bad topic", "--", "true"}, "bad topic"},
      {{"-o", "kafka://k1", "--", "true"}, "no topic"},
      {{"-o", "kafka://k1:0/t", "--", "true"}, "port"},
      {{"-o", "kafka://k1/t", "-z", "--", "true"}, "-z"},
      {{"-o", "kafka://k1/t", "--rotate-size", "1M", "--", "true"}, "--rotate-size"},
  };
  for (const Case& c : cases) {
    Options o;
    std::string text;
    EXPECT_EQ(Parse(c.args, &o, &text), ParseOutcome::kError) << c.mentions;
    EXPECT_NE(text.find(c.mentions), std::string::npos) << c.mentions << ": " << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace provtrace::cli
