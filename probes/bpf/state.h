/* Per-object provenance state kept in BPF maps. Plain C shared by the BPF
 * programs (embedded) and by user space, which reads the maps in tests and
 * diagnostics. State is kept apart from recording, as CamFlow does. */
#ifndef PROVTRACE_PROBES_BPF_STATE_H_
#define PROVTRACE_PROBES_BPF_STATE_H_

#ifndef PT_BPF_PROGRAM
#include <linux/types.h>
#endif

enum pt_task_state_flags {
  PT_TASK_IGNORED = 1 << 0,      /* provtrace itself, or outside the scope */
  PT_TASK_NODE_PENDING = 1 << 1, /* created before its pid was assigned */
};

/* pt_tasks: keyed by the task_struct's address, which is unique while the
 * task lives; the entry is deleted when the task is freed, so a reused
 * address is always a fresh key. */
struct pt_task_state {
  __u64 id;
  __u32 version;
  __u32 flags; /* enum pt_task_state_flags */
  __u32 tid;   /* for diagnostics and tests */
  __u32 pad;
};

#define PT_TASK_CAPACITY 131072

#endif /* PROVTRACE_PROBES_BPF_STATE_H_ */
