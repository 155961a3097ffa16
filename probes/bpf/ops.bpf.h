/* The bodies of the hooks: what each operation records. Backends resolve
 * their arguments (a file from an fd, an inode from a path) and call
 * these. Information flows the CamFlow way: an entity the task uses flows
 * entity -> task -> process_memory (read, then memory_write); what it
 * generates flows process_memory -> task -> entity (memory_read, then
 * write). */

#define PT_FMODE_CREATED 0x100000 /* include/linux/fs.h, unchanged since 4.19 */
#define PT_ARGV_MAX 4096

/* The task doing something, with its process memory. */
struct pt_actor {
  struct task_struct *task;
  struct pt_task_state *tst;
  struct pt_cred_state *cst;
};

static __always_inline int pt_actor_get(void *ctx, struct task_struct *task, struct pt_actor *a) {
  a->task = task;
  a->tst = pt_task_recorded(ctx, task);
  if (!a->tst) return -1;
  a->cst = pt_cred_of(ctx, task, a->tst);
  return a->cst ? 0 : -1;
}

/* entity -> task (type) -> process_memory (memory_write); entity_obj and
 * kind: the entity's object (its inode: PT_OBJ_INODE). Then the memory
 * flows on into what the process shares writable. */
static __always_inline void pt_uses_as(void *ctx, u16 type, struct pt_prov *entity,
                                       void *entity_obj, int kind, struct pt_actor *a, u64 flags,
                                       s64 offset) {
  pt_relate(ctx, type, entity, entity_obj, kind, PT_END_TASK(a->tst, a->task), flags, offset);
  pt_relate(ctx, PT_REL_MEMORY_WRITE, PT_END_TASK(a->tst, a->task), PT_END_PROC(a->cst), 0, -1);
  if (a->cst->shared_count) pt_shared_after(ctx, a->cst);
}

/* process_memory -> task (memory_read) -> entity (type), after what the
 * process shares has flowed into its memory. */
static __always_inline void pt_generates_as(void *ctx, u16 type, struct pt_actor *a,
                                            struct pt_prov *entity, void *entity_obj, int kind,
                                            u64 flags, s64 offset) {
  if (a->cst->shared_count) pt_shared_before(ctx, a->cst);
  pt_relate(ctx, PT_REL_MEMORY_READ, PT_END_PROC(a->cst), PT_END_TASK(a->tst, a->task), 0, -1);
  pt_relate(ctx, type, PT_END_TASK(a->tst, a->task), entity, entity_obj, kind, flags, offset);
}

static __always_inline void pt_uses(void *ctx, u16 type, struct pt_prov *entity, void *entity_obj,
                                    struct pt_actor *a, u64 flags, s64 offset) {
  pt_uses_as(ctx, type, entity, entity_obj, PT_OBJ_INODE, a, flags, offset);
}

static __always_inline void pt_generates(void *ctx, u16 type, struct pt_actor *a,
                                         struct pt_prov *entity, void *entity_obj, u64 flags,
                                         s64 offset) {
  pt_generates_as(ctx, type, a, entity, entity_obj, PT_OBJ_INODE, flags, offset);
}

#define PT_ANON_INODE_MAGIC 0x09041934 /* ANON_INODE_FS_MAGIC */

/* An object behind the kernel's shared anonymous inode (eventfd, epoll,
 * signalfd, timerfd, ...): one node per object (the file's private data),
 * not one for all of them; named as /proc/PID/fd shows it
 * (anon_inode:[eventfd], pt_walk_path). */
static __always_inline struct pt_inode_state *pt_anon_object(struct file *file, struct inode *inode,
                                                             u64 key) {
  struct pt_inode_state *st = pt_inodes.lookup(&key);
  if (st) return st;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct pt_inode_state *fresh = &s->fresh_inode;
  __builtin_memset(fresh, 0, sizeof(*fresh));
  pt_inode_refresh(fresh, inode);
  pt_prov_init(&fresh->prov, PT_NODE_ANON_INODE, PT_PROV_HISTORY_UNKNOWN);
  fresh->ino = PT_READ(inode, i_ino);
  fresh->sb = (u64)PT_READ(inode, i_sb);
  /* Failing with an entry present: another CPU made it first. */
  if (pt_inodes.insert(&key, fresh) != 0 && !pt_inodes.lookup(&key)) {
    pt_count(PT_COUNTER_STATE_FULL);
    return 0;
  }
  return pt_inodes.lookup(&key);
}

/* The inode of an open file, named from the file's path on first touch. */
static __always_inline struct pt_inode_state *pt_file_inode(void *ctx, struct file *file,
                                                            struct inode **inode_out) {
  struct inode *inode = PT_READ(file, f_inode);
  *inode_out = inode;
  if (!inode) return 0;
  struct super_block *sb = PT_READ(inode, i_sb);
  struct pt_inode_state *st;
  struct inode *named = inode;
  if (sb && PT_READ(sb, s_magic) == PT_ANON_INODE_MAGIC && !(PT_READ(inode, i_mode) & 0170000)) {
    /* An odd key: never the address of an inode. */
    u64 key = (u64)PT_READ(file, private_data) | 1;
    st = pt_anon_object(file, inode, key);
    named = (struct inode *)key;
  } else {
    st = pt_inode_touch(ctx, inode);
  }
  /* The flag first: pt_inode_name checks it too, but only after its
   * arguments have been read. */
  if (st && !(st->prov.flags & PT_PROV_NAME_RECORDED))
    pt_inode_name(ctx, named, st, PT_READ(file, f_path.mnt), PT_READ(file, f_path.dentry));
  return st;
}

static __always_inline void pt_on_socket_send(void *ctx, struct pt_actor *a, struct file *file,
                                              struct inode *inode, struct pt_inode_state *ist,
                                              u64 dest, u32 dest_len);
static __always_inline void pt_on_socket_receive(void *ctx, struct pt_actor *a, struct file *file,
                                                 struct inode *inode, struct pt_inode_state *ist,
                                                 u64 src, u32 src_len);
static __always_inline void pt_on_proc_mem(void *ctx, struct pt_actor *a, struct file *file,
                                           struct pt_inode_state *ist, int write);

#define PT_PROC_SUPER_MAGIC 0x9fa0

/* /proc/PID/mem: reads and writes are another process's memory. */
static __always_inline int pt_is_proc_mem(struct file *file, struct inode *inode) {
  struct super_block *sb = PT_READ(inode, i_sb);
  if (!sb || PT_READ(sb, s_magic) != PT_PROC_SUPER_MAGIC) return 0;
  struct dentry *dentry = PT_READ(file, f_path.dentry);
  u32 name = 0;
  if (!dentry || PT_READ(dentry, d_name.len) != 3) return 0;
  bpf_probe_read_kernel(&name, 3, PT_READ(dentry, d_name.name));
  return name == 0x6d656d; /* "mem" */
}

/* A read of an open file: from a socket a receive, from /proc/PID/mem
 * another process's memory, else entity -> task. */
static __always_inline void pt_on_file_read_by(void *ctx, struct pt_actor *a, struct file *file,
                                               s64 offset) {
  struct inode *inode;
  struct pt_inode_state *ist = pt_file_inode(ctx, file, &inode);
  if (!ist) return;
  if (ist->prov.node_type == PT_NODE_SOCKET) {
    pt_on_socket_receive(ctx, a, file, inode, ist, 0, 0);
  } else if (pt_is_proc_mem(file, inode)) {
    pt_on_proc_mem(ctx, a, file, ist, 0);
  } else {
    pt_uses(ctx, PT_REL_READ, &ist->prov, inode, a, 0, offset);
  }
}

static __always_inline void pt_on_file_write_by(void *ctx, struct pt_actor *a, struct file *file,
                                                s64 offset) {
  struct inode *inode;
  struct pt_inode_state *ist = pt_file_inode(ctx, file, &inode);
  if (!ist) return;
  if (ist->prov.node_type == PT_NODE_SOCKET) {
    pt_on_socket_send(ctx, a, file, inode, ist, 0, 0);
  } else if (pt_is_proc_mem(file, inode)) {
    pt_on_proc_mem(ctx, a, file, ist, 1);
  } else {
    pt_generates(ctx, PT_REL_WRITE, a, &ist->prov, inode, 0, offset);
  }
}

static __always_inline void pt_on_file_read(void *ctx, struct task_struct *task, struct file *file,
                                            s64 offset) {
  struct pt_actor a;
  if (pt_actor_get(ctx, task, &a) == 0) pt_on_file_read_by(ctx, &a, file, offset);
}

static __always_inline void pt_on_file_write(void *ctx, struct task_struct *task, struct file *file,
                                             s64 offset) {
  struct pt_actor a;
  if (pt_actor_get(ctx, task, &a) == 0) pt_on_file_write_by(ctx, &a, file, offset);
}

/* A file opened; `created`: the open made it. */
static __always_inline void pt_on_file_open(void *ctx, struct task_struct *task, struct file *file,
                                            u64 open_flags) {
  struct pt_actor a;
  if (pt_actor_get(ctx, task, &a) != 0) return;
  struct inode *inode = PT_READ(file, f_inode);
  if (!inode) return;
  struct vfsmount *mnt = PT_READ(file, f_path.mnt);
  struct dentry *dentry = PT_READ(file, f_path.dentry);
  struct pt_inode_state *ist;
  if (PT_READ(file, f_mode) & PT_FMODE_CREATED) {
    /* inode_create goes to the directory the file was made in. */
    struct dentry *parent = dentry ? PT_READ(dentry, d_parent) : 0;
    struct inode *dir = parent ? PT_READ(parent, d_inode) : 0;
    struct pt_inode_state *dst = pt_inode_touch(ctx, dir);
    if (dst) {
      pt_inode_name(ctx, dir, dst, mnt, parent);
      pt_generates(ctx, PT_REL_INODE_CREATE, &a, &dst->prov, dir, PT_READ(inode, i_mode), -1);
    }
    ist = pt_inode_create(ctx, inode, 0);
  } else {
    ist = pt_inode_touch(ctx, inode);
  }
  if (!ist) return;
  pt_inode_name(ctx, inode, ist, mnt, dentry);
  pt_uses(ctx, PT_REL_OPEN, &ist->prov, inode, &a, open_flags, -1);
}

#define PT_PROT_READ 0x1
#define PT_PROT_WRITE 0x2

/* A file mapped (addr: where, 0 if not known yet); mapped shared, it joins
 * what the process shares (a writable mapping carries flows both ways). */
static __always_inline void pt_on_mmap(void *ctx, struct task_struct *task, struct file *file,
                                       u64 prot, int shared, u64 addr) {
  struct pt_actor a;
  if (pt_actor_get(ctx, task, &a) != 0) return;
  struct inode *inode;
  struct pt_inode_state *ist = pt_file_inode(ctx, file, &inode);
  if (!ist) return;
  pt_uses(ctx, shared ? PT_REL_MMAP : PT_REL_MMAP_PRIVATE, &ist->prov, inode, &a, prot, -1);
  if (shared) {
    u8 access = PT_SHARED_READ | (prot & PT_PROT_WRITE ? PT_SHARED_WRITE : 0);
    u64 key = pt_inode_key(inode);
    pt_shared_add(a.cst, PT_SHARED_INODE, key, addr, access);
  }
}

/* A directory entry made in dir (mkdir, mknod, ...). */
static __always_inline void pt_on_inode_create(void *ctx, struct pt_actor *a, struct inode *dir,
                                               u64 mode) {
  struct pt_inode_state *dst = pt_inode_touch(ctx, dir);
  if (dst) pt_generates(ctx, PT_REL_INODE_CREATE, a, &dst->prov, dir, mode, -1);
}

/* setattr, unlink, rename, link: the task changes the inode. */
static __always_inline struct pt_inode_state *pt_on_inode_change(void *ctx, struct pt_actor *a,
                                                                 struct inode *inode, u16 type) {
  struct pt_inode_state *ist = pt_inode_touch(ctx, inode);
  if (ist) pt_generates(ctx, type, a, &ist->prov, inode, 0, -1);
  return ist;
}

/* An access check on the inode (access(2), inode_permission). */
static __always_inline void pt_on_perm_check(void *ctx, struct pt_actor *a, struct inode *inode,
                                             u64 mask) {
  struct pt_inode_state *ist = pt_inode_touch(ctx, inode);
  if (ist) pt_uses(ctx, PT_REL_PERM_CHECK, &ist->prov, inode, a, mask, -1);
}

/* The inode is gone (freed, or its last link removed). */
static __always_inline void pt_on_inode_free(void *ctx, struct inode *inode) {
  u64 key = pt_inode_key(inode);
  struct pt_inode_state *ist = pt_inodes.lookup(&key);
  if (!ist) return;
  pt_new_version(ctx, &ist->prov, inode, PT_OBJ_INODE, PT_REL_FREE);
  pt_inodes.delete(&key);
}

/* ---- tasks and process memory ---- */

static __always_inline void pt_on_clone(void *ctx, struct task_struct *parent,
                                        struct task_struct *child, u64 clone_flags, int pending) {
  struct pt_task_state *pst = pt_task_touch(ctx, parent);
  if (!pst) return;
  struct pt_task_state cst = {};
  pt_prov_init(&cst.prov, PT_NODE_TASK, pst->prov.flags & (PT_PROV_IGNORED | PT_PROV_AWAIT_EXEC));
  int recorded = !(cst.prov.flags & (PT_PROV_IGNORED | PT_PROV_AWAIT_EXEC));
  cst.tid = PT_READ(child, pid);
  const struct cred *child_cred = PT_READ(child, real_cred);
  cst.cred = (u64)child_cred;
  struct pt_cred_state *pcred = recorded ? pt_cred_of(ctx, parent, pst) : 0;
  if (pcred)
    pt_relate(ctx, PT_REL_MEMORY_READ, PT_END_PROC(pcred), PT_END_TASK(pst, parent), 0, -1);
  if (pending) {
    /* The child has no pid yet, so its node would say nothing: the clone
     * relation waits for its first hook with one (pt_complete_clone), from
     * the parent's version now. */
    cst.prov.flags |= PT_PROV_NODE_PENDING;
    struct pt_node_ref from;
    pt_ref(&pst->prov, &from);
    if (recorded && pt_describe(ctx, PT_END_TASK(pst, parent), &from) == 0) {
      cst.clone_from_id = from.id;
      cst.clone_from_version = from.version;
      cst.clone_flags = clone_flags;
      cst.clone_parent_cred = pst->cred;
      if (!(pst->prov.flags & PT_PROV_HAS_OUTGOING))
        __sync_fetch_and_or(&pst->prov.flags, PT_PROV_HAS_OUTGOING);
    }
  }
  u64 key = (u64)child;
  if (pt_tasks.update(&key, &cst) != 0) {
    pt_count(PT_COUNTER_STATE_FULL);
    return;
  }
  struct pt_task_state *child_st = pt_tasks.lookup(&key);
  if (!child_st || !recorded || pending) return;
  pt_relate(ctx, PT_REL_CLONE, PT_END_TASK(pst, parent), PT_END_TASK(child_st, child), clone_flags,
            -1);
  /* A new process (not a thread) gets its own process memory, copied. */
  if (pcred && (u64)child_cred != pst->cred) {
    struct pt_cred_state *ccred = pt_cred_create(ctx, child, child_cred, 0);
    if (ccred) {
      /* It shares what its parent's memory shared (fork keeps shared
       * mappings). */
      if (pcred->shared_count) pt_shared_copy(ccred, pcred);
      pt_relate(ctx, PT_REL_CLONE_MEM, PT_END_TASK(pst, parent), PT_END_PROC(ccred), 0, -1);
    }
  }
}

/* A task a security hook saw before it had a pid, now seen with one: its
 * clone relation, and the process memory a new process gets. */
static __always_inline void pt_complete_clone(void *ctx, struct task_struct *task,
                                              struct pt_task_state *st) {
  if (!st->clone_from_id) return;
  struct pt_node_ref from = {};
  from.id = st->clone_from_id;
  from.version = st->clone_from_version;
  from.type = PT_NODE_TASK;
  st->clone_from_id = 0;
  pt_relate_from_ref(ctx, PT_REL_CLONE, &from, PT_END_TASK(st, task), st->clone_flags);
  const struct cred *cred = PT_READ(task, real_cred);
  if ((u64)cred == st->clone_parent_cred) return;
  struct pt_cred_state *ccred = pt_cred_create(ctx, task, cred, 0);
  if (!ccred) return;
  st->cred = (u64)cred;
  u64 parent_key = st->clone_parent_cred;
  struct pt_cred_state *pcred = parent_key ? pt_creds.lookup(&parent_key) : 0;
  if (pcred && pcred->shared_count) pt_shared_copy(ccred, pcred);
  pt_relate_from_ref(ctx, PT_REL_CLONE_MEM, &from, PT_END_PROC(ccred), 0);
}

/* Strings (argv or envp) from the new program's memory. */
struct pt_strings_scratch {
  struct pt_strings_node node;
  /* Twice the largest record, for the verifier's bounds. */
  char data[2 * PT_ARGV_MAX];
};
BPF_PERCPU_ARRAY(pt_strings_scratch_map, struct pt_strings_scratch, 1);

/* Emits the strings node of s->data[0, len) and relates it to cst. */
static __always_inline void pt_emit_strings(void *ctx, struct pt_strings_scratch *s, u16 type,
                                            u32 len, u32 count, struct pt_cred_state *cst) {
  PT_BARRIER_VAR(len);
  len &= PT_ARGV_MAX * 2 - 1;
  if (len == 0 || len > PT_ARGV_MAX) return;
  struct pt_node_ref ref = {};
  ref.id = pt_new_id();
  ref.type = type;
  u32 size = sizeof(struct pt_strings_node) + len;
  pt_header(&s->node.node.hdr, PT_KIND_NODE, size, type, 0);
  s->node.node.id = ref.id;
  s->node.node.version = 0;
  s->node.len = len;
  s->node.count = count;
  if (pt_emit(ctx, &s->node, size) != 0) {
    pt_withhold(); /* its arg relation */
    return;
  }
  pt_relate_from_ref(ctx, PT_REL_ARG, &ref, PT_END_PROC(cst), 0);
}

static __always_inline struct pt_strings_scratch *pt_strings_scratch(void) {
  int zero = 0;
  return pt_strings_scratch_map.lookup(&zero);
}

/* Strings between mm's bounds (once the loader has set them). */
static __always_inline void pt_record_strings(void *ctx, u16 type, u64 start, u64 end, u32 count,
                                              struct pt_cred_state *cst) {
  struct pt_strings_scratch *s = pt_strings_scratch();
  if (!s || end <= start) return;
  u64 len = end - start;
  if (len > PT_ARGV_MAX) len = PT_ARGV_MAX;
  PT_BARRIER_VAR(len);
  len &= PT_ARGV_MAX * 2 - 1;
  if (len == 0 || len > PT_ARGV_MAX) return;
  if (bpf_probe_read_user(s->data, len, (void *)start) != 0) return;
  pt_emit_strings(ctx, s, type, (u32)len, count, cst);
}

static __always_inline void pt_record_mm_strings(void *ctx, struct task_struct *task,
                                                 struct linux_binprm *bprm,
                                                 struct pt_cred_state *cst,
                                                 struct pt_config *config) {
  struct mm_struct *mm = PT_READ(task, mm);
  if (!mm) return;
  pt_record_strings(ctx, PT_NODE_ARGV, PT_READ(mm, arg_start), PT_READ(mm, arg_end),
                    PT_READ(bprm, argc), cst);
  if (config && config->record_envp)
    pt_record_strings(ctx, PT_NODE_ENVP, PT_READ(mm, env_start), PT_READ(mm, env_end),
                      PT_READ(bprm, envc), cst);
}

/* An exec (at sched_process_exec, in every backend) in three parts, run
 * as two programs (one would be more than the verifier takes). The first: the
 * task's new version and its new process memory `cred`; returns its state
 * (NULL: nothing more to record) and, in *old_key, the process memory it
 * leaves (0: none). */
static __always_inline struct pt_cred_state *pt_exec_begin(void *ctx, struct task_struct *task,
                                                           const struct cred *cred, u64 *old_key) {
  *old_key = 0;
  struct pt_task_state *tst = pt_task_touch(ctx, task);
  if (!tst) return 0;
  struct pt_config *config = pt_config_get();
  if ((tst->prov.flags & PT_PROV_IGNORED) && config && config->cgroup_id &&
      PT_READ(task, tgid) != config->self_tgid && pt_task_in_cgroup(task, config->cgroup_id)) {
    /* Moved into the scoped cgroup since it was first seen (as container
     * runtimes do before exec'ing the container's command). */
    __sync_fetch_and_or(&tst->prov.flags, PT_PROV_HISTORY_UNKNOWN);
    __sync_fetch_and_and(&tst->prov.flags, ~PT_PROV_IGNORED);
  }
  if (tst->prov.flags & PT_PROV_IGNORED) return 0;
  if (tst->prov.flags & PT_PROV_AWAIT_EXEC) {
    /* A scope root starts here: its node (history unknown), then its exec. */
    __sync_fetch_and_or(&tst->prov.flags, PT_PROV_HISTORY_UNKNOWN);
    __sync_fetch_and_and(&tst->prov.flags, ~PT_PROV_AWAIT_EXEC);
  }
  u64 previous = tst->cred;
  if (!cred) return 0;
  struct pt_cred_state *old = (u64)cred != previous ? pt_cred_previous(task, previous) : 0;
  /* A new task version: its name and program changed. */
  pt_new_version(ctx, &tst->prov, task, PT_OBJ_TASK, PT_REL_VERSION_ACTIVITY);
  struct pt_cred_state *cst = pt_cred_create(ctx, task, cred, 0);
  if (!cst) return 0;
  tst->cred = (u64)cred;
  if (old) {
    pt_relate(ctx, PT_REL_MEMORY_READ, PT_END_PROC(old), PT_END_TASK(tst, task), 0, -1);
    *old_key = previous;
  }
  pt_relate(ctx, PT_REL_EXEC_TASK, PT_END_TASK(tst, task), PT_END_PROC(cst), 0, -1);
  return cst;
}

/* The second: the program's file -> the new process memory (exec), and
 * one path node naming both (names first, then the exec); then argv and
 * envp, from the new memory (the loader has set their bounds by now). */
static __always_inline void pt_exec_image(void *ctx, struct task_struct *task,
                                          struct linux_binprm *bprm, struct pt_cred_state *cst) {
  struct file *file = PT_READ(bprm, file);
  struct inode *inode = file ? PT_READ(file, f_inode) : 0;
  struct pt_inode_state *ist = pt_inode_touch(ctx, inode);
  struct pt_path_scratch *s = pt_path_scratch();
  struct vfsmount *mnt = file ? PT_READ(file, f_path.mnt) : 0;
  struct dentry *dentry = file ? PT_READ(file, f_path.dentry) : 0;
  if (s && mnt && dentry) {
    u32 start = pt_walk_path(s, mnt, dentry);
    u32 len = PT_PATH_MAX - start;
    struct pt_node_ref path;
    int emitted = pt_emit_path(ctx, s, s->walk, start, len, 0, &path);
    if (emitted < 0) {
      pt_withhold(); /* named -> process memory */
      if (ist && !(ist->prov.flags & PT_PROV_NAME_RECORDED)) pt_withhold(); /* named -> file */
    } else if (emitted == 0) {
      if (ist && !(ist->prov.flags & PT_PROV_NAME_RECORDED)) {
        pt_relate_from_ref(ctx, PT_REL_NAMED, &path, PT_END_INODE(ist, inode), 0);
        pt_names_remember(s, mnt, dentry);
        __sync_fetch_and_or(&ist->prov.flags, PT_PROV_NAME_RECORDED);
      }
      pt_relate_from_ref(ctx, PT_REL_NAMED, &path, PT_END_PROC(cst), 0);
    }
  }
  if (ist) pt_relate(ctx, PT_REL_EXEC, PT_END_INODE(ist, inode), PT_END_PROC(cst), 0, -1);
  pt_record_mm_strings(ctx, task, bprm, cst, pt_config_get());
}

/* The third: the process memory left behind ends. */
static __always_inline void pt_exec_end(void *ctx, struct task_struct *task, u64 old_key) {
  struct pt_cred_state *old = pt_cred_previous(task, old_key);
  if (old) pt_cred_terminate(ctx, old_key, old);
}

/* set*uid / set*gid: the task's credentials become `cred`. */
static __always_inline void pt_on_setid(void *ctx, struct task_struct *task,
                                        const struct cred *cred, u16 type) {
  struct pt_task_state *tst = pt_task_recorded(ctx, task);
  if (!tst) return;
  u64 old_key = tst->cred;
  if (!cred || (u64)cred == old_key) return;
  struct pt_cred_state *old = pt_cred_previous(task, old_key);
  struct pt_cred_state *cst = pt_cred_create(ctx, task, cred, 0);
  if (!cst) return;
  tst->cred = (u64)cred;
  if (old && old->shared_count) pt_shared_copy(cst, old); /* the same memory */
  if (old) pt_relate(ctx, PT_REL_MEMORY_READ, PT_END_PROC(old), PT_END_TASK(tst, task), 0, -1);
  pt_relate(ctx, type, PT_END_TASK(tst, task), PT_END_PROC(cst), 0, -1);
  /* Other threads may still use the old cred; it ends with the last. */
  struct signal_struct *signal = PT_READ(task, signal);
  if (old && signal && PT_READ(signal, nr_threads) == 1) pt_cred_terminate(ctx, old_key, old);
}

static __always_inline void pt_on_exit(void *ctx, struct task_struct *task) {
  struct pt_task_state *tst = pt_task_recorded(ctx, task);
  if (!tst) return;
  pt_new_version(ctx, &tst->prov, task, PT_OBJ_TASK, PT_REL_TERMINATE_TASK);
  /* The last thread out ends the thread group's process memory. */
  struct signal_struct *signal = PT_READ(task, signal);
  if (signal && PT_READ(signal, live.counter) == 0) {
    struct pt_cred_state *cst = pt_cred_previous(task, tst->cred);
    if (cst) pt_cred_terminate(ctx, tst->cred, cst);
  }
}

/* A cred freed (backends with a cred free hook). */
static __always_inline void pt_on_cred_free(void *ctx, const struct cred *cred) {
  u64 key = (u64)cred;
  struct pt_cred_state *st = pt_creds.lookup(&key);
  if (st) pt_cred_terminate(ctx, key, st);
}

/* The mount a dentry was reached through, for hooks that get only the
 * dentry: the task's working directory's or root's mount when the dentry
 * is on that file system (NULL otherwise: the name is then not recorded). */
static __always_inline struct vfsmount *pt_mnt_for_dentry(struct task_struct *task,
                                                          struct dentry *dentry) {
  struct fs_struct *fs = PT_READ(task, fs);
  if (!fs || !dentry) return 0;
  struct super_block *sb = PT_READ(dentry, d_sb);
  struct vfsmount *pwd = PT_READ(fs, pwd.mnt);
  if (pwd && PT_READ(pwd, mnt_sb) == sb) return pwd;
  struct vfsmount *root = PT_READ(fs, root.mnt);
  if (root && PT_READ(root, mnt_sb) == sb) return root;
  return 0;
}

/* rename and link as security hooks see them: the new name's dentry. */
static __always_inline void pt_on_new_name(void *ctx, struct task_struct *task,
                                           struct dentry *old_dentry, struct dentry *new_dentry,
                                           u16 type) {
  struct pt_actor a;
  if (pt_actor_get(ctx, task, &a) != 0) return;
  struct inode *inode = PT_READ(old_dentry, d_inode);
  struct pt_inode_state *ist = pt_on_inode_change(ctx, &a, inode, type);
  struct vfsmount *mnt = pt_mnt_for_dentry(task, new_dentry);
  struct pt_path_scratch *s = pt_path_scratch();
  if (!ist || !mnt || !s) return;
  u32 start = pt_walk_path(s, mnt, new_dentry);
  pt_inode_name_as(ctx, s, s->walk, start, PT_PATH_MAX - start, inode, ist, 0, 0);
}
