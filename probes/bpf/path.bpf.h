/* Absolute paths from (vfsmount, dentry), walked in BPF because no helper
 * that resolves a path is allowed on every backend (bpf_d_path is limited
 * to a few LSM/fentry hooks). The walk crosses mount points like d_path. */

#define PT_PATH_DEPTH 48
#define PT_NAME_MASK 255 /* NAME_MAX */

struct pt_path_scratch {
  /* Components are written backwards, ending at PT_PATH_MAX; the slack
   * after it lets the verifier accept any name length at any offset. */
  char walk[PT_PATH_MAX + PT_NAME_MASK + 1];
  /* The record that goes out: a path node followed by the path. */
  struct pt_path_node node;
  char path[PT_PATH_MAX];
};
BPF_PERCPU_ARRAY(pt_path_scratch_map, struct pt_path_scratch, 1);

/* Writes the path of dentry in mount vfsmnt into scratch->walk, ending at
 * PT_PATH_MAX, and returns where it starts. */
static __always_inline u32 pt_walk_path(struct pt_path_scratch *scratch, struct vfsmount *vfsmnt,
                                        struct dentry *dentry) {
  struct mount *mnt = PT_CONTAINER_OF(vfsmnt, struct mount, mnt);
  u32 pos = PT_PATH_MAX;
  int truncated = 0;

#pragma unroll
  for (int i = 0; i < PT_PATH_DEPTH; i++) {
    struct dentry *root = PT_READ(vfsmnt, mnt_root);
    struct dentry *parent = PT_READ(dentry, d_parent);
    if (dentry == root) {
      struct mount *mnt_parent = PT_READ(mnt, mnt_parent);
      if (mnt_parent == mnt) break; /* the root of the mount tree */
      dentry = PT_READ(mnt, mnt_mountpoint);
      mnt = mnt_parent;
      vfsmnt = PT_MEMBER_PTR(mnt, mnt);
      continue;
    }
    if (dentry == parent) break; /* root of an unmounted or pseudo fs */
    u32 len = PT_READ(dentry, d_name.len) & PT_NAME_MASK;
    const unsigned char *name = PT_READ(dentry, d_name.name);
    /* Keep pos >= 1: the path and its NUL fit in PT_PATH_MAX bytes. */
    if (len + 2 > pos) {
      truncated = 1;
      break;
    }
    pos -= len;
    bpf_probe_read_kernel(&scratch->walk[pos & (PT_PATH_MAX - 1)], len, name);
    pos -= 1;
    scratch->walk[pos & (PT_PATH_MAX - 1)] = '/';
    dentry = parent;
  }
  if (pos == PT_PATH_MAX) {
    pos -= 1;
    scratch->walk[pos & (PT_PATH_MAX - 1)] = '/';
  }
  if (truncated) pt_count(PT_COUNTER_PATH_TRUNCATED);
  return pos;
}

/* Emits a path node for (vfsmnt, dentry) and returns its reference. */
static __always_inline int pt_emit_path_node(void *ctx, struct vfsmount *vfsmnt,
                                             struct dentry *dentry, struct pt_node_ref *ref) {
  int zero = 0;
  struct pt_path_scratch *scratch = pt_path_scratch_map.lookup(&zero);
  if (!scratch) return -1;
  u32 start = pt_walk_path(scratch, vfsmnt, dentry);
  if (start == 0 || start >= PT_PATH_MAX) return -1;
  u32 len = (PT_PATH_MAX - start) & (PT_PATH_MAX - 1);
  bpf_probe_read_kernel(scratch->path, len, &scratch->walk[start & (PT_PATH_MAX - 1)]);
  scratch->path[len & (PT_PATH_MAX - 1)] = 0;

  ref->id = pt_new_id();
  ref->version = 0;
  ref->type = PT_NODE_PATH;
  u32 size = sizeof(struct pt_path_node) + len + 1;
  pt_header(&scratch->node.node.hdr, PT_KIND_NODE, size, PT_NODE_PATH, 0);
  scratch->node.node.id = ref->id;
  scratch->node.node.version = 0;
  scratch->node.path_len = len;
  if (size > sizeof(struct pt_path_node) + PT_PATH_MAX) return -1;
  pt_emit(ctx, &scratch->node, size);
  return 0;
}
