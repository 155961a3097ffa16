/* Inodes: file, directory, link, char, block, pipe and socket entities, and
 * their names (a path node joined to the inode by `named`, once per inode
 * and again after rename or link). */

BPF_F_TABLE("lru_hash", u64, struct pt_inode_state, pt_inodes, PT_INODE_CAPACITY, 0);

#define PT_MQUEUE_MAGIC 0x19800202

/* pt_inodes' key. A backend with an inode free hook (lsm, fentry, kprobe)
 * deletes an inode's state when the inode goes, so its address is key
 * enough; there, too, a hook's BTF-typed argument takes no arithmetic.
 * Without the hook (tracepoint) a dead inode's state stays under its
 * address, and the slab gives that address to the next inode: two tasks
 * touching the new inode at once (a pipe's reader and its writer) would
 * each replace that state, each with a node of its own. So there the
 * address is mixed with the inode's number and generation: the new
 * inode's state is absent, and only one insert can make it. Even: an
 * anonymous object's key is odd (pt_anon_object). */
static __always_inline u64 pt_inode_key(struct inode *inode) {
#ifdef PT_NO_INODE_FREE_HOOK
  u64 ino = PT_READ(inode, i_ino);
  u64 generation = PT_READ(inode, i_generation);
  return ((u64)inode ^ (ino * 0x9e3779b97f4a7c15ULL) ^ (generation * 0xc2b2ae3d27d4eb4fULL)) &
         ~1ULL;
#else
  return (u64)inode;
#endif
}

static __always_inline int pt_inode_matches(struct pt_inode_state *st, struct inode *inode) {
  return st->ino == PT_READ(inode, i_ino) && st->sb == (u64)PT_READ(inode, i_sb) &&
         st->generation == PT_READ(inode, i_generation);
}

/* The node's attributes, from the inode now. */
static __always_inline void pt_inode_refresh(struct pt_inode_state *st, struct inode *inode) {
  st->mode = PT_READ(inode, i_mode);
  st->uid = PT_READ(inode, i_uid.val);
  st->gid = PT_READ(inode, i_gid.val);
}

/* A new entity for inode; replaces state a freed inode at the same address
 * left. prov_flags: PT_PROV_HISTORY_UNKNOWN when the inode existed before
 * we saw it. */
static __always_inline struct pt_inode_state *pt_inode_make(void *ctx, struct inode *inode,
                                                            u64 prov_flags, int absent) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct pt_inode_state *fresh = &s->fresh_inode;
  __builtin_memset(fresh, 0, sizeof(*fresh));
  pt_inode_refresh(fresh, inode);
  struct super_block *sb = PT_READ(inode, i_sb);
  /* A POSIX message queue is a file of the mqueue file system; a channel
   * (PT_PROV_ONE_VERSION). */
  if (sb && PT_READ(sb, s_magic) == PT_MQUEUE_MAGIC) prov_flags |= PT_PROV_ONE_VERSION;
  pt_prov_init(&fresh->prov, pt_inode_node_type(fresh->mode), prov_flags);
  fresh->ino = PT_READ(inode, i_ino);
  fresh->sb = (u64)sb;
  fresh->generation = PT_READ(inode, i_generation);
  if (sb) {
    fresh->dev = PT_READ(sb, s_dev);
    PT_READ_INTO(fresh->sb_uuid, sb, s_uuid.b);
  }
  u64 key = pt_inode_key(inode);
  if ((absent ? pt_inodes.insert(&key, fresh) : pt_inodes.update(&key, fresh)) != 0) {
    /* Absent a moment ago: another CPU made it first, and its state is
     * the inode's (two would be two nodes for one inode). */
    struct pt_inode_state *made = absent ? pt_inodes.lookup(&key) : 0;
    if (made && pt_inode_matches(made, inode)) return made;
    pt_count(PT_COUNTER_STATE_FULL);
    return 0;
  }
  return pt_inodes.lookup(&key);
}

static __always_inline struct pt_inode_state *pt_inode_create(void *ctx, struct inode *inode,
                                                              u64 prov_flags) {
  return pt_inode_make(ctx, inode, prov_flags, 0);
}

/* The state of inode, made on first touch (history unknown). Two tasks
 * may touch a new inode at once (a pipe's reader and its writer): only
 * one makes its state. */
static __always_inline struct pt_inode_state *pt_inode_touch(void *ctx, struct inode *inode) {
  if (!inode) return 0;
  u64 key = pt_inode_key(inode);
  struct pt_inode_state *st = pt_inodes.lookup(&key);
  if (st && pt_inode_matches(st, inode)) return st;
  return pt_inode_make(ctx, inode, PT_PROV_HISTORY_UNKNOWN, !st);
}

#ifdef PT_RESOLVE_NAMES
BPF_F_TABLE("lru_hash", u64, struct pt_name_entry, pt_names, PT_NAME_CAPACITY, 0);

/* The pt_names key of dentry's entry in its directory (its name is left
 * in s->name), or 0 for a root; *dir_out: the directory's inode. */
static __always_inline u64 pt_dentry_key(struct pt_path_scratch *s, struct dentry *dentry,
                                         struct inode **dir_out) {
  struct dentry *parent = PT_READ(dentry, d_parent);
  if (!parent || parent == dentry) return 0;
  struct inode *dir = PT_READ(parent, d_inode);
  u32 len = PT_READ(dentry, d_name.len);
  if (!dir || len == 0 || len > PT_NAME_MASK) return 0;
  const unsigned char *name = PT_READ(dentry, d_name.name);
  bpf_probe_read_kernel(s->name, len & PT_NAME_MASK, name);
  *dir_out = dir;
  return pt_name_key((u64)dir, pt_hash_name(s, len));
}

static __always_inline void pt_names_put(u64 key, struct inode *dir, struct inode *inode, u64 ino,
                                         u64 sb, struct dentry *dentry) {
  struct pt_name_entry entry = {};
  entry.inode = (u64)inode;
  entry.ino = ino;
  entry.sb = sb;
  entry.dentry = (u64)dentry;
  entry.dir = (u64)dir;
  pt_names.update(&key, &entry);
}

/* The entries of a file just named, and of the directories above it up to
 * the first already known, are put in pt_names after the handler is done,
 * by a program of their own (pt_sys_remember_names): its loops, one per
 * directory level, would otherwise weigh on every handler that names. */
static __always_inline void pt_names_remember(struct pt_path_scratch *s, struct vfsmount *mnt,
                                              struct dentry *dentry) {
  s->remember_mnt = (u64)mnt;
  s->remember_dentry = (u64)dentry;
}
#else
#define pt_names_remember(s, mnt, dentry)
#endif

/* Emits the path node of buf[start, start + len) and `named` from it to
 * the inode; (mnt, dentry): the inode's under that name, when known. */
static __always_inline void pt_inode_name_as(void *ctx, struct pt_path_scratch *s, const char *buf,
                                             u32 start, u32 len, struct inode *inode,
                                             struct pt_inode_state *st, struct vfsmount *mnt,
                                             struct dentry *dentry) {
  struct pt_node_ref path;
  int emitted = pt_emit_path(ctx, s, buf, start, len, 0, &path);
  if (emitted != 0) {
    if (emitted < 0) pt_withhold(); /* the named relation: its path node was lost */
    return;
  }
  pt_relate_from_ref(ctx, PT_REL_NAMED, &path, &st->prov, inode, PT_OBJ_INODE, 0);
  if (dentry) pt_names_remember(s, mnt, dentry);
  __sync_fetch_and_or(&st->prov.flags, PT_PROV_NAME_RECORDED);
}

/* Names the inode from (mnt, dentry) unless it has been named already.
 * Objects of pseudo file systems (pipes, sockets) have no path. */
static __always_inline void pt_inode_name(void *ctx, struct inode *inode, struct pt_inode_state *st,
                                          struct vfsmount *mnt, struct dentry *dentry) {
  if (st->prov.flags & PT_PROV_NAME_RECORDED) return;
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s || !mnt || !dentry) return;
  u32 start = pt_walk_path(s, mnt, dentry);
  u32 len = PT_PATH_MAX - start;
  if (len <= 1 && st->prov.node_type != PT_NODE_DIRECTORY) {
    /* Not reachable from the root: an anonymous pipe, socket, ... */
    __sync_fetch_and_or(&st->prov.flags, PT_PROV_NAME_RECORDED);
    return;
  }
  pt_inode_name_as(ctx, s, s->walk, start, len, inode, st, mnt, dentry);
}
