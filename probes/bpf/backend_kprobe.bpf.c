/* kprobe backend: the security_* functions through kprobes, for kernels
 * without BPF trampolines. */

int kprobe__security_task_alloc(struct pt_regs *ctx, struct task_struct *task,
                                unsigned long clone_flags) {
  pt_on_task_new(ctx, (struct task_struct *)bpf_get_current_task(), task,
                 clone_flags & PT_CLONE_FLAGS_MASK, 1);
  return 0;
}

int kprobe__security_task_free(struct pt_regs *ctx, struct task_struct *task) {
  pt_on_exit(ctx, task);
  pt_on_free(task);
  return 0;
}

int kprobe__security_bprm_committing_creds(struct pt_regs *ctx, struct linux_binprm *bprm) {
  pt_on_exec(ctx, (struct task_struct *)bpf_get_current_task(), bprm);
  return 0;
}
