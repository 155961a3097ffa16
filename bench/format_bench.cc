// Records/s through decode + each output format, single-threaded, from a
// synthetic stream shaped like a real whole-system capture (task versions,
// opens, reads and memory writes dominate), into /dev/null and into a
// zstd file; and bytes per record. A benchmark, not a test: it prints.
//
//   format_bench [RECORDS] [DIR]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/pipeline.h"
#include "formats/output.h"
#include "tests/unit/records_for_test.h"

using namespace provtrace;
using namespace provtrace::testing;

namespace {

std::vector<std::vector<uint8_t>> MakeStream(size_t n) {
  std::vector<std::vector<uint8_t>> records;
  records.reserve(n);
  uint64_t id = 100;
  uint32_t version = 0;
  while (records.size() < n) {
    uint64_t task = 17, file = id++, path = id++;
    records.push_back(InodeRecord(file, 0, PT_NODE_FILE, 1000 + file, 0100644));
    records.push_back(PathRecord(path, "/usr/lib/x86_64-linux-gnu/libexample.so." +
                                           std::to_string(file % 97)));
    records.push_back(RelationRecord(PT_REL_NAMED, id++, Ref(path, 0, PT_NODE_PATH),
                                     Ref(file, 0, PT_NODE_FILE)));
    for (int i = 0; i < 6 && records.size() < n; ++i) {
      records.push_back(TaskRecord(task, ++version, 4242, 4242, "cc1"));
      records.push_back(RelationRecord(PT_REL_VERSION_ACTIVITY, id++,
                                       Ref(task, version - 1, PT_NODE_TASK),
                                       Ref(task, version, PT_NODE_TASK)));
      records.push_back(RelationRecord(i % 2 ? PT_REL_READ : PT_REL_OPEN, id++,
                                       Ref(file, 0, PT_NODE_FILE), Ref(task, version, PT_NODE_TASK),
                                       0, i * 4096));
      records.push_back(RelationRecord(PT_REL_MEMORY_WRITE, id++, Ref(task, version, PT_NODE_TASK),
                                       Ref(18, 0, PT_NODE_PROCESS_MEMORY)));
    }
  }
  records.resize(n);
  return records;
}

struct Result {
  double records_per_second;
  uint64_t bytes;
};

Result Run(const std::vector<std::vector<uint8_t>>& stream, formats::Format format,
           const std::string& path, int zstd_level) {
  formats::OutputSpec spec;
  spec.format = format;
  spec.path = path;
  spec.force = true;
  spec.zstd_level = zstd_level;
  std::unique_ptr<formats::Output> out;
  Status s = formats::Output::Open(spec, &out);
  if (!s.ok()) {
    fprintf(stderr, "%s\n", s.ToString().c_str());
    exit(1);
  }
  Pipeline pipeline({out.get()});
  CaptureInfo info;
  info.boot_id = 1;
  info.machine_id = 2;
  auto start = std::chrono::steady_clock::now();
  pipeline.Begin(info);
  size_t i = 0;
  for (const auto& r : stream) {
    pipeline.OnRawRecord(r.data(), r.size());
    if (++i % 100000 == 0) pipeline.Flush();  // as the capture loop does
  }
  pipeline.End();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {stream.size() / seconds, out->bytes_written()};
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::stoul(argv[1]) : 2000000;
  std::string dir = argc > 2 ? argv[2] : "/tmp";
  std::vector<std::vector<uint8_t>> stream = MakeStream(n);
  size_t wire = 0;
  for (const auto& r : stream) wire += r.size();
  printf("%zu records, %.1f wire bytes/record\n\n", n, static_cast<double>(wire) / n);
  printf("%-11s %14s %14s %12s %12s %8s\n", "format", "rec/s null", "rec/s .zst", "B/rec",
         "B/rec .zst", "ratio");
  const formats::Format formats[] = {formats::Format::kRaw,      formats::Format::kJson,
                                     formats::Format::kText,     formats::Format::kProvJson,
                                     formats::Format::kSpadeJson, formats::Format::kDot};
  for (formats::Format f : formats) {
    size_t count = f == formats::Format::kDot ? std::min<size_t>(n, 200000) : n;
    std::vector<std::vector<uint8_t>> part(stream.begin(), stream.begin() + count);
    std::string file = dir + "/format_bench.out";
    Result plain = Run(part, f, file, 0);
    Result zst = Run(part, f, file + ".zst", formats::kDefaultZstdLevel);
    unlink(file.c_str());
    unlink((file + ".zst").c_str());
    printf("%-11s %14.0f %14.0f %12.1f %12.1f %7.1fx%s\n",
           std::string(formats::FormatName(f)).c_str(), plain.records_per_second,
           zst.records_per_second, static_cast<double>(plain.bytes) / count,
           static_cast<double>(zst.bytes) / count,
           static_cast<double>(plain.bytes) / static_cast<double>(zst.bytes),
           count < n ? "  (dot: first 200000)" : "");
  }
  return 0;
}
