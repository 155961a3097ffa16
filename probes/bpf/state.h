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
  /* A channel (pipe, socket, message queue, eventfd, ...): one version for
   * its whole life. A receiver's call can return with what a sender put
   * there before the sender's call returns, and system call backends
   * record at the return: a new version made by the send would come after
   * the receive that took it. */
  PT_PROV_ONE_VERSION = 1 << 7,
  /* A socket that sent while its connection's other end was unknown: the
   * join that finds that end carries what it sent (sockets.bpf.h). */
  PT_PROV_SENT_UNJOINED = 1 << 8,
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
  /* The struct sock the task's send just woke (an AF_UNIX datagram's
   * receiver: sk_data_ready, unix_may_send), taken by the send's record. */
  __u64 peer_sock;
};

/* An object a process has mapped shared (a file, SysV shared memory, a
 * shared anonymous mapping): information flows between it and the process
 * memory at the process's events, as CamFlow's sh_read and sh_write. */
enum pt_shared_kind {
  PT_SHARED_INODE = 1,  /* key: pt_inodes */
  PT_SHARED_OBJECT = 2, /* key: pt_objects */
};
enum pt_shared_access {
  PT_SHARED_READ = 1,
  PT_SHARED_WRITE = 2,
};
struct pt_shared {
  __u64 key;
  __u64 addr;  /* where it is mapped (munmap, shmdt) */
  __u8 kind;   /* enum pt_shared_kind; 0: a free slot */
  __u8 access; /* enum pt_shared_access bits */
  __u8 pad[6];
};
#define PT_SHARED_MAX 4

/* pt_creds: keyed by the cred's address. Backends without a cred free hook
 * tell a reused address from the cred they saw by its owner (thread group
 * id and start time): a mismatch is a new object. */
struct pt_cred_state {
  struct pt_prov prov; /* first: the state is found from its prov */
  __u32 tgid;
  __u32 uid; /* effective; creds never change once in use */
  __u32 gid;
  __u32 shared_count; /* slots of `shared` in use */
  __u64 owner_start;  /* start_time of the thread group leader */
  struct pt_shared shared[PT_SHARED_MAX];
};

/* A power of two above PT_UNIX_PATH_MAX, for the verifier's bounds. */
#define PT_UNIX_PATH_MASK 127

/* pt_objects: objects that are not inodes (SysV shared memory and message
 * queues, shared anonymous mappings, peers' addresses), keyed by a hash of
 * what identifies them. */
struct pt_object_state {
  struct pt_prov prov; /* first */
  __u32 kind;          /* enum pt_ipc_kind, or 0 for an address */
  __u32 id;
  __u32 ipcns;
  __u16 family; /* an address */
  __u16 port;
  __u8 addr[16];
  __u32 path_len; /* AF_UNIX */
  __u32 pad;
  /* AF_UNIX: the socket bound to the path (its inode and struct sock), for
   * a datagram sent to it. */
  __u64 bound_inode;
  __u64 bound_sock;
  char path[PT_UNIX_PATH_MASK + 1];
};

/* pt_endpoints: a socket's connection on this machine, by what it looks
 * like from its own side (protocol, local and remote address and port), so
 * that a sender finds the receiving socket by the reverse. */
struct pt_endpoint_key {
  __u16 family;
  __u16 protocol;
  __u16 local_port; /* host order */
  __u16 remote_port;
  __u32 netns;
  __u32 pad;
  __u8 local[16];
  __u8 remote[16];
};
struct pt_endpoint {
  __u64 inode; /* the socket's inode: a key into pt_inodes */
  __u64 sock;  /* its struct sock, to tell a reused inode address */
  /* Its node (sockets have one version), for a join made after the
   * socket is gone: a connector that sent and closed before its
   * connection was accepted. */
  struct pt_node_ref ref;
};

/* pt_inodes: keyed by the inode's address (pt_inode_key: mixed with its
 * number and generation in the backend without an inode free hook), and
 * checked against the inode's number, generation and superblock there. */
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
#define PT_OBJECT_CAPACITY 65536
#define PT_ENDPOINT_CAPACITY 65536
#define PT_PROC_CAPACITY 65536

#endif /* PROVTRACE_PROBES_BPF_STATE_H_ */
