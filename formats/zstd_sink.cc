#include "formats/zstd_sink.h"

#include <zstd.h>

#include <string>

namespace provtrace::formats {
namespace {

class ZstdSink : public ByteSink {
 public:
  // The inner sink's units are this sink's frames: a file cut after a
  // failed write ends with a whole frame.
  ZstdSink(std::unique_ptr<ByteSink> inner, ZSTD_CCtx* cctx)
      : inner_(std::move(inner)), cctx_(cctx), out_(ZSTD_CStreamOutSize(), '\0') {
    inner_->MarkOnlyWhenAsked();
  }
  ~ZstdSink() override {
    Close();
    ZSTD_freeCCtx(cctx_);
  }

  // One call is one unit (a record): a frame may end after it.
  Status Write(std::string_view bytes) override {
    if (closed_) return IoError("write after close");
    if (bytes.empty()) return Status::Ok();
    frame_open_ = true;
    PT_RETURN_IF_ERROR(Compress(bytes, ZSTD_e_continue));
    if (frame_.size() >= kMaxZstdFrameBytes) return EndFrame();
    return Status::Ok();
  }

  Status Flush() override {
    if (closed_) return Status::Ok();
    PT_RETURN_IF_ERROR(EndFrame());
    return inner_->Flush();
  }

  Status Close() override {
    if (closed_) return Status::Ok();
    Status s = Flush();
    closed_ = true;
    Status c = inner_->Close();
    return s.ok() ? c : s;
  }

  // Compressed bytes, including those of the frame not yet ended: what
  // will reach the disk (rotation counts these).
  uint64_t bytes_written() const override { return inner_->bytes_written() + frame_.size(); }

 private:
  // The frame, whole, to the inner sink. Before this, zstd's blocks went
  // out as they filled, and a reader of a live file (zstdcat) met a frame
  // cut short at its end.
  Status EndFrame() {
    if (!frame_open_) return Status::Ok();
    PT_RETURN_IF_ERROR(Compress({}, ZSTD_e_end));
    frame_open_ = false;
    Status s = inner_->Write(frame_);
    frame_.clear();
    inner_->Mark();
    return s;
  }

  Status Compress(std::string_view bytes, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in = {bytes.data(), bytes.size(), 0};
    while (true) {
      ZSTD_outBuffer out = {&out_[0], out_.size(), 0};
      size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(left)) {
        return Status(StatusCode::kInternal,
                      std::string("zstd compression failed: ") + ZSTD_getErrorName(left));
      }
      frame_.append(out_.data(), out.pos);
      bool done = mode == ZSTD_e_continue ? in.pos == in.size : left == 0;
      if (done) return Status::Ok();
    }
  }

  std::unique_ptr<ByteSink> inner_;
  ZSTD_CCtx* cctx_;
  std::string out_;
  std::string frame_;  // the open frame's compressed bytes
  bool frame_open_ = false;
  bool closed_ = false;
};

}  // namespace

Status NewZstdSink(std::unique_ptr<ByteSink> inner, int level, std::unique_ptr<ByteSink>* sink) {
  if (level < 1 || level > ZSTD_maxCLevel()) {
    return InvalidArgument("zstd level " + std::to_string(level) + " is out of range (1.." +
                           std::to_string(ZSTD_maxCLevel()) + ")");
  }
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (cctx == nullptr) return InternalError("cannot create a zstd context");
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  // Each frame carries a checksum of its content: zstd -t and a replay
  // find a damaged one.
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  *sink = std::make_unique<ZstdSink>(std::move(inner), cctx);
  return Status::Ok();
}

}  // namespace provtrace::formats
