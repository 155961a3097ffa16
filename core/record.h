/*
 * provtrace's record contract: the binary records the BPF programs emit and
 * the C++ decoder reads. This one file is compiled into both (the BPF C
 * embeds it verbatim), so the two can never disagree about a layout.
 *
 * Rules, because captures outlive binaries:
 *  - fixed-width fields, explicit padding, natural alignment;
 *  - every record starts with struct pt_record_header, whose size field
 *    covers the whole record (header, body and any trailing bytes);
 *  - enum values are never reused or renumbered; new ones are appended;
 *  - fields are only ever appended to a record body: a decoder accepts a
 *    record at least as large as the body it knows;
 *  - a change a decoder must know about bumps PT_RECORD_SCHEMA_VERSION.
 */
#ifndef PROVTRACE_CORE_RECORD_H_
#define PROVTRACE_CORE_RECORD_H_

#ifdef PT_BPF_PROGRAM
/* In BPF C the kernel's __u8.. __u64 come from the BTF-derived header. */
#else
#include <linux/types.h>
#endif

#define PT_RECORD_SCHEMA_VERSION 2

#define PT_COMM_LEN 16
/* Longest path a record carries, terminating NUL included. */
#define PT_PATH_MAX 4096

/* What a record is: the first thing a decoder dispatches on. */
enum pt_record_kind {
  PT_KIND_NODE = 1,
  PT_KIND_RELATION = 2,
  /* Records this CPU could not hand over since its last lost record (the
   * ring buffer transport; perf buffers report their own): it sits in the
   * stream where the gap is. */
  PT_KIND_LOST = 3,
};

/* Node types (CamFlow's names: see core/type_names.cc). Never reuse a value. */
enum pt_node_type {
  PT_NODE_TASK = 1,           /* activity: one per thread */
  PT_NODE_PROCESS_MEMORY = 2, /* entity: one per cred */
  PT_NODE_FILE = 3,
  PT_NODE_DIRECTORY = 4,
  PT_NODE_LINK = 5,
  PT_NODE_CHAR = 6,
  PT_NODE_BLOCK = 7,
  PT_NODE_PIPE = 8,
  PT_NODE_SOCKET = 9,
  PT_NODE_PATH = 10, /* entity: a file name, full and absolute */
  PT_NODE_ARGV = 11,
  PT_NODE_ENVP = 12,
  PT_NODE_MACHINE = 13,   /* agent */
  PT_NODE_ADDRESS = 14,   /* entity: a socket's peer (CamFlow's address) */
  PT_NODE_SHM = 15,       /* entity: SysV shared memory, or a shared anonymous mapping */
  PT_NODE_MSG_QUEUE = 16, /* entity: a SysV message queue */
  /* entity: an object behind the kernel's one shared anonymous inode
   * (eventfd, epoll, signalfd, timerfd, ...), one node per object. */
  PT_NODE_ANON_INODE = 17,
  PT_NODE_TYPE_MAX
};

/* Relation types (CamFlow's names). Never reuse a value. */
enum pt_relation_type {
  PT_REL_CLONE = 1,
  PT_REL_CLONE_MEM = 2,
  PT_REL_EXEC = 3,
  PT_REL_EXEC_TASK = 4,
  PT_REL_TERMINATE_TASK = 5,
  PT_REL_TERMINATE_PROC = 6,
  PT_REL_OPEN = 7,
  PT_REL_READ = 8,
  PT_REL_WRITE = 9,
  PT_REL_MMAP = 10,
  PT_REL_MMAP_PRIVATE = 11,
  PT_REL_INODE_CREATE = 12,
  PT_REL_LINK = 13,
  PT_REL_UNLINK = 14,
  PT_REL_RENAME = 15,
  PT_REL_SETATTR = 16,
  PT_REL_SETUID = 17,
  PT_REL_SETGID = 18,
  PT_REL_PERM_CHECK = 19,
  PT_REL_NAMED = 20,
  PT_REL_ARG = 21,
  PT_REL_VERSION_ENTITY = 22,
  PT_REL_VERSION_ACTIVITY = 23,
  PT_REL_MEMORY_READ = 24,
  PT_REL_MEMORY_WRITE = 25,
  PT_REL_FREE = 26,
  /* Sockets (CamFlow's names): */
  PT_REL_SOCKET_CREATE = 27,  /* task -> socket */
  PT_REL_BIND = 28,           /* task -> socket */
  PT_REL_CONNECT = 29,        /* task -> socket */
  PT_REL_LISTEN = 30,         /* task -> socket */
  PT_REL_ACCEPT = 31,         /* new socket -> task */
  PT_REL_SEND = 32,           /* task -> socket */
  PT_REL_RECEIVE = 33,        /* socket -> task */
  PT_REL_SEND_UNIX = 34,      /* socket -> its peer socket (AF_UNIX) */
  PT_REL_SEND_PACKET = 35,    /* socket -> the receiving socket on this machine, or its address */
  PT_REL_RECEIVE_PACKET = 36, /* a remote peer's address -> socket */
  PT_REL_ADDRESSED = 37,      /* address -> socket (bind, connect) */
  /* Shared memory and message queues: */
  PT_REL_SH_READ = 38,           /* shared object -> process memory */
  PT_REL_SH_WRITE = 39,          /* process memory -> shared object */
  PT_REL_SH_ATTACH = 40,         /* task -> shared object (shmat, mmap shared) */
  PT_REL_SEND_MSG_QUEUE = 41,    /* task -> message queue */
  PT_REL_RECEIVE_MSG_QUEUE = 42, /* message queue -> task */
  /* Another process's memory (process_vm_*, ptrace, /proc/PID/mem): */
  PT_REL_PTRACE_ATTACH = 43, /* task -> the other's process memory */
  PT_REL_PTRACE_READ = 44,   /* the other's process memory -> task */
  /* Files: */
  PT_REL_SYMLINK = 45,     /* task -> the new symbolic link */
  PT_REL_READ_LINK = 46,   /* symbolic link -> task */
  PT_REL_SETXATTR = 47,    /* task -> inode */
  PT_REL_REMOVEXATTR = 48, /* task -> inode */
  PT_REL_GETXATTR = 49,    /* inode -> task */
  PT_RELATION_TYPE_MAX
};

/* pt_record_header.flags for nodes */
enum pt_node_flags {
  /* The object existed before the capture started: its node was made on
   * first touch and nothing is known of its earlier history. */
  PT_NODE_HISTORY_UNKNOWN = 1 << 0,
  /* A path node standing for a file whose inode the backend could not
   * identify (a path-based call on a file it never saw). */
  PT_NODE_INODE_UNKNOWN = 1 << 1,
};

struct pt_record_header {
  __u16 kind;    /* enum pt_record_kind */
  __u16 size;    /* bytes in the whole record */
  __u16 type;    /* enum pt_node_type or enum pt_relation_type */
  __u16 flags;   /* per kind: enum pt_node_flags, ... */
  __u64 time_ns; /* CLOCK_BOOTTIME when the kernel emitted the record */
};

/* One version of one node, as relations name it. */
struct pt_node_ref {
  __u64 id;
  __u32 version;
  __u16 type; /* enum pt_node_type */
  __u16 pad;
};

/* Every node record starts with this. */
struct pt_node_common {
  struct pt_record_header hdr;
  __u64 id;
  __u32 version;
  __u32 pad;
};

/* PT_NODE_TASK */
struct pt_task_node {
  struct pt_node_common node;
  __u32 pid;  /* thread group id, as user space calls it */
  __u32 tid;  /* kernel task id */
  __u32 ppid; /* parent's thread group id */
  __u32 uid;  /* effective */
  __u32 gid;  /* effective */
  __u32 pad;
  char comm[PT_COMM_LEN];
  /* Appended after schema 1's first cut (72 bytes). */
  __u32 vpid; /* thread id in the task's own pid namespace */
  __u32 pad2;
  __u64 utime_ns;
  __u64 stime_ns;
  /* Namespace inode numbers. */
  __u32 utsns;
  __u32 ipcns;
  __u32 mntns;
  __u32 pidns;
  __u32 netns;
  __u32 cgroupns;
};
#define PT_TASK_NODE_MIN_SIZE 72

/* PT_NODE_PROCESS_MEMORY: one per cred, shared by a thread group. */
struct pt_proc_node {
  struct pt_node_common node;
  __u32 tgid;
  __u32 uid; /* effective */
  __u32 gid; /* effective */
  __u32 pad;
};

/* PT_NODE_FILE .. PT_NODE_SOCKET: an inode; the type follows i_mode. */
struct pt_inode_node {
  struct pt_node_common node;
  __u64 ino;
  __u32 mode;
  __u32 uid;
  __u32 gid;
  __u32 dev; /* the superblock's s_dev, encoded as the kernel does */
  __u8 sb_uuid[16];
};

/* PT_NODE_ARGV, PT_NODE_ENVP: the NUL-separated strings follow the
 * struct; len counts their bytes (each with its NUL), count the strings. */
struct pt_strings_node {
  struct pt_node_common node;
  __u32 len;
  __u32 count;
  /* char strings[len]; */
};

/* Node ids below this are user space's (the BPF counter starts here). */
#define PT_FIRST_KERNEL_ID 16
#define PT_MACHINE_NODE_ID 1

/* PT_NODE_MACHINE: made by user space once per capture (uname), with id
 * PT_MACHINE_NODE_ID. */
#define PT_UTS_LEN 65
struct pt_machine_node {
  struct pt_node_common node;
  char sysname[PT_UTS_LEN];
  char nodename[PT_UTS_LEN];
  char release[PT_UTS_LEN];
  char version[PT_UTS_LEN];
  char machine[PT_UTS_LEN];
  char pad[3];
};

/* PT_NODE_ADDRESS: a socket address (bind, connect, a peer): AF_INET or
 * AF_INET6 with its port, or AF_UNIX with its path, which follows the
 * struct NUL-terminated (path_len bytes without the NUL; 0: none). */
#define PT_UNIX_PATH_MAX 108
struct pt_address_node {
  struct pt_node_common node;
  __u16 family; /* AF_INET 2, AF_INET6 10, AF_UNIX 1 */
  __u16 port;   /* host byte order */
  __u32 path_len;
  __u8 addr[16]; /* IPv4 in the first 4 bytes, network byte order */
  /* char path[path_len + 1]; */
};

/* PT_NODE_SHM, PT_NODE_MSG_QUEUE: a System V object by its IPC namespace
 * and id, or a shared anonymous mapping (id: a number of its own). */
enum pt_ipc_kind {
  PT_IPC_SYSV_SHM = 1,
  PT_IPC_SHARED_ANONYMOUS = 2,
  PT_IPC_SYSV_MSG_QUEUE = 3,
};
struct pt_ipc_node {
  struct pt_node_common node;
  __u32 kind; /* enum pt_ipc_kind */
  __u32 id;   /* shmid, msqid, or a count (shared anonymous) */
  __u32 ipcns;
  __u32 pad;
};

/* PT_NODE_PATH: the NUL-terminated path follows the struct; path_len
 * counts its bytes without the NUL. */
struct pt_path_node {
  struct pt_node_common node;
  __u32 path_len;
  __u32 pad;
  /* char path[path_len + 1]; */
};

/* PT_KIND_LOST: the header's type and flags are 0. */
struct pt_lost_record {
  struct pt_record_header hdr;
  __u64 count; /* records lost on this CPU just before this one */
  __u32 cpu;
  __u32 pad;
};

/* Every relation record. from is where information comes from (CamFlow's
 * sender), to is where it goes. flags: clone flags (clone), open flags
 * (open), prot (mmap), mode (inode_create), access mask (perm_check). */
struct pt_relation {
  struct pt_record_header hdr;
  __u64 id;
  struct pt_node_ref from;
  struct pt_node_ref to;
  __u64 flags;  /* per relation: clone flags, open flags, ... */
  __s64 offset; /* file offset where a file is involved, else -1 */
};

/* Per-CPU counters the BPF side keeps; user space sums them over CPUs. */
enum pt_counter {
  PT_COUNTER_EMITTED = 0, /* records handed to the transport */
  /* Records lost: refused by the transport, or withheld because a node
   * they name could not be handed over (a relation never names a node the
   * stream lacks). */
  PT_COUNTER_OUTPUT_FAILED = 1,
  PT_COUNTER_STATE_FULL = 2, /* per-object state inserts that failed */
  PT_COUNTER_PATH_TRUNCATED = 3,
  PT_COUNTER_COMPRESSED = 4,    /* relations dropped by edge compression */
  PT_COUNTER_UNRESOLVED = 5,    /* path-based calls on unknown inodes */
  PT_COUNTER_LOSS_REPORTED = 6, /* of OUTPUT_FAILED, put in the stream as PT_KIND_LOST */
  PT_COUNTER_REDESCRIBED = 7,   /* nodes emitted again after their first emission failed */
  PT_COUNTER_MAX
};

/* The value of the one slot of the per-CPU array pt_counters. */
struct pt_cpu_counters {
  __u64 count[PT_COUNTER_MAX];
};

/* The BPF programs' settings, written by user space before attaching. */
struct pt_config {
  __u32 self_tgid;   /* provtrace itself: never recorded */
  __u32 scoped;      /* 1: only tasks in the scope (roots, cgroup) and their descendants */
  __u32 record_envp; /* 1: exec records envp nodes too */
  __u32 pad;
  __u64 cgroup_id; /* scoped: also tasks in this cgroup v2 or below it; 0: none */
};

/* Values of pt_scope_roots, keyed by a thread or thread group id. */
enum pt_scope_root {
  PT_SCOPE_AWAIT_EXEC = 1, /* provtrace's held child: recorded from its exec */
  PT_SCOPE_PROCESS = 2,    /* a running process (-p): recorded at once */
};

#endif /* PROVTRACE_CORE_RECORD_H_ */
