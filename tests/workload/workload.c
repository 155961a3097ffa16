/* Deterministic workloads for the runtime tests: each subcommand makes
 * exactly the system calls its name says, so a test can assert the exact
 * provenance records they produce.
 *
 *   workload write FILE TEXT       create/truncate FILE, write TEXT
 *   workload append FILE TEXT      open FILE for appending, write TEXT
 *   workload read FILE             read FILE to the end
 *   workload mmap-shared FILE      map FILE shared, read-write
 *   workload mmap-private FILE     map FILE private, read-only
 *   workload threads N FILE        N threads, each appends a line to FILE
 *   workload access FILE           access(FILE, R_OK)
 *   workload chmod FILE            chmod(FILE, 0640)
 *   workload setuid UID            setuid(UID)
 *   workload setgid GID            setgid(GID)
 *   workload create-files DIR N    create N files in DIR, each written once
 *   workload fork-storm N          fork N children that exit at once; reap them
 *   workload spin-writes FILE SECS append a line to FILE every 50 ms for SECS
 *   workload write-read FILE N     open FILE read-write (creating it), then N
 *                                  times write a byte at 0 and read it back
 *   workload exchange A B          renameat2(A, B, RENAME_EXCHANGE)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what) {
  fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
  return 1;
}

static int write_file(const char *path, const char *text, int flags) {
  int fd = open(path, flags, 0644);
  if (fd < 0) return fail("open");
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) return fail("write");
  return close(fd) == 0 ? 0 : fail("close");
}

static int read_file(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail("open");
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
  }
  if (n < 0) return fail("read");
  return close(fd) == 0 ? 0 : fail("close");
}

static int map_file(const char *path, int shared) {
  int fd = open(path, shared ? O_RDWR : O_RDONLY);
  if (fd < 0) return fail("open");
  void *p = mmap(NULL, 4096, shared ? PROT_READ | PROT_WRITE : PROT_READ,
                 shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return fail("mmap");
  munmap(p, 4096);
  return close(fd) == 0 ? 0 : fail("close");
}

static const char *thread_file;

static void *append_line(void *arg) {
  (void)arg;
  write_file(thread_file, "thread\n", O_WRONLY | O_APPEND);
  return NULL;
}

static int threads(int n, const char *path) {
  pthread_t t[16];
  if (n > 16) n = 16;
  thread_file = path;
  for (int i = 0; i < n; i++) {
    if (pthread_create(&t[i], NULL, append_line, NULL) != 0) return fail("pthread_create");
    /* One at a time: the records then come in a fixed order. */
    pthread_join(t[i], NULL);
  }
  return 0;
}

static int create_files(const char *dir, int n) {
  char path[4096];
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof(path), "%s/f%05d", dir, i);
    if (write_file(path, "x\n", O_WRONLY | O_CREAT | O_TRUNC) != 0) return 1;
  }
  return 0;
}

static int fork_storm(int n) {
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) return fail("fork");
    if (pid == 0) _exit(0);
  }
  while (wait(NULL) > 0) {
  }
  return 0;
}

static int spin_writes(const char *path, int seconds) {
  struct timespec tick = {0, 50 * 1000 * 1000};
  for (int i = 0; i < seconds * 20; i++) {
    if (write_file(path, "tick\n", O_WRONLY | O_CREAT | O_APPEND) != 0) return 1;
    nanosleep(&tick, NULL);
  }
  return 0;
}

static int write_read(const char *path, int times) {
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0) return fail("open");
  char byte = 'x';
  for (int i = 0; i < times; i++) {
    if (pwrite(fd, &byte, 1, 0) != 1) return fail("pwrite");
    if (pread(fd, &byte, 1, 0) != 1) return fail("pread");
  }
  return close(fd) == 0 ? 0 : fail("close");
}

static int exchange(const char *a, const char *b) {
  /* RENAME_EXCHANGE, through the system call: glibc 2.36 has renameat2,
   * older ones do not. */
  if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2) != 0) return fail("renameat2");
  return 0;
}

/* One line "DEV INO" per channel end into list. */
static int list_end(FILE *list, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return fail("fstat");
  fprintf(list, "%lu %lu\n", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
  return 0;
}

/* A byte each way through n socketpairs and n pipes, all closed again; and
 * one socketpair and one pipe shared with a child that closes its copies
 * (they stay open here) before they carry data. Every end's device and
 * inode number go into the file at path. */
static int channels(int n, const char *path) {
  FILE *list = fopen(path, "w");
  if (!list) return fail("fopen");
  char byte = 'x';
  for (int i = 0; i <= n; i++) {
    int sv[2], pv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return fail("socketpair");
    if (pipe(pv) != 0) return fail("pipe");
    if (i == n) {
      /* The shared pair: the child's closes drop references, not the
       * channels. */
      pid_t child = fork();
      if (child < 0) return fail("fork");
      if (child == 0) _exit(close(sv[0]) || close(sv[1]) || close(pv[0]) || close(pv[1]));
      int status;
      if (waitpid(child, &status, 0) != child || status != 0) return fail("child");
    }
    if (write(sv[0], &byte, 1) != 1 || read(sv[1], &byte, 1) != 1) return fail("socket");
    if (write(pv[1], &byte, 1) != 1 || read(pv[0], &byte, 1) != 1) return fail("pipe io");
    if (list_end(list, sv[0]) || list_end(list, sv[1]) || list_end(list, pv[0])) return 1;
    if (close(sv[0]) || close(sv[1]) || close(pv[0]) || close(pv[1])) return fail("close");
  }
  return fclose(list) == 0 ? 0 : fail("fclose");
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: workload COMMAND ARG...\n");
    return 2;
  }
  const char *cmd = argv[1], *arg = argv[2];
  if (!strcmp(cmd, "write") && argc == 4)
    return write_file(arg, argv[3], O_WRONLY | O_CREAT | O_TRUNC);
  if (!strcmp(cmd, "append") && argc == 4) return write_file(arg, argv[3], O_WRONLY | O_APPEND);
  if (!strcmp(cmd, "read")) return read_file(arg);
  if (!strcmp(cmd, "mmap-shared")) return map_file(arg, 1);
  if (!strcmp(cmd, "mmap-private")) return map_file(arg, 0);
  if (!strcmp(cmd, "threads") && argc == 4) return threads(atoi(arg), argv[3]);
  if (!strcmp(cmd, "access")) return access(arg, R_OK) == 0 ? 0 : fail("access");
  if (!strcmp(cmd, "chmod")) return chmod(arg, 0640) == 0 ? 0 : fail("chmod");
  if (!strcmp(cmd, "setuid")) return setuid((uid_t)atoi(arg)) == 0 ? 0 : fail("setuid");
  if (!strcmp(cmd, "setgid")) return setgid((gid_t)atoi(arg)) == 0 ? 0 : fail("setgid");
  if (!strcmp(cmd, "create-files") && argc == 4) return create_files(arg, atoi(argv[3]));
  if (!strcmp(cmd, "fork-storm")) return fork_storm(atoi(arg));
  if (!strcmp(cmd, "spin-writes") && argc == 4) return spin_writes(arg, atoi(argv[3]));
  if (!strcmp(cmd, "write-read") && argc == 4) return write_read(arg, atoi(argv[3]));
  if (!strcmp(cmd, "exchange") && argc == 4) return exchange(arg, argv[3]);
  if (!strcmp(cmd, "channels") && argc == 4) return channels(atoi(arg), argv[3]);
  fprintf(stderr, "workload: unknown command %s\n", cmd);
  return 2;
}
