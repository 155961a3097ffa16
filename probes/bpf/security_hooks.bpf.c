/* The security hooks every security backend (lsm, fentry, kprobe)
 * attaches. PT_SECURITY_HOOK(hook, args...) is defined by the backend file
 * that precedes this one: an LSM program on the hook, or an fentry program
 * or a kprobe on the kernel's security_<hook> function. Signatures are
 * those of Linux 6.1, checked at compile time against the running
 * kernel's BTF (PT_CHECK_HOOK), and adapted where later kernels differ. */

#define PT_MAY_WRITE 0x02
#define PT_MAY_READ 0x04
#define PT_MAY_ACCESS 0x10

static __always_inline struct task_struct *pt_current(void) {
  return (struct task_struct *)bpf_get_current_task();
}

/* What a hook that runs before its operation leaves for the call's exit
 * (pt_sys_hook_done) to record if the call succeeded. */
static __always_inline void pt_hook_pending(u16 type, struct inode *dir, struct dentry *dentry) {
  struct pt_path_scratch *s = pt_path_scratch();
  if (!s) return;
  s->pending_task = bpf_get_current_task();
  s->pending_type = type;
  s->pending_dir = (u64)dir;
  s->pending_dentry = (u64)dentry;
}

PT_SECURITY_HOOK(task_alloc, struct task_struct *task, unsigned long clone_flags) {
  pt_on_clone(ctx, pt_current(), task, clone_flags & PT_CLONE_FLAGS_MASK, 1);
  return 0;
}

/* fork's end, in the parent, once the child has its pid: the clone
 * relation and the new process memory task_alloc left pending are made
 * now, not at the child's first hook, so that a call naming the child by
 * its pid (process_vm_writev, /proc/PID/mem, ptrace) finds it even while
 * the child runs no hook at all (spinning on memory another writes). */
RAW_TRACEPOINT_PROBE(sched_process_fork) {
  pt_task_touch(ctx, (struct task_struct *)ctx->args[1]);
  return 0;
}

PT_SECURITY_HOOK(task_free, struct task_struct *task) {
  pt_on_exit(ctx, task);
  pt_on_task_free(task);
  return 0;
}

/* exec: the sched_process_exec raw tracepoint, as in every backend
 * (syscall_mechanisms.bpf.c). */

PT_SECURITY_HOOK(cred_free, struct cred *cred) {
  pt_on_cred_free(ctx, cred);
  return 0;
}

PT_SECURITY_HOOK(task_fix_setuid, struct cred *new, const struct cred *old, int flags) {
  pt_on_setid(ctx, pt_current(), new, PT_REL_SETUID);
  return 0;
}

PT_SECURITY_HOOK(task_fix_setgid, struct cred *new, const struct cred *old, int flags) {
  pt_on_setid(ctx, pt_current(), new, PT_REL_SETGID);
  return 0;
}

PT_SECURITY_HOOK(file_open, struct file *file) {
  pt_on_file_open(ctx, pt_current(), file, PT_READ(file, f_flags));
  return 0;
}

PT_SECURITY_HOOK(file_permission, struct file *file, int mask) {
  s64 offset = PT_READ(file, f_pos);
  if (mask & PT_MAY_READ) pt_on_file_read(ctx, pt_current(), file, offset);
  if (mask & PT_MAY_WRITE) pt_on_file_write(ctx, pt_current(), file, offset);
  return 0;
}

PT_SECURITY_HOOK(inode_create, struct inode *dir, struct dentry *dentry, umode_t mode) {
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0) pt_on_inode_create(ctx, &a, dir, mode);
  return 0;
}

PT_SECURITY_HOOK(inode_mkdir, struct inode *dir, struct dentry *dentry, umode_t mode) {
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0) pt_on_inode_create(ctx, &a, dir, mode | 0040000);
  return 0;
}

PT_SECURITY_HOOK(inode_link, struct dentry *old_dentry, struct inode *dir,
                 struct dentry *new_dentry) {
  pt_on_new_name(ctx, pt_current(), old_dentry, new_dentry, PT_REL_LINK);
  return 0;
}

PT_SECURITY_HOOK(inode_unlink, struct inode *dir, struct dentry *dentry) {
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0)
    pt_on_inode_change(ctx, &a, PT_READ(dentry, d_inode), PT_REL_UNLINK);
  return 0;
}

PT_SECURITY_HOOK(inode_rmdir, struct inode *dir, struct dentry *dentry) {
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0)
    pt_on_inode_change(ctx, &a, PT_READ(dentry, d_inode), PT_REL_UNLINK);
  return 0;
}

/* The LSM hook has no flags; security_inode_rename has. */
#if PT_HOOK_ARGC(inode_rename) == 5
PT_SECURITY_HOOK(inode_rename, struct inode *old_dir, struct dentry *old_dentry,
                 struct inode *new_dir, struct dentry *new_dentry, unsigned int flags) {
#else
PT_SECURITY_HOOK(inode_rename, struct inode *old_dir, struct dentry *old_dentry,
                 struct inode *new_dir, struct dentry *new_dentry) {
#endif
  pt_on_new_name(ctx, pt_current(), old_dentry, new_dentry, PT_REL_RENAME);
  return 0;
}

/* Linux 6.1's LSM hook has no idmap; its security_ function has one (a
 * user namespace then, an idmap since), and later hooks do too. */
#if PT_HOOK_ARGC(inode_setattr) == 3
PT_SECURITY_HOOK(inode_setattr, void *idmap, struct dentry *dentry, struct iattr *attr) {
#else
PT_SECURITY_HOOK(inode_setattr, struct dentry *dentry, struct iattr *attr) {
#endif
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0)
    pt_on_inode_change(ctx, &a, PT_READ(dentry, d_inode), PT_REL_SETATTR);
  return 0;
}

PT_SECURITY_HOOK(inode_mknod, struct inode *dir, struct dentry *dentry, umode_t mode, dev_t dev) {
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0) pt_on_inode_create(ctx, &a, dir, mode);
  return 0;
}

/* The link does not exist yet at this hook: the call's exit records it
 * (pt_sys_hook_done), once the dentry has its inode. */
PT_SECURITY_HOOK(inode_symlink, struct inode *dir, struct dentry *dentry, const char *old_name) {
  pt_hook_pending(PT_REL_SYMLINK, dir, dentry);
  return 0;
}

/* readlink of a file's link; the kernel's own links in /proc (a process's
 * exe, cwd, fds) are left out, as the tracepoint backend leaves them. */
PT_SECURITY_HOOK(inode_readlink, struct dentry *dentry) {
  struct inode *inode = PT_READ(dentry, d_inode);
  struct super_block *sb = inode ? PT_READ(inode, i_sb) : 0;
  if (!sb || PT_READ(sb, s_magic) == PT_PROC_SUPER_MAGIC) return 0;
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0) pt_on_read_link(ctx, &a, inode);
  return 0;
}

/* getxattr and removexattr are checked before they are done (and most
 * getxattr calls find nothing): recorded at the call's exit if it
 * succeeded. setxattr has a hook for after. */
PT_SECURITY_HOOK(inode_getxattr, struct dentry *dentry, const char *name) {
  pt_hook_pending(PT_REL_GETXATTR, 0, dentry);
  return 0;
}

PT_SECURITY_HOOK(inode_post_setxattr, struct dentry *dentry, const char *name, const void *value,
                 size_t size, int flags) {
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0)
    pt_on_xattr(ctx, &a, PT_READ(dentry, d_inode), PT_REL_SETXATTR);
  return 0;
}

/* Linux 6.1's hook and function take a user namespace first, 6.3's on an
 * idmap; 5.10's neither. */
#if PT_HOOK_ARGC(inode_removexattr) == 3
PT_SECURITY_HOOK(inode_removexattr, void *idmap, struct dentry *dentry, const char *name) {
#else
PT_SECURITY_HOOK(inode_removexattr, struct dentry *dentry, const char *name) {
#endif
  pt_hook_pending(PT_REL_REMOVEXATTR, 0, dentry);
  return 0;
}

/* Only explicit access checks (access(2)), as the tracepoint backend sees
 * them; path walks check every directory they pass. */
PT_SECURITY_HOOK(inode_permission, struct inode *inode, int mask) {
  if (!(mask & PT_MAY_ACCESS)) return 0;
  struct pt_actor a;
  if (pt_actor_get(ctx, pt_current(), &a) == 0) pt_on_perm_check(ctx, &a, inode, mask & 7);
  return 0;
}
