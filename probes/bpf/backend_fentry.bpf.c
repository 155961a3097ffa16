/* fentry backend: the security hooks through the kernel's security_*
 * functions, for kernels that build BPF LSM but do not activate it. */

#define PT_HOOK_ARGC(hook) PT_BTF_ARGC_security_##hook
/* BCC marks the program by inserting a section attribute where its macro
 * expansion starts: a declaration of it must come first there. */
#define PT_SECURITY_HOOK(hook, args...)                \
  int kfunc__security_##hook(unsigned long long *ctx); \
  PT_CHECK_HOOK(hook, args)                            \
  KFUNC_PROBE(security_##hook, ##args)

KFUNC_PROBE(security_mmap_file, struct file *file, unsigned long prot, unsigned long flags) {
  u64 type = flags & 0x0f;
  if (file)
    pt_on_mmap(ctx, (struct task_struct *)bpf_get_current_task(), file, prot,
               type == 0x01 || type == 0x03, 0);
  return 0;
}

KFUNC_PROBE(security_inode_free, struct inode *inode) {
  pt_on_inode_free(ctx, inode);
  return 0;
}
