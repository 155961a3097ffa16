// Records from the kernel through one BPF ring buffer (--transport=ring),
// read with BCC's C API (its C++ API has no ring buffer class). A ring
// buffer reports no losses itself: the BPF side counts what it could not
// hand over, and the capture loop turns those counts into Lost records.
#ifndef PROVTRACE_PROBES_RING_TRANSPORT_H_
#define PROVTRACE_PROBES_RING_TRANSPORT_H_

#include <memory>

#include "core/source.h"
#include "core/status.h"
#include "probes/drain_timer.h"

struct ring_buffer;

namespace provtrace::probes {

class RingTransport : public RecordSource {
 public:
  static Status Open(int map_fd, RecordHandler* handler, std::unique_ptr<RingTransport>* out);
  ~RingTransport() override;

  Status Poll(int timeout_ms) override;
  Status Drain() override;

 private:
  static int OnSample(void* ctx, void* data, size_t size);

  RecordHandler* handler_ = nullptr;
  DrainTimer drain_timer_;
  ring_buffer* ring_ = nullptr;
};

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_RING_TRANSPORT_H_
