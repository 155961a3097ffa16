// Starts tests/kafka:mock_cluster (librdkafka's mock cluster in a process
// of its own) and drives it: brokers down and up, topics, leaders. And
// kcat, the independent consumer that reads back what the tests produce.
#ifndef PROVTRACE_TESTS_KAFKA_MOCK_CLUSTER_H_
#define PROVTRACE_TESTS_KAFKA_MOCK_CLUSTER_H_

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace provtrace::testing {

class MockCluster {
 public:
  // "topic:partitions" each; empty bootstraps() when it did not start.
  MockCluster(int brokers, const std::vector<std::string>& topics);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  const std::string& bootstraps() const { return bootstraps_; }
  int brokers() const { return brokers_; }
  // kafka://BOOTSTRAPS/topic
  std::string Url(const std::string& topic) const;

  // Each returns "" on success, else the helper's answer.
  std::string Down(int broker);
  std::string Up(int broker);
  std::string CreateTopic(const std::string& name, int partitions);
  // The broker leading a partition (-1 when unknown).
  int Leader(const std::string& topic, int partition);

 private:
  std::string Command(const std::string& line);

  int brokers_;
  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
  std::string bootstraps_;
};

// One consumed message, as kcat printed it.
struct KcatMessage {
  int partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
};

// Every message of the topic, from the beginning to its end (kcat -C -e),
// in each partition's order (partitions one after another). `error` is set
// when kcat failed.
std::vector<KcatMessage> KcatConsume(const std::string& bootstraps, const std::string& topic,
                                     std::string* error);

}  // namespace provtrace::testing

#endif  // PROVTRACE_TESTS_KAFKA_MOCK_CLUSTER_H_
