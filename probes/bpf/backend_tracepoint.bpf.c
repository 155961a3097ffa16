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

RAW_TRACEPOINT_PROBE(sched_process_exit) {
  pt_on_exit(ctx, (struct task_struct *)ctx->args[0]);
  return 0;
}

RAW_TRACEPOINT_PROBE(sched_process_free) {
  pt_on_task_free((struct task_struct *)ctx->args[0]);
  return 0;
}

/* close(2), at its entry, while fd still names the file: a socket goes
 * with its file's last reference, a pipe with the last reference of the
 * last of its files, and this backend has no inode free hook to see them
 * go (their inodes are freed, and the addresses reused, then). A
 * tracepoint of close's own, syscalls:sys_enter_close, so that no other
 * system call pays for it. Files on file systems are not freed here (their
 * inodes outlive the file), nor sockets and pipes still open when their
 * process exits (the LRU map bounds those). */
struct pt_sys_enter_close_ctx {
  u64 common;
  s32 nr;
  u32 pad;
  u64 fd;
};

#define PT_SOCKFS_MAGIC 0x534F434B
#define PT_PIPEFS_MAGIC 0x50495045

/* How many references the file has. */
static __always_inline long pt_file_refs(struct file *file) {
#if PT_HAS_FIELD(file, f_ref)
  /* file_ref_t (6.13): 0 is one reference. */
  return PT_READ(file, f_ref.refcnt.counter) + 1;
#else
  return PT_READ(file, f_count.counter);
#endif
}

int pt_sys_enter_close(struct pt_sys_enter_close_ctx *ctx) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct file *file = pt_fd_file(task, (long)(int)ctx->fd);
  if (!file || pt_file_refs(file) != 1) return 0;
  struct inode *inode = PT_READ(file, f_inode);
  struct super_block *sb = inode ? PT_READ(inode, i_sb) : 0;
  if (!sb) return 0;
  unsigned long magic = PT_READ(sb, s_magic);
  if (magic == PT_PIPEFS_MAGIC) {
    /* A FIFO's inode is on its file system, not on pipefs. */
    struct pipe_inode_info *pipe = PT_READ(inode, i_pipe);
    if (!pipe || PT_READ(pipe, files) != 1) return 0;
  } else if (magic != PT_SOCKFS_MAGIC) {
    return 0;
  }
  pt_on_inode_free(ctx, inode);
  return 0;
}

RAW_TRACEPOINT_PROBE(sys_exit) {
  long ret = (long)ctx->args[1];
  struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
  long nr;
  if (ret < 0 && ret > -4096) {
    /* Failed; but a non-blocking connect has begun. */
    if (ret != -PT_EINPROGRESS) return 0;
    nr = PT_READ(regs, orig_ax);
    if (nr != PT_NR_connect) return 0;
  } else {
    nr = PT_READ(regs, orig_ax);
  }
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
    case PT_NR_ioctl: {
      /* Only a reflink clone: file to file. */
      u64 cmd = PT_READ(regs, si);
      if (cmd != PT_FICLONE && cmd != PT_FICLONERANGE) return 0;
      handler = PT_SYS_COPY;
      break;
    }
    case PT_NR_sendfile:
    case PT_NR_splice:
    case PT_NR_copy_file_range:
    case PT_NR_tee:
    case PT_NR_vmsplice:
      handler = PT_SYS_COPY;
      break;
    case PT_NR_mknod:
    case PT_NR_mknodat:
      handler = PT_SYS_MKDIR;
      break;
    case PT_NR_socket:
    case PT_NR_socketpair:
      handler = PT_SYS_SOCKET;
      break;
    case PT_NR_accept:
    case PT_NR_accept4:
      handler = PT_SYS_ACCEPT;
      break;
    case PT_NR_bind:
    case PT_NR_connect:
    case PT_NR_listen:
      handler = PT_SYS_SOCKET_OP;
      break;
    case PT_NR_sendto:
    case PT_NR_sendmsg:
    case PT_NR_sendmmsg:
      handler = PT_SYS_SEND;
      break;
    case PT_NR_recvfrom:
    case PT_NR_recvmsg:
    case PT_NR_recvmmsg:
      handler = PT_SYS_RECEIVE;
      break;
    case PT_NR_shmat:
    case PT_NR_shmdt:
    case PT_NR_munmap:
      handler = PT_SYS_SHM;
      break;
    case PT_NR_msgsnd:
    case PT_NR_msgrcv:
    case PT_NR_mq_timedsend:
    case PT_NR_mq_timedreceive:
      handler = PT_SYS_MSG;
      break;
    case PT_NR_process_vm_readv:
    case PT_NR_process_vm_writev:
    case PT_NR_ptrace:
      handler = PT_SYS_PROCESS_VM;
      break;
    case PT_NR_symlink:
    case PT_NR_symlinkat:
      handler = PT_SYS_SYMLINK;
      break;
    case PT_NR_readlink:
    case PT_NR_readlinkat:
      handler = PT_SYS_READLINK;
      break;
    case PT_NR_setxattr:
    case PT_NR_lsetxattr:
    case PT_NR_fsetxattr:
    case PT_NR_getxattr:
    case PT_NR_lgetxattr:
    case PT_NR_fgetxattr:
    case PT_NR_removexattr:
    case PT_NR_lremovexattr:
    case PT_NR_fremovexattr:
    case PT_NR_setxattrat:
    case PT_NR_getxattrat:
    case PT_NR_removexattrat:
      handler = PT_SYS_XATTR;
      break;
    default:
      return 0;
  }
  pt_sys_handlers.call(ctx, handler);
  return 0;
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
  pt_handler_done(ctx);
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
    pt_handler_done(ctx);
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
  int at = c.nr == PT_NR_mkdirat || c.nr == PT_NR_mknodat;
  pt_resolve(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD, at ? c.arg[1] : c.arg[0],
             PT_NAME_PRESENT, PT_SYS_MKDIR_RESOLVED);
  return 0;
}

/* The entry is made in the parent directory; the new directory (found in
 * the dentry cache, where mkdir just put it) is named. mknod likewise, for
 * the node it made (a FIFO, a socket, a device). */
int pt_sys_mkdir_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int at = c.nr == PT_NR_mkdirat || c.nr == PT_NR_mknodat;
  long dirfd = at ? (long)(int)c.arg[0] : PT_AT_FDCWD;
  u64 path = at ? c.arg[1] : c.arg[0];
  u64 mode = at ? c.arg[2] : c.arg[1];
  if (c.nr == PT_NR_mkdir || c.nr == PT_NR_mkdirat)
    mode |= 0040000; /* S_IFDIR */
  else if (!(mode & 0170000))
    mode |= 0100000; /* mknod's default: S_IFREG */
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
    pt_handler_done(ctx);
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

/* ---- symbolic links and extended attributes (files.bpf.h) ---- */

/* symlink(target, path), symlinkat(target, dirfd, path): the new link is
 * named, found in the dentry cache where the call just put it. */
static __always_inline void pt_symlink_args(struct pt_call *c, long *dirfd, u64 *path) {
  int at = c->nr == PT_NR_symlinkat;
  *dirfd = at ? (long)(int)c->arg[1] : PT_AT_FDCWD;
  *path = at ? c->arg[2] : c->arg[1];
}

int pt_sys_symlink(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  pt_shared_first(ctx, &a, PT_SYS_SYMLINK);
  long dirfd;
  u64 path;
  pt_symlink_args(&c, &dirfd, &path);
  pt_resolve(ctx, s, c.task, dirfd, path, PT_NAME_PRESENT, PT_SYS_SYMLINK_RESOLVED);
  return 0;
}

int pt_sys_symlink_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  long dirfd;
  u64 path;
  pt_symlink_args(&c, &dirfd, &path);
  struct pt_resolution r;
  int found = pt_resolved(s, &r);
  if (!r.dir) {
    struct pt_node_ref unknown;
    if (pt_unknown_path(ctx, s, c.task, dirfd, path, 1, &unknown) == 0)
      pt_generates_to_path(ctx, PT_REL_INODE_CREATE, &a, &unknown, 0120777);
    return 0;
  }
  struct pt_inode_state *lst = pt_on_symlink(ctx, &a, r.dir, found == 0 ? r.inode : 0);
  if (lst) pt_name_by_path(ctx, s, c.task, dirfd, path, r.inode, lst);
  return 0;
}

/* readlink(path, buf, size), readlinkat(dirfd, path, buf, size). Links in
 * /proc (a process's exe, cwd, fds) are the kernel's, not files': left
 * out. */
static __always_inline void pt_readlink_args(struct pt_call *c, long *dirfd, u64 *path) {
  int at = c->nr == PT_NR_readlinkat;
  *dirfd = at ? (long)(int)c->arg[0] : PT_AT_FDCWD;
  *path = at ? c->arg[1] : c->arg[0];
}

int pt_sys_readlink(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  long dirfd;
  u64 path;
  pt_readlink_args(&c, &dirfd, &path);
  char head[6] = {};
  bpf_probe_read_user(head, sizeof(head), (void *)path);
  if (head[0] == '/' && head[1] == 'p' && head[2] == 'r' && head[3] == 'o' && head[4] == 'c' &&
      head[5] == '/')
    return 0;
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  pt_resolve(ctx, s, c.task, dirfd, path, PT_NAME_PRESENT, PT_SYS_READLINK_RESOLVED);
  return 0;
}

int pt_sys_readlink_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct pt_resolution r;
  if (pt_resolved(s, &r) == 0) {
    pt_on_read_link(ctx, &a, r.inode);
    pt_handler_done(ctx);
    return 0;
  }
  long dirfd;
  u64 path;
  pt_readlink_args(&c, &dirfd, &path);
  struct pt_node_ref unknown;
  if (pt_unknown_path(ctx, s, c.task, dirfd, path, 0, &unknown) == 0) {
    pt_relate_from_ref(ctx, PT_REL_READ_LINK, &unknown, PT_END_TASK(a.tst, c.task), 0);
    pt_relate(ctx, PT_REL_MEMORY_WRITE, PT_END_TASK(a.tst, c.task), PT_END_PROC(a.cst), 0, -1);
  }
  return 0;
}

#define PT_AT_EMPTY_PATH 0x1000

/* The *xattr calls: by fd (f*), by path ([l]*), or (6.13 on) *xattrat
 * (dirfd, path, at_flags, ...), by dirfd alone with AT_EMPTY_PATH. */
static __always_inline u16 pt_xattr_type(long nr) {
  if (nr == PT_NR_setxattr || nr == PT_NR_lsetxattr || nr == PT_NR_fsetxattr ||
      nr == PT_NR_setxattrat)
    return PT_REL_SETXATTR;
  if (nr == PT_NR_removexattr || nr == PT_NR_lremovexattr || nr == PT_NR_fremovexattr ||
      nr == PT_NR_removexattrat)
    return PT_REL_REMOVEXATTR;
  return PT_REL_GETXATTR;
}

static __always_inline int pt_xattr_at(long nr) {
  return nr == PT_NR_setxattrat || nr == PT_NR_getxattrat || nr == PT_NR_removexattrat;
}

int pt_sys_xattr(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  u16 type = pt_xattr_type(c.nr);
  if (type == PT_REL_SETXATTR) pt_shared_first(ctx, &a, PT_SYS_XATTR);
  int by_fd = c.nr == PT_NR_fsetxattr || c.nr == PT_NR_fgetxattr || c.nr == PT_NR_fremovexattr;
  if (pt_xattr_at(c.nr) && (c.arg[2] & PT_AT_EMPTY_PATH)) {
    char first = 0;
    bpf_probe_read_user(&first, 1, (void *)c.arg[1]);
    by_fd = first == 0;
  }
  if (by_fd) {
    struct inode *inode = 0;
    struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
    struct pt_inode_state *ist = file ? pt_file_inode(ctx, file, &inode) : 0;
    if (!ist) return 0;
    pt_on_xattr(ctx, &a, inode, type);
    pt_handler_done(ctx);
    return 0;
  }
  int at = pt_xattr_at(c.nr);
  pt_resolve(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD, at ? c.arg[1] : c.arg[0],
             PT_NAME_PRESENT, PT_SYS_XATTR_RESOLVED);
  return 0;
}

int pt_sys_xattr_resolved(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  u16 type = pt_xattr_type(c.nr);
  struct pt_resolution r;
  if (pt_resolved(s, &r) == 0) {
    pt_on_xattr(ctx, &a, r.inode, type);
    pt_handler_done(ctx);
    return 0;
  }
  int at = pt_xattr_at(c.nr);
  struct pt_node_ref unknown;
  if (pt_unknown_path(ctx, s, c.task, at ? (long)(int)c.arg[0] : PT_AT_FDCWD,
                      at ? c.arg[1] : c.arg[0], 0, &unknown) != 0)
    return 0;
  if (type == PT_REL_GETXATTR) {
    pt_relate_from_ref(ctx, type, &unknown, PT_END_TASK(a.tst, c.task), 0);
    pt_relate(ctx, PT_REL_MEMORY_WRITE, PT_END_TASK(a.tst, c.task), PT_END_PROC(a.cst), 0, -1);
  } else {
    pt_generates_to_path(ctx, type, &a, &unknown, 0);
  }
  return 0;
}
