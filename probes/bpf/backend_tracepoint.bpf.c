/* Tracepoint backend: raw tracepoints, which every BTF kernel allows. Task
 * life comes from the scheduler's tracepoints; everything else from the
 * exit of system calls (only successful calls are recorded). sys_exit
 * dispatches to one tail-called program per kind of call, so each stays
 * small for the verifier and unrelated calls cost one lookup. The
 * arguments are read from the task's saved registers, which system calls
 * do not modify. */

RAW_TRACEPOINT_PROBE(sched_process_fork) {
  struct task_struct *parent = (struct task_struct *)ctx->args[0];
  struct task_struct *child = (struct task_struct *)ctx->args[1];
  pt_on_clone(ctx, parent, child, pt_shared_clone_flags(parent, child), 0);
  return 0;
}

RAW_TRACEPOINT_PROBE(sched_process_exec) {
  struct task_struct *task = (struct task_struct *)ctx->args[0];
  pt_on_exec(ctx, task, (struct linux_binprm *)ctx->args[2], PT_READ(task, real_cred), 1);
  pt_remember_names(ctx);
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

/* A path node (flagged: inode unknown) for a path argument the backend
 * cannot resolve, for the relation to point at; parent: for the path's
 * directory. Returns 0 with *unknown set when it went out. */
static __always_inline int pt_unknown_path(void *ctx, struct pt_path_scratch *s,
                                           struct task_struct *task, long dirfd, u64 user_path,
                                           int parent, struct pt_node_ref *unknown) {
  unknown->id = 0;
  pt_count(PT_COUNTER_UNRESOLVED);
  struct pt_joined j;
  if (pt_user_path(s, task, dirfd, user_path, &j) != 0) return -1;
  if (parent) {
    j.len = pt_joined_parent(s, j.len);
    if (j.len == 0) j.len = 1; /* "/" */
  }
  int emitted = pt_emit_path(ctx, s, s->joined, 0, j.len, PT_NODE_INODE_UNKNOWN, unknown);
  if (emitted != 0) {
    if (emitted < 0) pt_withhold(); /* the relation to it */
    unknown->id = 0;
    return -1;
  }
  return 0;
}

/* Names inode by the absolute form of a path argument (a new name). */
static __always_inline void pt_name_by_path(void *ctx, struct pt_path_scratch *s,
                                            struct task_struct *task, long dirfd, u64 user_path,
                                            struct inode *inode, struct pt_inode_state *ist) {
  struct pt_joined j;
  if (pt_user_path(s, task, dirfd, user_path, &j) != 0) return;
  pt_inode_name_as(ctx, s, s->joined, 0, j.len, inode, ist, 0, 0);
}

/* An entry under `key` now names inode (its dentry, if known). */
static __always_inline void pt_names_point(struct pt_resolution *r, struct inode *inode,
                                           struct dentry *dentry) {
  if (!r->dir || !r->key || !inode) return;
  pt_names_put(r->key, r->dir, inode, PT_READ(inode, i_ino), (u64)PT_READ(inode, i_sb), dentry);
}

/* For a file the backend could not identify: the relation goes to the
 * path node standing for it. */
static __always_inline void pt_generates_to_path(void *ctx, u16 type, struct pt_actor *a,
                                                 struct pt_node_ref *path, u64 flags) {
  if (!path->id) return;
  pt_relate(ctx, PT_REL_MEMORY_READ, PT_END_PROC(a->cst), PT_END_TASK(a->tst, a->task), 0, -1);
  pt_relate_to_ref(ctx, type, PT_END_TASK(a->tst, a->task), path, flags);
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
  pt_remember_names(ctx);
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
  pt_remember_names(ctx);
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
  pt_remember_names(ctx);
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
  pt_remember_names(ctx);
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

/* ---- path-based calls: each starts a resolution (resolve.bpf.h) of its
 * path and takes its result in a stage of its own ---- */

static __always_inline int pt_setattr_at(struct pt_call *c) {
  return c->nr == PT_NR_fchownat || c->nr == PT_NR_fchmodat || c->nr == PT_NR_fchmodat2 ||
         c->nr == PT_NR_utimensat;
}

int pt_sys_setattr(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  if (c.nr == PT_NR_fchmod || c.nr == PT_NR_fchown || c.nr == PT_NR_ftruncate ||
      (c.nr == PT_NR_utimensat && c.arg[1] == 0)) {
    struct inode *inode = 0;
    struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
    struct pt_inode_state *ist = file ? pt_file_inode(ctx, file, &inode) : 0;
    if (!ist) return 0;
    pt_inode_refresh(ist, inode);
    pt_on_inode_change(ctx, &a, inode, PT_REL_SETATTR);
    pt_remember_names(ctx);
    return 0;
  }
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  int at = pt_setattr_at(&c);
  pt_resolve(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD, at ? c.arg[1] : c.arg[0],
             PT_NAME_PRESENT, PT_SYS_SETATTR_RESOLVED);
  return 0;
}

int pt_sys_setattr_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct pt_resolution r;
  if (pt_resolved(s, &r) == 0) {
    struct pt_inode_state *ist = pt_inode_touch(ctx, r.inode);
    if (!ist) return 0;
    pt_inode_refresh(ist, r.inode);
    pt_on_inode_change(ctx, &a, r.inode, PT_REL_SETATTR);
    return 0;
  }
  int at = pt_setattr_at(&c);
  struct pt_node_ref unknown;
  if (pt_unknown_path(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD,
                      at ? c.arg[1] : c.arg[0], 0, &unknown) == 0)
    pt_generates_to_path(ctx, PT_REL_SETATTR, &a, &unknown, 0);
  return 0;
}

/* The inode lost a name: unlink; and if that was its last, it is gone
 * (no inode free hook here). */
static __always_inline void pt_unlinked(void *ctx, struct pt_actor *a, struct inode *inode) {
  pt_on_inode_change(ctx, a, inode, PT_REL_UNLINK);
  if (PT_READ(inode, i_nlink) == 0) pt_on_inode_free(ctx, inode);
}

int pt_sys_unlink(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int at = c.nr == PT_NR_unlinkat;
  pt_resolve(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD, at ? c.arg[1] : c.arg[0],
             PT_NAME_GONE, PT_SYS_UNLINK_RESOLVED);
  return 0;
}

int pt_sys_unlink_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct pt_resolution r;
  if (pt_resolved(s, &r) != 0) {
    int at = c.nr == PT_NR_unlinkat;
    struct pt_node_ref unknown;
    if (pt_unknown_path(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD,
                        at ? c.arg[1] : c.arg[0], 0, &unknown) == 0)
      pt_generates_to_path(ctx, PT_REL_UNLINK, &a, &unknown, 0);
    return 0;
  }
  if (r.key) pt_names.delete(&r.key);
  pt_unlinked(ctx, &a, r.inode);
  return 0;
}

/* rename(2) family: renameat and renameat2 take (olddirfd, old, newdirfd,
 * new), rename (old, new). */
static __always_inline void pt_rename_args(struct pt_call *c, long *old_dirfd, u64 *old_path,
                                           long *new_dirfd, u64 *new_path) {
  int at = c->nr == PT_NR_renameat || c->nr == PT_NR_renameat2 || c->nr == PT_NR_linkat;
  *old_dirfd = at ? (long)(int)c->arg[0] : PT_AT_FDCWD;
  *old_path = at ? c->arg[1] : c->arg[0];
  *new_dirfd = at ? (long)(int)c->arg[2] : PT_AT_FDCWD;
  *new_path = at ? c->arg[3] : c->arg[1];
}

/* Keeps the resolution just made while another runs. */
static __always_inline void pt_keep_resolution(struct pt_path_scratch *s) {
  struct pt_resolution r;
  s->kept_result = pt_resolved(s, &r);
  s->kept = r;
}

int pt_sys_rename(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  long old_dirfd, new_dirfd;
  u64 old_path, new_path;
  pt_rename_args(&c, &old_dirfd, &old_path, &new_dirfd, &new_path);
  pt_resolve(ctx, s, c.task, old_dirfd, old_path, PT_NAME_GONE, PT_SYS_RENAME_OLD_RESOLVED);
  return 0;
}

int pt_sys_rename_old_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  pt_keep_resolution(s);
  long old_dirfd, new_dirfd;
  u64 old_path, new_path;
  pt_rename_args(&c, &old_dirfd, &old_path, &new_dirfd, &new_path);
  pt_resolve(ctx, s, c.task, new_dirfd, new_path, PT_NAME_GONE, PT_SYS_RENAME_NEW_RESOLVED);
  return 0;
}

/* The old name's inode (moved) gets the new name; the inode the new name
 * had (replaced), if any, loses it, or, with RENAME_EXCHANGE, takes the
 * old name. A directory's entries are keyed by its inode, so its children
 * keep theirs. Three stages: which inodes, the moved one, the replaced
 * one (each small enough for the verifier). */
int pt_sys_rename_new_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct pt_resolution to;
  int new_found = pt_resolved(s, &to);
  struct inode *replaced = new_found == 0 ? to.inode : 0;
  struct inode *moved = s->kept_result == 0 ? s->kept.inode : 0;
  struct dentry *moved_dentry = s->kept_result == 0 ? s->kept.dentry : 0;
  if (!moved && to.dir) {
    /* Never seen under its old name: it is under the new one now, at the
     * head of its directory's children (s->joined holds the new path). */
    struct dentry *child = pt_find_child(s, to.dir_dentry, to.last_start, to.last_len);
    moved = child ? PT_READ(child, d_inode) : 0;
    moved_dentry = child;
  }
  if (moved == replaced) replaced = 0;
  s->rename_moved = (u64)moved;
  s->rename_replaced = (u64)replaced;
  s->rename_replaced_dentry = (u64)to.dentry; /* after an exchange, under the old name */
  if (!moved) {
    long old_dirfd, new_dirfd;
    u64 old_path, new_path;
    pt_rename_args(&c, &old_dirfd, &old_path, &new_dirfd, &new_path);
    struct pt_node_ref unknown;
    if (pt_unknown_path(ctx, s, c.task, old_dirfd, old_path, 0, &unknown) == 0)
      pt_generates_to_path(ctx, PT_REL_RENAME, &a, &unknown, 0);
    return 0;
  }
  if (s->kept.dir && s->kept.key) pt_names.delete(&s->kept.key);
  pt_names_point(&to, moved, moved_dentry);
  pt_sys_handlers.call(ctx, PT_SYS_RENAME_MOVED);
  return 0;
}

int pt_sys_rename_moved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct inode *moved = (struct inode *)s->rename_moved;
  struct pt_inode_state *ist = pt_on_inode_change(ctx, &a, moved, PT_REL_RENAME);
  long old_dirfd, new_dirfd;
  u64 old_path, new_path;
  pt_rename_args(&c, &old_dirfd, &old_path, &new_dirfd, &new_path);
  if (ist) pt_name_by_path(ctx, s, c.task, new_dirfd, new_path, moved, ist);
  if (s->rename_replaced) pt_sys_handlers.call(ctx, PT_SYS_RENAME_REPLACED);
  return 0;
}

int pt_sys_rename_replaced(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct inode *replaced = (struct inode *)s->rename_replaced;
  if (!(c.nr == PT_NR_renameat2 && (c.arg[4] & 2 /* RENAME_EXCHANGE */))) {
    pt_unlinked(ctx, &a, replaced);
    return 0;
  }
  struct pt_inode_state *rst = pt_on_inode_change(ctx, &a, replaced, PT_REL_RENAME);
  struct pt_resolution from = s->kept;
  pt_names_point(&from, replaced, (struct dentry *)s->rename_replaced_dentry);
  long old_dirfd, new_dirfd;
  u64 old_path, new_path;
  pt_rename_args(&c, &old_dirfd, &old_path, &new_dirfd, &new_path);
  if (rst) pt_name_by_path(ctx, s, c.task, old_dirfd, old_path, replaced, rst);
  return 0;
}

/* link: the new name exists now and names the old name's inode; the new
 * name is looked up first (found in the dentry cache, where link just put
 * it), the old one if need be. */
int pt_sys_link(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  long old_dirfd, new_dirfd;
  u64 old_path, new_path;
  pt_rename_args(&c, &old_dirfd, &old_path, &new_dirfd, &new_path);
  pt_resolve(ctx, s, c.task, new_dirfd, new_path, PT_NAME_PRESENT, PT_SYS_LINK_NEW_RESOLVED);
  return 0;
}

static __always_inline void pt_linked(void *ctx, struct pt_path_scratch *s, struct pt_call *c,
                                      struct inode *inode) {
  struct pt_actor a;
  if (pt_actor_get(ctx, c->task, &a) != 0) return;
  long old_dirfd, new_dirfd;
  u64 old_path, new_path;
  pt_rename_args(c, &old_dirfd, &old_path, &new_dirfd, &new_path);
  if (!inode) {
    struct pt_node_ref unknown;
    if (pt_unknown_path(ctx, s, c->task, old_dirfd, old_path, 0, &unknown) == 0)
      pt_generates_to_path(ctx, PT_REL_LINK, &a, &unknown, 0);
    return;
  }
  struct pt_inode_state *ist = pt_on_inode_change(ctx, &a, inode, PT_REL_LINK);
  if (ist) pt_name_by_path(ctx, s, c->task, new_dirfd, new_path, inode, ist);
}

int pt_sys_link_new_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct pt_resolution r;
  if (pt_resolved(s, &r) == 0) {
    pt_linked(ctx, s, &c, r.inode);
    return 0;
  }
  /* Never seen, nor in the dentry cache: the old name, then. */
  pt_keep_resolution(s);
  long old_dirfd, new_dirfd;
  u64 old_path, new_path;
  pt_rename_args(&c, &old_dirfd, &old_path, &new_dirfd, &new_path);
  pt_resolve(ctx, s, c.task, old_dirfd, old_path, PT_NAME_PRESENT, PT_SYS_LINK_OLD_RESOLVED);
  return 0;
}

int pt_sys_link_old_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct pt_resolution r;
  struct inode *inode = pt_resolved(s, &r) == 0 ? r.inode : 0;
  struct pt_resolution new_name = s->kept;
  pt_names_point(&new_name, inode, 0);
  pt_linked(ctx, s, &c, inode);
  return 0;
}

int pt_sys_mkdir(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int at = c.nr == PT_NR_mkdirat;
  pt_resolve(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD, at ? c.arg[1] : c.arg[0],
             PT_NAME_PRESENT, PT_SYS_MKDIR_RESOLVED);
  return 0;
}

/* The entry is made in the parent directory; the new directory (found in
 * the dentry cache, where mkdir just put it) is named. */
int pt_sys_mkdir_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int at = c.nr == PT_NR_mkdirat;
  long dirfd = at ? (long)(int)c.arg[0] : PT_AT_FDCWD;
  u64 path = at ? c.arg[1] : c.arg[0];
  u64 mode = (at ? c.arg[2] : c.arg[1]) | 0040000; /* S_IFDIR */
  struct pt_resolution r;
  int found = pt_resolved(s, &r);
  if (!r.dir) {
    struct pt_node_ref unknown;
    if (pt_unknown_path(ctx, s, c.task, dirfd, path, 1, &unknown) == 0)
      pt_generates_to_path(ctx, PT_REL_INODE_CREATE, &a, &unknown, mode);
    return 0;
  }
  pt_on_inode_create(ctx, &a, r.dir, mode);
  if (found != 0) return 0;
  struct pt_inode_state *ist = pt_inode_create(ctx, r.inode, 0);
  if (ist) pt_name_by_path(ctx, s, c.task, dirfd, path, r.inode, ist);
  return 0;
}

int pt_sys_access(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int at = c.nr != PT_NR_access;
  pt_resolve(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD, at ? c.arg[1] : c.arg[0],
             PT_NAME_PRESENT, PT_SYS_ACCESS_RESOLVED);
  return 0;
}

int pt_sys_access_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int at = c.nr != PT_NR_access;
  u64 mask = at ? c.arg[2] : c.arg[1];
  struct pt_resolution r;
  if (pt_resolved(s, &r) == 0) {
    pt_on_perm_check(ctx, &a, r.inode, mask);
    return 0;
  }
  struct pt_node_ref unknown;
  if (pt_unknown_path(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD,
                      at ? c.arg[1] : c.arg[0], 0, &unknown) == 0) {
    /* path -> task -> process_memory, as for a known inode */
    pt_relate_from_ref(ctx, PT_REL_PERM_CHECK, &unknown, PT_END_TASK(a.tst, c.task), mask);
    pt_relate(ctx, PT_REL_MEMORY_WRITE, PT_END_TASK(a.tst, c.task), PT_END_PROC(a.cst), 0, -1);
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
  pt_remember_names(ctx);
  return 0;
}
