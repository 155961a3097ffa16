/* Process memory (CamFlow's process_memory entity): one node per cred, the
 * credentials a thread group shares. */

BPF_F_TABLE("lru_hash", u64, struct pt_cred_state, pt_creds, PT_CRED_CAPACITY, 0);
/* Thread group id -> the key of its process memory in pt_creds, for calls
 * that name another process (process_vm_readv, ptrace, /proc/PID/mem). */
BPF_F_TABLE("lru_hash", u32, u64, pt_procs, PT_PROC_CAPACITY, 0);

/* The process memory of thread group tgid, if it is recorded. */
static __always_inline struct pt_cred_state *pt_proc_of(u32 tgid) {
  u64 *key = pt_procs.lookup(&tgid);
  if (!key) return 0;
  u64 cred = *key;
  struct pt_cred_state *st = pt_creds.lookup(&cred);
  return st && st->tgid == tgid ? st : 0;
}

static __always_inline u64 pt_group_start(struct task_struct *task) {
  struct task_struct *leader = PT_READ(task, group_leader);
  return leader ? PT_READ(leader, start_time) : 0;
}

/* A new process_memory for `cred`, owned by task's thread group; replaces
 * whatever state a previous cred at the same address left. prov_flags:
 * PT_PROV_HISTORY_UNKNOWN for a cred in use before we saw it. */
static __always_inline struct pt_cred_state *pt_cred_create(void *ctx, struct task_struct *task,
                                                            const struct cred *cred,
                                                            u64 prov_flags) {
  /* Made in the scratch, not on the stack: with its list of what the
   * process shares it is too big for fork's program. */
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct pt_cred_state *fresh = &s->fresh_cred;
  __builtin_memset(fresh, 0, sizeof(*fresh));
  pt_prov_init(&fresh->prov, PT_NODE_PROCESS_MEMORY, prov_flags);
  fresh->tgid = PT_READ(task, tgid);
  fresh->owner_start = pt_group_start(task);
  fresh->uid = PT_READ(cred, euid.val);
  fresh->gid = PT_READ(cred, egid.val);
  u64 key = (u64)cred;
  u32 tgid = fresh->tgid;
  if (pt_creds.update(&key, fresh) != 0) {
    pt_count(PT_COUNTER_STATE_FULL);
    return 0;
  }
  pt_procs.update(&tgid, &key);
  return pt_creds.lookup(&key);
}

static __always_inline int pt_cred_owned_by(struct pt_cred_state *st, struct task_struct *task) {
  return st->tgid == PT_READ(task, tgid) && st->owner_start == pt_group_start(task);
}

/* The process_memory of task's current cred; made on first touch (history
 * unknown), or anew when the state found belongs to another owner (a cred
 * at a reused address). The objective cred (real_cred): the kernel swaps
 * the subjective one for a while on the task's behalf (overlayfs opens the
 * lower file with its mounter's cred, NFS and others likewise), and that
 * is not the process's memory. */
static __always_inline struct pt_cred_state *pt_cred_of(void *ctx, struct task_struct *task,
                                                        struct pt_task_state *tst) {
  const struct cred *cred = PT_READ(task, real_cred);
  if (!cred) return 0;
  u64 key = (u64)cred;
  tst->cred = key;
  struct pt_cred_state *st = pt_creds.lookup(&key);
  if (st && pt_cred_owned_by(st, task)) return st;
  return pt_cred_create(ctx, task, cred, PT_PROV_HISTORY_UNKNOWN);
}

/* The process_memory state of a cred the task used before, if it still
 * belongs to the task's thread group. */
static __always_inline struct pt_cred_state *pt_cred_previous(struct task_struct *task, u64 key) {
  if (!key) return 0;
  struct pt_cred_state *st = pt_creds.lookup(&key);
  if (st && pt_cred_owned_by(st, task)) return st;
  return 0;
}

/* The cred is gone (exec or setuid replaced it, or its thread group
 * ended): terminate_proc, and its state goes. */
static __always_inline void pt_cred_terminate(void *ctx, u64 key, struct pt_cred_state *st) {
  /* (No last sh_write: the memory it shares took every flow into it as it
   * came, after each use.) */
  pt_new_version(ctx, &st->prov, 0, PT_OBJ_PROC, PT_REL_TERMINATE_PROC);
  u32 tgid = st->tgid;
  u64 *mapped = pt_procs.lookup(&tgid);
  if (mapped && *mapped == key) pt_procs.delete(&tgid);
  pt_creds.delete(&key);
}
