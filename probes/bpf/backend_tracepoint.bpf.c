/* Tracepoint backend: raw tracepoints, which every BTF kernel allows. Task
 * life comes from the scheduler's tracepoints; everything else from the
 * exit of system calls (only successful calls are recorded). sys_exit
 * dispatches to one tail-called program per kind of call, so each stays
 * small for the verifier and unrelated calls cost one lookup. The
 * arguments are read from the task's saved registers, which system calls
 * do not modify. */

#define PT_AT_FDCWD -100

BPF_PROG_ARRAY(pt_sys_handlers, PT_SYS_HANDLER_MAX);

RAW_TRACEPOINT_PROBE(sched_process_fork) {
  struct task_struct *parent = (struct task_struct *)ctx->args[0];
  struct task_struct *child = (struct task_struct *)ctx->args[1];
  pt_on_clone(ctx, parent, child, pt_shared_clone_flags(parent, child), 0);
  return 0;
}

RAW_TRACEPOINT_PROBE(sched_process_exec) {
  struct task_struct *task = (struct task_struct *)ctx->args[0];
  pt_on_exec(ctx, task, (struct linux_binprm *)ctx->args[2], PT_READ(task, real_cred), 1);
  return 0;
}

RAW_TRACEPOINT_PROBE(sched_process_exit) {
  pt_on_exit(ctx, (struct task_struct *)ctx->args[0]);
  return 0;
}

RAW_TRACEPOINT_PROBE(sched_process_free) {
  pt_on_task_free((struct task_struct *)ctx->args[0]);
  return 0;
}

RAW_TRACEPOINT_PROBE(sys_exit) {
  long ret = (long)ctx->args[1];
  if (ret < 0 && ret > -4096) return 0; /* failed */
  struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
  long nr = PT_READ(regs, orig_ax);
  u32 handler;
  switch (nr) {
    case PT_NR_read:
    case PT_NR_pread64:
    case PT_NR_readv:
    case PT_NR_preadv:
    case PT_NR_preadv2:
      handler = PT_SYS_READ;
      break;
    case PT_NR_write:
    case PT_NR_pwrite64:
    case PT_NR_writev:
    case PT_NR_pwritev:
    case PT_NR_pwritev2:
      handler = PT_SYS_WRITE;
      break;
    case PT_NR_open:
    case PT_NR_openat:
    case PT_NR_creat:
    case PT_NR_openat2:
      handler = PT_SYS_OPEN;
      break;
    case PT_NR_mmap:
      handler = PT_SYS_MMAP;
      break;
    case PT_NR_setuid:
    case PT_NR_setreuid:
    case PT_NR_setresuid:
    case PT_NR_setfsuid:
    case PT_NR_setgid:
    case PT_NR_setregid:
    case PT_NR_setresgid:
    case PT_NR_setfsgid:
      handler = PT_SYS_SETID;
      break;
    case PT_NR_truncate:
    case PT_NR_ftruncate:
    case PT_NR_chmod:
    case PT_NR_fchmod:
    case PT_NR_chown:
    case PT_NR_fchown:
    case PT_NR_lchown:
    case PT_NR_fchownat:
    case PT_NR_fchmodat:
    case PT_NR_fchmodat2:
    case PT_NR_utimensat:
      handler = PT_SYS_SETATTR;
      break;
    case PT_NR_unlink:
    case PT_NR_unlinkat:
    case PT_NR_rmdir:
      handler = PT_SYS_UNLINK;
      break;
    case PT_NR_rename:
    case PT_NR_renameat:
    case PT_NR_renameat2:
      handler = PT_SYS_RENAME;
      break;
    case PT_NR_link:
    case PT_NR_linkat:
      handler = PT_SYS_LINK;
      break;
    case PT_NR_mkdir:
    case PT_NR_mkdirat:
      handler = PT_SYS_MKDIR;
      break;
    case PT_NR_access:
    case PT_NR_faccessat:
    case PT_NR_faccessat2:
      handler = PT_SYS_ACCESS;
      break;
    case PT_NR_sendfile:
    case PT_NR_splice:
    case PT_NR_copy_file_range:
      handler = PT_SYS_COPY;
      break;
    default:
      return 0;
  }
  pt_sys_handlers.call(ctx, handler);
  return 0;
}

/* ---- helpers for the handlers ---- */

struct pt_call {
  struct task_struct *task;
  struct pt_regs *regs;
  long nr;
  long ret;
  u64 arg[5]; /* di, si, dx, r10, r8 */
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
}

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

/* The absolute path of a path argument, in s->joined: relative to dirfd
 * (or the working directory for AT_FDCWD). */
static __always_inline int pt_user_path(struct pt_path_scratch *s, struct task_struct *task,
                                        long dirfd, u64 user_path, struct pt_joined *j) {
  char first = 0;
  if (bpf_probe_read_user(&first, 1, (void *)user_path) != 0) return -1;
  u32 base = PT_PATH_MAX - 1;
  if (first != '/') {
    struct vfsmount *mnt = 0;
    struct dentry *dentry = 0;
    if ((int)dirfd == PT_AT_FDCWD) {
      struct fs_struct *fs = PT_READ(task, fs);
      if (!fs) return -1;
      mnt = PT_READ(fs, pwd.mnt);
      dentry = PT_READ(fs, pwd.dentry);
    } else {
      struct file *dir = pt_fd_file(task, (int)dirfd);
      if (!dir) return -1;
      mnt = PT_READ(dir, f_path.mnt);
      dentry = PT_READ(dir, f_path.dentry);
    }
    if (!mnt || !dentry) return -1;
    base = pt_walk_path(s, mnt, dentry);
  }
  return pt_join_user_path(s, base, (const char *)user_path, j);
}

/* The inode a path argument names, if it is known; else emits a path node
 * (flagged: inode unknown) for the relation to point at. */
static __always_inline struct inode *pt_path_inode(void *ctx, struct pt_path_scratch *s,
                                                   struct pt_joined *j,
                                                   struct pt_node_ref *unknown) {
  struct inode *inode = pt_names_lookup(s, s->joined, 0, j->len);
  if (inode) return inode;
  pt_count(PT_COUNTER_UNRESOLVED);
  unknown->id = 0;
  pt_emit_path(ctx, s, s->joined, 0, j->len, PT_NODE_INODE_UNKNOWN, unknown);
  return 0;
}

/* For a file the backend could not identify: the relation goes to the
 * path node standing for it. */
static __always_inline void pt_generates_to_path(void *ctx, u16 type, struct pt_actor *a,
                                                 struct pt_node_ref *path, u64 flags) {
  if (!path->id) return;
  pt_relate(ctx, PT_REL_MEMORY_READ, &a->cst->prov, &a->tst->prov, a->task, PT_OBJ_TASK, 0, -1);
  pt_relate_to_ref(ctx, type, &a->tst->prov, path, flags);
}

/* ---- the handlers ---- */

int pt_sys_read(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  if (c.ret <= 0) return 0;
  struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
  if (!file) return 0;
  s64 offset = PT_READ(file, f_pos) - c.ret;
  if (c.nr == PT_NR_pread64 || c.nr == PT_NR_preadv ||
      (c.nr == PT_NR_preadv2 && (s64)c.arg[3] != -1))
    offset = (s64)c.arg[3];
  pt_on_file_read(ctx, c.task, file, offset);
  return 0;
}

int pt_sys_write(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  if (c.ret <= 0) return 0;
  struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
  if (!file) return 0;
  s64 offset = PT_READ(file, f_pos) - c.ret;
  if (c.nr == PT_NR_pwrite64 || c.nr == PT_NR_pwritev ||
      (c.nr == PT_NR_pwritev2 && (s64)c.arg[3] != -1))
    offset = (s64)c.arg[3];
  pt_on_file_write(ctx, c.task, file, offset);
  return 0;
}

int pt_sys_open(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct file *file = pt_fd_file(c.task, (int)c.ret);
  if (!file) return 0;
  u64 flags = 0;
  if (c.nr == PT_NR_open)
    flags = c.arg[1];
  else if (c.nr == PT_NR_openat)
    flags = c.arg[2];
  else if (c.nr == PT_NR_creat)
    flags = 01 | 0100 | 01000; /* O_WRONLY | O_CREAT | O_TRUNC */
  else
    bpf_probe_read_user(&flags, sizeof(flags), (void *)c.arg[2]); /* open_how.flags */
  pt_on_file_open(ctx, c.task, file, flags);
  return 0;
}

int pt_sys_mmap(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  u64 flags = c.arg[3];
  if (flags & 0x20) return 0; /* MAP_ANONYMOUS */
  struct file *file = pt_fd_file(c.task, (int)c.arg[4]);
  if (!file) return 0;
  u64 type = flags & 0x0f;
  pt_on_mmap(ctx, c.task, file, c.arg[2], type == 0x01 || type == 0x03 /* MAP_SHARED[_VALIDATE] */);
  return 0;
}

int pt_sys_setid(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  int gid = c.nr == PT_NR_setgid || c.nr == PT_NR_setregid || c.nr == PT_NR_setresgid ||
            c.nr == PT_NR_setfsgid;
  pt_on_setid(ctx, c.task, PT_READ(c.task, real_cred), gid ? PT_REL_SETGID : PT_REL_SETUID);
  return 0;
}

int pt_sys_setattr(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct inode *inode = 0;
  if (c.nr == PT_NR_fchmod || c.nr == PT_NR_fchown || c.nr == PT_NR_ftruncate ||
      (c.nr == PT_NR_utimensat && c.arg[1] == 0)) {
    struct inode *fd_inode;
    struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
    if (!file || !pt_file_inode(ctx, file, &fd_inode)) return 0;
    pt_on_inode_change(ctx, &a, fd_inode, PT_REL_SETATTR);
    return 0;
  }
  long dirfd = PT_AT_FDCWD;
  u64 path = c.arg[0];
  if (c.nr == PT_NR_fchownat || c.nr == PT_NR_fchmodat || c.nr == PT_NR_fchmodat2 ||
      c.nr == PT_NR_utimensat) {
    dirfd = (long)(int)c.arg[0];
    path = c.arg[1];
  }
  struct pt_path_scratch *s = pt_path_scratch();
  struct pt_joined j;
  if (!s || pt_user_path(s, c.task, dirfd, path, &j) != 0) return 0;
  struct pt_node_ref unknown;
  inode = pt_path_inode(ctx, s, &j, &unknown);
  if (inode)
    pt_on_inode_change(ctx, &a, inode, PT_REL_SETATTR);
  else
    pt_generates_to_path(ctx, PT_REL_SETATTR, &a, &unknown, 0);
  return 0;
}

int pt_sys_unlink(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  long dirfd = c.nr == PT_NR_unlinkat ? (long)(int)c.arg[0] : PT_AT_FDCWD;
  u64 path = c.nr == PT_NR_unlinkat ? c.arg[1] : c.arg[0];
  struct pt_path_scratch *s = pt_path_scratch();
  struct pt_joined j;
  if (!s || pt_user_path(s, c.task, dirfd, path, &j) != 0) return 0;
  struct pt_node_ref unknown;
  struct inode *inode = pt_path_inode(ctx, s, &j, &unknown);
  if (!inode) {
    pt_generates_to_path(ctx, PT_REL_UNLINK, &a, &unknown, 0);
    return 0;
  }
  pt_on_inode_change(ctx, &a, inode, PT_REL_UNLINK);
  pt_names_forget(s, s->joined, 0, j.len);
  /* No inode free hook here: the last link gone is the end of the file. */
  if (PT_READ(inode, i_nlink) == 0) pt_on_inode_free(ctx, inode);
  return 0;
}

/* rename and link: the inode at the old path gets the new one as a name. */
static __always_inline void pt_sys_new_name(struct bpf_raw_tracepoint_args *ctx, u16 type) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return;
  int at = c.nr == PT_NR_renameat || c.nr == PT_NR_renameat2 || c.nr == PT_NR_linkat;
  long old_dirfd = at ? (long)(int)c.arg[0] : PT_AT_FDCWD;
  u64 old_path = at ? c.arg[1] : c.arg[0];
  long new_dirfd = at ? (long)(int)c.arg[2] : PT_AT_FDCWD;
  u64 new_path = at ? c.arg[3] : c.arg[1];
  struct pt_path_scratch *s = pt_path_scratch();
  struct pt_joined j;
  if (!s || pt_user_path(s, c.task, old_dirfd, old_path, &j) != 0) return;
  struct pt_node_ref unknown;
  struct inode *inode = pt_path_inode(ctx, s, &j, &unknown);
  if (!inode) {
    pt_generates_to_path(ctx, type, &a, &unknown, 0);
    return;
  }
  if (type == PT_REL_RENAME) pt_names_forget(s, s->joined, 0, j.len);
  struct pt_inode_state *ist = pt_on_inode_change(ctx, &a, inode, type);
  if (!ist || pt_user_path(s, c.task, new_dirfd, new_path, &j) != 0) return;
  pt_inode_name_as(ctx, s, s->joined, 0, j.len, inode, ist);
}

int pt_sys_rename(struct bpf_raw_tracepoint_args *ctx) {
  pt_sys_new_name(ctx, PT_REL_RENAME);
  return 0;
}

int pt_sys_link(struct bpf_raw_tracepoint_args *ctx) {
  pt_sys_new_name(ctx, PT_REL_LINK);
  return 0;
}

int pt_sys_mkdir(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int at = c.nr == PT_NR_mkdirat;
  long dirfd = at ? (long)(int)c.arg[0] : PT_AT_FDCWD;
  u64 path = at ? c.arg[1] : c.arg[0];
  u64 mode = (at ? c.arg[2] : c.arg[1]) | 0040000; /* S_IFDIR */
  struct pt_path_scratch *s = pt_path_scratch();
  struct pt_joined j;
  if (!s || pt_user_path(s, c.task, dirfd, path, &j) != 0) return 0;
  /* The entry is made in the parent directory. */
  struct pt_joined parent;
  parent.len = pt_joined_parent(s, j.len);
  if (parent.len == 0) parent.len = 1; /* "/" */
  struct pt_node_ref unknown;
  struct inode *dir = pt_path_inode(ctx, s, &parent, &unknown);
  if (dir)
    pt_on_inode_create(ctx, &a, dir, mode);
  else
    pt_generates_to_path(ctx, PT_REL_INODE_CREATE, &a, &unknown, mode);
  return 0;
}

int pt_sys_access(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int at = c.nr != PT_NR_access;
  long dirfd = at ? (long)(int)c.arg[0] : PT_AT_FDCWD;
  u64 path = at ? c.arg[1] : c.arg[0];
  u64 mask = at ? c.arg[2] : c.arg[1];
  struct pt_path_scratch *s = pt_path_scratch();
  struct pt_joined j;
  if (!s || pt_user_path(s, c.task, dirfd, path, &j) != 0) return 0;
  struct pt_node_ref unknown;
  struct inode *inode = pt_path_inode(ctx, s, &j, &unknown);
  if (inode) {
    pt_on_perm_check(ctx, &a, inode, mask);
  } else if (unknown.id) {
    /* path -> task -> process_memory, as for a known inode */
    pt_relate_from_ref(ctx, PT_REL_PERM_CHECK, &unknown, &a.tst->prov, c.task, PT_OBJ_TASK);
    pt_relate(ctx, PT_REL_MEMORY_WRITE, &a.tst->prov, &a.cst->prov, 0, PT_OBJ_PROC, 0, -1);
  }
  return 0;
}

/* sendfile, splice, copy_file_range: the kernel reads one file and writes
 * the other, as a read followed by a write would. */
int pt_sys_copy(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  if (c.ret <= 0) return 0;
  long in_fd = c.nr == PT_NR_sendfile ? (long)(int)c.arg[1] : (long)(int)c.arg[0];
  long out_fd = c.nr == PT_NR_sendfile ? (long)(int)c.arg[0] : (long)(int)c.arg[2];
  struct file *in = pt_fd_file(c.task, in_fd);
  struct file *out = pt_fd_file(c.task, out_fd);
  if (!in || !out) return 0;
  pt_on_file_read(ctx, c.task, in, -1);
  pt_on_file_write(ctx, c.task, out, -1);
  return 0;
}
