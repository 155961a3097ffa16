/* The tracepoint backend sees a path-based system call's arguments, not
 * the objects the kernel found: it resolves the path itself, the way the
 * kernel does, one component at a time from the directory the path is
 * relative to, through the directory entries it has learned (pt_names, from
 * every name it recorded) and, for an entry it never learned, the kernel's
 * own dentry cache, where the call has just looked the name up. */

#define PT_CHILD_SCAN 128 /* children of a directory searched for a name */

/* pt_hash_path of a component (len <= PT_NAME_MASK): the same value, with
 * a loop the verifier sees bounded by a name's length, not a path's. */
static __always_inline u64 pt_hash_component(struct pt_path_scratch *s, u32 start, u32 len) {
  len &= PT_NAME_MASK;
  u64 hash = 14695981039346656037ULL ^ len;
  u32 words = len / 8;
  volatile u32 *limit = &s->spill[3];
  *limit = words;
#pragma clang loop unroll(disable)
  for (u32 i = 0; i < (PT_NAME_MASK + 1) / 8; i++) {
    if (i >= *limit) break;
    u32 at = start + i * 8;
    PT_BARRIER_VAR(at);
    hash ^= *(u64 *)&s->joined[at & PT_BUF_MASK];
    hash *= 1099511628211ULL;
    hash ^= hash >> 29;
  }
  u32 left = len & 7;
  if (left) {
    u32 at = start + words * 8;
    PT_BARRIER_VAR(at);
    u64 word = *(u64 *)&s->joined[at & PT_BUF_MASK];
    hash ^= word & ((1ULL << (left * 8)) - 1);
    hash *= 1099511628211ULL;
    hash ^= hash >> 29;
  }
  return hash;
}

/* How much an entry is checked against the kernel's objects: the call
 * left the object under that name (the dentry must still say so), or it
 * removed or moved it (only the inode must still be the same). */
enum pt_resolve_mode { PT_NAME_PRESENT = 0, PT_NAME_GONE = 1 };

static __always_inline int pt_entry_valid(struct pt_name_entry *e, struct inode *dir, u32 len,
                                          int mode) {
  if (e->dir != (u64)dir) return 0;
  struct inode *inode = (struct inode *)e->inode;
  if (PT_READ(inode, i_ino) != e->ino || (u64)PT_READ(inode, i_sb) != e->sb) return 0;
  if (mode == PT_NAME_GONE || !e->dentry) return 1;
  struct dentry *d = (struct dentry *)e->dentry;
  if (PT_READ(d, d_inode) != inode) return 0;
  struct dentry *parent = PT_READ(d, d_parent);
  if (parent == d) return 1; /* a file system's root, mounted there */
  return PT_READ(d, d_name.len) == len && PT_READ(parent, d_inode) == dir;
}

/* The first 8 bytes of s->joined[start, start + len), zero-padded. */
static __always_inline u64 pt_first_word(struct pt_path_scratch *s, u32 start, u32 len) {
  u64 word = *(u64 *)&s->joined[start & PT_BUF_MASK];
  return len >= 8 ? word : word & ((1ULL << (len * 8)) - 1);
}

/* Whether the name at `name` (len bytes) equals s->joined[start, start +
 * len). */
static __always_inline int pt_name_equals(struct pt_path_scratch *s, const unsigned char *name,
                                          u32 start, u32 len) {
  len &= PT_NAME_MASK;
  if (bpf_probe_read_kernel(s->name, len, name) != 0) return 0;
  volatile u32 *limit = &s->spill[2];
  *limit = len;
#pragma clang loop unroll(disable)
  for (u32 i = 0; i < (PT_NAME_MASK + 1) / 8; i++) {
    u32 at = i * 8;
    if (at >= *limit) break;
    u32 left = *limit - at;
    u64 mask = left >= 8 ? ~0ULL : (1ULL << (left * 8)) - 1;
    u32 from = start + at;
    PT_BARRIER_VAR(from);
    u64 ours = *(u64 *)&s->joined[from & PT_BUF_MASK];
    u64 theirs = *(u64 *)&s->name[at & PT_NAME_MASK];
    if ((ours ^ theirs) & mask) return 0;
  }
  return 1;
}

/* The positive child of dir named s->joined[start, start + len) in the
 * dentry cache, among its most recent children (new and moved dentries go
 * to the head of the list), or NULL. Candidates are told apart by length
 * and first eight bytes, and the one found is compared whole (once, so the
 * verifier checks one comparison, not one per child); two names alike in
 * both then leave the path unresolved. A mountpoint is not the object path
 * lookup finds there: NULL too (pt_names maps mountpoints). */
static __always_inline struct dentry *pt_find_child(struct pt_path_scratch *s, struct dentry *dir,
                                                    u32 start, u32 len) {
  if (!dir || len == 0) return 0;
  u64 first = pt_first_word(s, start, len);
#if PT_HAS_FIELD(dentry, d_children)
  struct hlist_node *node = PT_READ(dir, d_children.first);
#else
  struct list_head *head = PT_MEMBER_PTR(dir, d_subdirs);
  struct list_head *node = PT_READ(dir, d_subdirs.next);
#endif
  /* The candidate goes through memory, so that the code after the loop is
   * verified once, not once per child it could have been found at. */
  volatile u64 *candidate = &s->candidate[0];
  volatile u64 *candidate_name = &s->candidate[1];
  *candidate = 0;
  *candidate_name = 0;
#pragma clang loop unroll(disable)
  for (int i = 0; i < PT_CHILD_SCAN; i++) {
#if PT_HAS_FIELD(dentry, d_children)
    if (!node) break;
    struct dentry *child = PT_CONTAINER_OF(node, struct dentry, d_sib);
#else
    if (!node || node == head) break;
    struct dentry *child = PT_CONTAINER_OF(node, struct dentry, d_child);
#endif
    node = PT_READ(node, next);
    if (PT_READ(child, d_name.len) != len || !PT_READ(child, d_inode)) continue;
    const unsigned char *name = PT_READ(child, d_name.name);
    u64 theirs = 0;
    bpf_probe_read_kernel(&theirs, 8, name);
    if (len < 8) theirs &= (1ULL << (len * 8)) - 1;
    if (theirs != first) continue;
    *candidate = (u64)child;
    *candidate_name = (u64)name;
    break;
  }
  struct dentry *found = (struct dentry *)*candidate;
  if (!found || !pt_name_equals(s, (const unsigned char *)*candidate_name, start, len)) return 0;
  if (PT_READ(found, d_flags) & PT_ENUM_VALUE(DCACHE_MOUNTED, 0x10000)) return 0;
  return found;
}

/* The dentry a path is relative to: the task's root for an absolute path,
 * its working directory for AT_FDCWD, else dirfd's directory. */
static __always_inline struct dentry *pt_base_dentry(struct task_struct *task, long dirfd,
                                                     char first) {
  if (first == '/' || (int)dirfd == PT_AT_FDCWD) {
    struct fs_struct *fs = PT_READ(task, fs);
    if (!fs) return 0;
    return first == '/' ? PT_READ(fs, root.dentry) : PT_READ(fs, pwd.dentry);
  }
  struct file *dir = pt_fd_file(task, (int)dirfd);
  return dir ? PT_READ(dir, f_path.dentry) : 0;
}

/* Splits the user path (in s->joined[0, len)) into components; returns
 * how many, or -1 if there are too many. The count and the start of the
 * current component live in memory, so that the verifier sees one state
 * per byte, not one per way the bytes before could have been split. */
static __always_inline int pt_split_path(struct pt_path_scratch *s, u32 len) {
  volatile u32 *limit = &s->split[0];
  volatile u32 *count = &s->split[1];
  volatile u32 *start = &s->split[2];
  *limit = len;
  *count = 0;
  *start = 0;
#pragma clang loop unroll(disable)
  for (u32 i = 0; i < PT_USER_PATH_MAX; i++) {
    if (i > *limit) break;
    char c = i < *limit ? s->joined[i & (PT_USER_PATH_MAX - 1)] : '/';
    if (c != '/') continue;
    u32 from = *start;
    if (i > from) {
      u32 n = *count;
      if (n >= PT_MAX_COMPONENTS) return -1;
      s->component_start[n & (PT_COMPONENT_SLOTS - 1)] = from;
      s->component_len[n & (PT_COMPONENT_SLOTS - 1)] = i - from;
      *count = n + 1;
    }
    *start = i + 1;
  }
  return (int)*count;
}

/* One step of a resolution: the component at k. Returns 0 to go on, 1
 * when the component is the last and not known (its directory is), -1
 * when the path cannot be resolved. What is carried from one step to the
 * next is in s->resolved. */
static __always_inline int pt_resolve_step(struct pt_path_scratch *s, u32 k, int last, int mode) {
  volatile struct pt_resolution *r = &s->resolved;
  struct inode *in = r->inode;
  struct dentry *d = r->dentry;
  if (!in) return -1;
  u32 start = s->component_start[k & (PT_COMPONENT_SLOTS - 1)];
  u32 clen = s->component_len[k & (PT_COMPONENT_SLOTS - 1)] & PT_NAME_MASK;
  char c0 = s->joined[start & (PT_USER_PATH_MAX - 1)];
  char c1 = s->joined[(start + 1) & (PT_USER_PATH_MAX - 1)];
  if (clen == 1 && c0 == '.') return 0;
  if (clen == 2 && c0 == '.' && c1 == '.') {
    struct dentry *parent = PT_READ(d, d_parent);
    /* Above a mounted file system's root lies its mountpoint, which a
     * dentry does not know: give up there. */
    if (!parent || parent == d) return -1;
    r->dentry = parent;
    r->inode = PT_READ(parent, d_inode);
    r->dir = 0;
    return 0;
  }
  u64 key = pt_name_key((u64)in, pt_hash_component(s, start, clen));
  r->dir = in;
  r->dir_dentry = d;
  r->key = key;
  r->last_start = start;
  r->last_len = clen;
  struct pt_name_entry *e = pt_names.lookup(&key);
  if (e && pt_entry_valid(e, in, clen, last ? mode : PT_NAME_PRESENT)) {
    r->inode = (struct inode *)e->inode;
    r->dentry = (struct dentry *)e->dentry;
    return 0;
  }
  struct dentry *child = mode == PT_NAME_GONE && last ? 0 : pt_find_child(s, d, start, clen);
  if (!child) return last ? 1 : -1;
  struct inode *found = PT_READ(child, d_inode);
  pt_names_put(key, in, found, PT_READ(found, i_ino), (u64)PT_READ(found, i_sb), child);
  r->inode = found;
  r->dentry = child;
  return 0;
}

/* The file a path /proc/self/fd/N (or /proc/thread-self/fd/N) in
 * s->joined[0, len) names, or NULL for any other path. */
static __always_inline struct file *pt_proc_self_fd(struct pt_path_scratch *s,
                                                    struct task_struct *task, u32 len) {
  /* Compared eight bytes at a time, little-endian. */
  u64 w0 = *(u64 *)&s->joined[0];
  u64 w1 = *(u64 *)&s->joined[8];
  u32 digits_at;
  if (w0 == 0x65732f636f72702fULL && (w1 & 0xffffffffffffULL) == 0x2f64662f666cULL) {
    digits_at = 14; /* "/proc/self/fd/" */
  } else if (w0 == 0x68742f636f72702fULL && w1 == 0x6c65732d64616572ULL &&
             (*(u64 *)&s->joined[16] & 0xffffffffffULL) == 0x2f64662f66ULL) {
    digits_at = 21; /* "/proc/thread-self/fd/" */
  } else {
    return 0;
  }
  if (len <= digits_at || len > digits_at + 4) return 0;
  long fd = 0;
#pragma clang loop unroll(full)
  for (u32 i = 0; i < 4; i++) {
    u32 at = digits_at + i;
    if (at >= len) break;
    char c = s->joined[at & (PT_USER_PATH_MAX - 1)];
    if (c < '0' || c > '9') return 0;
    fd = fd * 10 + (c - '0');
  }
  return pt_fd_file(task, fd);
}

/* Resolving a path takes one tail call per component (pt_sys_resolve_step),
 * so the verifier checks one component's work once, not once per way the
 * components before it went; then the slot `next` takes the result
 * (pt_resolved). Starts resolving user_path (relative to dirfd); returns
 * only if the tail calls could not be made. */
static __always_inline void pt_resolve(void *ctx, struct pt_path_scratch *s,
                                       struct task_struct *task, long dirfd, u64 user_path,
                                       int mode, u32 next) {
  volatile struct pt_resolution *r = &s->resolved;
  r->inode = 0;
  r->dentry = 0;
  r->dir = 0;
  r->dir_dentry = 0;
  r->key = 0;
  s->resolving.step = 0;
  s->resolving.count = 0;
  s->resolving.mode = mode;
  s->resolving.next = next;
  s->resolving.result = -1;
  long ulen = bpf_probe_read_user_str(s->joined, PT_USER_PATH_MAX, (const char *)user_path);
  struct file *magic = ulen > 1 ? pt_proc_self_fd(s, task, (u32)ulen - 1) : 0;
  if (magic) {
    /* /proc/self/fd/N is the open file itself, as the kernel's magic link
     * makes it (gnulib changes a file's mode or times that way). */
    r->inode = PT_READ(magic, f_inode);
    r->dentry = PT_READ(magic, f_path.dentry);
    s->resolving.result = r->inode ? 0 : -1;
    pt_sys_handlers.call(ctx, next);
    return;
  }
  struct dentry *base = ulen > 1 ? pt_base_dentry(task, dirfd, s->joined[0]) : 0;
  int count = base ? pt_split_path(s, (u32)(ulen - 1) & (PT_USER_PATH_MAX - 1)) : -1;
  if (count >= 0) {
    r->inode = PT_READ(base, d_inode);
    r->dentry = base;
    s->resolving.count = (u32)count;
    if (count > 0) pt_sys_handlers.call(ctx, PT_SYS_RESOLVE_STEP);
    s->resolving.result = count > 0 ? -1 : 0; /* "/" or ".": the base itself */
  }
  pt_sys_handlers.call(ctx, next);
}

int pt_sys_resolve_step(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  u32 k = s->resolving.step;
  u32 count = s->resolving.count;
  int result = -1;
  if (k < count && k < PT_MAX_COMPONENTS)
    result = pt_resolve_step(s, k, k + 1 == count, s->resolving.mode);
  if (result == 0 && k + 1 < count) {
    s->resolving.step = k + 1;
    pt_sys_handlers.call(ctx, PT_SYS_RESOLVE_STEP);
    result = -1; /* out of tail calls: a path too deep */
  }
  if (result == 0 && !s->resolved.inode) result = -1;
  s->resolving.result = result;
  pt_sys_handlers.call(ctx, s->resolving.next);
  return 0;
}

/* In the stage that takes a resolution: its result (what pt_resolve_step
 * returns for the last component, 0 when it names a known object) and
 * what it found. */
static __always_inline int pt_resolved(struct pt_path_scratch *s, struct pt_resolution *out) {
  volatile struct pt_resolution *r = &s->resolved;
  out->inode = r->inode;
  out->dentry = r->dentry;
  out->dir = r->dir;
  out->dir_dentry = r->dir_dentry;
  out->key = r->key;
  out->last_start = r->last_start;
  out->last_len = r->last_len;
  int result = s->resolving.result;
  if (result != 0) {
    out->inode = 0;
    out->dentry = 0;
  }
  return result;
}

#define PT_REMEMBER_LEVELS 16

/* Puts in pt_names the entry of the dentry a handler just named, and those
 * of the directories above it, up to the first one already there. A
 * mounted file system's root is entered under its mountpoint's name, as
 * path lookup sees it. */
int pt_sys_remember_names(struct bpf_raw_tracepoint_args *ctx) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return 0;
  struct vfsmount *vfsmnt = (struct vfsmount *)s->remember_mnt;
  struct dentry *d = (struct dentry *)s->remember_dentry;
  s->remember_dentry = 0;
  if (!vfsmnt || !d) return 0;
  struct mount *mnt = PT_CONTAINER_OF(vfsmnt, struct mount, mnt);
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct fs_struct *fs = PT_READ(task, fs);
  struct dentry *task_root = fs ? PT_READ(fs, root.dentry) : 0;
#pragma clang loop unroll(disable)
  for (int i = 0; i < PT_REMEMBER_LEVELS; i++) {
    if (d == task_root) break;
    /* The dentry whose name the object has in its parent directory: its
     * own, or its mountpoint's when it is a mounted file system's root. */
    struct dentry *named = d;
    if (d == PT_READ(vfsmnt, mnt_root)) {
      struct mount *parent_mnt = PT_READ(mnt, mnt_parent);
      if (parent_mnt == mnt) break; /* the root of the mount tree */
      named = PT_READ(mnt, mnt_mountpoint);
      mnt = parent_mnt;
      vfsmnt = PT_MEMBER_PTR(mnt, mnt);
      if (named == task_root) break;
    }
    struct inode *inode = PT_READ(d, d_inode);
    struct inode *dir = 0;
    u64 key = inode ? pt_dentry_key(s, named, &dir) : 0;
    if (!key) break;
    struct pt_name_entry *known = pt_names.lookup(&key);
    if (known && known->inode == (u64)inode && known->dir == (u64)dir) break;
    pt_names_put(key, dir, inode, PT_READ(inode, i_ino), (u64)PT_READ(inode, i_sb), d);
    d = PT_READ(named, d_parent);
  }
  return 0;
}

/* At the end of a handler: the names it recorded go into pt_names. */
static __always_inline void pt_remember_names(void *ctx) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (s && s->remember_dentry) pt_sys_handlers.call(ctx, PT_SYS_REMEMBER_NAMES);
}

/* At the start of a handler: nothing left from an earlier one. */
static __always_inline void pt_forget_names_to_remember(void) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (s) s->remember_dentry = 0;
}
