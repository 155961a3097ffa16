#!/usr/bin/env python3
"""What provtrace costs, side by side with the floor and its peers, in one run.

Each workload runs with a fixed iteration count; every traced run is paired
with an untraced run next to it (A B B A ...), and a configuration's
ratio for a workload is the median over the pairs of traced / untraced time.
The machine is noisy: only ratios measured side by side mean anything.

Configurations:
  floor          empty BPF programs on exactly provtrace's hooks (bench/floor):
                 what the attach mechanism itself costs
  provtrace      whole system, JSON Lines to /dev/null (perf buffers)
  provtrace-ring the same through the BPF ring buffer (--transport=ring)
  provtrace-zst  whole system, to a .zst file
  provtrace-raw  whole system, raw capture (-w)
  bpftrace       tracepoints on the same system calls and process events,
                 one line per event to a file
  auditd         Linux audit with SPADE's kind of syscall rules, to its log

Run it through bench/run.sh (builds with -c opt first), as root.
  overhead.py [--reps N] [--configs a,b] [--workloads a,b] [--markdown FILE]
"""
import argparse
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bazel-bin")
PROVTRACE = os.path.join(BIN, "cli/provtrace")
FLOOR = os.path.join(BIN, "bench/floor")
MICRO = os.path.join(BIN, "bench/overhead_workload")

# name: iterations, chosen so that each takes 1-3 s untraced on this
# project's machines.
MICRO_WORKLOADS = {
    "open+close": ("open-close", 600000),
    "stat": ("stat", 1500000),
    "write+read 1B": ("write-read", 600000),
    "create+unlink": ("create-unlink", 150000),
    "rename": ("rename", 200000),
    "fork+exit": ("fork-exit", 8000),
    "fork+exec true": ("fork-exec", 2500),
    "pipe ping-pong": ("pipe-pingpong", 300000),
}
MACRO_WORKLOADS = ["untar", "compile"]
UNTAR_FILES = 100000
COMPILE_FILES = 6

# The system calls provtrace's tracepoint backend records, for the peers.
SYSCALLS = [
    "read", "pread64", "readv", "preadv", "write", "pwrite64", "writev", "pwritev",
    "open", "openat", "creat", "mmap", "chmod", "fchmod", "fchmodat", "chown",
    "fchown", "fchownat", "truncate", "ftruncate", "unlink", "unlinkat", "rmdir",
    "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
    "mkdir", "mkdirat", "mknod", "mknodat", "access", "faccessat", "setuid",
    "setreuid", "setresuid", "setgid", "setregid", "setresgid", "execve", "clone",
    "fork", "vfork", "sendfile64", "copy_file_range", "splice",
]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Workloads:
    """Runs one workload in a fresh directory; returns its seconds."""

    def __init__(self, base):
        self.base = base
        self.tarball = os.path.join(base, "files.tar")
        self.sources = os.path.join(base, "sources")
        self._prepare()

    def _prepare(self):
        tree = os.path.join(self.base, "tree")
        for i in range(UNTAR_FILES):
            d = os.path.join(tree, "d%03d" % (i % 500))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "f%04d.txt" % i), "w") as f:
                f.write(("line %d of a small file\n" % i) * 8)
        subprocess.run(["tar", "-cf", self.tarball, "-C", tree, "."], check=True)
        shutil.rmtree(tree)
        os.makedirs(self.sources)
        for n in range(COMPILE_FILES):
            with open(os.path.join(self.sources, "unit%d.c" % n), "w") as f:
                f.write("#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n")
                for k in range(150):
                    f.write(
                        "int f%d_%d(const char *s, int n) {\n"
                        "  int h = %d; for (int i = 0; i < n; i++) h = h * 31 + s[i %% 7];\n"
                        "  return h ^ (int)strlen(s);\n}\n" % (n, k, k))

    def run(self, name):
        work = tempfile.mkdtemp(dir=self.base, prefix="run-")
        try:
            if name in MICRO_WORKLOADS:
                kind, n = MICRO_WORKLOADS[name]
                out = subprocess.run([MICRO, kind, str(n), work], check=True,
                                     capture_output=True, text=True).stdout
                return float(out.strip())
            if name == "untar":
                cmd = ["tar", "-xf", self.tarball, "-C", work]
            else:
                cmd = ["sh", "-c", "cd %s && for f in %s/*.c; do gcc -O1 -c \"$f\" || exit 1; done"
                       % (work, self.sources)]
            start = time.monotonic()
            subprocess.run(cmd, check=True)
            return time.monotonic() - start
        finally:
            shutil.rmtree(work, ignore_errors=True)


def wait_for(path_or_proc, pattern, timeout=120):
    """Waits until a file contains `pattern` (a regex)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path_or_proc, errors="replace") as f:
                if re.search(pattern, f.read()):
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


class Tracer:
    """A configuration: start() before the workload, stop() after; stop()
    returns {records, lost, cpu_s, rss_mib}."""

    def __init__(self, name, base):
        self.name = name
        self.base = base
        self.proc = None

    def _spawn(self, argv, ready_file, ready_pattern, stdout=None):
        self.err_path = os.path.join(self.base, "tracer.err")
        err = open(self.err_path, "w")
        self.proc = subprocess.Popen(argv, stdout=stdout or subprocess.DEVNULL, stderr=err,
                                     start_new_session=True)
        if not wait_for(ready_file or self.err_path, ready_pattern):
            self.proc.kill()
            raise RuntimeError("%s did not start: %s" % (self.name, open(self.err_path).read()))

    def _end(self, sig=signal.SIGINT):
        # The peak RSS from /proc: wait4's ru_maxrss would count the Python
        # image the child was forked from.
        self.hwm_mib = 0.0
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
                self.hwm_mib = int(m.group(1)) / 1024.0 if m else 0.0
        except OSError:
            pass
        self.proc.send_signal(sig)
        deadline = time.monotonic() + 120
        while True:
            # Popen.poll() may already have reaped it (and lost its rusage).
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                self.proc.kill()
            time.sleep(0.05)
        self.proc = None
        return usage.ru_utime + usage.ru_stime, self.hwm_mib

    def start(self):
        out = os.path.join(self.base, "out")
        n = self.name
        if n == "floor":
            self._spawn([FLOOR], None, r"ready")
        elif n.startswith("provtrace"):
            args = {"provtrace": ["-o", "/dev/null"],
                    "provtrace-ring": ["-o", "/dev/null", "--transport=ring"],
                    "provtrace-zst": ["-o", out + ".jsonl.zst", "--force"],
                    "provtrace-raw": ["-w", out + ".ptcap", "--force"]}[n]
            self._spawn([PROVTRACE, "-v", "--stats"] + args, None, r"ready")
        elif n == "bpftrace":
            probes = ",".join("tracepoint:syscalls:sys_exit_%s" % s for s in SYSCALLS
                              if os.path.exists("/sys/kernel/tracing/events/syscalls/sys_exit_%s" % s))
            script = ("%s { if (args->ret >= 0) { printf(\"%%d %%d %%s %%s %%d\\n\", nsecs, tid, comm, "
                      "probe, args->ret); } }\n"
                      "tracepoint:sched:sched_process_fork { printf(\"%%d fork %%d %%d\\n\", nsecs, "
                      "args->parent_pid, args->child_pid); }\n"
                      "tracepoint:sched:sched_process_exec { printf(\"%%d exec %%d %%s\\n\", nsecs, "
                      "args->pid, str(args->filename)); }\n"
                      "tracepoint:sched:sched_process_exit { printf(\"%%d exit %%d\\n\", nsecs, "
                      "args->pid); }\n" % probes)
            self.out_path = out + ".bpftrace"
            if os.path.exists(self.out_path):
                os.unlink(self.out_path)
            self._spawn(["bpftrace", "-B", "full", "-o", self.out_path, "-e", script],
                        self.out_path, r"Attaching")
        elif n == "auditd":
            # Debian's auditd.conf, but logging here and never rotating (a
            # rotated log would hide records from the count).
            conf_dir = os.path.join(self.base, "audit")
            os.makedirs(conf_dir, exist_ok=True)
            self.out_path = os.path.join(conf_dir, "audit.log")
            if os.path.exists(self.out_path):
                os.unlink(self.out_path)
            with open("/etc/audit/auditd.conf") as f:
                conf = f.read()
            conf = re.sub(r"^log_file\s*=.*$", "log_file = " + self.out_path, conf, flags=re.M)
            conf = re.sub(r"^max_log_file_action\s*=.*$", "max_log_file_action = IGNORE", conf,
                          flags=re.M)
            with open(os.path.join(conf_dir, "auditd.conf"), "w") as f:
                f.write(conf)
            os.chmod(os.path.join(conf_dir, "auditd.conf"), 0o640)
            self.lost_before = audit_lost()
            self._spawn(["auditd", "-n", "-c", conf_dir], None, r"")
            time.sleep(0.5)
            if self.proc.poll() is not None:
                raise RuntimeError("auditd exited with status %d (its log: journalctl/syslog)"
                                   % self.proc.returncode)
            subprocess.run(["auditctl", "-D"], check=True, capture_output=True)
            # A backlog as deployments set it (the default 64 stalls at once).
            subprocess.run(["auditctl", "-b", "65536", "-r", "0"], check=True,
                           capture_output=True)
            subprocess.run(["auditctl", "-a", "exit,always", "-F", "arch=b64", "-F",
                            "pid!=%d" % self.proc.pid, "-S", "exit", "-S", "exit_group", "-S",
                            "kill"], check=True, capture_output=True)
            rule = ["auditctl", "-a", "exit,always", "-F", "arch=b64", "-F", "success=1", "-F",
                    "pid!=%d" % self.proc.pid]
            for s in SYSCALLS + ["close", "dup", "dup2", "dup3", "pipe", "pipe2", "mprotect"]:
                name = audit_name(s)
                if name:
                    rule += ["-S", name]
            subprocess.run(rule, check=True, capture_output=True)
            subprocess.run(["auditctl", "-e", "1"], check=True, capture_output=True)
        else:
            raise ValueError(n)

    def stop(self):
        n = self.name
        stats = {"records": None, "lost": None}
        if n == "auditd":
            subprocess.run(["auditctl", "-D"], capture_output=True)
            # Let auditd write out what the kernel queued before stopping it.
            deadline = time.monotonic() + 120
            while audit_backlog() > 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            cpu, rss = self._end(signal.SIGTERM)
            # Audit off again, so that the next configurations run without it.
            subprocess.run(["auditctl", "-e", "0"], capture_output=True)
            with open(self.out_path, errors="replace") as f:
                stats["records"] = sum(1 for line in f if line.startswith("type=SYSCALL"))
            stats["lost"] = audit_lost() - self.lost_before
        else:
            cpu, rss = self._end()
            if n.startswith("provtrace"):
                err = open(self.err_path).read()
                stats["records"] = stat_of(err, "records received")
                stats["lost"] = stat_of(err, r"lost, output refused")
            elif n == "bpftrace":
                with open(self.out_path, errors="replace") as f:
                    text = f.read()
                stats["records"] = text.count("\n") - 1
                stats["lost"] = sum(int(m) for m in re.findall(r"Lost (\d+) events", text + open(
                    self.err_path).read()))
        stats["cpu_s"] = cpu
        stats["rss_mib"] = rss
        return stats


def audit_name(syscall):
    """The system call's name in audit's table (which says pread, not
    pread64), or None."""
    for name in (syscall, syscall[:-2] if syscall.endswith("64") else None):
        if name and subprocess.run(["ausyscall", name, "--exact"],
                                   capture_output=True).returncode == 0:
            return name
    return None


def audit_backlog():
    out = subprocess.run(["auditctl", "-s"], capture_output=True, text=True).stdout
    m = re.search(r"^backlog (\d+)", out, re.M)
    return int(m.group(1)) if m else 0


def audit_lost():
    out = subprocess.run(["auditctl", "-s"], capture_output=True, text=True).stdout
    m = re.search(r"^lost (\d+)", out, re.M)
    return int(m.group(1)) if m else 0


def stat_of(err, name):
    m = re.search(name + r":\s+(\d+)", err)
    return int(m.group(1)) if m else None


def available(config):
    if config == "bpftrace":
        return shutil.which("bpftrace") is not None
    if config == "auditd":
        return shutil.which("auditd") is not None and subprocess.run(
            ["auditctl", "-s"], capture_output=True).returncode == 0
    return True


def startup_seconds(runs=5):
    """Launch to "ready" (first record possible), warm header cache."""
    times = []
    for _ in range(runs):
        start = time.monotonic()
        p = subprocess.Popen([PROVTRACE, "-v", "-o", "/dev/null"], stderr=subprocess.PIPE,
                             text=True)
        for line in p.stderr:
            if "ready" in line:
                times.append(time.monotonic() - start)
                break
        p.send_signal(signal.SIGINT)
        p.wait()
    return statistics.median(times)


def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--configs", default="floor,provtrace,provtrace-ring,provtrace-zst,provtrace-raw,bpftrace,auditd")
    parser.add_argument("--workloads", default=",".join(list(MICRO_WORKLOADS) + MACRO_WORKLOADS))
    parser.add_argument("--markdown", help="also write the tables to this file")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("overhead.py: run as root (BPF, audit)")
    configs = [c for c in args.configs.split(",") if c]
    skipped = [c for c in configs if not available(c)]
    configs = [c for c in configs if c not in skipped]
    workloads = [w for w in args.workloads.split(",") if w]
    # On a tmpfs when there is one: the disk's writeback is noise here, not
    # what is measured.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else "/var/tmp"
    base = tempfile.mkdtemp(prefix="provtrace-bench-", dir=shm)
    try:
        wl = Workloads(base)
        # A first start compiles and caches each configuration's program:
        # measured runs start warm, as users' runs do.
        for c in configs:
            if c.startswith("provtrace") or c == "floor":
                tracer = Tracer(c, base)
                tracer.start()
                tracer.stop()
        ratios = {(c, w): [] for c in configs for w in workloads}
        untraced = {w: [] for w in workloads}
        stats = {(c, w): [] for c in configs for w in workloads}
        pair = 0
        for rep in range(args.reps):
            for w in workloads:
                for c in configs:
                    # Untraced first in one pair, traced first in the next
                    # (A B B A): whichever runs first warms caches for the
                    # other.
                    untraced_first = pair % 2 == 0
                    pair += 1
                    if untraced_first:
                        a = wl.run(w)
                    tracer = Tracer(c, base)
                    tracer.start()
                    try:
                        b = wl.run(w)
                    finally:
                        s = tracer.stop()
                    if not untraced_first:
                        a = wl.run(w)
                    untraced[w].append(a)
                    ratios[(c, w)].append(b / a)
                    stats[(c, w)].append(s)
                    log("rep %d %-15s %-13s untraced %.3f s  traced %.3f s  x%.2f  records %s lost %s "
                        "cpu %.2f s rss %.0f MiB" % (rep + 1, w, c, a, b, b / a, s["records"],
                                                     s["lost"], s["cpu_s"], s["rss_mib"]))
        report = render(configs, workloads, ratios, untraced, stats, skipped)
        report += "\nStartup, launch to ready (warm header cache, median of 5): %.3f s\n" % (
            startup_seconds())
        print(report)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(report)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def render(configs, workloads, ratios, untraced, stats, skipped):
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    lines = []
    uname = os.uname()
    cpu = ""
    with open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.*)", f.read())
        cpu = m.group(1) if m else "?"
    lines.append("Machine: %s %s, %s, %d CPUs; %s" % (
        uname.sysname, uname.release, cpu, os.cpu_count(), time.strftime("%Y-%m-%d")))
    lines.append("")
    lines.append("Slowdown (traced / untraced time, median of %d pairs per cell):" % len(
        next(iter(ratios.values()))))
    lines.append("")
    lines.append("| workload | untraced s | " + " | ".join(configs) + " |")
    lines.append("|---|---:|" + "---:|" * len(configs))
    for w in workloads:
        lines.append("| %s | %.2f | " % (w, med(untraced[w])) + " | ".join(
            "%.2f" % med(ratios[(c, w)]) for c in configs) + " |")
    micro = [w for w in workloads if w in MICRO_WORKLOADS]
    macro = [w for w in workloads if w not in MICRO_WORKLOADS]
    for label, group in (("geomean, micro", micro), ("geomean, macro", macro),
                         ("geomean, all", workloads)):
        if group:
            lines.append("| **%s** | | " % label + " | ".join(
                "**%.2f**" % geomean([med(ratios[(c, w)]) for w in group]) for c in configs) + " |")
    lines.append("")
    if "floor" in configs:
        lines.append("Above the floor (ratio - floor ratio):")
        lines.append("")
        others = [c for c in configs if c != "floor"]
        lines.append("| workload | " + " | ".join(others) + " |")
        lines.append("|---|" + "---:|" * len(others))
        for w in workloads:
            f = med(ratios[("floor", w)])
            lines.append("| %s | " % w + " | ".join(
                "%+.2f" % (med(ratios[(c, w)]) - f) for c in others) + " |")
        lines.append("")
    lines.append("Per run of one workload (medians): records written, records lost, the "
                 "recorder's CPU time and peak RSS:")
    lines.append("")
    lines.append("| workload | " + " | ".join(configs) + " |")
    lines.append("|---|" + "---|" * len(configs))
    for w in workloads:
        cells = []
        for c in configs:
            ss = stats[(c, w)]
            rec = [s["records"] for s in ss if s["records"] is not None]
            lost = [s["lost"] for s in ss if s["lost"] is not None]
            cell = ""
            if rec:
                cell += "%d rec" % med(rec)
            if lost:
                cell += ", %d lost" % max(lost)
            cell += ", %.2f s, %.0f MiB" % (med([s["cpu_s"] for s in ss]),
                                            max(s["rss_mib"] for s in ss))
            cells.append(cell.lstrip(", "))
        lines.append("| %s | " % w + " | ".join(cells) + " |")
    if skipped:
        lines.append("")
        lines.append("Not run (not available here): " + ", ".join(skipped))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
