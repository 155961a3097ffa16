/* Shared by every provtrace BPF program: kernel reads, the global id
 * counter, per-CPU counters, settings, and record emission. The loader
 * prepends core/record.h and probes/bpf/state.h (with PT_BPF_PROGRAM
 * defined) to this text. */

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Kernel memory is only touched through PT_READ, PT_READ_INTO,
 * PT_MEMBER_PTR and PT_CONTAINER_OF, and every field they name is listed in
 * probes/bpf/kernel_fields.def: the layout test checks each one against the
 * kernel's BTF, and a unit test checks the list is complete. */
#define PT_READ(ptr, field)                                                                    \
  ({                                                                                           \
    typeof((ptr)->field) pt_read_val_;                                                         \
    bpf_probe_read_kernel((void *)&pt_read_val_, sizeof(pt_read_val_), (void *)&(ptr)->field); \
    pt_read_val_;                                                                              \
  })

/* Copies an array field (e.g. comm) into dst. */
#define PT_READ_INTO(dst, ptr, field) \
  bpf_probe_read_kernel((void *)(dst), sizeof((ptr)->field), (void *)&(ptr)->field)

/* Adjacent fields first..last of *ptr copied into dst (a buffer of at
 * least PT_SPAN_BYTES) with one read, where several PT_READs would each
 * cost a helper call; PT_SPAN_FIELD then takes one field out of the copy. */
#define PT_SPAN_BYTES(type, first, last) \
  (__builtin_offsetof(type, last) + sizeof(((type *)0)->last) - __builtin_offsetof(type, first))
#define PT_READ_SPAN(dst, ptr, first, last) \
  bpf_probe_read_kernel((void *)(dst), PT_SPAN_BYTES(typeof(*(ptr)), first, last), &(ptr)->first)
#define PT_SPAN_FIELD(buf, type, first, field)                                       \
  (*(typeof(((type *)0)->field) *)((char *)(buf) + __builtin_offsetof(type, field) - \
                                   __builtin_offsetof(type, first)))

/* The address of a field, computed without reading kernel memory. */
#define PT_MEMBER_PTR(ptr, field) (&(ptr)->field)

#define PT_CONTAINER_OF(ptr, type, member) \
  ((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* Makes the compiler forget what it knows of var, so that a mask applied
 * after a range check survives for the verifier to see. */
#define PT_BARRIER_VAR(var) asm volatile("" : "+r"(var))

/* One counter hands out every node and relation id: the value fetch-add
 * returns (plus one, so that 0 never names anything) is the id, so no id
 * is ever handed out twice. */
BPF_ARRAY(pt_next_id, u64, 1);
BPF_PERCPU_ARRAY(pt_counters, struct pt_cpu_counters, 1);
BPF_ARRAY(pt_settings, struct pt_config, 1);
/* Thread ids user space marks as roots of a scoped capture (-- COMMAND). */
BPF_HASH(pt_scope_roots, u32, u8, 64);
/* The transport (--transport): a perf buffer per CPU, or one BPF ring
 * buffer of PT_RING_PAGES pages; the loader defines which. */
#ifdef PT_TRANSPORT_RING
BPF_RINGBUF_OUTPUT(pt_events, PT_RING_PAGES);
#else
BPF_PERF_OUTPUT(pt_events);
#endif

static __always_inline struct pt_cpu_counters *pt_cpu_counters(void) {
  int zero = 0;
  return pt_counters.lookup(&zero);
}

static __always_inline void pt_count(u32 counter) {
  struct pt_cpu_counters *c = pt_cpu_counters();
  if (c) c->count[counter] += 1;
}

#ifdef PT_NO_BPF_ATOMICS
/* Kernels before 5.12 have no atomic and/or and no fetching atomics
 * (BPF_STX uses reserved fields): flags are updated non-atomically, ids
 * come from a per-CPU counter with the CPU in the low byte. */
#define __sync_fetch_and_or(p, v) ((void)(*(p) |= (v)))
#define __sync_fetch_and_and(p, v) ((void)(*(p) &= (v)))
BPF_PERCPU_ARRAY(pt_next_id_cpu, u64, 1);
static __always_inline u64 pt_new_id(void) {
  int zero = 0;
  u64 *base = pt_next_id.lookup(&zero);
  u64 *next = pt_next_id_cpu.lookup(&zero);
  if (!base || !next) return 0;
  u64 k = *next;
  *next = k + 1;
  return *base + 1 + ((k << 8) | (bpf_get_smp_processor_id() & 255));
}
#else
static __always_inline u64 pt_new_id(void) {
  int zero = 0;
  u64 *next = pt_next_id.lookup(&zero);
  if (!next) return 0; /* cannot happen: array slots always exist */
  return __sync_fetch_and_add(next, 1) + 1;
}
#endif

static __always_inline struct pt_config *pt_config_get(void) {
  int zero = 0;
  return pt_settings.lookup(&zero);
}

static __always_inline void pt_header(struct pt_record_header *hdr, u16 kind, u16 size, u16 type,
                                      u16 flags) {
  hdr->kind = kind;
  hdr->size = size;
  hdr->type = type;
  hdr->flags = flags;
  hdr->time_ns = bpf_ktime_get_boot_ns();
}

/* Hands one record to the transport; returns 0 when it took it. A refusal
 * is a lost record, counted so user space can report it (perf and ring
 * buffers alike). One counter lookup per record: the counters are one
 * per-CPU struct. */
static __always_inline int pt_emit(void *ctx, void *record, u32 size) {
  struct pt_cpu_counters *c = pt_cpu_counters();
  if (!c) return -1; /* cannot happen: array slots always exist */
#ifdef PT_TRANSPORT_RING
  /* A ring buffer reports no losses of its own: the first record this CPU
   * hands over after a loss is preceded by a lost record, so the gap is
   * marked where it is. */
  u64 unreported = c->count[PT_COUNTER_OUTPUT_FAILED] - c->count[PT_COUNTER_LOSS_REPORTED];
  if (unreported) {
    struct pt_lost_record lost = {};
    pt_header(&lost.hdr, PT_KIND_LOST, sizeof(lost), 0, 0);
    lost.count = unreported;
    lost.cpu = bpf_get_smp_processor_id();
    if (pt_events.ringbuf_output(&lost, sizeof(lost), BPF_RB_NO_WAKEUP) == 0)
      c->count[PT_COUNTER_LOSS_REPORTED] += unreported;
  }
  /* Waking the reader for every record costs the traced task more than
   * recording it: wake it once per PT_RING_WAKEUP_BATCH records of this CPU
   * (the perf buffer's wakeup_events does the same), and let it drain on
   * its own timer in between. */
  u64 wakeup = ((c->count[PT_COUNTER_EMITTED] + 1) & (PT_RING_WAKEUP_BATCH - 1)) != 0
                   ? BPF_RB_NO_WAKEUP
                   : BPF_RB_FORCE_WAKEUP;
  if (pt_events.ringbuf_output(record, size, wakeup) < 0) {
#else
  if (pt_events.perf_submit(ctx, record, size) < 0) {
#endif
    c->count[PT_COUNTER_OUTPUT_FAILED] += 1;
    return -1;
  }
  c->count[PT_COUNTER_EMITTED] += 1;
  return 0;
}

/* A record not handed over because a node it names could not be: counted
 * as lost, like a refused one. */
static __always_inline void pt_withhold(void) { pt_count(PT_COUNTER_OUTPUT_FAILED); }

static __always_inline void pt_ref(struct pt_prov *p, struct pt_node_ref *ref) {
  ref->id = p->id;
  ref->version = p->version;
  ref->type = p->node_type;
  ref->pad = 0;
}

/* Returns 0 when the transport took the relation. */
static __always_inline int pt_emit_relation(void *ctx, u16 type, struct pt_node_ref *from,
                                            struct pt_node_ref *to, u64 flags, s64 offset) {
  struct pt_relation rel = {};
  pt_header(&rel.hdr, PT_KIND_RELATION, sizeof(rel), type, 0);
  rel.id = pt_new_id();
  rel.from = *from;
  rel.to = *to;
  rel.flags = flags;
  rel.offset = offset;
  return pt_emit(ctx, &rel, sizeof(rel));
}

/* A fresh provenance header for a new object; flags: enum pt_prov_flags
 * (PT_PROV_HISTORY_UNKNOWN for an object that existed before we saw it). */
static __always_inline void pt_prov_init(struct pt_prov *p, u16 node_type, u64 flags) {
  p->id = pt_new_id();
  p->version = 0;
  int channel = node_type == PT_NODE_PIPE || node_type == PT_NODE_SOCKET ||
                node_type == PT_NODE_MSG_QUEUE || node_type == PT_NODE_ANON_INODE;
  p->flags = flags | (channel ? PT_PROV_ONE_VERSION : 0);
  p->last_from_id = 0;
  p->last_from_version = 0;
  p->last_type = 0;
  p->node_type = node_type;
  p->within_id = 0;
  p->within_version = 0;
  p->described = 0;
  p->pad = 0;
}

/* Security hook signatures against the running kernel's: PT_HOOK_ARGC(x)
 * (defined by each security backend) is the number of parameters its hook
 * x takes by BTF, -1 when BTF lacks it (the attach then fails with a clear
 * error). A mismatch fails compilation instead of reading wrong arguments. */
#define PT_NARGS(...) PT_NARGS_(__VA_ARGS__, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define PT_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, n, ...) n
#define PT_CHECK_HOOK(hook, args...)                                             \
  _Static_assert(PT_HOOK_ARGC(hook) < 0 || PT_HOOK_ARGC(hook) == PT_NARGS(args), \
                 "this kernel's " #hook " hook takes other parameters than provtrace's");
