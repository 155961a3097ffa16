/* Per-object provenance state kept in BPF maps. Plain C shared by the BPF
 * programs (embedded) and by user space, which reads the maps in tests and
 * diagnostics. State is kept apart from recording, as CamFlow does. */
#ifndef PROVTRACE_PROBES_BPF_STATE_H_
#define PROVTRACE_PROBES_BPF_STATE_H_

#ifndef PT_BPF_PROGRAM
#include <linux/types.h>
#endif

enum pt_prov_flags {
  PT_PROV_IGNORED = 1 << 0,         /* provtrace itself, or outside the scope */
  PT_PROV_NODE_PENDING = 1 << 1,    /* made before its attributes were known */
  PT_PROV_HAS_OUTGOING = 1 << 2,    /* passed information on since its last version */
  PT_PROV_NAME_RECORDED = 1 << 3,   /* an inode whose path node is out */
  PT_PROV_AWAIT_EXEC = 1 << 4,      /* a scope root: recorded from its exec on */
  PT_PROV_HISTORY_UNKNOWN = 1 << 5, /* existed before the capture: version 0 says so */
  PT_PROV_DESCRIBE_FAILED = 1 << 6, /* its node's last emission was lost */
};

/* What every tracked object has (CamFlow's struct provenance): identity,
 * version, what edge compression needs — the last relation received — and
 * what flow reduction needs: a node known to hold all of this object's
 * information (its id, 0 if none, and the version that held it). A node is
 * emitted when a relation first names its version, and again if that
 * emission failed: `described` is one more than the version whose node the
 * transport took (0: none), so no relation names a node the stream lacks. */
struct pt_prov {
  __u64 id;
  __u64 flags; /* enum pt_prov_flags; 64-bit for BPF atomics */
  __u64 last_from_id;
  __u32 version;
  __u32 last_from_version;
  __u16 last_type;
  __u16 node_type; /* enum pt_node_type */
  __u32 within_version;
  __u64 within_id;
  __u32 described;
  __u32 pad;
};

/* pt_tasks: keyed by the task_struct's address, unique while the task
 * lives; deleted when the task is freed, so a reused address is a fresh
 * key. */
struct pt_task_state {
  struct pt_prov prov;
  __u64 cred; /* the cred whose process_memory the task last used */
  __u32 tid;  /* for diagnostics and tests */
  __u32 clone_from_version;
  /* PT_PROV_NODE_PENDING (a security hook saw the task before it had a
   * pid): its clone relation waits until the task is first seen with one,
   * from the parent's version then, with these flags. */
  __u64 clone_from_id;
  __u64 clone_flags;
  __u64 clone_parent_cred; /* the parent's cred then (a new process has another) */
};

/* pt_creds: keyed by the cred's address. Backends without a cred free hook
 * tell a reused address from the cred they saw by its owner (thread group
 * id and start time): a mismatch is a new object. */
struct pt_cred_state {
  struct pt_prov prov; /* first: the state is found from its prov */
  __u32 tgid;
  __u32 uid; /* effective; creds never change once in use */
  __u32 gid;
  __u32 pad;
  __u64 owner_start; /* start_time of the thread group leader */
};

/* pt_inodes: keyed by the inode's address, checked against the inode's
 * number, generation and superblock for backends without a free hook. */
struct pt_inode_state {
  struct pt_prov prov; /* first: the state is found from its prov */
  __u64 ino;
  __u64 sb;
  __u32 generation;
  /* The node's attributes, read when the state is made and after a
   * setattr: a node is emitted from them, with no kernel reads, even after
   * the inode is gone (an unlink seen at the system call's exit). */
  __u32 mode;
  __u32 uid;
  __u32 gid;
  __u32 dev;
  __u32 pad;
  __u8 sb_uuid[16];
};

/* pt_names (the tracepoint backend, which sees paths, not inodes): a
 * directory entry, keyed by a hash of the directory's inode address and
 * the entry's name, -> the inode it names and its dentry, checked against
 * the kernel's objects at each use. Keyed by directory, not by full path,
 * so that renaming a directory keeps its children's entries right. */
struct pt_name_entry {
  __u64 inode; /* key into pt_inodes */
  __u64 ino;
  __u64 sb;
  __u64 dentry; /* 0: not known */
  __u64 dir;    /* the directory's inode */
};

#define PT_TASK_CAPACITY 131072
#define PT_CRED_CAPACITY 65536
#define PT_INODE_CAPACITY 262144
#define PT_NAME_CAPACITY 262144

#endif /* PROVTRACE_PROBES_BPF_STATE_H_ */
