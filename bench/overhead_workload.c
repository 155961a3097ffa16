/* The micro workloads of bench/overhead.py: one system call pattern,
 * repeated N times, in DIR; prints the seconds it took.
 *
 *   overhead_workload KIND N DIR
 *   KIND: open-close stat write-read create-unlink rename fork-exit
 *         fork-exec pipe-pingpong
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void reap(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("child");
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: overhead_workload KIND N DIR\n");
    return 2;
  }
  const char *kind = argv[1];
  long n = atol(argv[2]);
  char file[4096], other[4096];
  snprintf(file, sizeof(file), "%s/file", argv[3]);
  snprintf(other, sizeof(other), "%s/other", argv[3]);
  int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "x", 1) != 1) die(file);
  close(fd);
  char byte = 'x';

  double start = now();
  if (strcmp(kind, "open-close") == 0) {
    for (long i = 0; i < n; i++) {
      fd = open(file, O_RDONLY);
      if (fd < 0) die("open");
      close(fd);
    }
  } else if (strcmp(kind, "stat") == 0) {
    struct stat st;
    for (long i = 0; i < n; i++)
      if (stat(file, &st) != 0) die("stat");
  } else if (strcmp(kind, "write-read") == 0) {
    fd = open(file, O_RDWR);
    if (fd < 0) die("open");
    for (long i = 0; i < n; i++) {
      if (pwrite(fd, &byte, 1, 0) != 1) die("pwrite");
      if (pread(fd, &byte, 1, 0) != 1) die("pread");
    }
    close(fd);
  } else if (strcmp(kind, "create-unlink") == 0) {
    for (long i = 0; i < n; i++) {
      fd = open(other, O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (fd < 0) die("create");
      close(fd);
      if (unlink(other) != 0) die("unlink");
    }
  } else if (strcmp(kind, "rename") == 0) {
    for (long i = 0; i < n; i++) {
      if (rename(file, other) != 0 || rename(other, file) != 0) die("rename");
    }
  } else if (strcmp(kind, "fork-exit") == 0) {
    for (long i = 0; i < n; i++) {
      pid_t pid = fork();
      if (pid < 0) die("fork");
      if (pid == 0) _exit(0);
      reap(pid);
    }
  } else if (strcmp(kind, "fork-exec") == 0) {
    for (long i = 0; i < n; i++) {
      pid_t pid = fork();
      if (pid < 0) die("fork");
      if (pid == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
      }
      reap(pid);
    }
  } else if (strcmp(kind, "pipe-pingpong") == 0) {
    /* Both ends on one CPU: across CPUs a round trip is mostly the idle
     * CPU's wakeup latency, which any busy recorder shortens. */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0) die("sched_setaffinity");
    int ping[2], pong[2];
    if (pipe(ping) != 0 || pipe(pong) != 0) die("pipe");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      for (long i = 0; i < n; i++) {
        if (read(ping[0], &byte, 1) != 1 || write(pong[1], &byte, 1) != 1) _exit(1);
      }
      _exit(0);
    }
    for (long i = 0; i < n; i++) {
      if (write(ping[1], &byte, 1) != 1 || read(pong[0], &byte, 1) != 1) die("pingpong");
    }
    reap(pid);
  } else {
    fprintf(stderr, "overhead_workload: unknown kind %s\n", kind);
    return 2;
  }
  printf("%.6f\n", now() - start);
  return 0;
}
