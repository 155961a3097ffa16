/* Inodes: file, directory, link, char, block, pipe and socket entities, and
 * their names (a path node joined to the inode by `named`, once per inode
 * and again after rename or link). */

BPF_F_TABLE("lru_hash", u64, struct pt_inode_state, pt_inodes, PT_INODE_CAPACITY, 0);
BPF_F_TABLE("lru_hash", u64, struct pt_name_entry, pt_names, PT_NAME_CAPACITY, 0);

static __always_inline int pt_inode_matches(struct pt_inode_state *st, struct inode *inode) {
  return st->ino == PT_READ(inode, i_ino) && st->sb == (u64)PT_READ(inode, i_sb) &&
         st->generation == PT_READ(inode, i_generation);
}

/* A new entity for inode; replaces state a freed inode at the same address
 * left. history_unknown: the inode existed before we saw it. */
static __always_inline struct pt_inode_state *pt_inode_create(void *ctx, struct inode *inode,
                                                              u16 node_flags) {
  struct pt_inode_state fresh = {};
  pt_prov_init(&fresh.prov, pt_inode_node_type(PT_READ(inode, i_mode)), 0);
  fresh.ino = PT_READ(inode, i_ino);
  fresh.sb = (u64)PT_READ(inode, i_sb);
  fresh.generation = PT_READ(inode, i_generation);
  u64 key = (u64)inode;
  if (pt_inodes.update(&key, &fresh) != 0) {
    pt_count(PT_COUNTER_STATE_FULL);
    return 0;
  }
  struct pt_inode_state *st = pt_inodes.lookup(&key);
  if (st) pt_emit_inode_node(ctx, inode, &st->prov, node_flags);
  return st;
}

/* The state of inode, made on first touch (history unknown). */
static __always_inline struct pt_inode_state *pt_inode_touch(void *ctx, struct inode *inode) {
  if (!inode) return 0;
  u64 key = (u64)inode;
  struct pt_inode_state *st = pt_inodes.lookup(&key);
  if (st && pt_inode_matches(st, inode)) return st;
  return pt_inode_create(ctx, inode, PT_NODE_HISTORY_UNKNOWN);
}

/* Remembers that the file at path buf[start, start + len) is inode. */
static __always_inline void pt_names_remember(struct pt_path_scratch *s, const char *buf, u32 start,
                                              u32 len, struct inode *inode,
                                              struct pt_inode_state *st) {
  u64 hash = pt_hash_path(s, buf, start, len);
  struct pt_name_entry entry = {};
  entry.inode = (u64)inode;
  entry.ino = st->ino;
  entry.sb = st->sb;
  pt_names.update(&hash, &entry);
}

/* Emits the path node of buf[start, start + len) and `named` from it to
 * the inode. */
static __always_inline void pt_inode_name_as(void *ctx, struct pt_path_scratch *s, const char *buf,
                                             u32 start, u32 len, struct inode *inode,
                                             struct pt_inode_state *st) {
  struct pt_node_ref path;
  if (pt_emit_path(ctx, s, buf, start, len, 0, &path) != 0) return;
  pt_relate_from_ref(ctx, PT_REL_NAMED, &path, &st->prov, inode, PT_OBJ_INODE);
  pt_names_remember(s, buf, start, len, inode, st);
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
  pt_inode_name_as(ctx, s, s->walk, start, len, inode, st);
}

/* The inode last seen under the path buf[start, start + len), or NULL. */
static __always_inline struct inode *pt_names_lookup(struct pt_path_scratch *s, const char *buf,
                                                     u32 start, u32 len) {
  u64 hash = pt_hash_path(s, buf, start, len);
  struct pt_name_entry *entry = pt_names.lookup(&hash);
  if (!entry) return 0;
  struct inode *inode = (struct inode *)entry->inode;
  /* The inode may have been freed since; its memory then holds another
   * object, or another inode. */
  if (PT_READ(inode, i_ino) != entry->ino || (u64)PT_READ(inode, i_sb) != entry->sb) return 0;
  return inode;
}

static __always_inline void pt_names_forget(struct pt_path_scratch *s, const char *buf, u32 start,
                                            u32 len) {
  u64 hash = pt_hash_path(s, buf, start, len);
  pt_names.delete(&hash);
}
