/* BPF LSM backend: programs on the security hooks themselves (needs "bpf"
 * among the active LSMs). */

#define PT_HOOK_ARGC(hook) PT_BTF_ARGC_bpf_lsm_##hook
/* BCC marks an LSM program by inserting a section attribute where its
 * macro expansion starts: a declaration of it must come first there. */
#define PT_SECURITY_HOOK(hook, args...)     \
  int lsm__##hook(unsigned long long *ctx); \
  PT_CHECK_HOOK(hook, args)                 \
  LSM_PROBE(hook, ##args)

LSM_PROBE(mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
          unsigned long flags) {
  u64 type = flags & 0x0f;
  if (file)
    pt_on_mmap(ctx, (struct task_struct *)bpf_get_current_task(), file, prot,
               type == 0x01 || type == 0x03, 0);
  return 0;
}

LSM_PROBE(inode_free_security, struct inode *inode) {
  pt_on_inode_free(ctx, inode);
  return 0;
}
