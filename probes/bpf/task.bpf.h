/* Tasks: state, first touch, clone and exit. Each backend file only adapts
 * its hook's arguments and calls these bodies, so every backend records
 * the same graph. */

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

#define PT_CGROUP_DEPTH 16

/* Whether task's cgroup (v2) is cgroup_id or below it. */
static __always_inline int pt_task_in_cgroup(struct task_struct *task, u64 cgroup_id) {
  struct css_set *cset = PT_READ(task, cgroups);
  struct cgroup *cgrp = cset ? PT_READ(cset, dfl_cgrp) : 0;
  if (!cgrp) return 0;
  /* Read through memory each step: otherwise clang folds the two bounds
   * into one count derived from level, which a 6.1 verifier cannot bound
   * ("sequence of 8193 jumps is too complex"). */
  volatile int level = PT_READ(cgrp, level);
#pragma clang loop unroll(disable)
  for (int i = 0; i < PT_CGROUP_DEPTH; i++) {
    if (i > level) break;
#if PT_HAS_FIELD(cgroup, ancestors)
    struct cgroup *ancestor = 0;
    bpf_probe_read_kernel(&ancestor, sizeof(ancestor), PT_MEMBER_PTR(cgrp, ancestors[i]));
    struct kernfs_node *kn = ancestor ? PT_READ(ancestor, kn) : 0;
    if (kn && PT_READ(kn, id) == cgroup_id) return 1;
#else
    /* Before 6.1 a cgroup kept its ancestors' ids, not the ancestors. */
    u64 id = 0;
    bpf_probe_read_kernel(&id, sizeof(id), PT_MEMBER_PTR(cgrp, ancestor_ids[i]));
    if (id == cgroup_id) return 1;
#endif
  }
  return 0;
}

/* How a task first seen now is recorded: provtrace's own threads never
 * are; in a scoped capture only the scope roots (and, through fork, their
 * descendants) are. */
static __always_inline u64 pt_task_initial_flags(struct task_struct *task) {
  struct pt_config *config = pt_config_get();
  if (!config) return PT_PROV_IGNORED;
  u32 tgid = PT_READ(task, tgid);
  if (tgid == config->self_tgid) return PT_PROV_IGNORED;
  if (!config->scoped) return 0;
  /* A held child is provtrace's until it execs the command. */
  u32 tid = PT_READ(task, pid);
  u8 *root = pt_scope_roots.lookup(&tid);
  if (root && *root == PT_SCOPE_AWAIT_EXEC) return PT_PROV_AWAIT_EXEC;
  root = pt_scope_roots.lookup(&tgid);
  if (root && *root == PT_SCOPE_PROCESS) return 0;
  if (config->cgroup_id && pt_task_in_cgroup(task, config->cgroup_id)) return 0;
  return PT_PROV_IGNORED;
}

static __always_inline void pt_complete_clone(void *ctx, struct task_struct *task,
                                              struct pt_task_state *st);

/* The state of a task, made on first touch for a task that existed before
 * the capture (its node then says its history is unknown). Its node goes
 * out with the first relation that names it. */
static __always_inline struct pt_task_state *pt_task_touch(void *ctx, struct task_struct *task) {
  u64 key = (u64)task;
  struct pt_task_state *st = pt_tasks.lookup(&key);
  if (!st) {
    struct pt_task_state fresh = {};
    pt_prov_init(&fresh.prov, PT_NODE_TASK, pt_task_initial_flags(task) | PT_PROV_HISTORY_UNKNOWN);
    fresh.tid = PT_READ(task, pid);
    fresh.cred = (u64)PT_READ(task, real_cred);
    pt_tasks.insert(&key, &fresh);
    /* Failing with an entry present: another CPU made it first. */
    st = pt_tasks.lookup(&key);
    if (!st) {
      pt_count(PT_COUNTER_STATE_FULL);
      return 0;
    }
  }
  if ((st->prov.flags & PT_PROV_NODE_PENDING) && PT_READ(task, pid) != 0) {
    __sync_fetch_and_and(&st->prov.flags, ~PT_PROV_NODE_PENDING);
    st->tid = PT_READ(task, pid);
    if (!(st->prov.flags & (PT_PROV_IGNORED | PT_PROV_AWAIT_EXEC)))
      pt_complete_clone(ctx, task, st);
  }
  return st;
}

/* The state of a task that is being recorded, or NULL. */
static __always_inline struct pt_task_state *pt_task_recorded(void *ctx, struct task_struct *task) {
  struct pt_task_state *st = pt_task_touch(ctx, task);
  if (!st || (st->prov.flags & (PT_PROV_IGNORED | PT_PROV_AWAIT_EXEC))) return 0;
  return st;
}

static __always_inline void pt_on_task_free(struct task_struct *task) {
  u64 key = (u64)task;
  pt_tasks.delete(&key);
}
