/* Sockets: their creation and addresses, and what flows through them. A
 * socket is its inode (a socket node); what a task sends goes task ->
 * socket (send) and on to where it goes: the peer socket of an AF_UNIX
 * connection or datagram (send_unix), the receiving socket of a TCP or UDP
 * connection on this machine (send_packet, found by the connection's
 * addresses), or the address of a peer elsewhere (send_packet); what it
 * receives comes socket -> task (receive), after the peer's address ->
 * socket (receive_packet) when the peer is elsewhere. */

#define PT_AF_UNIX 1
#define PT_AF_INET 2
#define PT_AF_INET6 10

BPF_F_TABLE("lru_hash", struct pt_endpoint_key, struct pt_endpoint, pt_endpoints,
            PT_ENDPOINT_CAPACITY, 0);

static __always_inline struct socket *pt_file_socket(struct file *file) {
  return (struct socket *)PT_READ(file, private_data);
}

/* The inode of the socket sk belongs to (sockfs puts the two together). */
static __always_inline struct inode *pt_sock_inode(struct sock *sk) {
  struct socket *socket = sk ? PT_READ(sk, sk_socket) : 0;
  if (!socket) return 0;
  struct socket_alloc *alloc = PT_CONTAINER_OF(socket, struct socket_alloc, socket);
  return PT_MEMBER_PTR(alloc, vfs_inode);
}

static __always_inline u16 pt_sock_family(struct sock *sk) {
  return PT_READ(sk, __sk_common.skc_family);
}

/* sk's connection as seen from its side; -1 for a socket that is not
 * AF_INET or AF_INET6. */
static __always_inline int pt_endpoint_of(struct sock *sk, struct pt_endpoint_key *k) {
  __builtin_memset(k, 0, sizeof(*k));
  u16 family = pt_sock_family(sk);
  if (family != PT_AF_INET && family != PT_AF_INET6) return -1;
  k->family = family;
  k->protocol = PT_READ(sk, sk_protocol);
  k->local_port = PT_READ(sk, __sk_common.skc_num);
  u16 dport = PT_READ(sk, __sk_common.skc_dport);
  k->remote_port = (u16)((dport >> 8) | (dport << 8));
  if (family == PT_AF_INET) {
    u32 local = PT_READ(sk, __sk_common.skc_rcv_saddr);
    u32 remote = PT_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(k->local, &local, 4);
    __builtin_memcpy(k->remote, &remote, 4);
  } else {
    PT_READ_INTO(k->local, sk, __sk_common.skc_v6_rcv_saddr);
    PT_READ_INTO(k->remote, sk, __sk_common.skc_v6_daddr);
  }
  /* Sockets of two network namespaces never meet: the key says which. */
  struct net *net = PT_READ(sk, __sk_common.skc_net.net);
  k->netns = net ? pt_ns_inum(PT_MEMBER_PTR(net, ns)) : 0;
  return 0;
}

/* sk (whose inode is `inode`, state ist) is reachable by its addresses
 * from now on. */
static __always_inline void pt_endpoint_register(struct sock *sk, struct inode *inode,
                                                 struct pt_inode_state *ist) {
  struct pt_endpoint_key k;
  if (pt_endpoint_of(sk, &k) != 0 || k.local_port == 0) return;
  struct pt_endpoint value = {};
  value.inode = (u64)inode;
  value.sock = (u64)sk;
  pt_ref(&ist->prov, &value.ref);
  pt_endpoints.update(&k, &value);
}

/* The key under which an AF_UNIX connector waits for the socket that will
 * accept it: the embryo sock the kernel made for the other end, which
 * accept hands over as the accepted socket's own. */
static __always_inline void pt_unix_pending_key(struct pt_endpoint_key *k, struct sock *embryo) {
  __builtin_memset(k, 0, sizeof(*k));
  k->family = PT_AF_UNIX;
  u64 where = (u64)embryo;
  __builtin_memcpy(k->local, &where, sizeof(where));
}

/* The socket of an endpoint entry, if it still exists: a socket gone since
 * leaves its sock holding something else. */
static __always_inline struct inode *pt_endpoint_live(struct pt_endpoint *found) {
  struct sock *sk = (struct sock *)found->sock;
  struct inode *inode = (struct inode *)found->inode;
  return pt_sock_inode(sk) == inode ? inode : 0;
}

/* The entry of the socket on this machine that receives what sk sends to
 * (family, port, addr): the other end of its connection, or a socket bound
 * there; NULL when none is known. */
static __always_inline struct pt_endpoint *pt_endpoint_lookup(struct pt_endpoint_key *mine,
                                                              u16 port, const u8 *addr,
                                                              int connection_only, int *exact) {
  struct pt_endpoint_key k = {};
  k.family = mine->family;
  k.protocol = mine->protocol;
  k.netns = mine->netns;
  k.local_port = port;
  __builtin_memcpy(k.local, addr, 16);
  /* The other end of the connection: its remote is this socket. */
  k.remote_port = mine->local_port;
  __builtin_memcpy(k.remote, mine->local, 16);
  struct pt_endpoint *found = pt_endpoints.lookup(&k);
  *exact = found != 0;
  if (!found && !connection_only) {
    /* A socket bound to the address, or to any address, and not
     * connected (UDP). */
    k.remote_port = 0;
    __builtin_memset(k.remote, 0, 16);
    found = pt_endpoints.lookup(&k);
    if (!found) {
      __builtin_memset(k.local, 0, 16);
      found = pt_endpoints.lookup(&k);
    }
  }
  return found;
}

/* The socket itself, while it exists; *exact: it is the other end of sk's
 * connection. */
static __always_inline struct inode *pt_endpoint_find(struct pt_endpoint_key *mine, u16 port,
                                                      const u8 *addr, int *exact) {
  struct pt_endpoint *found = pt_endpoint_lookup(mine, port, addr, 0, exact);
  return found ? pt_endpoint_live(found) : 0;
}

/* A user sockaddr of AF_INET or AF_INET6: its family, port and address;
 * 0 when there is one. */
static __always_inline int pt_user_inet_addr(u64 user_addr, u32 len, u16 *family, u16 *port,
                                             u8 *addr) {
  if (!user_addr || len < 8) return -1;
  u8 raw[28] = {};
  if (bpf_probe_read_user(raw, len < sizeof(raw) ? len & 31 : sizeof(raw), (void *)user_addr) != 0)
    return -1;
  u16 f = raw[0] | (raw[1] << 8);
  if (f != PT_AF_INET && f != PT_AF_INET6) return -1;
  *family = f;
  *port = (u16)((raw[2] << 8) | raw[3]);
  __builtin_memset(addr, 0, 16);
  if (f == PT_AF_INET)
    __builtin_memcpy(addr, &raw[4], 4);
  else
    __builtin_memcpy(addr, &raw[8], 16);
  return 0;
}

static __always_inline struct pt_object_state *pt_user_address(u64 addr, u32 addr_len);

/* The address node of (family, port, addr). */
static __always_inline struct pt_object_state *pt_inet_address(u16 family, u16 port,
                                                               const u8 *addr) {
  return pt_address_touch(family, port, addr, 0, 0);
}

/* The AF_UNIX peer of sk: the other end of its connection, or the socket
 * its send just woke. */
static __always_inline struct sock *pt_unix_peer(struct sock *sk, struct pt_task_state *tst) {
  struct unix_sock *u = (struct unix_sock *)sk;
  struct sock *peer = PT_READ(u, peer);
  if (!peer && tst->peer_sock) peer = (struct sock *)tst->peer_sock;
  tst->peer_sock = 0;
  return peer;
}

/* The socket state of a socket's inode. */
static __always_inline struct pt_inode_state *pt_socket_state(void *ctx, struct inode *inode) {
  return pt_inode_touch(ctx, inode);
}

static __always_inline void pt_sent_unjoined(struct pt_inode_state *ist) {
  if (!(ist->prov.flags & PT_PROV_SENT_UNJOINED))
    __sync_fetch_and_or(&ist->prov.flags, PT_PROV_SENT_UNJOINED);
}

/* What a's task sent through the socket of `file` (its inode and state)
 * to dest (a user sockaddr of dest_len bytes; 0: the connection's peer). */
static __always_inline void pt_on_socket_send(void *ctx, struct pt_actor *a, struct file *file,
                                              struct inode *inode, struct pt_inode_state *ist,
                                              u64 dest, u32 dest_len) {
  pt_generates(ctx, PT_REL_SEND, a, &ist->prov, inode, 0, -1);
  struct socket *socket = pt_file_socket(file);
  struct sock *sk = socket ? PT_READ(socket, sk) : 0;
  if (!sk) return;
  u16 family = pt_sock_family(sk);
  if (family == PT_AF_UNIX) {
    struct sock *peer_sk = pt_unix_peer(sk, a->tst);
    if (!peer_sk && dest) {
      /* A datagram to a path: the socket bound there, if it still is. */
      struct pt_object_state *to = pt_user_address(dest, dest_len);
      struct sock *bound = to ? (struct sock *)to->bound_sock : 0;
      if (bound && (u64)pt_sock_inode(bound) == to->bound_inode) peer_sk = bound;
    }
    struct inode *peer = pt_sock_inode(peer_sk);
    struct pt_inode_state *pst = peer ? pt_socket_state(ctx, peer) : 0;
    if (pst)
      pt_relate(ctx, PT_REL_SEND_UNIX, PT_END_INODE(ist, inode), PT_END_INODE(pst, peer), 0, -1);
    else
      pt_sent_unjoined(ist);
    return;
  }
  struct pt_endpoint_key mine;
  if (pt_endpoint_of(sk, &mine) != 0) return;
  pt_endpoint_register(sk, inode, ist);
  u16 port = mine.remote_port;
  u8 addr[16];
  __builtin_memcpy(addr, mine.remote, 16);
  u16 dest_family = family;
  if (dest) pt_user_inet_addr(dest, dest_len, &dest_family, &port, addr);
  if (port == 0) return;
  int exact = 0;
  struct inode *peer = pt_endpoint_find(&mine, port, addr, &exact);
  /* A TCP send that finds only the listening socket: its connection not
   * accepted yet. */
  if (!exact) pt_sent_unjoined(ist);
  struct pt_inode_state *pst = peer ? pt_socket_state(ctx, peer) : 0;
  if (pst) {
    pt_relate(ctx, PT_REL_SEND_PACKET, PT_END_INODE(ist, inode), PT_END_INODE(pst, peer), 0, -1);
    return;
  }
  struct pt_object_state *where = pt_inet_address(dest_family, port, addr);
  if (where)
    pt_relate(ctx, PT_REL_SEND_PACKET, PT_END_INODE(ist, inode), PT_END_OBJECT(where), 0, -1);
}

/* What a's task received through the socket of `file`, from src (a user
 * sockaddr the call filled in; 0: the connection's peer). */
static __always_inline void pt_on_socket_receive(void *ctx, struct pt_actor *a, struct file *file,
                                                 struct inode *inode, struct pt_inode_state *ist,
                                                 u64 src, u32 src_len) {
  struct socket *socket = pt_file_socket(file);
  struct sock *sk = socket ? PT_READ(socket, sk) : 0;
  struct pt_endpoint_key mine;
  if (sk && pt_endpoint_of(sk, &mine) == 0) {
    pt_endpoint_register(sk, inode, ist);
    u16 family = mine.family, port = mine.remote_port;
    u8 addr[16];
    __builtin_memcpy(addr, mine.remote, 16);
    if (src) pt_user_inet_addr(src, src_len, &family, &port, addr);
    /* A sender on this machine has joined its socket to this one already;
     * one elsewhere is known only by its address. */
    int exact = 0;
    if (port && !pt_endpoint_find(&mine, port, addr, &exact)) {
      struct pt_object_state *from = pt_inet_address(family, port, addr);
      if (from)
        pt_relate(ctx, PT_REL_RECEIVE_PACKET, PT_END_OBJECT(from), PT_END_INODE(ist, inode), 0, -1);
    }
  }
  pt_uses(ctx, PT_REL_RECEIVE, &ist->prov, inode, a, 0, -1);
}

/* The two ends of a connection (an accepted socket, or a connecting one,
 * and the other end, when it is on this machine and known), joined when
 * the second of them is recorded: what the other end sent before this one
 * was known (a connector's sends before accept, a server's before the
 * connect's exit was recorded) went to nothing, and goes on into this one
 * now (sockets have one version, PT_PROV_ONE_VERSION, so the join carries
 * it). One way only: the other way, sends find this end themselves. An
 * AF_UNIX connector's other end is found by the connector's sends for as
 * long as it lives; if it is gone by the time its connection is accepted
 * (it connected, sent and closed), the word it left at connect brings its
 * node to the accepted one. */
static __always_inline void pt_socket_join(void *ctx, struct sock *sk, struct inode *inode,
                                           struct pt_inode_state *ist, int accepting) {
  struct inode *peer = 0;
  struct pt_endpoint *remembered = 0;
  struct pt_endpoint_key k;
  u16 type = PT_REL_SEND_PACKET;
  if (pt_sock_family(sk) == PT_AF_UNIX) {
    struct unix_sock *u = (struct unix_sock *)sk;
    struct sock *peer_sk = PT_READ(u, peer);
    peer = pt_sock_inode(peer_sk);
    type = PT_REL_SEND_UNIX;
    if (!peer && peer_sk && !accepting) {
      /* The other end is not accepted yet: word for it. */
      pt_unix_pending_key(&k, peer_sk);
      struct pt_endpoint value = {};
      value.inode = (u64)inode;
      value.sock = (u64)sk;
      pt_ref(&ist->prov, &value.ref);
      pt_endpoints.update(&k, &value);
      return;
    }
    /* Accepted already: the accept joined the two. */
    if (!accepting) return;
    /* The connector's word, if it left some: used once. */
    pt_unix_pending_key(&k, sk);
    struct pt_endpoint *word = pt_endpoints.lookup(&k);
    struct pt_node_ref from = {};
    if (word) {
      from = word->ref;
      pt_endpoints.delete(&k);
    }
    if (!peer && from.id) pt_relate_from_ref(ctx, type, &from, &ist->prov, inode, PT_OBJ_INODE, 0);
    if (!peer) return;
  } else {
    struct pt_endpoint_key mine;
    if (pt_endpoint_of(sk, &mine) != 0 || mine.remote_port == 0) return;
    int exact = 0;
    remembered = pt_endpoint_lookup(&mine, mine.remote_port, mine.remote, 1, &exact);
    peer = remembered ? pt_endpoint_live(remembered) : 0;
  }
  if (!peer) {
    if (accepting && remembered && remembered->inode != (u64)inode) {
      struct pt_node_ref from = remembered->ref;
      pt_relate_from_ref(ctx, type, &from, &ist->prov, inode, PT_OBJ_INODE, 0);
    }
    return;
  }
  /* Only if it sent: a join it did not need would close a cycle with the
   * sends that follow (A -> B, then B -> A, on nodes of one version). */
  struct pt_inode_state *pst = peer != inode ? pt_socket_state(ctx, peer) : 0;
  if (pst && (pst->prov.flags & PT_PROV_SENT_UNJOINED))
    pt_relate(ctx, type, PT_END_INODE(pst, peer), PT_END_INODE(ist, inode), 0, -1);
}

/* A socket made by the task (socket, socketpair, accept). */
static __always_inline struct pt_inode_state *pt_on_socket_new(void *ctx, struct pt_actor *a,
                                                               struct file *file, u16 type) {
  struct inode *inode = PT_READ(file, f_inode);
  struct pt_inode_state *ist = inode ? pt_inode_create(ctx, inode, 0) : 0;
  if (!ist) return 0;
  __sync_fetch_and_or(&ist->prov.flags, PT_PROV_NAME_RECORDED); /* sockfs: no path */
  if (type == PT_REL_ACCEPT) {
    struct socket *socket = pt_file_socket(file);
    struct sock *sk = socket ? PT_READ(socket, sk) : 0;
    if (sk) {
      pt_endpoint_register(sk, inode, ist);
      pt_socket_join(ctx, sk, inode, ist, 1);
    }
    pt_uses(ctx, PT_REL_ACCEPT, &ist->prov, inode, a, 0, -1);
  } else {
    pt_generates(ctx, type, a, &ist->prov, inode, 0, -1);
  }
  return ist;
}

/* The address node of a user sockaddr (AF_INET, AF_INET6, or AF_UNIX:
 * a path, or an abstract name starting with a NUL); NULL for another
 * family. */
static __always_inline struct pt_object_state *pt_user_address(u64 addr, u32 addr_len) {
  u16 family = 0, port = 0;
  u8 ip[16] = {};
  if (!addr || addr_len < 2) return 0;
  if (pt_user_inet_addr(addr, addr_len, &family, &port, ip) == 0)
    return pt_inet_address(family, port, ip);
  struct pt_path_scratch *s = pt_path_scratch();
  u16 f = 0;
  bpf_probe_read_user(&f, sizeof(f), (void *)addr);
  if (!s || f != PT_AF_UNIX || addr_len <= 2) return 0;
  u32 n = addr_len - 2 < PT_UNIX_PATH_MAX ? addr_len - 2 : PT_UNIX_PATH_MAX - 1;
  PT_BARRIER_VAR(n); /* keeps the mask the verifier needs */
  n &= PT_UNIX_PATH_MASK;
  /* A path ends at its NUL; an abstract name (a NUL first) is all n
   * bytes. No loop over the bytes: the verifiers of 5.10 and 6.1 give up
   * on the branches one makes ("the sequence of 8193 jumps is too
   * complex"). */
  u8 first = 0;
  bpf_probe_read_user(&first, 1, (void *)(addr + 2));
  u32 len = n;
  if (first != 0) {
    long got = bpf_probe_read_user_str(s->name, PT_UNIX_PATH_MASK + 1, (void *)(addr + 2));
    len = got > 1 ? (u32)got - 1 : 0;
    if (len > n) len = n;
  } else {
    bpf_probe_read_user(s->name, n, (void *)(addr + 2));
  }
  /* Through memory: one state after this, not one per length. */
  len = pt_forget(s, 0, len);
  return pt_address_touch(PT_AF_UNIX, 0, ip, s->name, len);
}

/* bind, connect, listen on the socket of `file`: first the user sockaddr
 * addr bound or connected to (addressed: address -> socket). A socket bound to
 * an AF_UNIX path is found by it later (a datagram sent there). */
static __always_inline void pt_on_socket_address(void *ctx, struct file *file, u16 type, u64 addr,
                                                 u32 addr_len) {
  struct inode *inode;
  struct pt_inode_state *ist = pt_file_inode(ctx, file, &inode);
  if (!ist) return;
  struct socket *socket = pt_file_socket(file);
  struct sock *sk = socket ? PT_READ(socket, sk) : 0;
  struct pt_object_state *where = pt_user_address(addr, addr_len);
  if (!where) return;
  if (type == PT_REL_BIND && where->family == PT_AF_UNIX && sk) {
    where->bound_inode = (u64)inode;
    where->bound_sock = (u64)sk;
  }
  pt_relate(ctx, PT_REL_ADDRESSED, PT_END_OBJECT(where), PT_END_INODE(ist, inode), 0, -1);
}

/* Then (a stage of its own: the two together are more branches than the
 * verifiers of 5.10 and 6.1 follow) the call itself, and the connection. */
static __always_inline void pt_on_socket_op(void *ctx, struct pt_actor *a, struct file *file,
                                            u16 type) {
  struct inode *inode;
  struct pt_inode_state *ist = pt_file_inode(ctx, file, &inode);
  if (!ist) return;
  struct socket *socket = pt_file_socket(file);
  struct sock *sk = socket ? PT_READ(socket, sk) : 0;
  pt_generates(ctx, type, a, &ist->prov, inode, 0, -1);
  if (sk && type != PT_REL_LISTEN) pt_endpoint_register(sk, inode, ist);
  /* A connection the other end has accepted already (or, AF_UNIX, will). */
  if (sk && type == PT_REL_CONNECT) pt_socket_join(ctx, sk, inode, ist, 0);
}

/* The socket a send woke (an AF_UNIX datagram's receiver, which the
 * sender's socket does not name), for the send's record. */
static __always_inline void pt_on_peer_woken(struct task_struct *task, struct sock *sk) {
  u64 key = (u64)task;
  struct pt_task_state *tst = pt_tasks.lookup(&key);
  if (tst && pt_sock_family(sk) == PT_AF_UNIX) tst->peer_sock = (u64)sk;
}
