// kafka:// URLs, -X properties, --from-offset and --from-time: what is
// accepted, what each becomes, and that mistakes are refused with a cause.
#include "formats/kafka_url.h"

#include <gtest/gtest.h>

namespace provtrace::formats {
namespace {

TEST(KafkaUrlTest, BrokersAndTopic) {
  KafkaUrl url;
  ASSERT_TRUE(ParseKafkaUrl("kafka://b1:9093,b2,[::1]:19092,[fe80::1]/prov.events-1", &url).ok());
  EXPECT_EQ(url.topic, "prov.events-1");
  EXPECT_EQ(url.Bootstrap(), "b1:9093,b2:9092,[::1]:19092,[fe80::1]:9092");
  EXPECT_EQ(url.ToString(), "kafka://b1:9093,b2:9092,[::1]:19092,[fe80::1]:9092/prov.events-1");
  EXPECT_TRUE(IsKafkaUrl("kafka://x/y"));
  EXPECT_FALSE(IsKafkaUrl("/tmp/kafka://x/y"));
  EXPECT_FALSE(IsKafkaUrl("kafka:/x/y"));
}

TEST(KafkaUrlTest, RefusesMalformed) {
  const char* bad[] = {
      "kafka://",          "kafka://host",   "kafka://host/",  "kafka:///topic", "kafka://h:0/t",
      "kafka://h:65536/t", "kafka://h:x/t",  "kafka://h:/t",   "kafka://,h/t",   "kafka://h,/t",
      "kafka://h/to pic",  "kafka://h/a/b",  "kafka://[::1/t", "kafka://[]:1/t", "kafka://[::1]x/t",
      "kafka://h/..",      "kafka://ho$t/t", "http://h/t",
  };
  for (const char* text : bad) {
    KafkaUrl url;
    Status s = ParseKafkaUrl(text, &url);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_FALSE(s.cause().empty()) << text;
  }
  KafkaUrl url;
  EXPECT_FALSE(ParseKafkaUrl("kafka://h/" + std::string(250, 't'), &url).ok());
  EXPECT_TRUE(ParseKafkaUrl("kafka://h/" + std::string(249, 't'), &url).ok());
}

TEST(KafkaUrlTest, Properties) {
  KafkaProperties props;
  ASSERT_TRUE(ParseKafkaProperty("security.protocol=SASL_SSL", &props).ok());
  ASSERT_TRUE(ParseKafkaProperty("sasl.password=a=b", &props).ok());
  ASSERT_TRUE(ParseKafkaProperty("client.id=", &props).ok());
  ASSERT_EQ(props.size(), 3u);
  EXPECT_EQ(props[0], std::make_pair(std::string("security.protocol"), std::string("SASL_SSL")));
  EXPECT_EQ(props[1].second, "a=b");
  EXPECT_EQ(props[2].second, "");
  EXPECT_EQ(ParseKafkaProperty("acks", &props).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseKafkaProperty("=1", &props).code(), StatusCode::kInvalidArgument);
}

TEST(KafkaUrlTest, FromOffset) {
  KafkaStart start;
  ASSERT_TRUE(ParseKafkaFromOffset("beginning", &start).ok());
  EXPECT_EQ(start.kind, KafkaStart::Kind::kBeginning);
  ASSERT_TRUE(ParseKafkaFromOffset("end", &start).ok());
  EXPECT_EQ(start.kind, KafkaStart::Kind::kEnd);
  ASSERT_TRUE(ParseKafkaFromOffset("1234", &start).ok());
  EXPECT_EQ(start.kind, KafkaStart::Kind::kOffset);
  EXPECT_EQ(start.value, 1234);
  ASSERT_TRUE(ParseKafkaFromOffset("-10", &start).ok());
  EXPECT_EQ(start.kind, KafkaStart::Kind::kTail);
  EXPECT_EQ(start.value, 10);
  for (const char* bad : {"", "-", "-0", "x", "1x", "start", "99999999999999999999"}) {
    EXPECT_EQ(ParseKafkaFromOffset(bad, &start).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(KafkaUrlTest, FromTime) {
  KafkaStart start;
  ASSERT_TRUE(ParseKafkaFromTime("1700000000123", &start).ok());
  EXPECT_EQ(start.kind, KafkaStart::Kind::kTime);
  EXPECT_EQ(start.value, 1700000000123);
  ASSERT_TRUE(ParseKafkaFromTime("2023-11-14T22:13:20Z", &start).ok());
  EXPECT_EQ(start.value, 1700000000000);
  ASSERT_TRUE(ParseKafkaFromTime("2023-11-14T22:13:20.5", &start).ok());
  EXPECT_EQ(start.value, 1700000000500);
  ASSERT_TRUE(ParseKafkaFromTime("2023-11-14T22:13", &start).ok());
  EXPECT_EQ(start.value, 1699999980000);
  for (const char* bad : {"", "yesterday", "2023-11-14", "2023-11-14T22:13:20+01:00",
                          "2023-11-14T22:13:20.", "2023-11-14T22:13:20Zx"}) {
    EXPECT_EQ(ParseKafkaFromTime(bad, &start).code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace provtrace::formats
