// Records/s from a raw capture into Kafka (librdkafka's mock cluster, in
// this process) next to the same records into a file, in one run: -o
// FILE (JSON Lines), -o kafka:// (JSON Lines) and -w kafka:// (raw),
// each timed to the last delivery report. A benchmark, not a test: it
// prints. Pin it to one core (bench/kafka/run.sh does): the cluster's
// threads then share the core with provtrace's, so the figures include
// the mock broker's own work, which a real cluster does elsewhere.
//
//   kafka_bench CAPTURE [RECORDS] [DIR]
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/pipeline.h"
#include "formats/capture_reader.h"
#include "formats/kafka_output.h"
#include "formats/output.h"

using namespace provtrace;

namespace {

struct Collect : public RecordHandler {
  void OnRawRecord(const void* data, size_t size) override {
    const char* p = static_cast<const char*>(data);
    records.emplace_back(p, p + size);
  }
  void OnLost(const Lost&) override {}
  std::vector<std::string> records;
};

double CpuSeconds() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Result {
  double seconds, cpu;
  uint64_t delivered, lost, bytes;
};

Result Run(RecordSink* sink, const std::vector<std::string>& stream, const CaptureInfo& info,
           std::function<void(Result*)> finish) {
  Pipeline pipeline({sink});
  double cpu = CpuSeconds();
  auto start = std::chrono::steady_clock::now();
  pipeline.Begin(info);
  size_t i = 0;
  for (const std::string& r : stream) {
    pipeline.OnRawRecord(r.data(), r.size());
    if (++i % 100000 == 0) pipeline.Flush();  // the capture loop flushes once a second
  }
  pipeline.End();  // kafka: waits for the last delivery report
  Result result{};
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.cpu = CpuSeconds() - cpu;
  result.delivered = pipeline.stats().records_out;
  finish(&result);
  return result;
}

void Print(const char* name, const Result& r, size_t n, double file_seconds) {
  printf("%-22s %12.0f %10.2f %10.2f %12llu %8llu %9.2fx\n", name, n / r.seconds, r.seconds, r.cpu,
         static_cast<unsigned long long>(r.delivered), static_cast<unsigned long long>(r.lost),
         r.seconds / file_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: kafka_bench CAPTURE [RECORDS] [DIR]\n");
    return 2;
  }
  size_t want = argc > 2 ? std::stoul(argv[2]) : 1000000;
  std::string dir = argc > 3 ? argv[3] : "/tmp";
  Collect collect;
  std::unique_ptr<formats::CaptureReader> reader;
  Status s = formats::CaptureReader::Open(argv[1], &collect, &reader);
  if (s.ok()) s = reader->Drain();
  if (!s.ok() || collect.records.empty()) {
    fprintf(stderr, "kafka_bench: %s\n", s.ok() ? "empty capture" : s.ToString().c_str());
    return 1;
  }
  CaptureInfo info = reader->info();
  // The capture, repeated to the size asked for.
  std::vector<std::string> stream;
  while (stream.size() < want) {
    for (const std::string& r : collect.records) {
      if (stream.size() == want) break;
      stream.push_back(r);
    }
  }

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, 3);
  rd_kafka_mock_topic_create(cluster, "json", 3, 3);
  rd_kafka_mock_topic_create(cluster, "raw", 3, 3);
  std::string bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);

  printf("%zu records (%zu captured, repeated), machine %u; mock cluster of 3 brokers\n\n",
         stream.size(), collect.records.size(), info.machine_id);
  printf("%-22s %12s %10s %10s %12s %8s %10s\n", "output", "records/s", "seconds", "cpu s",
         "delivered", "lost", "vs file");

  formats::OutputSpec spec;
  spec.format = formats::Format::kJson;
  spec.path = dir + "/kafka_bench.jsonl";
  spec.force = true;
  std::unique_ptr<formats::Output> file;
  s = formats::Output::Open(spec, &file);
  if (!s.ok()) {
    fprintf(stderr, "kafka_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  Result f = Run(file.get(), stream, info, [](Result*) {});
  unlink(spec.path.c_str());
  Print("-o FILE (json)", f, stream.size(), f.seconds);

  for (formats::Format format : {formats::Format::kJson, formats::Format::kRaw}) {
    formats::OutputSpec kspec;
    kspec.format = format;
    bool raw = format == formats::Format::kRaw;
    std::string url = "kafka://" + bootstraps + "/" + (raw ? "raw" : "json");
    std::unique_ptr<formats::KafkaOutput> kafka;
    formats::KafkaProducerOptions options;
    options.flush_timeout_ms = 120000;
    s = formats::OpenKafkaOutput(url, {}, kspec, options, &kafka);
    if (!s.ok()) {
      fprintf(stderr, "kafka_bench: %s\n", s.ToString().c_str());
      return 1;
    }
    formats::KafkaOutput* k = kafka.get();
    Result r = Run(k, stream, info, [k](Result* r) {
      r->delivered = k->delivery().records_delivered;
      r->lost = k->delivery().lost();
    });
    Print(raw ? "-w kafka:// (raw)" : "-o kafka:// (json)", r, stream.size(), f.seconds);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return 0;
}
