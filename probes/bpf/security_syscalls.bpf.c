/* The security backends' system call layer: sys_exit dispatches only the
 * calls of mechanisms their hooks do not see (sockets' own calls, System V
 * and POSIX IPC, another process's memory, tee and vmsplice, shared
 * anonymous memory, where a shared file is mapped), and ends what a hook
 * left due (sh_write); sys_enter starts the calls that carry data out of
 * the process memory with what it shares (sh_read), before their hooks
 * run. */

RAW_TRACEPOINT_PROBE(sys_enter) {
  long nr = ctx->args[1];
  switch (nr) {
    case PT_NR_write:
    case PT_NR_pwrite64:
    case PT_NR_writev:
    case PT_NR_pwritev:
    case PT_NR_pwritev2:
    case PT_NR_sendfile:
    case PT_NR_splice:
    case PT_NR_copy_file_range:
    case PT_NR_tee:
    case PT_NR_vmsplice:
    case PT_NR_sendto:
    case PT_NR_sendmsg:
    case PT_NR_sendmmsg:
    case PT_NR_msgsnd:
    case PT_NR_mq_timedsend:
    case PT_NR_process_vm_writev:
    case PT_NR_ptrace:
    case PT_NR_setxattr:
    case PT_NR_lsetxattr:
    case PT_NR_fsetxattr:
    case PT_NR_setxattrat:
      break;
    default:
      return 0;
  }
  pt_sys_handlers.call(ctx, PT_SYS_SHARED_FIRST);
  return 0;
}

RAW_TRACEPOINT_PROBE(sys_exit) {
  long ret = (long)ctx->args[1];
  struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
  long nr;
  if (ret < 0 && ret > -4096) {
    /* Failed; but a non-blocking connect has begun. */
    nr = ret == -PT_EINPROGRESS ? PT_READ(regs, orig_ax) : -1;
    if (nr != PT_NR_connect) nr = -1;
  } else {
    nr = PT_READ(regs, orig_ax);
  }
  u32 handler;
  switch (nr) {
    case PT_NR_read:
    case PT_NR_pread64:
    case PT_NR_readv:
    case PT_NR_preadv:
    case PT_NR_preadv2: /* of /proc/PID/mem */
      handler = PT_SYS_PROC_READ;
      break;
    case PT_NR_vmsplice:
    case PT_NR_tee:
    case PT_NR_splice: /* a pipe's side reaches no hook */
      handler = PT_SYS_COPY;
      break;
    case PT_NR_mmap:
      handler = PT_SYS_MMAP;
      break;
    case PT_NR_socket:
    case PT_NR_socketpair:
      handler = PT_SYS_SOCKET;
      break;
    case PT_NR_accept:
    case PT_NR_accept4:
      handler = PT_SYS_ACCEPT;
      break;
    case PT_NR_bind:
    case PT_NR_connect:
    case PT_NR_listen:
      handler = PT_SYS_SOCKET_OP;
      break;
    case PT_NR_sendto:
    case PT_NR_sendmsg:
    case PT_NR_sendmmsg:
      handler = PT_SYS_SEND;
      break;
    case PT_NR_recvfrom:
    case PT_NR_recvmsg:
    case PT_NR_recvmmsg:
      handler = PT_SYS_RECEIVE;
      break;
    case PT_NR_shmat:
    case PT_NR_shmdt:
    case PT_NR_munmap:
      handler = PT_SYS_SHM;
      break;
    case PT_NR_msgsnd:
    case PT_NR_msgrcv:
    case PT_NR_mq_timedsend:
    case PT_NR_mq_timedreceive:
      handler = PT_SYS_MSG;
      break;
    case PT_NR_process_vm_readv:
    case PT_NR_process_vm_writev:
    case PT_NR_ptrace:
      handler = PT_SYS_PROCESS_VM;
      break;
    case PT_NR_symlink:
    case PT_NR_symlinkat:
    case PT_NR_getxattr:
    case PT_NR_lgetxattr:
    case PT_NR_fgetxattr:
    case PT_NR_getxattrat:
    case PT_NR_removexattr:
    case PT_NR_lremovexattr:
    case PT_NR_fremovexattr:
    case PT_NR_removexattrat:
      handler = PT_SYS_HOOK_DONE;
      break;
    default: {
      /* A hook's use is done: sh_write, if it left one due. */
      int zero = 0;
      struct pt_path_scratch *s = pt_path_scratch_map.lookup(&zero);
      if (s && s->shared_after_task == bpf_get_current_task())
        pt_sys_handlers.call(ctx, PT_SYS_SHARED_AFTER);
      return 0;
    }
  }
  pt_sys_handlers.call(ctx, handler);
  return 0;
}
