/* io_uring: operations submitted through a ring run without a system call
 * of their own (in the submitter, its SQPOLL thread or an io-wq worker), so
 * no sys_exit sees them. The io_uring_complete raw tracepoint fires once
 * per completion with the request (6.1 and later: (ctx, req, ...)); the
 * request still holds its opcode, its file and its result there, and the
 * task that submitted it (req->task, or req->tctx->task from 6.18 on).
 * The tracepoint backend records every data-moving operation from it as
 * the system call would; the security backends' hooks see reads, writes,
 * opens as they run (file_permission, file_open), and only socket sends
 * and receives and splices (whose pipe side reaches no hook) come from
 * here. Shared memory's flows around a call (memory.bpf.h) are not
 * recorded for operations of a ring. 5.10's request has neither field
 * (its tracepoint passes no request): nothing is compiled, and the
 * program table's entry (not required) says it was not loaded. */
#if PT_HAS_FIELD(io_kiocb, cqe)

/* enum io_uring_op (uapi, stable). */
#define PT_IORING_OP_READV 1
#define PT_IORING_OP_WRITEV 2
#define PT_IORING_OP_READ_FIXED 4
#define PT_IORING_OP_WRITE_FIXED 5
#define PT_IORING_OP_SENDMSG 9
#define PT_IORING_OP_RECVMSG 10
#define PT_IORING_OP_OPENAT 18
#define PT_IORING_OP_READ 22
#define PT_IORING_OP_WRITE 23
#define PT_IORING_OP_SEND 26
#define PT_IORING_OP_RECV 27
#define PT_IORING_OP_OPENAT2 28
#define PT_IORING_OP_SPLICE 30
#define PT_IORING_OP_TEE 33
#define PT_IORING_OP_SEND_ZC 47
#define PT_IORING_OP_SENDMSG_ZC 48
#define PT_IORING_OP_READ_MULTISHOT 49

struct pt_uring_op {
  struct io_kiocb *req;
  struct task_struct *task; /* the submitter */
  struct file *file;
  s32 res;
  u8 opcode;
};

static __always_inline int pt_uring_op_get(struct bpf_raw_tracepoint_args *ctx,
                                           struct pt_uring_op *op) {
  op->req = (struct io_kiocb *)ctx->args[1];
  if (!op->req) return -1; /* an auxiliary completion: no request */
  op->opcode = PT_READ(op->req, opcode);
  op->res = PT_READ(op->req, cqe.res);
  op->file = PT_READ(op->req, file);
#if PT_HAS_FIELD(io_kiocb, task)
  op->task = PT_READ(op->req, task);
#else
  struct io_uring_task *tctx = PT_READ(op->req, tctx);
  op->task = tctx ? PT_READ(tctx, task) : 0;
#endif
  return op->task ? 0 : -1;
}

static __always_inline int pt_uring_is_read(u8 opcode) {
  return opcode == PT_IORING_OP_READV || opcode == PT_IORING_OP_READ_FIXED ||
         opcode == PT_IORING_OP_READ || opcode == PT_IORING_OP_READ_MULTISHOT;
}

static __always_inline int pt_uring_is_write(u8 opcode) {
  return opcode == PT_IORING_OP_WRITEV || opcode == PT_IORING_OP_WRITE_FIXED ||
         opcode == PT_IORING_OP_WRITE;
}

static __always_inline int pt_uring_is_send(u8 opcode) {
  return opcode == PT_IORING_OP_SEND || opcode == PT_IORING_OP_SENDMSG ||
         opcode == PT_IORING_OP_SEND_ZC || opcode == PT_IORING_OP_SENDMSG_ZC;
}

static __always_inline int pt_uring_is_receive(u8 opcode) {
  return opcode == PT_IORING_OP_RECV || opcode == PT_IORING_OP_RECVMSG;
}

RAW_TRACEPOINT_PROBE(io_uring_complete) {
  struct pt_uring_op op;
  if (pt_uring_op_get(ctx, &op) != 0) return 0;
  if (op.res <= 0 && op.opcode != PT_IORING_OP_OPENAT && op.opcode != PT_IORING_OP_OPENAT2)
    return 0;
  u32 slot = PT_SYS_HANDLER_MAX;
  if (pt_uring_is_send(op.opcode)) slot = PT_SYS_URING_WRITE;
  if (pt_uring_is_receive(op.opcode)) slot = PT_SYS_URING_READ;
#ifdef PT_RESOLVE_NAMES
  /* The tracepoint backend: every operation. */
  if (pt_uring_is_write(op.opcode)) slot = PT_SYS_URING_WRITE;
  if (pt_uring_is_read(op.opcode)) slot = PT_SYS_URING_READ;
  if (op.opcode == PT_IORING_OP_OPENAT || op.opcode == PT_IORING_OP_OPENAT2)
    slot = PT_SYS_URING_OPEN;
#endif
  /* Every backend: a pipe's side of a splice reaches no hook. */
  if (op.opcode == PT_IORING_OP_SPLICE || op.opcode == PT_IORING_OP_TEE) slot = PT_SYS_URING_SPLICE;
  if (slot != PT_SYS_HANDLER_MAX) pt_sys_handlers.call(ctx, slot);
  return 0;
}

/* A read or a receive: the request's file into the submitter. */
int pt_uring_read(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_uring_op op;
  if (pt_uring_op_get(ctx, &op) != 0 || !op.file) return 0;
  pt_on_file_read(ctx, op.task, op.file, -1);
  return 0;
}

/* A write or a send (and a splice's or tee's write side). */
int pt_uring_write(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_uring_op op;
  if (pt_uring_op_get(ctx, &op) != 0 || !op.file) return 0;
  pt_on_file_write(ctx, op.task, op.file, -1);
  return 0;
}

/* openat, openat2: the file now at the fd the operation returned (an
 * operation that opened into the ring's fixed table returns 0, and that
 * file is not recorded). */
int pt_uring_open(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_uring_op op;
  if (pt_uring_op_get(ctx, &op) != 0 || op.res <= 0) return 0;
  struct file *file = pt_fd_file(op.task, op.res);
  if (file) pt_on_file_open(ctx, op.task, file, PT_READ(file, f_flags));
  return 0;
}

/* splice, tee: the request's file is where the data went (io_splice's
 * first member); where it came from is the fd splice_fd_in. */
int pt_uring_splice(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_uring_op op;
  if (pt_uring_op_get(ctx, &op) != 0) return 0;
  struct io_splice *sp = (struct io_splice *)op.req;
  s32 fd_in = PT_READ(sp, splice_fd_in);
  struct file *in = pt_fd_file(op.task, fd_in);
  if (in) pt_on_file_read(ctx, op.task, in, -1);
  pt_sys_handlers.call(ctx, PT_SYS_URING_WRITE);
  return 0;
}

#endif /* PT_HAS_FIELD(io_kiocb, cqe) */
