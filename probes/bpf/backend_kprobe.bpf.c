/* kprobe backend: the security_* functions through kprobes, for kernels
 * without BPF trampolines. BCC rewrites the parameters of kprobe__
 * functions in the source text, which a macro-made function defeats; so
 * each hook is a plain kprobe__ function of ctx that passes the registers
 * to the typed body. BCC marks the program by inserting a section
 * attribute where the macro expansion starts: its declaration comes
 * first there. */

#define ___pt_kargs0() ctx
#define ___pt_kargs1(x) ___pt_kargs0(), (void *)PT_REGS_PARM1(ctx)
#define ___pt_kargs2(x, args...) ___pt_kargs1(args), (void *)PT_REGS_PARM2(ctx)
#define ___pt_kargs3(x, args...) ___pt_kargs2(args), (void *)PT_REGS_PARM3(ctx)
#define ___pt_kargs4(x, args...) ___pt_kargs3(args), (void *)PT_REGS_PARM4(ctx)
#define ___pt_kargs5(x, args...) ___pt_kargs4(args), (void *)PT_REGS_PARM5(ctx)
#define ___pt_kargs(args...) ___bpf_apply(___pt_kargs, ___bpf_narg(args))(args)

#define PT_HOOK_ARGC(hook) PT_BTF_ARGC_security_##hook
#define PT_SECURITY_HOOK(hook, args...)                                                         \
  int kprobe__security_##hook(struct pt_regs *ctx);                                             \
  PT_CHECK_HOOK(hook, args)                                                                     \
  static __always_inline int ____pt_##hook(struct pt_regs *ctx, ##args);                        \
  int kprobe__security_##hook(struct pt_regs *ctx) {                                            \
    _Pragma("GCC diagnostic push") _Pragma(                                                     \
        "GCC diagnostic ignored \"-Wint-conversion\"") return ____pt_##hook(___pt_kargs(args)); \
    _Pragma("GCC diagnostic pop")                                                               \
  }                                                                                             \
  static __always_inline int ____pt_##hook(struct pt_regs *ctx, ##args)

PT_SECURITY_HOOK(mmap_file, struct file *file, unsigned long prot, unsigned long flags) {
  u64 type = flags & 0x0f;
  if (file)
    pt_on_mmap(ctx, (struct task_struct *)bpf_get_current_task(), file, prot,
               type == 0x01 || type == 0x03, 0);
  return 0;
}

PT_SECURITY_HOOK(inode_free, struct inode *inode) {
  pt_on_inode_free(ctx, inode);
  return 0;
}
