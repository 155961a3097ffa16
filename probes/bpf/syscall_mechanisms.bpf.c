/* Programs every backend has: exec (through the sched_process_exec raw
 * tracepoint and a stage of its own), and the system call handlers of
 * mechanisms the security hooks do not see, which the tracepoint backend
 * uses for everything: reads and writes (the security backends route only
 * vmsplice here), mmap, copies, sockets, IPC, another process's memory. */

RAW_TRACEPOINT_PROBE(sched_process_exec) {
  struct task_struct *task = (struct task_struct *)ctx->args[0];
  u64 old_key;
  struct pt_cred_state *cst = pt_exec_begin(ctx, task, PT_READ(task, real_cred), &old_key);
  struct pt_path_scratch *s = pt_path_scratch();
  if (!cst || !s) return 0;
  /* The rest in a program of its own: with it this one would be more
   * than the verifier takes. */
  s->exec_old_cred = old_key;
  pt_sys_handlers.call(ctx, PT_SYS_EXEC_IMAGE);
  return 0;
}

/* sched_process_exec's (task, pid, bprm), continued. */
int pt_sys_exec_image(struct bpf_raw_tracepoint_args *ctx) {
  struct task_struct *task = (struct task_struct *)ctx->args[0];
  struct pt_path_scratch *s = pt_path_scratch();
  struct pt_actor a;
  if (!s || pt_actor_get(ctx, task, &a) != 0) return 0;
  u64 old_key = s->exec_old_cred;
  s->exec_old_cred = 0;
  pt_exec_image(ctx, task, (struct linux_binprm *)ctx->args[2], a.cst);
  if (old_key) pt_exec_end(ctx, task, old_key);
  pt_handler_done(ctx);
  return 0;
}

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
  pt_handler_done(ctx);
  return 0;
}

int pt_sys_write(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  if (c.ret <= 0) return 0;
  struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
  if (!file) return 0;
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  pt_shared_first(ctx, &a, PT_SYS_WRITE);
  s64 offset = PT_READ(file, f_pos) - c.ret;
  if (c.nr == PT_NR_pwrite64 || c.nr == PT_NR_pwritev ||
      (c.nr == PT_NR_pwritev2 && (s64)c.arg[3] != -1))
    offset = (s64)c.arg[3];
  pt_on_file_write_by(ctx, &a, file, offset);
  pt_handler_done(ctx);
  return 0;
}

/* mmap(addr, len, prot, flags, fd, off): a file mapped (the tracepoint
 * backend; the others have the mmap_file hook), or shared anonymous
 * memory. */
int pt_sys_mmap(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  u64 flags = c.arg[3];
  u64 type = flags & 0x0f;
  int shared = type == 0x01 || type == 0x03; /* MAP_SHARED[_VALIDATE] */
  if (flags & 0x20) {                        /* MAP_ANONYMOUS */
    if (shared) pt_on_mmap_anonymous(ctx, c.task, c.arg[2], (u64)c.ret);
    return 0;
  }
  struct file *file = pt_fd_file(c.task, (int)c.arg[4]);
  if (!file) return 0;
#ifdef PT_RESOLVE_NAMES
  pt_on_mmap(ctx, c.task, file, c.arg[2], shared, (u64)c.ret);
#else
  /* The mmap_file hook recorded it; where it is mapped, for munmap. */
  struct pt_actor a;
  struct inode *inode = PT_READ(file, f_inode);
  if (!shared || !inode || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  u8 access = PT_SHARED_READ | (c.arg[2] & PT_PROT_WRITE ? PT_SHARED_WRITE : 0);
  pt_shared_add(a.cst, PT_SHARED_INODE, pt_inode_key(inode), (u64)c.ret, access);
#endif
  pt_handler_done(ctx);
  return 0;
}

/* The files a copying call reads (in) and writes (out). */
static __always_inline void pt_copy_fds(struct pt_call *c, long *in_fd, long *out_fd) {
  *in_fd = (long)(int)c->arg[0];
  *out_fd = (long)(int)c->arg[2];
  if (c->nr == PT_NR_sendfile) {
    *in_fd = (long)(int)c->arg[1];
    *out_fd = (long)(int)c->arg[0];
  } else if (c->nr == PT_NR_tee) {
    *out_fd = (long)(int)c->arg[1];
  } else if (c->nr == PT_NR_ioctl) {
    /* ioctl(dest, FICLONE, src) or (dest, FICLONERANGE, &range), where the
     * range begins with the source's fd. */
    *out_fd = (long)(int)c->arg[0];
    *in_fd = (long)(int)c->arg[2];
    if (c->arg[1] == PT_FICLONERANGE) {
      s64 src = -1;
      bpf_probe_read_user(&src, sizeof(src), (void *)c->arg[2]);
      *in_fd = (long)(int)src;
    }
  }
}

/* sendfile, splice, copy_file_range, tee, reflink clones: the kernel
 * reads one file and writes the other, as a read followed by a write would
 * (the write in a stage of its own, PT_SYS_COPY_WRITE: either side may be a
 * socket, and both in one program are too much for the verifier).
 * vmsplice moves memory into a pipe (its write end) or out of one. */
int pt_sys_copy(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  if (c.ret <= 0 && c.nr != PT_NR_ioctl) return 0;
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  if (c.nr == PT_NR_vmsplice) {
    /* vmsplice(fd, iov, n, flags): a write, or a read, of fd (as the
     * write and read handlers take it). */
    struct file *pipe = pt_fd_file(c.task, (int)c.arg[0]);
    if (pipe)
      pt_sys_handlers.call(
          ctx, PT_READ(pipe, f_mode) & 0x2 /* FMODE_WRITE */ ? PT_SYS_WRITE : PT_SYS_READ);
    return 0;
  }
  pt_shared_first(ctx, &a, PT_SYS_COPY);
  long in_fd, out_fd;
  pt_copy_fds(&c, &in_fd, &out_fd);
  struct file *in = pt_fd_file(c.task, in_fd);
  struct file *out = pt_fd_file(c.task, out_fd);
  if (!in || !out) return 0;
  pt_on_file_read_by(ctx, &a, in, -1);
  pt_sys_handlers.call(ctx, PT_SYS_COPY_WRITE);
  return 0;
}

int pt_sys_copy_write(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  long in_fd, out_fd;
  pt_copy_fds(&c, &in_fd, &out_fd);
  struct file *out = pt_fd_file(c.task, out_fd);
  if (!out) return 0;
  pt_on_file_write_by(ctx, &a, out, -1);
  pt_handler_done(ctx);
  return 0;
}

/* ---- sockets (sockets.bpf.h) ---- */

/* The socket behind fd, with its state; NULL for any other file. */
static __always_inline struct pt_inode_state *pt_fd_socket(void *ctx, struct task_struct *task,
                                                           long fd, struct file **file,
                                                           struct inode **inode) {
  *file = pt_fd_file(task, (int)fd);
  if (!*file) return 0;
  struct pt_inode_state *ist = pt_file_inode(ctx, *file, inode);
  return ist && ist->prov.node_type == PT_NODE_SOCKET ? ist : 0;
}

/* socket, socketpair: the new sockets. */
int pt_sys_socket(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int sv[2] = {(int)c.ret, -1};
  if (c.nr == PT_NR_socketpair) bpf_probe_read_user(sv, sizeof(sv), (void *)c.arg[3]);
#pragma clang loop unroll(disable)
  for (int i = 0; i < 2; i++) {
    struct file *file = sv[i & 1] >= 0 ? pt_fd_file(c.task, sv[i & 1]) : 0;
    if (file) pt_on_socket_new(ctx, &a, file, PT_REL_SOCKET_CREATE);
  }
  return 0;
}

/* accept, accept4: the connection's socket. */
int pt_sys_accept(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct file *file = pt_fd_file(c.task, (int)c.ret);
  if (file) pt_on_socket_new(ctx, &a, file, PT_REL_ACCEPT);
  pt_handler_done(ctx);
  return 0;
}

/* bind(fd, addr, len), connect(fd, addr, len), listen(fd, backlog). */
int pt_sys_socket_op(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
  if (!file || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  u16 type = c.nr == PT_NR_bind      ? PT_REL_BIND
             : c.nr == PT_NR_connect ? PT_REL_CONNECT
                                     : PT_REL_LISTEN;
  if (type != PT_REL_LISTEN) pt_on_socket_address(ctx, file, type, c.arg[1], (u32)c.arg[2]);
  pt_sys_handlers.call(ctx, PT_SYS_SOCKET_OP_DONE);
  return 0;
}

int pt_sys_socket_op_done(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
  if (!file || pt_actor_get(ctx, c.task, &a) != 0) return 0;
  u16 type = c.nr == PT_NR_bind      ? PT_REL_BIND
             : c.nr == PT_NR_connect ? PT_REL_CONNECT
                                     : PT_REL_LISTEN;
  pt_on_socket_op(ctx, &a, file, type);
  return 0;
}

/* The address a msghdr names (msg_name, msg_namelen: its first members,
 * and an mmsghdr's first message's). */
struct pt_user_msghdr_name {
  u64 name;
  u32 namelen;
};

/* sendto(fd, buf, len, flags, dest, dest_len), sendmsg(fd, msg, flags),
 * sendmmsg(fd, msgs, n, flags). */
int pt_sys_send(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  if (c.ret <= 0) return 0;
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  pt_shared_first(ctx, &a, PT_SYS_SEND);
  struct file *file;
  struct inode *inode;
  struct pt_inode_state *ist = pt_fd_socket(ctx, c.task, c.arg[0], &file, &inode);
  if (!ist) return 0;
  struct pt_user_msghdr_name to = {};
  if (c.nr == PT_NR_sendto) {
    to.name = c.arg[4];
    to.namelen = (u32)c.arg[5];
  } else {
    bpf_probe_read_user(&to, 12, (void *)c.arg[1]);
  }
  pt_on_socket_send(ctx, &a, file, inode, ist, to.name, to.namelen);
  pt_handler_done(ctx);
  return 0;
}

/* recvfrom(fd, buf, len, flags, src, &src_len), recvmsg, recvmmsg: the
 * sender's address as the call filled it in. */
int pt_sys_receive(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  if (c.ret <= 0) return 0;
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  struct file *file;
  struct inode *inode;
  struct pt_inode_state *ist = pt_fd_socket(ctx, c.task, c.arg[0], &file, &inode);
  if (!ist) return 0;
  struct pt_user_msghdr_name from = {};
  if (c.nr == PT_NR_recvfrom) {
    from.name = c.arg[4];
    if (from.name && c.arg[5]) bpf_probe_read_user(&from.namelen, 4, (void *)c.arg[5]);
  } else {
    bpf_probe_read_user(&from, 12, (void *)c.arg[1]);
  }
  if (!from.name) from.namelen = 0;
  pt_on_socket_receive(ctx, &a, file, inode, ist, from.name, from.namelen);
  pt_handler_done(ctx);
  return 0;
}

/* ---- System V and POSIX IPC, shared memory (ipc.bpf.h) ---- */

/* shmat(id, addr, flags) returns where it attached; shmdt(addr) and
 * munmap(addr, len) end a mapping. */
int pt_sys_shm(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  if (c.nr == PT_NR_shmat) {
    pt_on_shm_attach(ctx, &a, (u32)c.arg[0], (u64)c.ret, c.arg[2]);
    pt_handler_done(ctx);
  } else if (a.cst->shared_count) {
    pt_shared_remove(a.cst, c.arg[0]);
  }
  return 0;
}

/* msgsnd(id, msg, size, flags), msgrcv(id, msg, size, type, flags),
 * mq_timedsend(fd, ...), mq_timedreceive(fd, ...). */
int pt_sys_msg(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  int send = c.nr == PT_NR_msgsnd || c.nr == PT_NR_mq_timedsend;
  if (send) pt_shared_first(ctx, &a, PT_SYS_MSG);
  if (c.nr == PT_NR_msgsnd || c.nr == PT_NR_msgrcv) {
    pt_on_msg_queue(ctx, &a, (u32)c.arg[0], send);
  } else {
    struct file *file = pt_fd_file(c.task, (int)c.arg[0]);
    if (!file) return 0;
    pt_on_mqueue(ctx, &a, file, send);
  }
  pt_handler_done(ctx);
  return 0;
}

/* ---- another process's memory (access.bpf.h) ---- */

#define PT_PTRACE_PEEKTEXT 1
#define PT_PTRACE_PEEKUSR 3
#define PT_PTRACE_POKETEXT 4
#define PT_PTRACE_POKEUSR 6
#define PT_PTRACE_GETREGS 12
#define PT_PTRACE_SETREGS 13
#define PT_PTRACE_GETREGSET 0x4204
#define PT_PTRACE_SETREGSET 0x4205

/* process_vm_readv/writev(pid, ...); ptrace(request, pid, addr, data):
 * its peeks read the other's memory, its pokes write it. */
int pt_sys_process_vm(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  u32 pid = (u32)c.arg[0];
  int write = c.nr == PT_NR_process_vm_writev;
  if (c.nr == PT_NR_ptrace) {
    u64 request = c.arg[0];
    pid = (u32)c.arg[1];
    if ((request >= PT_PTRACE_PEEKTEXT && request <= PT_PTRACE_PEEKUSR) ||
        request == PT_PTRACE_GETREGS || request == PT_PTRACE_GETREGSET)
      write = 0;
    else if ((request >= PT_PTRACE_POKETEXT && request <= PT_PTRACE_POKEUSR) ||
             request == PT_PTRACE_SETREGS || request == PT_PTRACE_SETREGSET)
      write = 1;
    else
      return 0;
  } else if (c.ret <= 0) {
    return 0;
  }
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) != 0) return 0;
  if (write) pt_shared_first(ctx, &a, PT_SYS_PROCESS_VM);
  pt_on_process_access(ctx, &a, pid, write);
  pt_handler_done(ctx);
  return 0;
}

/* ---- what a security hook left for its call's exit ---- */

#ifdef PT_SHARED_AT_ENTRY
/* read, pread64, readv, preadv, preadv2 of /proc/PID/mem: recorded by
 * the hook (file_permission) before it read anything, and again now. The
 * other memory may take what the read then gives while the call sleeps (a
 * fault in the other process), so the version it has at the call's exit
 * is the one read, as the tracepoint backend records it. */
int pt_sys_proc_read(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_call c;
  pt_call_get(ctx, &c);
  if (c.ret <= 0) return 0;
  struct file *file = pt_fd_file(c.task, (long)(int)c.arg[0]);
  struct inode *inode = file ? PT_READ(file, f_inode) : 0;
  if (!inode || !pt_is_proc_mem(file, inode)) return 0;
  struct pt_actor a;
  if (pt_actor_get(ctx, c.task, &a) == 0) pt_on_proc_mem(ctx, &a, file, 0, 0);
  return 0;
}
#endif

/* symlink (the new link, now there, and its name), getxattr,
 * removexattr: the operation a hook saw before it was done, now that it
 * succeeded. */
int pt_sys_hook_done(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  if (s->pending_task != (u64)task) return 0;
  s->pending_task = 0;
  struct dentry *dentry = (struct dentry *)s->pending_dentry;
  struct inode *inode = dentry ? PT_READ(dentry, d_inode) : 0;
  struct pt_actor a;
  if (!inode || pt_actor_get(ctx, task, &a) != 0) return 0;
  if (s->pending_type != PT_REL_SYMLINK) {
    pt_on_xattr(ctx, &a, inode, s->pending_type);
    pt_handler_done(ctx);
    return 0;
  }
  struct pt_inode_state *lst = pt_on_symlink(ctx, &a, (struct inode *)s->pending_dir, inode);
  struct vfsmount *mnt = pt_mnt_for_dentry(task, dentry);
  if (!lst || !mnt) return 0;
  u32 start = pt_walk_path(s, mnt, dentry);
  pt_inode_name_as(ctx, s, s->walk, start, PT_PATH_MAX - start, inode, lst, 0, 0);
  return 0;
}
