// Graphviz DOT: tasks as boxes, entities as ellipses, the machine as a
// house; relations as labelled edges, version edges dashed. The graph is
// built with Graphviz's cgraph library and written whole at the end of the
// capture (DOT is for small captures).
#ifndef PROVTRACE_FORMATS_DOT_H_
#define PROVTRACE_FORMATS_DOT_H_

#include <memory>

#include "core/sink.h"
#include "formats/byte_sink.h"

namespace provtrace::formats {

std::unique_ptr<RecordSink> NewDotWriter(ByteSink* out);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_DOT_H_
