// A Kafka cluster for the tests: librdkafka's mock cluster (real Kafka
// protocol over TCP on 127.0.0.1), in a process of its own so that
// provtrace, the library under test and kcat all reach it as they would a
// real one. Debian ships no Kafka broker.
//
//   mock_cluster BROKERS TOPIC:PARTITIONS...
//
// Prints "bootstraps HOST:PORT,..." on stdout, then reads commands from
// stdin, one a line, and answers each with "ok" or "error: ...":
//   down N | up N       take broker N (1..BROKERS) down or bring it back
//   topic NAME P        create a topic of P partitions
//   leader TOPIC P      answers "leader N": the broker leading partition P
//   quit                (or end of input) stops the cluster
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

namespace {

bool CreateTopic(rd_kafka_mock_cluster_t* cluster, const std::string& name, int partitions,
                 int brokers) {
  int replication = brokers < 3 ? brokers : 3;
  return rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, replication) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

// The leader of a partition, from the cluster's own metadata.
int LeaderOf(rd_kafka_t* rk, const std::string& topic, int partition) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  int leader = -1;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int t = 0; t < md->topic_cnt; ++t) {
      for (int p = 0; p < md->topics[t].partition_cnt; ++p) {
        if (md->topics[t].partitions[p].id == partition)
          leader = md->topics[t].partitions[p].leader;
      }
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(rkt);
  return leader;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: mock_cluster BROKERS [TOPIC:PARTITIONS...]\n");
    return 2;
  }
  int brokers = atoi(argv[1]);
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; it produces nothing.
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    fprintf(stderr, "mock_cluster: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    fprintf(stderr, "mock_cluster: cannot create a cluster of %d brokers\n", brokers);
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    std::string spec = argv[i];
    size_t colon = spec.rfind(':');
    if (colon == std::string::npos ||
        !CreateTopic(cluster, spec.substr(0, colon), atoi(spec.c_str() + colon + 1), brokers)) {
      fprintf(stderr, "mock_cluster: cannot create topic %s\n", spec.c_str());
      return 1;
    }
  }
  // A second handle, a client of the cluster, to ask for partition leaders.
  rd_kafka_conf_t* client_conf = rd_kafka_conf_new();
  rd_kafka_conf_set(client_conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(cluster),
                    errstr, sizeof(errstr));
  rd_kafka_conf_set(client_conf, "log_level", "0", errstr, sizeof(errstr));
  rd_kafka_t* client = rd_kafka_new(RD_KAFKA_PRODUCER, client_conf, errstr, sizeof(errstr));

  printf("bootstraps %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    in >> command;
    std::string answer = "ok";
    if (command == "down" || command == "up") {
      int id = 0;
      in >> id;
      rd_kafka_resp_err_t err = command == "down" ? rd_kafka_mock_broker_set_down(cluster, id)
                                                  : rd_kafka_mock_broker_set_up(cluster, id);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        answer = std::string("error: ") + rd_kafka_err2str(err);
    } else if (command == "topic") {
      std::string name;
      int partitions = 0;
      in >> name >> partitions;
      if (!CreateTopic(cluster, name, partitions, brokers)) answer = "error: cannot create " + name;
    } else if (command == "leader") {
      std::string topic;
      int partition = 0;
      in >> topic >> partition;
      answer = "leader " + std::to_string(client ? LeaderOf(client, topic, partition) : -1);
    } else if (command == "quit") {
      break;
    } else {
      answer = "error: unknown command " + command;
    }
    printf("%s\n", answer.c_str());
    fflush(stdout);
  }
  if (client != nullptr) rd_kafka_destroy(client);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
