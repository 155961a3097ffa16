#include "probes/ring_transport.h"

#include <bcc/libbpf.h>
#include <errno.h>

#include <cstring>
#include <string>

namespace provtrace::probes {

int RingTransport::OnSample(void* ctx, void* data, size_t size) {
  static_cast<RingTransport*>(ctx)->handler_->OnRawRecord(data, size);
  return 0;
}

Status RingTransport::Open(int map_fd, RecordHandler* handler,
                           std::unique_ptr<RingTransport>* out) {
  std::unique_ptr<RingTransport> transport(new RingTransport());
  transport->handler_ = handler;
  void* ring = bpf_new_ringbuf(map_fd, &RingTransport::OnSample, transport.get());
  if (ring == nullptr) {
    return Status(StatusCode::kUnsupported,
                  std::string("cannot open the BPF ring buffer: ") + strerror(errno),
                  "use --transport=perf");
  }
  transport->ring_ = static_cast<ring_buffer*>(ring);
  *out = std::move(transport);
  return Status::Ok();
}

RingTransport::~RingTransport() {
  if (ring_ != nullptr) bpf_free_ringbuf(ring_);
}

Status RingTransport::Poll(int timeout_ms) {
  int rc = bpf_poll_ringbuf(ring_, timeout_ms);
  if (rc < 0 && rc != -EINTR) {
    return IoError(std::string("reading the ring buffer failed: ") + strerror(-rc));
  }
  // Records short of a wakeup batch wait in the ring: fetch them. And
  // after any wakeup, read the ring to its end, so the stream can go out in
  // time order up to now (the reorder window's watermark).
  if (rc > 0 || drain_timer_.Due()) return Drain();
  return Status::Ok();
}

Status RingTransport::Drain() {
  uint64_t started = BootTimeNs();
  bpf_consume_ringbuf(ring_);
  handler_->OnDrained(WatermarkBefore(started));
  return Status::Ok();
}

}  // namespace provtrace::probes
