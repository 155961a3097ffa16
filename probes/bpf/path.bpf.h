/* Absolute paths, in BPF because no helper that resolves a path is allowed
 * on every backend (bpf_d_path is limited to a few LSM/fentry hooks):
 *  - from a (vfsmount, dentry) pair, walked up to the task's root like
 *    d_path;
 *  - from a user-supplied path relative to a directory (path-based system
 *    calls), joined and normalized.
 * Both give the same string for the same file, and the same hash, which is
 * how path-based calls find their inode in pt_names. */

#define PT_PATH_DEPTH 48
#define PT_NAME_MASK 255 /* NAME_MAX */
#define PT_PATH_MASK (PT_PATH_MAX - 1)
#define PT_BUF_MASK (2 * PT_PATH_MAX - 1)
#define PT_USER_PATH_MAX 256
/* Components of a user path the tracepoint backend resolves: one tail
 * call each, and a chain of tail calls holds 33 (a rename resolves two
 * paths). */
#define PT_MAX_COMPONENTS 14
#define PT_COMPONENT_SLOTS 16

/* What a user path names. */
struct pt_resolution {
  struct inode *inode; /* NULL: the last component is not known */
  struct dentry *dentry;
  /* The directory of the last component, its entry's key and where its
   * name is in s->joined (dir NULL: the path names a root). */
  struct inode *dir;
  struct dentry *dir_dentry;
  u64 key;
  u32 last_start;
  u32 last_len;
};

struct pt_resolving {
  u32 step;   /* the component to resolve next */
  u32 count;  /* components */
  u32 mode;   /* enum pt_resolve_mode */
  u32 next;   /* the pt_sys_handlers slot that takes the result */
  s32 result; /* 0: resolved; 1: only the directory; -1: not even that */
  u32 pad;
};

struct pt_path_scratch {
  /* Walked paths end at PT_PATH_MAX; indexes are masked with PT_BUF_MASK,
   * so these are twice the largest path, plus room for an 8-byte read at
   * the last index (pt_hash_path). */
  char walk[2 * PT_PATH_MAX + 8];
  char joined[2 * PT_PATH_MAX + 8];
  char user[PT_USER_PATH_MAX];
  /* Values passed through memory so the verifier forgets how they were
   * computed: code after a walk is then verified once, not once per way
   * the walk can end. */
  u32 spill[4];
  /* A directory entry's name (pt_names), and the components of a user
   * path being resolved (their offsets and lengths in joined). */
  char name[PT_NAME_MASK + 1 + 8];
  u32 component_start[PT_COMPONENT_SLOTS];
  u32 component_len[PT_COMPONENT_SLOTS];
  u32 split[4]; /* pt_split_path's loop state, through memory */
  /* A resolution in progress, carried from one tail call to the next
   * (resolve.bpf.h), and one kept while a second runs (rename, link). */
  struct pt_resolution resolved;
  struct pt_resolving resolving;
  struct pt_resolution kept;
  s32 kept_result;
  u32 pad2;
  u64 candidate[2]; /* pt_find_child's, through memory */
  u64 rename_moved; /* between the stages of a rename */
  u64 rename_replaced;
  u64 rename_replaced_dentry;
  /* A name just recorded, whose entries pt_sys_remember_names puts in
   * pt_names when the handler is done (the tracepoint backend). */
  u64 remember_mnt;
  u64 remember_dentry;
  /* Shared memory's flows around a handler (memory.bpf.h): the task whose
   * sh_read went out just before its handler runs again, the handler's
   * slot, and the task whose sh_write is due when its handler is done
   * (a hook may run on another CPU than its system call's exit: rare, and
   * then its sh_write comes with the process's next use). */
  u64 shared_first_task;
  u64 shared_after_task;
  u32 shared_return;
  u32 pad3;
  u64 exec_old_cred; /* between an exec's two programs */
  /* A security hook's operation, recorded at its call's exit if the call
   * succeeded (security_hooks.bpf.c). */
  u64 pending_task;
  u64 pending_dir;
  u64 pending_dentry;
  u32 pending_type;
  u32 pad4;
  /* A new inode's state before it goes into pt_inodes (112 bytes the
   * BPF stack, 512 in all, cannot spare in the larger handlers). */
  struct pt_inode_state fresh_inode;
  struct pt_object_state fresh_object; /* likewise, objects.bpf.h */
  struct pt_cred_state fresh_cred;     /* likewise, cred.bpf.h */
  /* The record that goes out: a path node followed by the path. */
  struct pt_path_node node;
  char path[PT_PATH_MAX];
};
BPF_PERCPU_ARRAY(pt_path_scratch_map, struct pt_path_scratch, 1);

static __always_inline struct pt_path_scratch *pt_path_scratch(void) {
  int zero = 0;
  return pt_path_scratch_map.lookup(&zero);
}

/* Returns value as an unknown scalar to the verifier (see spill). */
static __always_inline u32 pt_forget(struct pt_path_scratch *s, int slot, u32 value) {
  volatile u32 *cell = &s->spill[slot & 3];
  *cell = value;
  return *cell;
}

/* Writes the path of dentry in mount vfsmnt into s->walk, ending at
 * PT_PATH_MAX, and returns where it starts (always >= 1). */
static __always_inline u32 pt_walk_path(struct pt_path_scratch *s, struct vfsmount *vfsmnt,
                                        struct dentry *dentry) {
  struct mount *mnt = PT_CONTAINER_OF(vfsmnt, struct mount, mnt);
  u32 pos = PT_PATH_MAX;
  int truncated = 0;
  /* Paths end at the acting task's root, as d_path's do: in a chroot or a
   * container a path is the one its processes use, and so matches the
   * absolute paths they pass to system calls. */
  struct task_struct *actor = (struct task_struct *)bpf_get_current_task();
  struct fs_struct *fs = PT_READ(actor, fs);
  struct vfsmount *task_root_mnt = fs ? PT_READ(fs, root.mnt) : 0;
  struct dentry *task_root = fs ? PT_READ(fs, root.dentry) : 0;
  char pseudo = 0; /* a pseudo file's name's first character */

#pragma clang loop unroll(disable)
  for (int i = 0; i < PT_PATH_DEPTH; i++) {
    if (dentry == task_root && vfsmnt == task_root_mnt) break;
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
    if (dentry == parent) {
      /* The root of an unmounted or pseudo file system; but a pseudo
       * file's own dentry is named by itself, as /proc shows it: a memfd
       * "/memfd:NAME", an anonymous inode's object "anon_inode:[eventfd]". */
      if (pos != PT_PATH_MAX) break;
      bpf_probe_read_kernel(&pseudo, 1, PT_READ(dentry, d_name.name));
      if (pseudo == '/' || pseudo == 0) break;
    }
    u32 len = PT_READ(dentry, d_name.len) & PT_NAME_MASK;
    const unsigned char *name = PT_READ(dentry, d_name.name);
    /* Keep pos >= 1: the path and its NUL fit in PT_PATH_MAX bytes. */
    if (len + 2 > pos) {
      truncated = 1;
      break;
    }
    pos -= len;
    /* The compare above is len + 2 in a register linked to len; 6.12's
     * verifier carries its bound back to len without the unsigned range,
     * leaving the size unbounded. Masked again, len is bounded on any
     * kernel. */
    PT_BARRIER_VAR(len);
    len &= PT_NAME_MASK;
    bpf_probe_read_kernel(&s->walk[pos & PT_BUF_MASK], len, name);
    pos -= 1;
    s->walk[pos & PT_BUF_MASK] = '/';
    dentry = parent;
    /* Without this the verifier follows every combination of mount
     * crossings and name lengths; forgotten, each step is checked once. */
    pos = pt_forget(s, 0, pos) & PT_PATH_MASK;
  }
  if (pos == PT_PATH_MAX) {
    pos -= 1;
    s->walk[pos & PT_BUF_MASK] = '/';
  }
  if (truncated) pt_count(PT_COUNTER_PATH_TRUNCATED);
  if (pseudo == '[' && pos > 11) {
    /* "/[eventfd]" -> "anon_inode:[eventfd]" */
    pos = (pos + 1 - 11) & PT_PATH_MASK;
    __builtin_memcpy(&s->walk[pos], "anon_inode:", 11);
  }
  pos = pt_forget(s, 0, pos) & PT_PATH_MASK;
  return pos ? pos : PT_PATH_MAX - 1;
}

#define PT_HASH_TAIL 512 /* bytes hashed: the end of the path, and its length */

/* A hash of the path buf[start, start + len): its length and its last
 * PT_HASH_TAIL bytes, eight at a time. (Each loop step is a branch the
 * verifier keeps pending, and it keeps at most 8192: hashing a whole path
 * byte by byte is beyond it.) */
static __always_inline u64 pt_hash_path(struct pt_path_scratch *s, const char *buf, u32 start,
                                        u32 len) {
  u64 hash = 14695981039346656037ULL ^ len;
  if (len > PT_HASH_TAIL) {
    start += len - PT_HASH_TAIL;
    len = PT_HASH_TAIL;
  }
  u32 words = len / 8;
  /* Compared through memory each step: otherwise the compiler folds the
   * two bounds into one loop count the verifier cannot bound. */
  volatile u32 *limit = &s->spill[3];
  *limit = words;
#pragma clang loop unroll(disable)
  for (u32 i = 0; i < PT_HASH_TAIL / 8; i++) {
    if (i >= *limit) break;
    u32 at = start + i * 8;
    PT_BARRIER_VAR(at); /* keeps clang from dropping the mask (6.1's verifier needs it) */
    hash ^= *(u64 *)&buf[at & PT_BUF_MASK];
    hash *= 1099511628211ULL;
    hash ^= hash >> 29;
  }
  u32 left = len & 7;
  if (left) {
    u32 at = start + words * 8;
    PT_BARRIER_VAR(at);
    u64 word = *(u64 *)&buf[at & PT_BUF_MASK];
    hash ^= word & ((1ULL << (left * 8)) - 1);
    hash *= 1099511628211ULL;
    hash ^= hash >> 29;
  }
  return hash;
}

/* The same hash as pt_hash_path, of a directory entry's name in s->name
 * (len <= PT_NAME_MASK). */
static __always_inline u64 pt_hash_name(struct pt_path_scratch *s, u32 len) {
  len &= PT_NAME_MASK;
  u64 hash = 14695981039346656037ULL ^ len;
  u32 words = len / 8;
  volatile u32 *limit = &s->spill[3];
  *limit = words;
#pragma clang loop unroll(disable)
  for (u32 i = 0; i < (PT_NAME_MASK + 1) / 8; i++) {
    if (i >= *limit) break;
    hash ^= *(u64 *)&s->name[(i * 8) & PT_NAME_MASK];
    hash *= 1099511628211ULL;
    hash ^= hash >> 29;
  }
  u32 left = len & 7;
  if (left) {
    u64 word = *(u64 *)&s->name[(words * 8) & PT_NAME_MASK];
    hash ^= word & ((1ULL << (left * 8)) - 1);
    hash *= 1099511628211ULL;
    hash ^= hash >> 29;
  }
  return hash;
}

/* The pt_names key of the entry `name_hash` in the directory `dir`. */
static __always_inline u64 pt_name_key(u64 dir, u64 name_hash) {
  u64 key = name_hash ^ (dir * 0x9E3779B97F4A7C15ULL);
  return key ^ (key >> 31);
}

/* Emits a path node for buf[start, start + len) and returns its reference
 * in *ref: 0 when it went out, 1 when there is no such path (nothing was
 * emitted or lost), -1 when the transport refused it (lost: a relation
 * from it must be withheld). */
static __always_inline int pt_emit_path(void *ctx, struct pt_path_scratch *s, const char *buf,
                                        u32 start, u32 len, u16 flags, struct pt_node_ref *ref) {
  if (len == 0 || len >= PT_PATH_MAX) return 1;
  PT_BARRIER_VAR(len);
  len &= PT_PATH_MASK;
  bpf_probe_read_kernel(s->path, len, &buf[start & PT_BUF_MASK]);
  s->path[len & PT_PATH_MASK] = 0;
  ref->id = pt_new_id();
  ref->version = 0;
  ref->type = PT_NODE_PATH;
  ref->pad = 0;
  u32 size = sizeof(struct pt_path_node) + len + 1;
  pt_header(&s->node.node.hdr, PT_KIND_NODE, size, PT_NODE_PATH, flags);
  s->node.node.id = ref->id;
  s->node.node.version = 0;
  s->node.path_len = len;
  if (size > sizeof(struct pt_path_node) + PT_PATH_MAX) return 1;
  return pt_emit(ctx, &s->node, size) == 0 ? 0 : -1;
}

/* A user path joined to the directory it is relative to. */
struct pt_joined {
  u32 len; /* bytes of s->joined */
};

/* Builds in s->joined the absolute path of user_path: a relative path is
 * joined to base (the walked path at s->walk[base_start..]), a leading
 * "./" and a trailing '/' dropped. Other "." and ".." components and
 * symbolic links are left as written: such a path matches no name in
 * pt_names, and the call is recorded against a path node. (There is no
 * character-by-character normalization: the verifier would have to
 * explore every way it can branch.) */
static __always_inline int pt_join_user_path(struct pt_path_scratch *s, u32 base_start,
                                             const char *user_path, struct pt_joined *out) {
  long ulen = bpf_probe_read_user_str(s->user, sizeof(s->user), user_path);
  if (ulen <= 1) return -1; /* empty */
  ulen -= 1;
  if (ulen >= PT_USER_PATH_MAX - 1) return -1; /* too long to resolve */
  u32 skip = 0;
  if (s->user[0] == '.' && s->user[1] == '/') skip = 2;
  if (ulen > 1 && s->user[(ulen - 1) & (PT_USER_PATH_MAX - 1)] == '/') ulen -= 1;
  if ((u32)ulen <= skip) return -1;
  u32 n = 0;
  if (s->user[0] != '/') {
    if (base_start == 0 || base_start >= PT_PATH_MAX) return -1;
    u32 base_len = PT_PATH_MAX - base_start;
    PT_BARRIER_VAR(base_len);
    base_len &= PT_PATH_MASK;
    if (base_len > 1) { /* the root contributes only the '/' added below */
      bpf_probe_read_kernel(s->joined, base_len, &s->walk[base_start & PT_BUF_MASK]);
      n = base_len;
    }
    s->joined[n & PT_BUF_MASK] = '/';
    n += 1;
  }
  u32 rest = (u32)ulen - skip;
  PT_BARRIER_VAR(rest);
  rest &= PT_USER_PATH_MAX - 1;
  n &= PT_PATH_MASK;
  bpf_probe_read_kernel(&s->joined[n], rest, &s->user[skip & (PT_USER_PATH_MAX - 1)]);
  n = pt_forget(s, 1, n + rest) & PT_BUF_MASK;
  if (n == 0 || n >= PT_PATH_MAX) return -1;
  out->len = n;
  return 0;
}

/* The length of the parent directory's path of s->joined[0, len): up to
 * its last '/' (0 for the root). Only the last PT_USER_PATH_MAX bytes are
 * searched: the part a user path added. */
static __always_inline u32 pt_joined_parent(struct pt_path_scratch *s, u32 len) {
  u32 parent = 0;
  volatile u32 *limit = &s->spill[3]; /* see pt_hash_path */
  *limit = len;
#pragma clang loop unroll(disable)
  for (u32 i = 1; i < PT_USER_PATH_MAX; i++) {
    if (i > *limit) break;
    if (s->joined[(len - i) & PT_BUF_MASK] == '/') {
      parent = len - i;
      break;
    }
  }
  return pt_forget(s, 2, parent) & PT_PATH_MASK;
}
