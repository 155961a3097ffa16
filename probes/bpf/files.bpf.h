/* File operations beyond open, read and write: symbolic links, extended
 * attributes, reflink clones. */

/* A symbolic link made (task -> link: symlink) in dir; its name follows. */
static __always_inline struct pt_inode_state *pt_on_symlink(void *ctx, struct pt_actor *a,
                                                            struct inode *dir, struct inode *link) {
  if (dir) pt_on_inode_create(ctx, a, dir, 0120777);
  struct pt_inode_state *lst = link ? pt_inode_create(ctx, link, 0) : 0;
  if (lst) pt_generates(ctx, PT_REL_SYMLINK, a, &lst->prov, link, 0, -1);
  return lst;
}

/* readlink: link -> task. */
static __always_inline void pt_on_read_link(void *ctx, struct pt_actor *a, struct inode *link) {
  struct pt_inode_state *ist = pt_inode_touch(ctx, link);
  if (ist) pt_uses(ctx, PT_REL_READ_LINK, &ist->prov, link, a, 0, -1);
}

/* setxattr, removexattr (task -> inode), getxattr (inode -> task). */
static __always_inline void pt_on_xattr(void *ctx, struct pt_actor *a, struct inode *inode,
                                        u16 type) {
  struct pt_inode_state *ist = pt_inode_touch(ctx, inode);
  if (!ist) return;
  if (type == PT_REL_GETXATTR)
    pt_uses(ctx, type, &ist->prov, inode, a, 0, -1);
  else
    pt_generates(ctx, type, a, &ist->prov, inode, 0, -1);
}
