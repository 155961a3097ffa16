/* Task provenance: the bodies of the task hooks, over the per-task state
 * of probes/bpf/state.h. Each backend file only adapts its hook's
 * arguments and calls these, so every backend records the same graph. */

BPF_F_TABLE("hash", u64, struct pt_task_state, pt_tasks, PT_TASK_CAPACITY, BPF_F_NO_PREALLOC);

/* The clone flags every backend can report identically: the tracepoint
 * backend derives them from what the child shares with its parent. */
#define PT_CLONE_VM 0x00000100
#define PT_CLONE_FS 0x00000200
#define PT_CLONE_FILES 0x00000400
#define PT_CLONE_SIGHAND 0x00000800
#define PT_CLONE_THREAD 0x00010000
#define PT_CLONE_FLAGS_MASK \
  (PT_CLONE_VM | PT_CLONE_FS | PT_CLONE_FILES | PT_CLONE_SIGHAND | PT_CLONE_THREAD)

static __always_inline u64 pt_shared_clone_flags(struct task_struct *parent,
                                                 struct task_struct *child) {
  u64 flags = 0;
  if (PT_READ(child, mm) == PT_READ(parent, mm)) flags |= PT_CLONE_VM;
  if (PT_READ(child, fs) == PT_READ(parent, fs)) flags |= PT_CLONE_FS;
  if (PT_READ(child, files) == PT_READ(parent, files)) flags |= PT_CLONE_FILES;
  if (PT_READ(child, sighand) == PT_READ(parent, sighand)) flags |= PT_CLONE_SIGHAND;
  if (PT_READ(child, tgid) == PT_READ(parent, tgid)) flags |= PT_CLONE_THREAD;
  return flags;
}

static __always_inline void pt_task_ref(struct pt_task_state *st, struct pt_node_ref *ref) {
  ref->id = st->id;
  ref->version = st->version;
  ref->type = PT_NODE_TASK;
  ref->pad = 0;
}

static __always_inline void pt_emit_task_node(void *ctx, struct task_struct *task,
                                              struct pt_task_state *st, u16 flags) {
  struct pt_task_node n = {};
  pt_header(&n.node.hdr, PT_KIND_NODE, sizeof(n), PT_NODE_TASK, flags);
  n.node.id = st->id;
  n.node.version = st->version;
  n.pid = PT_READ(task, tgid);
  n.tid = PT_READ(task, pid);
  struct task_struct *parent = PT_READ(task, real_parent);
  if (parent) n.ppid = PT_READ(parent, tgid);
  const struct cred *cred = PT_READ(task, cred);
  if (cred) {
    n.uid = PT_READ(cred, euid.val);
    n.gid = PT_READ(cred, egid.val);
  }
  PT_READ_INTO(n.comm, task, comm);
  pt_emit(ctx, &n, sizeof(n));
}

/* How a task first seen now is recorded: provtrace's own threads never are;
 * in a scoped capture only the scope roots (and, through fork, their
 * descendants) are. */
static __always_inline u32 pt_task_initial_flags(struct task_struct *task) {
  struct pt_config *config = pt_config_get();
  if (!config) return PT_TASK_IGNORED;
  u32 tgid = PT_READ(task, tgid);
  if (tgid == config->self_tgid) return PT_TASK_IGNORED;
  if (config->scoped) {
    u32 tid = PT_READ(task, pid);
    if (!pt_scope_roots.lookup(&tid)) return PT_TASK_IGNORED;
  }
  return 0;
}

/* The state of a task, made on first touch for a task that existed before
 * the capture (its node then says its history is unknown). */
static __always_inline struct pt_task_state *pt_task_touch(void *ctx, struct task_struct *task) {
  u64 key = (u64)task;
  struct pt_task_state *st = pt_tasks.lookup(&key);
  if (!st) {
    struct pt_task_state fresh = {};
    fresh.id = pt_new_id();
    fresh.flags = pt_task_initial_flags(task);
    fresh.tid = PT_READ(task, pid);
    int err = pt_tasks.insert(&key, &fresh);
    st = pt_tasks.lookup(&key);
    if (!st) {
      pt_count(PT_COUNTER_STATE_FULL);
      return 0;
    }
    /* err != 0 with an entry present: another CPU made it first. */
    if (err == 0 && !(st->flags & PT_TASK_IGNORED))
      pt_emit_task_node(ctx, task, st, PT_NODE_HISTORY_UNKNOWN);
  }
  if ((st->flags & PT_TASK_NODE_PENDING) && PT_READ(task, pid) != 0) {
    st->flags &= ~PT_TASK_NODE_PENDING;
    st->tid = PT_READ(task, pid);
    if (!(st->flags & PT_TASK_IGNORED)) pt_emit_task_node(ctx, task, st, 0);
  }
  return st;
}

/* A new task. pending: the hook runs before the child's pid exists (LSM
 * task_alloc), so its node is emitted when it is next touched. */
static __always_inline void pt_on_task_new(void *ctx, struct task_struct *parent,
                                           struct task_struct *child, u64 clone_flags,
                                           int pending) {
  struct pt_task_state *pst = pt_task_touch(ctx, parent);
  if (!pst) return;
  struct pt_task_state cst = {};
  cst.id = pt_new_id();
  cst.flags = pst->flags & PT_TASK_IGNORED;
  if (pending) cst.flags |= PT_TASK_NODE_PENDING;
  cst.tid = PT_READ(child, pid);
  u64 key = (u64)child;
  if (pt_tasks.update(&key, &cst) != 0) {
    pt_count(PT_COUNTER_STATE_FULL);
    return;
  }
  if (cst.flags & PT_TASK_IGNORED) return;
  if (!pending) pt_emit_task_node(ctx, child, &cst, 0);
  struct pt_node_ref from, to;
  pt_task_ref(pst, &from);
  pt_task_ref(&cst, &to);
  pt_emit_relation(ctx, PT_REL_CLONE, &from, &to, clone_flags, -1);
}

/* A new version of a task, joined to the previous one by a relation of the
 * given type; returns the new version's reference in `now`. */
static __always_inline void pt_task_new_version(void *ctx, struct task_struct *task,
                                                struct pt_task_state *st, u16 relation,
                                                struct pt_node_ref *now) {
  struct pt_node_ref before;
  pt_task_ref(st, &before);
  st->version += 1;
  pt_task_ref(st, now);
  pt_emit_task_node(ctx, task, st, 0);
  pt_emit_relation(ctx, relation, &before, now, 0, -1);
}

static __always_inline void pt_on_exec(void *ctx, struct task_struct *task,
                                       struct linux_binprm *bprm) {
  struct pt_task_state *st = pt_task_touch(ctx, task);
  if (!st || (st->flags & PT_TASK_IGNORED)) return;
  struct pt_node_ref now, exe;
  pt_task_new_version(ctx, task, st, PT_REL_VERSION_ACTIVITY, &now);
  struct file *file = PT_READ(bprm, file);
  if (!file) return;
  struct vfsmount *mnt = PT_READ(file, f_path.mnt);
  struct dentry *dentry = PT_READ(file, f_path.dentry);
  if (pt_emit_path_node(ctx, mnt, dentry, &exe) == 0)
    pt_emit_relation(ctx, PT_REL_EXEC, &exe, &now, 0, -1);
}

static __always_inline void pt_on_exit(void *ctx, struct task_struct *task) {
  struct pt_task_state *st = pt_task_touch(ctx, task);
  if (!st || (st->flags & PT_TASK_IGNORED)) return;
  struct pt_node_ref now;
  pt_task_new_version(ctx, task, st, PT_REL_TERMINATE_TASK, &now);
}

static __always_inline void pt_on_free(struct task_struct *task) {
  u64 key = (u64)task;
  pt_tasks.delete(&key);
}
