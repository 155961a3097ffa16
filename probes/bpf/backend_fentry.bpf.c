/* fentry backend: the same hooks through the kernel's security_* functions,
 * for kernels that build BPF LSM but do not activate it. */

KFUNC_PROBE(security_task_alloc, struct task_struct *task, unsigned long clone_flags) {
  pt_on_task_new(ctx, (struct task_struct *)bpf_get_current_task(), task,
                 clone_flags & PT_CLONE_FLAGS_MASK, 1);
  return 0;
}

KFUNC_PROBE(security_task_free, struct task_struct *task) {
  pt_on_exit(ctx, task);
  pt_on_free(task);
  return 0;
}

KFUNC_PROBE(security_bprm_committing_creds, struct linux_binprm *bprm) {
  pt_on_exec(ctx, (struct task_struct *)bpf_get_current_task(), bprm);
  return 0;
}
