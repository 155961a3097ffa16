/* Tracepoint backend: raw tracepoints, which every BTF kernel allows. */

RAW_TRACEPOINT_PROBE(sched_process_fork) {
  struct task_struct *parent = (struct task_struct *)ctx->args[0];
  struct task_struct *child = (struct task_struct *)ctx->args[1];
  pt_on_task_new(ctx, parent, child, pt_shared_clone_flags(parent, child), 0);
  return 0;
}

RAW_TRACEPOINT_PROBE(sched_process_exec) {
  pt_on_exec(ctx, (struct task_struct *)ctx->args[0], (struct linux_binprm *)ctx->args[2]);
  return 0;
}

RAW_TRACEPOINT_PROBE(sched_process_exit) {
  pt_on_exit(ctx, (struct task_struct *)ctx->args[0]);
  return 0;
}

RAW_TRACEPOINT_PROBE(sched_process_free) {
  pt_on_free((struct task_struct *)ctx->args[0]);
  return 0;
}
