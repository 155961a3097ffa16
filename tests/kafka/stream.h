// A synthetic provenance stream for the Kafka tests: what the BPF side
// emits (tests/unit/records_for_test.h), shaped like a capture (a task's
// versions opening, reading and writing files) and complete: every
// relation's endpoints are nodes of the stream, each node once.
#ifndef PROVTRACE_TESTS_KAFKA_STREAM_H_
#define PROVTRACE_TESTS_KAFKA_STREAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/pipeline.h"
#include "tests/unit/records_for_test.h"

namespace provtrace::testing {

using Stream = std::vector<std::vector<uint8_t>>;

// About n records; times increase.
inline Stream MakeStream(size_t n) {
  Stream records;
  uint64_t time = 1000000;
  constexpr uint64_t kTask = 17, kMemory = 18;
  records.push_back(TaskRecord(kTask, 0, 4242, 4242, "sh", 0, time++));
  records.push_back(ProcRecord(kMemory, 0, 4242, 0, time++));
  uint64_t id = 100;
  uint32_t version = 0;
  while (records.size() < n) {
    uint64_t file = id++, path = id++;
    records.push_back(InodeRecord(file, 0, PT_NODE_FILE, 1000 + file, 0100644, 0, time++));
    records.push_back(PathRecord(path, "/tmp/work/file-" + std::to_string(file), time++));
    records.push_back(RelationRecord(PT_REL_NAMED, id++, Ref(path, 0, PT_NODE_PATH),
                                     Ref(file, 0, PT_NODE_FILE), 0, -1, time++));
    for (int i = 0; i < 4; ++i) {
      records.push_back(TaskRecord(kTask, ++version, 4242, 4242, "sh", 0, time++));
      records.push_back(RelationRecord(PT_REL_VERSION_ACTIVITY, id++,
                                       Ref(kTask, version - 1, PT_NODE_TASK),
                                       Ref(kTask, version, PT_NODE_TASK), 0, -1, time++));
      records.push_back(RelationRecord(i % 2 ? PT_REL_READ : PT_REL_OPEN, id++,
                                       Ref(file, 0, PT_NODE_FILE),
                                       Ref(kTask, version, PT_NODE_TASK), 0, i * 4096, time++));
      records.push_back(RelationRecord(PT_REL_MEMORY_WRITE, id++, Ref(kTask, version, PT_NODE_TASK),
                                       Ref(kMemory, 0, PT_NODE_PROCESS_MEMORY), 0, -1, time++));
    }
  }
  return records;
}

inline CaptureInfo InfoFor(uint32_t machine_id, uint32_t boot_id = 1) {
  CaptureInfo info;
  info.machine_id = machine_id;
  info.boot_id = boot_id;
  info.realtime_offset_ns = 1700000000LL * 1000000000LL;
  info.backend = "tracepoint";
  return info;
}

// Feeds `stream` from `first` to `last` through `pipeline`, flushing every
// `flush_every` records as the capture loop does once a second.
inline void Feed(Pipeline& pipeline, const Stream& stream, size_t first, size_t last,
                 size_t flush_every = 500) {
  for (size_t i = first; i < last && i < stream.size(); ++i) {
    pipeline.OnRawRecord(stream[i].data(), stream[i].size());
    if ((i + 1) % flush_every == 0) pipeline.Flush();
  }
}

}  // namespace provtrace::testing

#endif  // PROVTRACE_TESTS_KAFKA_STREAM_H_
