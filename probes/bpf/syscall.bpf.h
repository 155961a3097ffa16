/* The system call layer every backend has: the handlers the sys_exit
 * raw tracepoint tail-calls (all of them in the tracepoint backend; in the
 * security backends those of the mechanisms no security hook they attach
 * sees), their arguments, and shared memory's flows around them. */

#define PT_AT_FDCWD -100

/* The system call handlers sys_exit tail-calls, and their stages. */
BPF_PROG_ARRAY(pt_sys_handlers, PT_SYS_HANDLER_MAX);

/* The open file behind fd in the task's file table. */
static __always_inline struct file *pt_fd_file(struct task_struct *task, long fd) {
  if (fd < 0) return 0;
  struct files_struct *files = PT_READ(task, files);
  if (!files) return 0;
  struct fdtable *fdt = PT_READ(files, fdt);
  if (!fdt || fd >= PT_READ(fdt, max_fds)) return 0;
  struct file **fds = PT_READ(fdt, fd);
  struct file *file = 0;
  bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
  return file;
}

#define PT_EINPROGRESS 115
#define PT_FICLONE 0x40049409
#define PT_FICLONERANGE 0x4020940d

/* A call's number, result and arguments. */
struct pt_call {
  struct task_struct *task;
  struct pt_regs *regs;
  long nr;
  long ret;
  u64 arg[6]; /* di, si, dx, r10, r8, r9 */
};

static __always_inline void pt_call_get(struct bpf_raw_tracepoint_args *ctx, struct pt_call *c) {
  c->task = (struct task_struct *)bpf_get_current_task();
  c->regs = (struct pt_regs *)ctx->args[0];
  c->ret = (long)ctx->args[1];
  /* r10 to orig_ax lie together in x86-64's pt_regs: one read, not six
   * (helper calls are most of what a call costs here). */
  u64 span[9] = {};
  _Static_assert(PT_SPAN_BYTES(struct pt_regs, r10, orig_ax) <= sizeof(span),
                 "pt_regs r10..orig_ax does not fit the span");
  PT_READ_SPAN(span, c->regs, r10, orig_ax);
  c->nr = PT_SPAN_FIELD(span, struct pt_regs, r10, orig_ax);
  c->arg[0] = PT_SPAN_FIELD(span, struct pt_regs, r10, di);
  c->arg[1] = PT_SPAN_FIELD(span, struct pt_regs, r10, si);
  c->arg[2] = PT_SPAN_FIELD(span, struct pt_regs, r10, dx);
  c->arg[3] = PT_SPAN_FIELD(span, struct pt_regs, r10, r10);
  c->arg[4] = PT_SPAN_FIELD(span, struct pt_regs, r10, r8);
  c->arg[5] = PT_SPAN_FIELD(span, struct pt_regs, r10, r9);
}

#ifdef PT_RESOLVE_NAMES
static __always_inline void pt_remember_names(void *ctx);
#endif

/* ---- shared memory's flows around the handlers (memory.bpf.h) ---- */

/* At the top of a handler that carries data out of the process memory:
 * what the process shares flows into it first (sh_read), in a stage of its
 * own that then runs the handler (`slot`) again. At most once on any path
 * through a handler. */
static __always_inline void pt_shared_first(void *ctx, struct pt_actor *a, u32 slot) {
#ifdef PT_SHARED_AT_ENTRY
  return; /* the security backends: done at sys_enter, before their hooks */
#endif
  if (!a->cst->shared_count) return;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return;
  if (s->shared_first_task == (u64)a->task) {
    s->shared_first_task = 0; /* done: this is the handler's second run */
    return;
  }
  s->shared_return = slot;
  pt_sys_handlers.call(ctx, PT_SYS_SHARED_FIRST);
}

/* At the end of a handler: the process memory flows on into what it
 * shares writable (sh_write) if the handler brought it anything, and the
 * names the handler learnt are remembered. */
static __always_inline void pt_handler_done(void *ctx) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (s && s->shared_after_task == bpf_get_current_task())
    pt_sys_handlers.call(ctx, PT_SYS_SHARED_AFTER);
#ifdef PT_RESOLVE_NAMES
  pt_remember_names(ctx);
#endif
}

int pt_sys_shared_first(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_path_scratch *s = pt_path_scratch();
  struct pt_actor a;
  if (!s || pt_actor_get(ctx, (struct task_struct *)bpf_get_current_task(), &a) != 0) return 0;
  pt_shared_flows(ctx, a.cst, PT_SHARED_READ);
#ifndef PT_SHARED_AT_ENTRY
  s->shared_first_task = (u64)a.task;
  pt_sys_handlers.call(ctx, s->shared_return);
#endif
  return 0;
}

int pt_sys_shared_after(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_path_scratch *s = pt_path_scratch();
  struct pt_actor a;
  if (!s) return 0;
  s->shared_after_task = 0;
  if (pt_actor_get(ctx, (struct task_struct *)bpf_get_current_task(), &a) != 0) return 0;
  pt_shared_flows(ctx, a.cst, PT_SHARED_WRITE);
#ifdef PT_RESOLVE_NAMES
  pt_remember_names(ctx);
#endif
  return 0;
}
