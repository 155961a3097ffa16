/* The system calls the tracepoint backend records, and the tail-call slots
 * of their handlers. Plain C shared by the BPF programs (embedded) and the
 * program table. x86-64 numbering. */
#ifndef PROVTRACE_PROBES_BPF_SYSCALLS_H_
#define PROVTRACE_PROBES_BPF_SYSCALLS_H_

/* Slots of pt_sys_handlers: one program per kind of call. */
enum pt_sys_handler {
  PT_SYS_READ = 0,
  PT_SYS_WRITE = 1,
  PT_SYS_OPEN = 2,
  PT_SYS_MMAP = 3,
  PT_SYS_SETID = 4,
  PT_SYS_SETATTR = 5,
  PT_SYS_UNLINK = 6,
  PT_SYS_RENAME = 7,
  PT_SYS_LINK = 8,
  PT_SYS_MKDIR = 9,
  PT_SYS_ACCESS = 10,
  PT_SYS_COPY = 11, /* file to file in the kernel: read one, write the other */
  /* Path resolution (resolve.bpf.h), a component per tail call, and the
   * handlers' stages that take its result. */
  PT_SYS_RESOLVE_STEP = 12,
  PT_SYS_SETATTR_RESOLVED = 13,
  PT_SYS_UNLINK_RESOLVED = 14,
  PT_SYS_RENAME_OLD_RESOLVED = 15,
  PT_SYS_RENAME_NEW_RESOLVED = 16,
  PT_SYS_LINK_NEW_RESOLVED = 17,
  PT_SYS_LINK_OLD_RESOLVED = 18,
  PT_SYS_MKDIR_RESOLVED = 19,
  PT_SYS_ACCESS_RESOLVED = 20,
  PT_SYS_RENAME_MOVED = 21,
  PT_SYS_RENAME_REPLACED = 22,
  PT_SYS_REMEMBER_NAMES = 23, /* after a handler that named a file */
  /* Shared memory's flows around a handler (memory.bpf.h). */
  PT_SYS_SHARED_FIRST = 24,
  PT_SYS_SHARED_AFTER = 25,
  PT_SYS_SOCKET = 26,    /* socket, socketpair */
  PT_SYS_SOCKET_OP = 27, /* bind, connect, listen */
  PT_SYS_SEND = 28,
  PT_SYS_RECEIVE = 29,
  PT_SYS_SHM = 30,        /* shmat, shmdt, munmap */
  PT_SYS_MSG = 31,        /* System V and POSIX message queues */
  PT_SYS_PROCESS_VM = 32, /* process_vm_readv/writev, ptrace */
  PT_SYS_SYMLINK = 33,
  PT_SYS_SYMLINK_RESOLVED = 34,
  PT_SYS_READLINK = 35,
  PT_SYS_READLINK_RESOLVED = 36,
  PT_SYS_XATTR = 37,
  PT_SYS_XATTR_RESOLVED = 38,
  PT_SYS_ACCEPT = 39,     /* accept, accept4 */
  PT_SYS_EXEC_IMAGE = 40, /* sched_process_exec, continued */
  PT_SYS_HOOK_DONE = 41,  /* a security hook's operation, at its call's exit */
  PT_SYS_COPY_WRITE = 42, /* a copying call's write side */
  PT_SYS_URING_READ = 43, /* io_uring operations (io_uring.bpf.c) */
  PT_SYS_URING_WRITE = 44,
  PT_SYS_URING_OPEN = 45,
  PT_SYS_URING_SPLICE = 46,
  PT_SYS_SOCKET_OP_DONE = 47, /* bind, connect, listen, after the address */
  PT_SYS_PROC_READ = 48,      /* the security backends: a read's exit */
  PT_SYS_HANDLER_MAX
};

/* arch/x86/entry/syscalls/syscall_64.tbl */
#define PT_NR_read 0
#define PT_NR_write 1
#define PT_NR_open 2
#define PT_NR_mmap 9
#define PT_NR_munmap 11
#define PT_NR_ioctl 16
#define PT_NR_pread64 17
#define PT_NR_pwrite64 18
#define PT_NR_readv 19
#define PT_NR_writev 20
#define PT_NR_access 21
#define PT_NR_shmat 30
#define PT_NR_sendfile 40
#define PT_NR_socket 41
#define PT_NR_connect 42
#define PT_NR_accept 43
#define PT_NR_sendto 44
#define PT_NR_recvfrom 45
#define PT_NR_sendmsg 46
#define PT_NR_recvmsg 47
#define PT_NR_bind 49
#define PT_NR_listen 50
#define PT_NR_socketpair 53
#define PT_NR_shmdt 67
#define PT_NR_msgsnd 69
#define PT_NR_msgrcv 70
#define PT_NR_truncate 76
#define PT_NR_ftruncate 77
#define PT_NR_rename 82
#define PT_NR_mkdir 83
#define PT_NR_rmdir 84
#define PT_NR_creat 85
#define PT_NR_link 86
#define PT_NR_unlink 87
#define PT_NR_symlink 88
#define PT_NR_readlink 89
#define PT_NR_chmod 90
#define PT_NR_fchmod 91
#define PT_NR_chown 92
#define PT_NR_fchown 93
#define PT_NR_lchown 94
#define PT_NR_ptrace 101
#define PT_NR_setuid 105
#define PT_NR_setgid 106
#define PT_NR_setreuid 113
#define PT_NR_setregid 114
#define PT_NR_setresuid 117
#define PT_NR_setresgid 119
#define PT_NR_setfsuid 122
#define PT_NR_setfsgid 123
#define PT_NR_mknod 133
#define PT_NR_setxattr 188
#define PT_NR_lsetxattr 189
#define PT_NR_fsetxattr 190
#define PT_NR_getxattr 191
#define PT_NR_lgetxattr 192
#define PT_NR_fgetxattr 193
#define PT_NR_removexattr 197
#define PT_NR_lremovexattr 198
#define PT_NR_fremovexattr 199
#define PT_NR_mq_timedsend 242
#define PT_NR_mq_timedreceive 243
#define PT_NR_openat 257
#define PT_NR_mkdirat 258
#define PT_NR_mknodat 259
#define PT_NR_fchownat 260
#define PT_NR_unlinkat 263
#define PT_NR_renameat 264
#define PT_NR_linkat 265
#define PT_NR_symlinkat 266
#define PT_NR_readlinkat 267
#define PT_NR_fchmodat 268
#define PT_NR_faccessat 269
#define PT_NR_splice 275
#define PT_NR_tee 276
#define PT_NR_vmsplice 278
#define PT_NR_utimensat 280
#define PT_NR_accept4 288
#define PT_NR_preadv 295
#define PT_NR_pwritev 296
#define PT_NR_recvmmsg 299
#define PT_NR_sendmmsg 307
#define PT_NR_process_vm_readv 310
#define PT_NR_process_vm_writev 311
#define PT_NR_renameat2 316
#define PT_NR_copy_file_range 326
#define PT_NR_preadv2 327
#define PT_NR_pwritev2 328
#define PT_NR_openat2 437
#define PT_NR_faccessat2 439
#define PT_NR_fchmodat2 452
/* 463-466: the *xattrat calls, since 6.13 */
#define PT_NR_setxattrat 463
#define PT_NR_getxattrat 464
#define PT_NR_removexattrat 466

#endif /* PROVTRACE_PROBES_BPF_SYSCALLS_H_ */
