/* A task reading or writing another process's memory: process_vm_readv,
 * process_vm_writev, ptrace's peeks and pokes, /proc/PID/mem. Writing goes
 * the task's memory -> task -> the other's memory (ptrace_attach), reading
 * the other's memory -> task -> the task's memory (ptrace_read), as CamFlow
 * names ptrace's. */

static __always_inline void pt_on_process_access(void *ctx, struct pt_actor *a, u32 tgid,
                                                 int write) {
  struct pt_cred_state *other = pt_proc_of(tgid);
  if (!other || other == a->cst) return;
  if (write)
    pt_generates_as(ctx, PT_REL_PTRACE_ATTACH, a, &other->prov, 0, PT_OBJ_PROC, 0, -1);
  else
    pt_uses_as(ctx, PT_REL_PTRACE_READ, &other->prov, 0, PT_OBJ_PROC, a, 0, -1);
}

/* /proc/PID/mem (the file's directory is named by the pid): the other
 * process's memory instead of the proc file. */
static __always_inline void pt_on_proc_mem(void *ctx, struct pt_actor *a, struct file *file,
                                           struct pt_inode_state *ist, int write) {
  struct dentry *dentry = PT_READ(file, f_path.dentry);
  struct dentry *dir = dentry ? PT_READ(dentry, d_parent) : 0;
  u32 len = dir ? PT_READ(dir, d_name.len) : 0;
  char digits[12] = {};
  if (len == 0 || len > 10) return;
  /* A fixed size (the compiler would drop a mask the bound above makes
   * redundant, and the verifier needs one); digits stop at len. */
  bpf_probe_read_kernel(digits, sizeof(digits), PT_READ(dir, d_name.name));
  /* The name ends with its NUL (len is at most 10 here); a loop without
   * len in it is one the compiler cannot turn into an unbounded walk. */
  u32 pid = 0;
#pragma clang loop unroll(full)
  for (int i = 0; i < 11; i++) {
    char c = digits[i];
    if (c == 0) break;
    if (c < '0' || c > '9') return;
    pid = pid * 10 + (c - '0');
  }
  pt_on_process_access(ctx, a, pid, write);
}
