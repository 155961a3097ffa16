/* Node records: one emitter per kind of object, reading the object's
 * current attributes from the kernel. Each returns 0 when the transport
 * took the node. */

static __always_inline u32 pt_ns_inum(struct ns_common *ns) { return PT_READ(ns, inum); }

static __always_inline int pt_emit_task_node(void *ctx, struct task_struct *task,
                                             struct pt_node_ref *ref, u16 flags) {
  struct pt_task_node n = {};
  pt_header(&n.node.hdr, PT_KIND_NODE, sizeof(n), PT_NODE_TASK, flags);
  n.node.id = ref->id;
  n.node.version = ref->version;
  n.pid = PT_READ(task, tgid);
  n.tid = PT_READ(task, pid);
  struct task_struct *parent = PT_READ(task, real_parent);
  if (parent) n.ppid = PT_READ(parent, tgid);
  const struct cred *cred = PT_READ(task, real_cred);
  if (cred) {
    n.uid = PT_READ(cred, euid.val);
    n.gid = PT_READ(cred, egid.val);
  }
  PT_READ_INTO(n.comm, task, comm);
  n.utime_ns = PT_READ(task, utime);
  n.stime_ns = PT_READ(task, stime);
  struct pid *pid = PT_READ(task, thread_pid);
  if (pid) {
    u32 level = PT_READ(pid, level);
    struct upid *upid = (struct upid *)PT_MEMBER_PTR(pid, numbers) + (level & 31);
    n.vpid = PT_READ(upid, nr);
    struct pid_namespace *pidns = PT_READ(upid, ns);
    if (pidns) n.pidns = pt_ns_inum(PT_MEMBER_PTR(pidns, ns));
  }
  struct nsproxy *nsproxy = PT_READ(task, nsproxy);
  if (nsproxy) {
    struct uts_namespace *uts = PT_READ(nsproxy, uts_ns);
    struct ipc_namespace *ipc = PT_READ(nsproxy, ipc_ns);
    struct mnt_namespace *mnt = PT_READ(nsproxy, mnt_ns);
    struct net *net = PT_READ(nsproxy, net_ns);
    struct cgroup_namespace *cgroup = PT_READ(nsproxy, cgroup_ns);
    if (uts) n.utsns = pt_ns_inum(PT_MEMBER_PTR(uts, ns));
    if (ipc) n.ipcns = pt_ns_inum(PT_MEMBER_PTR(ipc, ns));
    if (mnt) n.mntns = pt_ns_inum(PT_MEMBER_PTR(mnt, ns));
    if (net) n.netns = pt_ns_inum(PT_MEMBER_PTR(net, ns));
    if (cgroup) n.cgroupns = pt_ns_inum(PT_MEMBER_PTR(cgroup, ns));
  }
  return pt_emit(ctx, &n, sizeof(n));
}

/* From the state alone: the cred itself may be gone by the time its last
 * version is recorded. */
static __always_inline int pt_emit_proc_node(void *ctx, struct pt_cred_state *st,
                                             struct pt_node_ref *ref, u16 flags) {
  struct pt_proc_node n = {};
  pt_header(&n.node.hdr, PT_KIND_NODE, sizeof(n), PT_NODE_PROCESS_MEMORY, flags);
  n.node.id = ref->id;
  n.node.version = ref->version;
  n.tgid = st->tgid;
  n.uid = st->uid;
  n.gid = st->gid;
  return pt_emit(ctx, &n, sizeof(n));
}

/* The node type of an inode, from its mode (S_IFMT bits). */
static __always_inline u16 pt_inode_node_type(u32 mode) {
  switch (mode & 0170000) {
    case 0040000:
      return PT_NODE_DIRECTORY;
    case 0120000:
      return PT_NODE_LINK;
    case 0020000:
      return PT_NODE_CHAR;
    case 0060000:
      return PT_NODE_BLOCK;
    case 0010000:
      return PT_NODE_PIPE;
    case 0140000:
      return PT_NODE_SOCKET;
    default:
      return PT_NODE_FILE;
  }
}

static __always_inline int pt_emit_inode_node(void *ctx, struct pt_inode_state *st,
                                              struct pt_node_ref *ref, u16 flags) {
  struct pt_inode_node n = {};
  pt_header(&n.node.hdr, PT_KIND_NODE, sizeof(n), ref->type, flags);
  n.node.id = ref->id;
  n.node.version = ref->version;
  n.ino = st->ino;
  n.mode = st->mode;
  n.uid = st->uid;
  n.gid = st->gid;
  n.dev = st->dev;
  __builtin_memcpy(n.sb_uuid, st->sb_uuid, sizeof(n.sb_uuid));
  return pt_emit(ctx, &n, sizeof(n));
}

/* An address or IPC object's node, from its state. */
static __always_inline int pt_emit_object_node(void *ctx, struct pt_object_state *st,
                                               struct pt_node_ref *ref, u16 flags) {
  if (ref->type == PT_NODE_ADDRESS) {
    struct pt_address_node_out {
      struct pt_address_node n;
      char path[PT_UNIX_PATH_MASK + 1];
    } out = {};
    u32 path_len = st->path_len < PT_UNIX_PATH_MAX ? st->path_len : PT_UNIX_PATH_MAX - 1;
    u32 size = sizeof(struct pt_address_node) + (path_len ? path_len + 1 : 0);
    pt_header(&out.n.node.hdr, PT_KIND_NODE, size, PT_NODE_ADDRESS, flags);
    out.n.node.id = ref->id;
    out.n.node.version = ref->version;
    out.n.family = st->family;
    out.n.port = st->port;
    out.n.path_len = path_len;
    __builtin_memcpy(out.n.addr, st->addr, sizeof(out.n.addr));
    __builtin_memcpy(out.path, st->path, sizeof(out.path));
    out.path[path_len & PT_UNIX_PATH_MASK] = 0;
    return pt_emit(ctx, &out, size);
  }
  struct pt_ipc_node n = {};
  pt_header(&n.node.hdr, PT_KIND_NODE, sizeof(n), ref->type, flags);
  n.node.id = ref->id;
  n.node.version = ref->version;
  n.kind = st->kind;
  n.id = st->id;
  n.ipcns = st->ipcns;
  return pt_emit(ctx, &n, sizeof(n));
}

/* What kind of object a state belongs to. */
enum pt_obj_kind {
  PT_OBJ_TASK,   /* obj: the task_struct */
  PT_OBJ_PROC,   /* process memory: the state (p is its first member) is enough */
  PT_OBJ_OBJECT, /* an address or IPC object: likewise */
  PT_OBJ_INODE,  /* obj: the inode; the node comes from the state (p is its first member) */
};

/* Emits the node of version ref of p's object. */
static __always_inline int pt_emit_node(void *ctx, struct pt_prov *p, void *obj, int kind,
                                        struct pt_node_ref *ref, u16 flags) {
  if (kind == PT_OBJ_TASK) return pt_emit_task_node(ctx, (struct task_struct *)obj, ref, flags);
  if (kind == PT_OBJ_PROC) return pt_emit_proc_node(ctx, (struct pt_cred_state *)p, ref, flags);
  if (kind == PT_OBJ_OBJECT)
    return pt_emit_object_node(ctx, (struct pt_object_state *)p, ref, flags);
  return pt_emit_inode_node(ctx, (struct pt_inode_state *)p, ref, flags);
}
