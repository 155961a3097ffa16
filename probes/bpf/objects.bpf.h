/* Objects that are not inodes: System V shared memory and message queues,
 * shared anonymous mappings, socket addresses. */

BPF_F_TABLE("lru_hash", u64, struct pt_object_state, pt_objects, PT_OBJECT_CAPACITY, 0);

static __always_inline u64 pt_mix(u64 hash, u64 value) {
  hash ^= value;
  hash *= 0x9E3779B97F4A7C15ULL;
  return hash ^ (hash >> 29);
}

/* The IPC namespace of the acting task. */
static __always_inline u32 pt_ipcns(struct task_struct *task) {
  struct nsproxy *nsproxy = PT_READ(task, nsproxy);
  struct ipc_namespace *ipc = nsproxy ? PT_READ(nsproxy, ipc_ns) : 0;
  return ipc ? pt_ns_inum(PT_MEMBER_PTR(ipc, ns)) : 0;
}

/* Made after a lookup found none: failing with an entry present, another
 * CPU made it first, and its state is the object's. */
static __always_inline struct pt_object_state *pt_object_put(u64 key,
                                                             struct pt_object_state *fresh) {
  if (pt_objects.insert(&key, fresh) != 0 && !pt_objects.lookup(&key)) {
    pt_count(PT_COUNTER_STATE_FULL);
    return 0;
  }
  return pt_objects.lookup(&key);
}

/* A System V object (or a shared anonymous mapping) by kind, namespace and
 * id; made on first touch. history_unknown: it may have existed before. */
static __always_inline u64 pt_ipc_key(u32 kind, u32 ipcns, u32 id) {
  return pt_mix(pt_mix(pt_mix(0x1234, kind), ipcns), id);
}

static __always_inline struct pt_object_state *pt_ipc_touch(u32 kind, u32 ipcns, u32 id,
                                                            u64 prov_flags) {
  u64 key = pt_ipc_key(kind, ipcns, id);
  struct pt_object_state *st = pt_objects.lookup(&key);
  if (st) return st;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct pt_object_state *fresh = &s->fresh_object;
  __builtin_memset(fresh, 0, sizeof(*fresh));
  pt_prov_init(&fresh->prov, kind == PT_IPC_SYSV_MSG_QUEUE ? PT_NODE_MSG_QUEUE : PT_NODE_SHM,
               prov_flags);
  fresh->kind = kind;
  fresh->ipcns = ipcns;
  fresh->id = id;
  return pt_object_put(key, fresh);
}

static __always_inline void pt_ipc_forget(u32 kind, u32 ipcns, u32 id) {
  u64 key = pt_ipc_key(kind, ipcns, id);
  pt_objects.delete(&key);
}

/* A socket address: AF_INET/AF_INET6 (addr, port) or AF_UNIX (the path in
 * addr_path, path_len bytes); one node per address, made on first touch. */
static __always_inline struct pt_object_state *pt_address_touch(u16 family, u16 port,
                                                                const u8 *addr,
                                                                const char *unix_path,
                                                                u32 path_len) {
  u64 key = pt_mix(pt_mix(0x5678, family), port);
  u64 words[2];
  __builtin_memcpy(words, addr, sizeof(words));
  key = pt_mix(pt_mix(key, words[0]), words[1]);
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct pt_object_state *fresh = &s->fresh_object;
  __builtin_memset(fresh, 0, sizeof(*fresh));
  if (family == 1 /* AF_UNIX */) {
    path_len = path_len < PT_UNIX_PATH_MAX ? path_len : PT_UNIX_PATH_MAX - 1;
    PT_BARRIER_VAR(path_len); /* keeps the mask the verifier needs */
    path_len &= PT_UNIX_PATH_MASK;
    bpf_probe_read_kernel(fresh->path, path_len, unix_path);
    u64 hash = 14695981039346656037ULL ^ path_len;
    /* The path's words up to its 104th byte (the key tells long names
     * apart by their length too), all of them (zero past the name): no
     * branch per word for the older verifiers to follow. */
    const u64 *words = (const u64 *)fresh->path;
#pragma unroll
    for (u32 i = 0; i < 13; i++) hash = pt_mix(hash, words[i]);
    key = pt_mix(key, hash);
  }
  struct pt_object_state *st = pt_objects.lookup(&key);
  if (st) return st;
  pt_prov_init(&fresh->prov, PT_NODE_ADDRESS, 0);
  fresh->family = family;
  fresh->port = port;
  __builtin_memcpy(fresh->addr, addr, sizeof(fresh->addr));
  fresh->path_len = family == 1 ? path_len : 0;
  return pt_object_put(key, fresh);
}
