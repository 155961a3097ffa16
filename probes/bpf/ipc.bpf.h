/* System V shared memory and message queues, shared anonymous mappings
 * and POSIX message queues. */

#define PT_SHM_RDONLY 010000

/* shmat: the segment joins what the process shares (task -> segment:
 * sh_attach); read-only with SHM_RDONLY. */
static __always_inline void pt_on_shm_attach(void *ctx, struct pt_actor *a, u32 shmid, u64 addr,
                                             u64 shmflg) {
  struct pt_object_state *shm =
      pt_ipc_touch(PT_IPC_SYSV_SHM, pt_ipcns(a->task), shmid, PT_PROV_HISTORY_UNKNOWN);
  if (!shm) return;
  pt_generates_as(ctx, PT_REL_SH_ATTACH, a, &shm->prov, 0, PT_OBJ_OBJECT, shmflg, -1);
  u8 access = PT_SHARED_READ | (shmflg & PT_SHM_RDONLY ? 0 : PT_SHARED_WRITE);
  pt_shared_add(a->cst, PT_SHARED_OBJECT, pt_ipc_key(PT_IPC_SYSV_SHM, shm->ipcns, shmid), addr,
                access);
}

/* mmap(MAP_SHARED | MAP_ANONYMOUS): memory of its own, shared with the
 * children the process forks from now on. */
static __always_inline void pt_on_mmap_anonymous(void *ctx, struct task_struct *task, u64 prot,
                                                 u64 addr) {
  struct pt_actor a;
  if (pt_actor_get(ctx, task, &a) != 0) return;
  u32 id = (u32)pt_new_id();
  struct pt_object_state *shm = pt_ipc_touch(PT_IPC_SHARED_ANONYMOUS, 0, id, 0);
  if (!shm) return;
  pt_generates_as(ctx, PT_REL_SH_ATTACH, &a, &shm->prov, 0, PT_OBJ_OBJECT, prot, -1);
  u8 access = PT_SHARED_READ | (prot & PT_PROT_WRITE ? PT_SHARED_WRITE : 0);
  pt_shared_add(a.cst, PT_SHARED_OBJECT, pt_ipc_key(PT_IPC_SHARED_ANONYMOUS, 0, id), addr, access);
}

/* msgsnd: task -> queue (send_msg_queue); msgrcv: queue -> task. */
static __always_inline void pt_on_msg_queue(void *ctx, struct pt_actor *a, u32 msqid, int send) {
  struct pt_object_state *queue =
      pt_ipc_touch(PT_IPC_SYSV_MSG_QUEUE, pt_ipcns(a->task), msqid, PT_PROV_HISTORY_UNKNOWN);
  if (!queue) return;
  if (send)
    pt_generates_as(ctx, PT_REL_SEND_MSG_QUEUE, a, &queue->prov, 0, PT_OBJ_OBJECT, 0, -1);
  else
    pt_uses_as(ctx, PT_REL_RECEIVE_MSG_QUEUE, &queue->prov, 0, PT_OBJ_OBJECT, a, 0, -1);
}

/* mq_timedsend / mq_timedreceive on a POSIX queue (an inode of mqueue). */
static __always_inline void pt_on_mqueue(void *ctx, struct pt_actor *a, struct file *file,
                                         int send) {
  struct inode *inode;
  struct pt_inode_state *ist = pt_file_inode(ctx, file, &inode);
  if (!ist) return;
  if (send)
    pt_generates(ctx, PT_REL_SEND_MSG_QUEUE, a, &ist->prov, inode, 0, -1);
  else
    pt_uses(ctx, PT_REL_RECEIVE_MSG_QUEUE, &ist->prov, inode, a, 0, -1);
}
