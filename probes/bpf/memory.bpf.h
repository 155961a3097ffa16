/* Memory a process shares with others: a file mapped shared (POSIX shared
 * memory is one), System V shared memory, a shared anonymous mapping. Each
 * process memory lists up to PT_SHARED_MAX of them; information flows from
 * them into the process memory before the process generates anything
 * (sh_read), and from the process memory into the writable ones after it
 * uses anything and when it ends (sh_write), as CamFlow does at its hooks:
 * no system call shows a load or a store. */

/* Adds an object to what cst shares (a full list: counted, left out). */
static __always_inline void pt_shared_add(struct pt_cred_state *cst, u8 kind, u64 key, u64 addr,
                                          u8 access) {
#pragma clang loop unroll(full)
  for (int i = 0; i < PT_SHARED_MAX; i++) {
    if (cst->shared[i].kind == kind && cst->shared[i].key == key) {
      cst->shared[i].access |= access;
      if (addr) cst->shared[i].addr = addr;
      return;
    }
  }
#pragma clang loop unroll(full)
  for (int i = 0; i < PT_SHARED_MAX; i++) {
    if (cst->shared[i].kind == 0) {
      cst->shared[i].kind = kind;
      cst->shared[i].key = key;
      cst->shared[i].addr = addr;
      cst->shared[i].access = access;
      cst->shared_count += 1;
      return;
    }
  }
  pt_count(PT_COUNTER_STATE_FULL);
}

/* The mapping at addr is gone (munmap, shmdt). */
static __always_inline void pt_shared_remove(struct pt_cred_state *cst, u64 addr) {
  if (!addr) return;
#pragma clang loop unroll(full)
  for (int i = 0; i < PT_SHARED_MAX; i++) {
    if (cst->shared[i].kind != 0 && cst->shared[i].addr == addr) {
      cst->shared[i].kind = 0;
      if (cst->shared_count) cst->shared_count -= 1;
    }
  }
}

/* A new process memory (fork) shares what its parent's did. */
static __always_inline void pt_shared_copy(struct pt_cred_state *to, struct pt_cred_state *from) {
  to->shared_count = from->shared_count;
  /* Map value to map value: no copy on the stack (fork's program is near
   * the 512-byte stack limit with the ring transport). */
  __builtin_memcpy(to->shared, from->shared, sizeof(to->shared));
}

/* The flows of `access` (PT_SHARED_READ: objects -> cst; PT_SHARED_WRITE:
 * cst -> writable objects). The loop's slot lives in memory, so that the
 * verifier checks one slot's flow, not every combination of slots. */
static __always_inline void pt_shared_flows(void *ctx, struct pt_cred_state *cst, u8 access) {
#pragma clang loop unroll(disable)
  for (u32 i = 0; i < PT_SHARED_MAX; i++) {
    struct pt_shared slot = cst->shared[i & (PT_SHARED_MAX - 1)];
    if (slot.kind == 0 || !(slot.access & access)) continue;
    u64 key = slot.key;
    struct pt_prov *object = 0;
    if (slot.kind == PT_SHARED_INODE) {
      struct pt_inode_state *ist = pt_inodes.lookup(&key);
      if (ist) object = &ist->prov;
    } else {
      struct pt_object_state *ost = pt_objects.lookup(&key);
      if (ost) object = &ost->prov;
    }
    if (!object) continue;
    /* Both kinds of state begin with their prov, and the node of either
     * comes from its state. (A kind known only here would make every
     * relation's node emission carry all kinds: more for the verifier.) */
    if (access == PT_SHARED_READ) {
      if (slot.kind == PT_SHARED_INODE)
        pt_relate(ctx, PT_REL_SH_READ, object, 0, PT_OBJ_INODE, PT_END_PROC(cst), 0, -1);
      else
        pt_relate(ctx, PT_REL_SH_READ, object, 0, PT_OBJ_OBJECT, PT_END_PROC(cst), 0, -1);
    } else {
      if (slot.kind == PT_SHARED_INODE)
        pt_relate(ctx, PT_REL_SH_WRITE, PT_END_PROC(cst), object, 0, PT_OBJ_INODE, 0, -1);
      else
        pt_relate(ctx, PT_REL_SH_WRITE, PT_END_PROC(cst), object, 0, PT_OBJ_OBJECT, 0, -1);
    }
  }
}

/* These flows run in programs of their own (inlined at every relation they
 * would be more than the verifier takes, syscall.bpf.h): sh_read before a
 * call that carries data out of the process (the tracepoint backend: its
 * handler's preamble, pt_shared_first; the security backends: sys_enter),
 * sh_write once the call is done (pt_handler_done, sys_exit). */
static __always_inline void pt_shared_before(void *ctx, struct pt_cred_state *cst) {}

static __always_inline void pt_shared_after(void *ctx, struct pt_cred_state *cst) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (s) s->shared_after_task = bpf_get_current_task();
}
