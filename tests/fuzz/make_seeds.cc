// Writes seed captures for the fuzzer: real records in the capture format.
#include <cstdio>
#include <fstream>

#include "core/pipeline.h"
#include "formats/capture_writer.h"
#include "tests/unit/records_for_test.h"
#include "tests/unit/string_sink.h"

int main(int argc, char** argv) {
  using namespace provtrace;
  using namespace provtrace::testing;
  if (argc != 2) return 2;
  formats::StringSink sink;
  auto writer = formats::NewCaptureWriter(&sink);
  Pipeline pipeline({writer.get()});
  CaptureInfo info;
  info.backend = "tracepoint";
  pipeline.Begin(info);
  for (const auto& r :
       {TaskRecord(17, 0, 1, 1, "init"), ProcRecord(18, 0, 1, 0),
        InodeRecord(19, 0, PT_NODE_FILE, 42, 0100644), PathRecord(20, "/etc/passwd"),
        StringsRecord(21, PT_NODE_ARGV, {"cat", "/etc/passwd"}),
        RelationRecord(PT_REL_NAMED, 22, Ref(20, 0, PT_NODE_PATH), Ref(19, 0, PT_NODE_FILE)),
        RelationRecord(PT_REL_READ, 23, Ref(19, 0, PT_NODE_FILE), Ref(17, 0, PT_NODE_TASK), 0,
                       7)}) {
    pipeline.OnRawRecord(r.data(), r.size());
  }
  Lost lost;
  lost.count = 3;
  pipeline.OnLost(lost);
  pipeline.End();
  std::ofstream(argv[1], std::ios::binary) << sink.data;
  return 0;
}
