/* Recording relations the CamFlow way: versions keep the graph acyclic and
 * edge compression keeps it small.
 *  - A node gets a new version (joined to the old by version_entity or
 *    version_activity) when it is about to receive information after it
 *    has passed some on.
 *  - A relation identical in (from id, from version, type) to the last one
 *    its target received is dropped.
 *  - Flow reduction (off with --all-flows): a data flow (read, write,
 *    memory_read, memory_write) whose source holds nothing its target does
 *    not already hold is dropped, so a task that writes a file and reads it
 *    back, over and over, is recorded once. Each object remembers one node
 *    known to contain all of it ("within"): after a relation from S to D,
 *    S is within D's new version if it was a data flow (D received all of
 *    S); and D stays within S if it already was within some version of S up
 *    to S's current one, and is otherwise within nothing known. Versions
 *    only accumulate (a new version holds its old one), so "within X at
 *    version v" holds for every later version of X. A dropped flow takes
 *    no ancestor from any node: the graph keeps every path it would have
 *    had, only without the flows that brought nothing.
 * State updates are not atomic across CPUs (tracing programs cannot take
 * BPF spin locks); flag bits are set and cleared atomically. */

static __always_inline u16 pt_version_relation(int kind) {
  return kind == PT_OBJ_TASK ? PT_REL_VERSION_ACTIVITY : PT_REL_VERSION_ENTITY;
}

/* `kind` (a constant at every call) says what object an obj is, so each
 * call site inlines only the node emitter it needs. The ends of a relation
 * are passed as (prov, obj, kind): */
#define PT_END_TASK(st, task) &(st)->prov, (task), PT_OBJ_TASK
#define PT_END_PROC(st) &(st)->prov, 0, PT_OBJ_PROC
#define PT_END_INODE(st, inode) &(st)->prov, (inode), PT_OBJ_INODE
#define PT_END_OBJECT(st) &(st)->prov, 0, PT_OBJ_OBJECT

/* Makes sure the node of version ref of p's object is in the stream
 * before a relation names it: emitted the first time a relation names the
 * version, and again if that emission failed. Returns 0 when the node is
 * out. Two CPUs may both emit it (the same node twice), never neither; and
 * a relation naming a node another CPU emitted is stamped after it, since
 * `described` is set only once the node was handed over. */
static __always_inline int pt_describe(void *ctx, struct pt_prov *p, void *obj, int kind,
                                       struct pt_node_ref *ref) {
  if (p->described == ref->version + 1) return 0;
  u16 flags =
      ref->version == 0 && (p->flags & PT_PROV_HISTORY_UNKNOWN) ? PT_NODE_HISTORY_UNKNOWN : 0;
  if (pt_emit_node(ctx, p, obj, kind, ref, flags) != 0) {
    if (!(p->flags & PT_PROV_DESCRIBE_FAILED))
      __sync_fetch_and_or(&p->flags, PT_PROV_DESCRIBE_FAILED);
    return -1;
  }
  if (p->flags & PT_PROV_DESCRIBE_FAILED) {
    __sync_fetch_and_and(&p->flags, ~PT_PROV_DESCRIBE_FAILED);
    pt_count(PT_COUNTER_REDESCRIBED);
  }
  p->described = ref->version + 1;
  return 0;
}

/* Moves p to a new version, joined to the old by a relation of `type` (a
 * version edge, or a terminate/free). Returns 1 if the relation went out. */
static __always_inline int pt_new_version(void *ctx, struct pt_prov *p, void *obj, int kind,
                                          u16 type) {
  struct pt_node_ref before, after;
  pt_ref(p, &before);
  int have_before = pt_describe(ctx, p, obj, kind, &before) == 0;
  __sync_fetch_and_and(&p->flags, ~PT_PROV_HAS_OUTGOING);
  p->version = before.version + 1;
  pt_ref(p, &after);
  if (!have_before || pt_describe(ctx, p, obj, kind, &after) != 0) {
    pt_withhold();
    return 0;
  }
  if (pt_emit_relation(ctx, type, &before, &after, 0, -1) != 0) return 0;
  p->last_from_id = before.id;
  p->last_from_version = before.version;
  p->last_type = type;
  return 1;
}

static __always_inline int pt_is_data_flow(u16 type) {
  return type == PT_REL_READ || type == PT_REL_WRITE || type == PT_REL_MEMORY_READ ||
         type == PT_REL_MEMORY_WRITE;
}

/* What a relation that went out changes in its target: compression
 * remembers it, flow reduction learns what the target now holds. */
static __always_inline void pt_received(struct pt_prov *to, u16 type, struct pt_node_ref *f) {
  to->last_from_id = f->id;
  to->last_from_version = f->version;
  to->last_type = type;
}

/* Records `type` from `from` to `to`. Returns 1 if a relation went out, 0
 * if compression dropped it or it was lost (then nothing it would have
 * changed in the objects' state is changed). */
static __always_inline int pt_relate(void *ctx, u16 type, struct pt_prov *from, void *from_obj,
                                     int from_kind, struct pt_prov *to, void *to_obj, int to_kind,
                                     u64 flags, s64 offset) {
  if (to->last_from_id == from->id && to->last_from_version == from->version &&
      to->last_type == type) {
    pt_count(PT_COUNTER_COMPRESSED);
    return 0;
  }
#ifndef PT_ALL_FLOWS
  if (pt_is_data_flow(type) && from->within_id == to->id && from->within_version <= to->version) {
    pt_count(PT_COUNTER_COMPRESSED);
    return 0;
  }
#endif
  if (to->flags & PT_PROV_HAS_OUTGOING)
    pt_new_version(ctx, to, to_obj, to_kind, pt_version_relation(to_kind));
  struct pt_node_ref f, t;
  pt_ref(from, &f);
  pt_ref(to, &t);
  if (pt_describe(ctx, from, from_obj, from_kind, &f) != 0 ||
      pt_describe(ctx, to, to_obj, to_kind, &t) != 0) {
    pt_withhold();
    return 0;
  }
  if (pt_emit_relation(ctx, type, &f, &t, flags, offset) != 0) return 0;
  if (!(from->flags & (PT_PROV_HAS_OUTGOING | PT_PROV_ONE_VERSION)))
    __sync_fetch_and_or(&from->flags, PT_PROV_HAS_OUTGOING);
  pt_received(to, type, &f);
  if (to->within_id == f.id && to->within_version <= f.version)
    to->within_version = f.version;
  else
    to->within_id = 0;
  if (pt_is_data_flow(type)) {
    from->within_id = t.id;
    from->within_version = t.version;
  }
  return 1;
}

/* A relation to an object without state (a path node standing for a file
 * whose inode is unknown, just emitted): nothing to version or compress. */
static __always_inline void pt_relate_to_ref(void *ctx, u16 type, struct pt_prov *from,
                                             void *from_obj, int from_kind, struct pt_node_ref *to,
                                             u64 flags) {
  struct pt_node_ref f;
  pt_ref(from, &f);
  if (pt_describe(ctx, from, from_obj, from_kind, &f) != 0) {
    pt_withhold();
    return;
  }
  if (pt_emit_relation(ctx, type, &f, to, flags, -1) != 0) return;
  if (!(from->flags & (PT_PROV_HAS_OUTGOING | PT_PROV_ONE_VERSION)))
    __sync_fetch_and_or(&from->flags, PT_PROV_HAS_OUTGOING);
}

/* A relation from an object without state (a path or argv node just
 * emitted, or a version of a node already out). */
static __always_inline void pt_relate_from_ref(void *ctx, u16 type, struct pt_node_ref *from,
                                               struct pt_prov *to, void *to_obj, int to_kind,
                                               u64 flags) {
  if (to->flags & PT_PROV_HAS_OUTGOING)
    pt_new_version(ctx, to, to_obj, to_kind, pt_version_relation(to_kind));
  struct pt_node_ref t;
  pt_ref(to, &t);
  if (pt_describe(ctx, to, to_obj, to_kind, &t) != 0) {
    pt_withhold();
    return;
  }
  if (pt_emit_relation(ctx, type, from, &t, flags, -1) != 0) return;
  pt_received(to, type, from);
  to->within_id = 0; /* it now holds what a node without state brought */
}
