/* Information flows through one kernel mechanism each, for the coverage
 * suite (tests/coverage):
 *
 *   flows MECHANISM SOURCE SINK DIR
 *
 * A sender process reads SOURCE and moves its bytes through MECHANISM to a
 * receiver process, which writes them to SINK. The two are forked before
 * either touches SOURCE, and nothing else links them, so a graph that has a
 * path from SOURCE to SINK has seen the mechanism. Every wait is for the
 * mechanism itself (a blocking receive, or polling shared memory), never a
 * timer. DIR holds the objects a mechanism needs a name for. Exit status 0
 * when both processes did their part (the test compares SINK with
 * SOURCE), 77 when this kernel or file system lacks
 * the mechanism (the reason on stderr), 1 otherwise.
 *
 * io_uring-OP (read, write, openat, splice, send) does OP through a ring of
 * the sender's own (and recv, for send, in the receiver's), with raw
 * system calls (no liburing); io_uring-OP-async asks for an io-wq worker
 * to run it (IOSQE_ASYNC).
 *
 * The controls "eventfd" (two unrelated pairs, each with an eventfd of its
 * own: no flow between the pairs) and "none" (no mechanism at all) must
 * leave no path from SOURCE to SINK. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/sendfile.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define UNAVAILABLE 77
#define MAX 256

static const char *source, *sink, *dir;
/* The same address in every process forked from here: where one process
 * writes another's memory. */
static volatile char buffer[MAX];

static void die(const char *what) {
  fprintf(stderr, "flows: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void unavailable(const char *what) {
  fprintf(stderr, "flows: unavailable here: %s: %s\n", what, strerror(errno));
  exit(UNAVAILABLE);
}

/* SOURCE's bytes, into buf; their count. */
static int read_source(char *buf) {
  int fd = open(source, O_RDONLY);
  if (fd < 0) die("open source");
  int n = (int)read(fd, buf, MAX - 1);
  if (n <= 0) die("read source");
  close(fd);
  return n;
}

static void write_sink(const void *buf, int n) {
  int fd = open(sink, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("open sink");
  if (write(fd, buf, (size_t)n) != n) die("write sink");
  close(fd);
}

static void path_in_dir(char *out, size_t size, const char *name) {
  snprintf(out, size, "%s/%s", dir, name);
}

/* Waits (no timer: a short sleep between looks) until the first byte of
 * mem is set; gives up after about 20 s. */
static void await_byte(volatile char *mem) {
  for (int i = 0; i < 20000 && mem[0] == 0; i++) usleep(1000);
  if (mem[0] == 0) {
    fprintf(stderr, "flows: nothing arrived\n");
    exit(1);
  }
}

/* Waits for the two children a and b; their worst exit status. When one
 * fails, the other can wait forever for what will not come (a receive):
 * it is ended then, and the pair fails with the first one's status. */
static int await_pair(pid_t a, pid_t b) {
  int worst = 0, left = 2;
  while (left > 0) {
    int status;
    pid_t done = wait(&status);
    if (done < 0) die("wait");
    if (done != a && done != b) continue;
    left--;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (code > worst) worst = code;
    if (code != 0 && left > 0) kill(done == a ? b : a, SIGKILL);
  }
  return worst;
}

typedef void (*role)(void *);

/* Runs receive(arg) and send(arg) in two children (the receiver first, so a
 * sender can name it); their exit statuses, combined. */
static int run_pair(role receive, role send, void *arg, pid_t *receiver_out) {
  fflush(NULL);
  pid_t receiver = fork();
  if (receiver < 0) die("fork");
  if (receiver == 0) {
    receive(arg);
    exit(0);
  }
  if (receiver_out) *receiver_out = receiver;
  pid_t sender = fork();
  if (sender < 0) die("fork");
  if (sender == 0) {
    send(arg);
    exit(0);
  }
  return await_pair(receiver, sender);
}

/* ---- file descriptors: pipes, socket pairs, copies ---- */

static int fds[4];

static void send_write(void *arg) {
  char buf[MAX];
  int n = read_source(buf);
  if (write(fds[1], buf, (size_t)n) != n) die("write");
}

static void receive_read(void *arg) {
  char buf[MAX];
  close(fds[1]);
  int n = (int)read(fds[0], buf, MAX);
  if (n <= 0) die("read");
  write_sink(buf, n);
}

static void send_send(void *arg) {
  char buf[MAX];
  int n = read_source(buf);
  if (send(fds[1], buf, (size_t)n, 0) != n) die("send");
}

static void receive_recv(void *arg) {
  char buf[MAX];
  int n = (int)recv(fds[0], buf, MAX, 0);
  if (n <= 0) die("recv");
  write_sink(buf, n);
}

static void send_sendmsg(void *arg) {
  char buf[MAX];
  int n = read_source(buf);
  struct iovec iov = {buf, (size_t)n};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (sendmsg(fds[1], &msg, 0) != n) die("sendmsg");
}

static void receive_recvmsg(void *arg) {
  char buf[MAX];
  struct iovec iov = {buf, MAX};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  int n = (int)recvmsg(fds[0], &msg, 0);
  if (n <= 0) die("recvmsg");
  write_sink(buf, n);
}

/* vmsplice: the sender's memory into the pipe, no write(2). */
static void send_vmsplice(void *arg) {
  /* The pipe holds the pages themselves until they are read: a buffer
   * nothing else uses (a stack buffer is overwritten by what follows). */
  static char buf[MAX];
  int n = read_source(buf);
  struct iovec iov = {buf, (size_t)n};
  if (vmsplice(fds[1], &iov, 1, 0) != n) die("vmsplice");
}

/* tee: the receiver duplicates the first pipe into a second and reads
 * only the second. */
static void receive_tee(void *arg) {
  char buf[MAX];
  int n = (int)tee(fds[0], fds[3], MAX, 0);
  if (n <= 0) die("tee");
  close(fds[3]);
  n = (int)read(fds[2], buf, MAX);
  if (n <= 0) die("read");
  write_sink(buf, n);
}

/* splice: the pipe straight into SINK, through no memory. */
static void receive_splice(void *arg) {
  close(fds[1]);
  int out = open(sink, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) die("open sink");
  if (splice(fds[0], NULL, out, NULL, MAX, 0) <= 0) die("splice");
  close(out);
}

/* sendfile: SOURCE straight into the socket, through no memory. */
static void send_sendfile(void *arg) {
  int in = open(source, O_RDONLY);
  if (in < 0) die("open source");
  if (sendfile(fds[1], in, NULL, MAX) <= 0) die("sendfile");
}

/* copy_file_range: SOURCE into a file the receiver reads, when the sender
 * says (a byte on a pipe that carries nothing of SOURCE). */
static void send_copy_file_range(void *arg) {
  int in = open(source, O_RDONLY);
  int out = open((const char *)arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) die("open");
  if (copy_file_range(in, NULL, out, NULL, MAX, 0) <= 0) die("copy_file_range");
  close(out);
  if (write(fds[1], "x", 1) != 1) die("write");
}

static void receive_file_after_signal(void *arg) {
  char buf[MAX], go;
  close(fds[1]);
  if (read(fds[0], &go, 1) != 1) die("read");
  int in = open((const char *)arg, O_RDONLY);
  if (in < 0) die("open");
  int n = (int)read(in, buf, MAX);
  if (n <= 0) die("read");
  write_sink(buf, n);
}

/* ---- sockets with addresses ---- */

static struct sockaddr_storage address;
static socklen_t address_len;
static int listener, stream;

static void receive_accept(void *arg) {
  char buf[MAX];
  int c = accept(listener, NULL, NULL);
  if (c < 0) die("accept");
  int n = (int)recv(c, buf, MAX, 0);
  if (n <= 0) die("recv");
  write_sink(buf, n);
}

static void send_connect(void *arg) {
  char buf[MAX];
  int s = socket(address.ss_family, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  if (connect(s, (struct sockaddr *)&address, address_len) != 0) die("connect");
  int n = read_source(buf);
  if (send(s, buf, (size_t)n, 0) != n) die("send");
}

static void receive_recvfrom(void *arg) {
  char buf[MAX];
  struct sockaddr_storage from;
  socklen_t from_len = sizeof(from);
  int n = (int)recvfrom(listener, buf, MAX, 0, (struct sockaddr *)&from, &from_len);
  if (n <= 0) die("recvfrom");
  write_sink(buf, n);
}

static void send_sendto(void *arg) {
  char buf[MAX];
  int s = socket(address.ss_family, SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  int n = read_source(buf);
  if (sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&address, address_len) != n) die("sendto");
}

/* A socket of family/type bound to the address already in `address` (its
 * port, if 0, chosen by the kernel), listening for a stream. */
static void bind_listener(int type) {
  listener = socket(address.ss_family, type, 0);
  if (listener < 0) unavailable("socket");
  if (bind(listener, (struct sockaddr *)&address, address_len) != 0) unavailable("bind");
  if (type == SOCK_STREAM && listen(listener, 1) != 0) die("listen");
  if (address.ss_family != AF_UNIX &&
      getsockname(listener, (struct sockaddr *)&address, &address_len) != 0)
    die("getsockname");
  stream = type == SOCK_STREAM;
}

static void unix_address(int abstract) {
  struct sockaddr_un *un = (struct sockaddr_un *)&address;
  memset(&address, 0, sizeof(address));
  un->sun_family = AF_UNIX;
  if (abstract) {
    snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1, "provtrace-flows-%d", getpid());
    address_len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(un->sun_path + 1);
  } else {
    path_in_dir(un->sun_path, sizeof(un->sun_path), "socket");
    unlink(un->sun_path);
    address_len = sizeof(*un);
  }
}

static void inet_address(int family) {
  memset(&address, 0, sizeof(address));
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&address;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address_len = sizeof(*in);
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    address_len = sizeof(*in6);
  }
}

/* ---- shared memory ---- */

static volatile char *shared;

static void send_store(void *arg) {
  char buf[MAX];
  int n = read_source(buf);
  memcpy((char *)shared + 1, buf, (size_t)n);
  __atomic_store_n(&shared[0], (char)n, __ATOMIC_RELEASE);
}

static void receive_load(void *arg) {
  await_byte(shared);
  char buf[MAX];
  int n = (unsigned char)shared[0];
  memcpy(buf, (char *)shared + 1, (size_t)n);
  write_sink(buf, n);
}

static int shm_id;

static void send_shmat(void *arg) {
  shared = shmat(shm_id, NULL, 0);
  if (shared == (void *)-1) die("shmat");
  send_store(arg);
}

static void receive_shmat(void *arg) {
  shared = shmat(shm_id, NULL, 0);
  if (shared == (void *)-1) die("shmat");
  receive_load(arg);
}

static char shm_name[64];

static void map_posix_shm(void) {
  int fd = shm_open(shm_name, O_RDWR, 0600);
  if (fd < 0) die("shm_open");
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (shared == MAP_FAILED) die("mmap");
}

static void send_posix_shm(void *arg) {
  map_posix_shm();
  send_store(arg);
}

static void receive_posix_shm(void *arg) {
  map_posix_shm();
  receive_load(arg);
}

/* A file mapped shared and written by a store; the receiver reads it with
 * read(2) until the bytes are there. */
static void send_file_store(void *arg) {
  int fd = open((const char *)arg, O_RDWR);
  if (fd < 0) die("open");
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (shared == MAP_FAILED) die("mmap");
  send_store(arg);
}

static void receive_file_read(void *arg) {
  char buf[MAX];
  int fd = open((const char *)arg, O_RDONLY);
  if (fd < 0) die("open");
  for (int i = 0; i < 20000; i++) {
    if (pread(fd, buf, MAX, 0) > 0 && buf[0] != 0) {
      write_sink(buf + 1, (unsigned char)buf[0]);
      return;
    }
    usleep(1000);
  }
  fprintf(stderr, "flows: nothing arrived\n");
  exit(1);
}

/* ---- message queues ---- */

static int msq;
struct message {
  long type;
  char text[MAX];
};

static void send_msgsnd(void *arg) {
  struct message m = {.type = 1};
  int n = read_source(m.text);
  if (msgsnd(msq, &m, (size_t)n, 0) != 0) die("msgsnd");
}

static void receive_msgrcv(void *arg) {
  struct message m;
  int n = (int)msgrcv(msq, &m, MAX, 0, 0);
  if (n <= 0) die("msgrcv");
  write_sink(m.text, n);
}

static mqd_t mq;

static void send_mq(void *arg) {
  char buf[MAX];
  int n = read_source(buf);
  if (mq_send(mq, buf, (size_t)n, 0) != 0) die("mq_send");
}

static void receive_mq(void *arg) {
  char buf[8192];
  int n = (int)mq_receive(mq, buf, sizeof(buf), NULL);
  if (n <= 0) die("mq_receive");
  write_sink(buf, n);
}

/* ---- another process's memory ---- */

static pid_t peer;

/* The receiver's `buffer`, written by the sender: process_vm_writev or
 * /proc/PID/mem. The length goes first, the bytes after. */
static void receive_own_buffer(void *arg) {
  await_byte(buffer);
  char buf[MAX];
  int n = (unsigned char)buffer[0];
  memcpy(buf, (char *)buffer + 1, (size_t)n);
  write_sink(buf, n);
}

static void send_process_vm_writev(void *arg) {
  char buf[MAX];
  int n = read_source(buf + 1);
  buf[0] = (char)n;
  /* The bytes, then (once that call has returned, and so been recorded)
   * the length that says they are there. */
  struct iovec local = {buf + 1, (size_t)n};
  struct iovec remote = {(void *)(buffer + 1), (size_t)n};
  if (process_vm_writev(peer, &local, 1, &remote, 1, 0) != n) die("process_vm_writev");
  local = (struct iovec){buf, 1};
  remote = (struct iovec){(void *)buffer, 1};
  if (process_vm_writev(peer, &local, 1, &remote, 1, 0) != 1) die("process_vm_writev");
}

static void send_proc_mem_write(void *arg) {
  char buf[MAX], path[64];
  int n = read_source(buf + 1);
  buf[0] = (char)n;
  snprintf(path, sizeof(path), "/proc/%d/mem", peer);
  int fd = open(path, O_RDWR);
  if (fd < 0) die("open /proc/PID/mem");
  /* The bytes, then (once that call has returned, and so been recorded)
   * the length that says they are there. */
  if (pwrite(fd, buf + 1, (size_t)n, (off_t)(uintptr_t)(buffer + 1)) != n) die("pwrite");
  if (pwrite(fd, buf, 1, (off_t)(uintptr_t)buffer) != 1) die("pwrite");
}

/* The sender reads SOURCE into its own `buffer` and waits for the
 * receiver to say it is done (a byte on a pipe, receiver to sender: it
 * carries nothing of SOURCE); the receiver reads the sender's memory. */
static void send_hold_buffer(void *arg) {
  char buf[MAX], done;
  int n = read_source(buf);
  memcpy((char *)buffer + 1, buf, (size_t)n);
  __atomic_store_n(&buffer[0], (char)n, __ATOMIC_RELEASE);
  close(fds[1]);
  if (read(fds[0], &done, 1) != 1) die("read");
}

static void receive_other_buffer(int proc_mem) {
  char buf[MAX + 1], path[64];
  int fd = -1;
  if (proc_mem) {
    snprintf(path, sizeof(path), "/proc/%d/mem", peer);
    fd = open(path, O_RDONLY);
    if (fd < 0) die("open /proc/PID/mem");
  }
  for (int i = 0; i < 20000; i++) {
    struct iovec local = {buf, MAX};
    struct iovec remote = {(void *)buffer, MAX};
    ssize_t got = proc_mem ? pread(fd, buf, MAX, (off_t)(uintptr_t)buffer)
                           : process_vm_readv(peer, &local, 1, &remote, 1, 0);
    if (got < 0) die(proc_mem ? "pread /proc/PID/mem" : "process_vm_readv");
    if (buf[0] != 0) {
      write_sink(buf + 1, (unsigned char)buf[0]);
      if (write(fds[1], "x", 1) != 1) die("write");
      return;
    }
    usleep(1000);
  }
  fprintf(stderr, "flows: nothing arrived\n");
  exit(1);
}

/* The sender holds SOURCE in memory (after it forked the receiver, whose
 * pid it must know); the receiver reads it there. */
static int run_reader_of_sender(int proc_mem) {
  if (pipe(fds) != 0) die("pipe");
  fflush(NULL);
  pid_t sender = fork();
  if (sender < 0) die("fork");
  if (sender == 0) {
    send_hold_buffer(NULL);
    exit(0);
  }
  peer = sender;
  pid_t receiver = fork();
  if (receiver < 0) die("fork");
  if (receiver == 0) {
    receive_other_buffer(proc_mem);
    exit(0);
  }
  return await_pair(sender, receiver);
}

/* ptrace: POKEDATA from a tracer into its stopped child's memory (poke),
 * or PEEKDATA by a tracer out of its stopped child's (peek). The tracer
 * forks the tracee before SOURCE is read by either. */
static int run_ptrace(int poke) {
  fflush(NULL);
  pid_t tracer = fork();
  if (tracer < 0) die("fork");
  if (tracer != 0) {
    int status;
    if (waitpid(tracer, &status, 0) < 0) die("wait");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  pid_t tracee = fork();
  if (tracee < 0) die("fork");
  if (tracee == 0) {
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) unavailable("PTRACE_TRACEME");
    if (!poke) {
      char buf[MAX];
      int n = read_source(buf);
      memcpy((char *)buffer + 1, buf, (size_t)n);
      buffer[0] = (char)n;
    }
    raise(SIGSTOP);
    if (poke) receive_own_buffer(NULL);
    exit(0);
  }
  int status;
  if (waitpid(tracee, &status, 0) < 0 || !WIFSTOPPED(status)) die("waitpid");
  char buf[MAX + 8] = {0};
  if (poke) {
    int n = read_source(buf + 1);
    buf[0] = (char)n;
    for (int at = 0; at <= n; at += (int)sizeof(long)) {
      long word;
      memcpy(&word, buf + at, sizeof(word));
      if (ptrace(PTRACE_POKEDATA, tracee, (void *)(buffer + at), (void *)word) != 0)
        die("PTRACE_POKEDATA");
    }
  } else {
    for (int at = 0; at < MAX; at += (int)sizeof(long)) {
      errno = 0;
      long word = ptrace(PTRACE_PEEKDATA, tracee, (void *)(buffer + at), NULL);
      if (errno != 0) die("PTRACE_PEEKDATA");
      memcpy(buf + at, &word, sizeof(word));
    }
    write_sink(buf + 1, (unsigned char)buf[0]);
  }
  if (ptrace(PTRACE_DETACH, tracee, NULL, NULL) != 0) die("PTRACE_DETACH");
  if (waitpid(tracee, &status, 0) < 0) die("waitpid");
  exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* ---- files' own channels: extended attributes, symbolic links ---- */

static void send_setxattr(void *arg) {
  char buf[MAX];
  int n = read_source(buf);
  if (setxattr((const char *)arg, "user.provtrace", buf, (size_t)n, 0) != 0) die("setxattr");
  /* Then, that call returned (and so recorded), the sign it is there. */
  if (setxattr((const char *)arg, "user.done", "1", 1, 0) != 0) die("setxattr");
}

static void receive_getxattr(void *arg) {
  char buf[MAX];
  for (int i = 0; i < 20000; i++) {
    ssize_t n = -1;
    if (getxattr((const char *)arg, "user.done", buf, MAX) > 0)
      n = getxattr((const char *)arg, "user.provtrace", buf, MAX);
    if (n > 0) {
      write_sink(buf, (int)n);
      return;
    }
    usleep(1000);
  }
  fprintf(stderr, "flows: nothing arrived\n");
  exit(1);
}

/* The link's target is the message. */
static void send_symlink(void *arg) {
  char buf[MAX];
  int n = read_source(buf);
  buf[n] = 0;
  for (int i = 0; i < n; i++)
    if (buf[i] == 0 || buf[i] == '\n') buf[i] = '_';
  if (symlink(buf, (const char *)arg) != 0) die("symlink");
  /* Then, that call returned (and so recorded), the sign it is there. */
  char ready[300];
  snprintf(ready, sizeof(ready), "%s.ready", (const char *)arg);
  if (symlink("1", ready) != 0) die("symlink");
}

static void receive_readlink(void *arg) {
  char buf[MAX], ready[300];
  snprintf(ready, sizeof(ready), "%s.ready", (const char *)arg);
  for (int i = 0; i < 20000; i++) {
    ssize_t n = -1;
    if (readlink(ready, buf, MAX) > 0) n = readlink((const char *)arg, buf, MAX);
    if (n > 0) {
      write_sink(buf, (int)n);
      return;
    }
    usleep(1000);
  }
  fprintf(stderr, "flows: nothing arrived\n");
  exit(1);
}

/* ---- io_uring: one operation at a time through a ring of one's own ---- */

struct ring {
  int fd;
  unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
};

/* A ring in this process (each child makes its own after the fork). */
static void ring_open(struct ring *r) {
  struct io_uring_params p;
  memset(&p, 0, sizeof(p));
  r->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
  if (r->fd < 0) unavailable("io_uring_setup");
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
                  IORING_OFF_SQ_RING);
  char *cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
                  IORING_OFF_CQ_RING);
  r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
  if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED) die("mmap ring");
  r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
  r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  r->sq_array = (unsigned *)(sq + p.sq_off.array);
  r->cq_head = (unsigned *)(cq + p.cq_off.head);
  r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
  r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
}

/* Submits sqe and waits for its completion; its result (-errno on
 * failure). `async`: run it in an io-wq worker (IOSQE_ASYNC), as a
 * blocking operation would be. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe, int async) {
  unsigned tail = *r->sq_tail;
  unsigned index = tail & *r->sq_mask;
  r->sqes[index] = *sqe;
  if (async) r->sqes[index].flags |= IOSQE_ASYNC;
  r->sq_array[index] = index;
  __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
  if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
    die("io_uring_enter");
  unsigned head = *r->cq_head;
  if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) die("io_uring: no completion");
  int res = r->cqes[head & *r->cq_mask].res;
  __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
  return res;
}

static struct io_uring_sqe ring_op(int opcode, int fd, void *buf, unsigned len) {
  struct io_uring_sqe sqe;
  memset(&sqe, 0, sizeof(sqe));
  sqe.opcode = (unsigned char)opcode;
  sqe.fd = fd;
  sqe.addr = (unsigned long)buf;
  sqe.len = len;
  sqe.off = (unsigned long long)-1; /* the file's position, as read(2) */
  return sqe;
}

static int uring_async; /* the "-async" variants: through an io-wq worker */

/* SOURCE read through the ring, on through a pipe by write(2). */
static void send_uring_read(void *arg) {
  struct ring r;
  ring_open(&r);
  char buf[MAX];
  int in = open(source, O_RDONLY);
  if (in < 0) die("open source");
  struct io_uring_sqe sqe = ring_op(IORING_OP_READ, in, buf, MAX - 1);
  int n = ring_run(&r, &sqe, uring_async);
  if (n <= 0) die("io_uring read");
  if (write(fds[1], buf, (size_t)n) != n) die("write");
}

/* SOURCE read by read(2), into the pipe through the ring. */
static void send_uring_write(void *arg) {
  struct ring r;
  ring_open(&r);
  char buf[MAX];
  int n = read_source(buf);
  struct io_uring_sqe sqe = ring_op(IORING_OP_WRITE, fds[1], buf, (unsigned)n);
  if (ring_run(&r, &sqe, uring_async) != n) die("io_uring write");
}

/* SOURCE opened through the ring (then read by read(2)). */
static void send_uring_openat(void *arg) {
  struct ring r;
  ring_open(&r);
  struct io_uring_sqe sqe = ring_op(IORING_OP_OPENAT, AT_FDCWD, (void *)source, 0);
  sqe.open_flags = O_RDONLY;
  sqe.off = 0;
  int in = ring_run(&r, &sqe, uring_async);
  if (in < 0) die("io_uring openat");
  char buf[MAX];
  int n = (int)read(in, buf, MAX - 1);
  if (n <= 0) die("read");
  if (write(fds[1], buf, (size_t)n) != n) die("write");
}

/* SOURCE spliced into the pipe through the ring. */
static void send_uring_splice(void *arg) {
  struct ring r;
  ring_open(&r);
  int in = open(source, O_RDONLY);
  if (in < 0) die("open source");
  struct io_uring_sqe sqe = ring_op(IORING_OP_SPLICE, fds[1], NULL, MAX - 1);
  sqe.splice_fd_in = in;
  sqe.splice_off_in = 0;
  sqe.off = (unsigned long long)-1;
  if (ring_run(&r, &sqe, uring_async) <= 0) die("io_uring splice");
}

/* Through a socket pair: sent and received through rings. */
static void send_uring_send(void *arg) {
  struct ring r;
  ring_open(&r);
  char buf[MAX];
  int n = read_source(buf);
  struct io_uring_sqe sqe = ring_op(IORING_OP_SEND, fds[1], buf, (unsigned)n);
  sqe.off = 0;
  if (ring_run(&r, &sqe, uring_async) != n) die("io_uring send");
}

static void receive_uring_recv(void *arg) {
  struct ring r;
  ring_open(&r);
  char buf[MAX];
  struct io_uring_sqe sqe = ring_op(IORING_OP_RECV, fds[0], buf, MAX);
  sqe.off = 0;
  int n = ring_run(&r, &sqe, uring_async);
  if (n <= 0) die("io_uring recv");
  write_sink(buf, n);
}

/* ---- controls ---- */

/* Two pairs, each with its own eventfd: the first pair's sender reads
 * SOURCE and signals its eventfd; the second pair's receiver waits on the
 * other eventfd (signalled by a sender that read nothing) and writes SINK.
 * Nothing flows from SOURCE to SINK. */
static void control_eventfd_send(void *arg) {
  char buf[MAX];
  read_source(buf);
  uint64_t one = 1;
  if (write(fds[0], &one, sizeof(one)) != sizeof(one)) die("write eventfd");
}

static void control_eventfd_receive(void *arg) {
  uint64_t one = 1, got;
  if (write(fds[1], &one, sizeof(one)) != sizeof(one)) die("write eventfd");
  if (read(fds[1], &got, sizeof(got)) != sizeof(got)) die("read eventfd");
  write_sink("unrelated", 9);
}

static void control_none_send(void *arg) {
  char buf[MAX];
  read_source(buf);
}

static void control_none_receive(void *arg) { write_sink("unrelated", 9); }

/* ---- */

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: flows MECHANISM SOURCE SINK DIR\n");
    return 2;
  }
  const char *m = argv[1];
  source = argv[2];
  sink = argv[3];
  dir = argv[4];
  char path[256];
  if (!strcmp(m, "pipe")) {
    if (pipe(fds) != 0) die("pipe");
    return run_pair(receive_read, send_write, NULL, NULL);
  }
  if (!strcmp(m, "socketpair-read-write") || !strcmp(m, "socketpair-send-recv") ||
      !strcmp(m, "socketpair-dgram") || !strcmp(m, "sendfile")) {
    int dgram = !strcmp(m, "socketpair-dgram");
    if (socketpair(AF_UNIX, dgram ? SOCK_DGRAM : SOCK_STREAM, 0, fds) != 0) die("socketpair");
    int t = fds[0];
    fds[0] = fds[1];
    fds[1] = t; /* [0]: the receiver's end, [1]: the sender's */
    if (!strcmp(m, "socketpair-read-write")) return run_pair(receive_read, send_write, 0, 0);
    if (!strcmp(m, "socketpair-send-recv")) return run_pair(receive_recv, send_send, 0, 0);
    if (!strcmp(m, "sendfile")) return run_pair(receive_read, send_sendfile, 0, 0);
    return run_pair(receive_recvmsg, send_sendmsg, NULL, NULL);
  }
  if (!strcmp(m, "vmsplice") || !strcmp(m, "splice") || !strcmp(m, "tee")) {
    if (pipe(fds) != 0 || pipe(fds + 2) != 0) die("pipe");
    if (!strcmp(m, "vmsplice")) return run_pair(receive_read, send_vmsplice, NULL, NULL);
    if (!strcmp(m, "splice")) return run_pair(receive_splice, send_write, NULL, NULL);
    return run_pair(receive_tee, send_write, NULL, NULL);
  }
  if (!strcmp(m, "copy_file_range")) {
    if (pipe(fds) != 0) die("pipe");
    path_in_dir(path, sizeof(path), "copied");
    return run_pair(receive_file_after_signal, send_copy_file_range, path, NULL);
  }
  if (!strcmp(m, "unix-stream") || !strcmp(m, "unix-abstract")) {
    unix_address(!strcmp(m, "unix-abstract"));
    bind_listener(SOCK_STREAM);
    return run_pair(receive_accept, send_connect, NULL, NULL);
  }
  if (!strcmp(m, "unix-dgram")) {
    unix_address(0);
    bind_listener(SOCK_DGRAM);
    return run_pair(receive_recvfrom, send_sendto, NULL, NULL);
  }
  if (!strcmp(m, "tcp") || !strcmp(m, "tcp6")) {
    inet_address(!strcmp(m, "tcp") ? AF_INET : AF_INET6);
    bind_listener(SOCK_STREAM);
    return run_pair(receive_accept, send_connect, NULL, NULL);
  }
  if (!strcmp(m, "udp") || !strcmp(m, "udp-connected")) {
    inet_address(AF_INET);
    bind_listener(SOCK_DGRAM);
    if (!strcmp(m, "udp")) return run_pair(receive_recvfrom, send_sendto, NULL, NULL);
    return run_pair(receive_recvfrom, send_connect, NULL, NULL);
  }
  if (!strcmp(m, "sysv-shm")) {
    shm_id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    if (shm_id < 0) unavailable("shmget");
    int code = run_pair(receive_shmat, send_shmat, NULL, NULL);
    shmctl(shm_id, IPC_RMID, NULL);
    return code;
  }
  if (!strcmp(m, "posix-shm")) {
    snprintf(shm_name, sizeof(shm_name), "/provtrace-flows-%d", getpid());
    int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) unavailable("shm_open");
    if (ftruncate(fd, 4096) != 0) die("ftruncate");
    close(fd);
    int code = run_pair(receive_posix_shm, send_posix_shm, NULL, NULL);
    shm_unlink(shm_name);
    return code;
  }
  if (!strcmp(m, "shared-anonymous")) {
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) die("mmap");
    return run_pair(receive_load, send_store, NULL, NULL);
  }
  if (!strcmp(m, "shared-file-store")) {
    path_in_dir(path, sizeof(path), "mapped");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, 4096) != 0) die("mapped file");
    close(fd);
    return run_pair(receive_file_read, send_file_store, path, NULL);
  }
  if (!strcmp(m, "sysv-msg")) {
    msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (msq < 0) unavailable("msgget");
    int code = run_pair(receive_msgrcv, send_msgsnd, NULL, NULL);
    msgctl(msq, IPC_RMID, NULL);
    return code;
  }
  if (!strcmp(m, "posix-mq")) {
    char name[64];
    snprintf(name, sizeof(name), "/provtrace-flows-%d", getpid());
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 8192};
    mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (mq == (mqd_t)-1) unavailable("mq_open");
    int code = run_pair(receive_mq, send_mq, NULL, NULL);
    mq_unlink(name);
    return code;
  }
  if (!strcmp(m, "process_vm_writev") || !strcmp(m, "proc-mem-write")) {
    /* The receiver first: the sender names it. */
    fflush(NULL);
    pid_t receiver = fork();
    if (receiver < 0) die("fork");
    if (receiver == 0) {
      receive_own_buffer(NULL);
      exit(0);
    }
    peer = receiver;
    pid_t sender = fork();
    if (sender < 0) die("fork");
    if (sender == 0) {
      if (!strcmp(m, "process_vm_writev"))
        send_process_vm_writev(NULL);
      else
        send_proc_mem_write(NULL);
      exit(0);
    }
    return await_pair(receiver, sender);
  }
  if (!strcmp(m, "process_vm_readv")) return run_reader_of_sender(0);
  if (!strcmp(m, "proc-mem-read")) return run_reader_of_sender(1);
  if (!strcmp(m, "ptrace-poke")) return run_ptrace(1);
  if (!strcmp(m, "ptrace-peek")) return run_ptrace(0);
  if (!strcmp(m, "xattr")) {
    path_in_dir(path, sizeof(path), "attributed");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("open");
    close(fd);
    if (setxattr(path, "user.probe", "x", 1, 0) != 0) unavailable("user xattrs on DIR");
    removexattr(path, "user.probe");
    return run_pair(receive_getxattr, send_setxattr, path, NULL);
  }
  if (!strcmp(m, "symlink")) {
    path_in_dir(path, sizeof(path), "link");
    unlink(path);
    char ready[300];
    snprintf(ready, sizeof(ready), "%s.ready", path);
    unlink(ready);
    return run_pair(receive_readlink, send_symlink, path, NULL);
  }
  if (!strncmp(m, "io_uring-", 9)) {
    const char *op = m + 9;
    const char *dash = strchr(op, '-');
    uring_async = dash && !strcmp(dash, "-async");
    size_t len = dash ? (size_t)(dash - op) : strlen(op);
    if (!strncmp(op, "send", len) && len == 4) {
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) die("socketpair");
      return run_pair(receive_uring_recv, send_uring_send, NULL, NULL);
    }
    if (pipe(fds) != 0) die("pipe");
    if (!strncmp(op, "read", len) && len == 4)
      return run_pair(receive_read, send_uring_read, NULL, NULL);
    if (!strncmp(op, "write", len) && len == 5)
      return run_pair(receive_read, send_uring_write, NULL, NULL);
    if (!strncmp(op, "openat", len) && len == 6)
      return run_pair(receive_read, send_uring_openat, NULL, NULL);
    if (!strncmp(op, "splice", len) && len == 6)
      return run_pair(receive_read, send_uring_splice, NULL, NULL);
  }
  if (!strcmp(m, "eventfd")) {
    fds[0] = eventfd(0, 0);
    fds[1] = eventfd(0, 0);
    if (fds[0] < 0 || fds[1] < 0) unavailable("eventfd");
    return run_pair(control_eventfd_receive, control_eventfd_send, NULL, NULL);
  }
  if (!strcmp(m, "none")) return run_pair(control_none_receive, control_none_send, NULL, NULL);
  fprintf(stderr, "flows: no mechanism %s\n", m);
  return 2;
}
