#!/usr/bin/env python3
"""What provtrace costs, side by side with the floor and its peers, in one run.

Each workload runs with a fixed iteration count; every traced run is paired
with an untraced run next to it (A B B A ...), and a configuration's
ratio for a workload is the median over the pairs of traced / untraced time.
The machine is noisy: only ratios measured side by side mean anything.

Configurations:
  floor           empty BPF programs on exactly provtrace's hooks (bench/floor):
                  what the attach mechanism itself costs
  provtrace       whole system, JSON Lines to /dev/null (perf buffers)
  provtrace-ring  the same through the BPF ring buffer (--transport=ring)
  provtrace-jsonl whole system, JSON Lines to a file
  provtrace-zst   whole system, to a .zst file
  provtrace-raw   whole system, raw capture (-w)
  bpftrace        tracepoints on the same system calls and process events,
                  one line per event to a file
  eaudit          eAudit (IEEE S&P 2024, BCC), through the peer scripts in
                  ../shared/peers/eaudit beside the checkout, to its binary log
  auditd          Linux audit with SPADE's kind of syscall rules, to its log
                  (last: see AuditTrap)
A provtrace configuration takes a variant after "@" (provtrace-raw@old), one
of --variant LABEL=SPEC: SPEC is a provtrace binary and/or extra options
("/tmp/base/provtrace", "--all-flows"), to compare builds side by side.

Run it through bench/run.sh (builds with -c opt first), as root.
  overhead.py [--quick] [--reps N] [--configs a,b] [--workloads a,b]
              [--variant LABEL=SPEC ...] [--markdown FILE] [--save JSON]
  overhead.py --render JSON     the tables of an earlier --save
"""
import argparse
import json
import math
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bazel-bin")
PROVTRACE = os.path.join(BIN, "cli/provtrace")
FLOOR = os.path.join(BIN, "bench/floor")
MICRO = os.path.join(BIN, "bench/overhead_workload")
# eAudit's peer scripts are not the project's: CI and other machines have
# shared/ beside the checkout.
EAUDIT_PEER = os.environ.get("EAUDIT_PEER", os.path.join(ROOT, "..", "shared", "peers", "eaudit"))
EAUDIT_TRACER = os.path.join(EAUDIT_PEER, "eaudit-tracer.sh")
EAUDIT_DIR = os.environ.get("EAUDIT_DIR", "/opt/eaudit")

ALL_CONFIGS = ["floor", "provtrace", "provtrace-ring", "provtrace-jsonl", "provtrace-zst",
               "provtrace-raw", "bpftrace", "eaudit", "auditd"]
QUICK_CONFIGS = ["floor", "provtrace", "provtrace-raw", "eaudit"]
QUICK_WORKLOADS = ["open+close", "write+read 1B", "create+unlink", "pipe ping-pong", "untar"]

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
# Whole-system recorders also record the rest of the machine: each
# configuration is also run this long with no workload, to show how much of
# its output is background (other processes, its own start and stop).
IDLE_SECONDS = 2
IDLE = "idle %d s" % IDLE_SECONDS
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
    returns {records, lost, bytes, cpu_s, rss_mib} (None where it does not
    apply)."""

    def __init__(self, name, base, variants):
        self.name = name
        self.kind, _, self.variant = name.partition("@")
        self.base = base
        self.variants = variants
        self.proc = None
        self.out_path = None

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
        self.hwm_mib = proc_hwm_mib(self.proc.pid)
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
        n = self.kind
        if n == "floor":
            self._spawn([FLOOR], None, r"ready")
        elif n.startswith("provtrace"):
            binary, extra = self.variants.get(self.variant, (PROVTRACE, []))
            self.out_path = {"provtrace": None, "provtrace-ring": None,
                             "provtrace-jsonl": out + ".jsonl",
                             "provtrace-zst": out + ".jsonl.zst",
                             "provtrace-raw": out + ".ptcap"}[n]
            args = {"provtrace": ["-o", "/dev/null"],
                    "provtrace-ring": ["-o", "/dev/null", "--transport=ring"],
                    "provtrace-jsonl": ["-o", self.out_path, "--force"],
                    "provtrace-zst": ["-o", self.out_path, "--force"],
                    "provtrace-raw": ["-w", self.out_path, "--force"]}[n]
            self._spawn([binary, "-v", "--stats"] + args + extra, None, r"ready")
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
        elif n == "eaudit":
            self._start_eaudit()
        elif n == "auditd":
            self._start_auditd()
        else:
            raise ValueError(n)

    def _start_eaudit(self):
        # The peer script starts eauditd.py in its own session and returns
        # once a marker file's name shows up in the capture (BPF compile and
        # attach, ~5 s, are not in the timing).
        self.run_dir = os.path.join(self.base, "eaudit")
        shutil.rmtree(self.run_dir, ignore_errors=True)
        os.makedirs(self.run_dir)
        # EAUDIT_KEEP: the capture's size is the bytes it wrote.
        self.env = dict(os.environ, BENCH_RUN_DIR=self.run_dir, EAUDIT_DIR=EAUDIT_DIR,
                        EAUDIT_KEEP="1")
        r = subprocess.run([EAUDIT_TRACER, "start"], env=self.env, capture_output=True,
                           text=True, timeout=300)
        pid_file = os.path.join(self.run_dir, "tracer.pids")
        self.pid = int(open(pid_file).read()) if os.path.exists(pid_file) else None
        if r.returncode != 0:
            if self.pid:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            raise RuntimeError("eaudit did not start: %s%s" % (r.stdout, r.stderr))
        # eauditd.py is not our child (no rusage): its CPU from /proc, less
        # what its start (BCC compiling its program, uncached) took.
        self.cpu_at_ready = proc_cpu_s(self.pid) or 0.0

    def _stop_eaudit(self):
        # Sample its CPU and peak RSS until it exits: it drains its buffers
        # after SIGINT.
        last = {"cpu": self.cpu_at_ready, "hwm": 0.0}
        done = threading.Event()

        def sample():
            while not done.is_set():
                cpu, hwm = proc_cpu_s(self.pid), proc_hwm_mib(self.pid)
                if cpu is None:
                    break
                last["cpu"], last["hwm"] = cpu, max(last["hwm"], hwm)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        r = subprocess.run([EAUDIT_TRACER, "stop"], env=self.env, capture_output=True,
                           text=True, timeout=300)
        done.set()
        sampler.join()
        if r.stdout.strip() or r.stderr.strip():
            log("eaudit stop: " + (r.stdout + r.stderr).strip())
        fields = {}
        with open(os.path.join(self.run_dir, "stats")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                fields[key] = value
        if "parse_rc" in fields or int(fields.get("corrupt", "0") or 0):
            log("eaudit: its parser failed or found corrupt records (records incomplete): %s"
                % fields)
        cap = os.path.join(self.run_dir, "eaudit.cap")
        stats = {"records": int(fields["records"]), "lost": int(fields["lost"]),
                 "corrupt": int(fields.get("corrupt", "0") or 0),
                 "lost_bytes": int(fields["lost_bytes"]),
                 "bytes": os.path.getsize(cap) if os.path.exists(cap) else None,
                 "cpu_s": last["cpu"] - self.cpu_at_ready, "rss_mib": last["hwm"]}
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return stats

    def _start_auditd(self):
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
        # -D also drops the never,task rule (AuditTrap): tasks from here on
        # are audited.
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

    def stop(self):
        n = self.kind
        if n == "eaudit":
            return self._stop_eaudit()
        stats = {"records": None, "lost": None, "bytes": None}
        if n == "auditd":
            subprocess.run(["auditctl", "-D"], capture_output=True)
            # Let auditd write out what the kernel queued before stopping it.
            deadline = time.monotonic() + 120
            while audit_backlog() > 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            cpu, rss = self._end(signal.SIGTERM)
            # Audit off again, and no audit context for new tasks, so that
            # the next configurations run without it.
            subprocess.run(["auditctl", "-e", "0"], capture_output=True)
            AuditTrap.disarm()
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
        if self.out_path and os.path.exists(self.out_path):
            stats["bytes"] = os.path.getsize(self.out_path)
            os.unlink(self.out_path)  # on a tmpfs: memory
        stats["cpu_s"] = cpu
        stats["rss_mib"] = rss
        return stats


class AuditTrap:
    """Once audit has been enabled, every task created afterwards gets an
    audit context and pays audit's per-syscall entry and exit work (~12 % on
    a syscall-bound loop) even with audit disabled again, unless a task rule
    says never: the kernel's audit_alloc() checks audit_ever_enabled, then the
    task filter. Without the rule, whichever configurations ran after auditd
    would be charged for it, and so would the untraced runs."""

    @staticmethod
    def disarm():
        if shutil.which("auditctl") is None:
            return
        r = subprocess.run(["auditctl", "-a", "never,task"], capture_output=True, text=True)
        if r.returncode != 0 and "exists" not in r.stderr:
            log("auditctl -a never,task failed: " + r.stderr.strip())


def proc_cpu_s(pid):
    """utime + stime of a live process (all its threads), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_hwm_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
            return int(m.group(1)) / 1024.0 if m else 0.0
    except OSError:
        return 0.0


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


def unavailable(config, variants):
    """Why a configuration cannot run here, or None."""
    kind, _, variant = config.partition("@")
    if kind not in ALL_CONFIGS:
        return "unknown configuration (one of %s)" % ", ".join(ALL_CONFIGS)
    if variant and (not kind.startswith("provtrace") or variant not in variants):
        return "no --variant %s=... for a provtrace configuration" % variant
    if kind == "bpftrace" and shutil.which("bpftrace") is None:
        return "bpftrace not installed"
    if kind == "auditd" and (shutil.which("auditd") is None or subprocess.run(
            ["auditctl", "-s"], capture_output=True).returncode != 0):
        return "auditd not installed or audit not usable"
    if kind == "eaudit":
        if os.environ.get("EAUDIT_SKIP"):
            return os.environ["EAUDIT_SKIP"]
        if not os.path.exists(EAUDIT_TRACER):
            return "no eAudit peer scripts at %s" % os.path.normpath(EAUDIT_PEER)
        if not os.path.exists(os.path.join(EAUDIT_DIR, "ecapd.so")):
            return ("eAudit not set up in %s (bench/run.sh does it, given EAUDIT_GIT)"
                    % EAUDIT_DIR)
    return None


def startup_seconds(binary, runs=5):
    """Launch to "ready" (first record possible), warm header cache."""
    times = []
    for _ in range(runs):
        start = time.monotonic()
        p = subprocess.Popen([binary, "-v", "-o", "/dev/null"], stderr=subprocess.PIPE,
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


def parse_variants(specs):
    """LABEL=SPEC -> {LABEL: (binary, extra options)}."""
    variants = {}
    for spec in specs:
        label, sep, value = spec.partition("=")
        if not sep or not label:
            sys.exit("overhead.py: --variant wants LABEL=SPEC, got %r" % spec)
        words = shlex.split(value)
        binary = PROVTRACE
        if words and not words[0].startswith("-"):
            binary = os.path.abspath(words.pop(0))
            if not os.access(binary, os.X_OK):
                sys.exit("overhead.py: --variant %s: %s is not an executable" % (label, binary))
        variants[label] = (binary, words)
    return variants


def workload_name(arg):
    """A workload by its table name or its kind (write-read for write+read 1B)."""
    for name, (kind, _) in MICRO_WORKLOADS.items():
        if arg in (name, kind):
            return name
    if arg in MACRO_WORKLOADS:
        return arg
    sys.exit("overhead.py: unknown workload %r (one of %s)" % (
        arg, ", ".join([k for k, _ in MICRO_WORKLOADS.values()] + MACRO_WORKLOADS)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1 rep, configurations %s, workloads %s (unless given)" % (
                            ",".join(QUICK_CONFIGS), ",".join(QUICK_WORKLOADS)))
    parser.add_argument("--reps", type=int)
    parser.add_argument("--configs", help="default: " + ",".join(ALL_CONFIGS))
    parser.add_argument("--workloads", help="names or kinds, default: all")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=SPEC",
                        help="a provtrace build or options for CONFIG@LABEL")
    parser.add_argument("--markdown", help="also write the tables to this file")
    parser.add_argument("--save", help="also write the measurements to this JSON file")
    parser.add_argument("--render", metavar="JSON",
                        help="measure nothing: print the tables of a --save file")
    args = parser.parse_args()
    if args.render:
        with open(args.render) as f:
            saved = json.load(f)
        report = report_of(saved)
        print(report)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(report)
        return
    if os.geteuid() != 0:
        sys.exit("overhead.py: run as root (BPF, audit)")
    reps = args.reps or (1 if args.quick else 3)
    configs = [c for c in (args.configs or ",".join(
        QUICK_CONFIGS if args.quick else ALL_CONFIGS)).split(",") if c]
    workloads = [workload_name(w) for w in (args.workloads or ",".join(
        QUICK_WORKLOADS if args.quick else list(MICRO_WORKLOADS) + MACRO_WORKLOADS)).split(",")
        if w]
    variants = parse_variants(args.variant)
    skipped = {}
    for c in configs:
        reason = unavailable(c, variants)
        if reason:
            skipped[c] = reason
            log("overhead.py: skipping %s: %s" % (c, reason))
    configs = [c for c in configs if c not in skipped]
    # A machine where audit ran before (an earlier run, a crash mid-run)
    # would charge every configuration for it.
    AuditTrap.disarm()
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
                tracer = Tracer(c, base, variants)
                tracer.start()
                tracer.stop()
        ratios = {(c, w): [] for c in configs for w in workloads}
        untraced = {w: [] for w in workloads}
        stats = {(c, w): [] for c in configs for w in workloads}
        pair = 0
        for rep in range(reps):
            for w in workloads:
                for c in configs:
                    # Untraced first in one pair, traced first in the next
                    # (A B B A): whichever runs first warms caches for the
                    # other.
                    untraced_first = pair % 2 == 0
                    pair += 1
                    if untraced_first:
                        a = wl.run(w)
                    tracer = Tracer(c, base, variants)
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
                    log("rep %d %-15s %-15s untraced %.3f s  traced %.3f s  x%.2f  records %s "
                        "lost %s bytes %s cpu %.2f s rss %.0f MiB" % (
                            rep + 1, w, c, a, b, b / a, s["records"], s["lost"], s["bytes"],
                            s["cpu_s"], s["rss_mib"]))
            for c in configs:
                tracer = Tracer(c, base, variants)
                tracer.start()
                try:
                    time.sleep(IDLE_SECONDS)
                finally:
                    s = tracer.stop()
                stats.setdefault((c, IDLE), []).append(s)
                log("rep %d %-15s %-15s records %s lost %s bytes %s" % (
                    rep + 1, IDLE, c, s["records"], s["lost"], s["bytes"]))
        starts = [c for c in configs if c.startswith("provtrace")]
        saved = {"machine": machine(), "configs": configs, "workloads": workloads, "reps": reps,
                 "skipped": skipped, "untraced": untraced,
                 "ratios": {"%s\t%s" % k: v for k, v in ratios.items()},
                 "stats": {"%s\t%s" % k: v for k, v in stats.items()},
                 "startup_s": startup_seconds(variants.get(starts[0].partition("@")[2],
                                                           (PROVTRACE, []))[0])
                 if starts else None}
        if args.save:
            with open(args.save, "w") as f:
                json.dump(saved, f, indent=1)
        report = report_of(saved)
        print(report)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(report)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def machine():
    uname = os.uname()
    with open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.*)", f.read())
    return "%s %s, %s, %d CPUs; %s" % (uname.sysname, uname.release, m.group(1) if m else "?",
                                       os.cpu_count(), time.strftime("%Y-%m-%d"))


def report_of(saved):
    split = lambda d: {tuple(k.split("\t")): v for k, v in d.items()}
    report = render(saved["machine"], saved["configs"], saved["workloads"], saved["reps"],
                    split(saved["ratios"]), saved["untraced"], split(saved["stats"]),
                    saved["skipped"])
    if saved["startup_s"] is not None:
        report += "\nStartup, launch to ready (warm header cache, median of 5): %.3f s\n" % (
            saved["startup_s"])
    return report


def human_bytes(n):
    if n is None:
        return ""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d B" % n


def render(machine_line, configs, workloads, reps, ratios, untraced, stats, skipped):
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    ratio = lambda c, w: med(ratios[(c, w)])
    micro = [w for w in workloads if w in MICRO_WORKLOADS]
    macro = [w for w in workloads if w not in MICRO_WORKLOADS]
    groups = [g for g in (("geomean, micro", micro), ("geomean, macro", macro),
                          ("geomean, all", workloads)) if g[1]]
    lines = ["Machine: " + machine_line]
    lines.append("")
    lines.append("Slowdown (traced / untraced time, median of %d pair%s per cell):" % (
        reps, "s" if reps > 1 else ""))
    lines.append("")
    lines.append("| workload | untraced s | " + " | ".join(configs) + " |")
    lines.append("|---|---:|" + "---:|" * len(configs))
    for w in workloads:
        lines.append("| %s | %.2f | " % (w, med(untraced[w])) + " | ".join(
            "%.2f" % ratio(c, w) for c in configs) + " |")
    for label, group in groups:
        lines.append("| **%s** | | " % label + " | ".join(
            "**%.2f**" % geomean([ratio(c, w) for w in group]) for c in configs) + " |")
    lines.append("")

    def relative(reference, title):
        others = [c for c in configs if c != reference]
        if reference not in configs or not others:
            return
        lines.append(title)
        lines.append("")
        lines.append("| workload | " + " | ".join(others) + " |")
        lines.append("|---|" + "---:|" * len(others))
        for w in workloads:
            lines.append("| %s | " % w + " | ".join(
                "%.2f" % (ratio(c, w) / ratio(reference, w)) for c in others) + " |")
        for label, group in groups:
            lines.append("| **%s** | " % label + " | ".join(
                "**%.2f**" % geomean([ratio(c, w) / ratio(reference, w) for w in group])
                for c in others) + " |")
        lines.append("")

    relative("floor", "Relative to the floor (slowdown / the floor's slowdown; 1.00 = no cost "
             "above attaching empty programs to the same hooks):")
    relative("eaudit", "Relative to eAudit (slowdown / eAudit's slowdown; below 1.00 = cheaper "
             "than eAudit):")

    writers = [c for c in configs if any(s["records"] is not None or s["bytes"] is not None
                                         for w in workloads for s in stats[(c, w)])]
    if writers:
        lines.append("Output per run of one workload (medians): records, bytes written; "
                     "whole system while the recorder ran, so the last row is a run with "
                     "no workload (the rest of the machine, the recorder's start and stop):")
        lines.append("")
        lines.append("| workload | " + " | ".join(writers) + " |")
        lines.append("|---|" + "---:|" * len(writers))
        for w in workloads + [IDLE]:
            cells = []
            for c in writers:
                ss = stats.get((c, w), [])
                rec = [s["records"] for s in ss if s["records"] is not None]
                size = [s["bytes"] for s in ss if s["bytes"] is not None]
                cell = "%d rec" % med(rec) if rec else ""
                if size:
                    cell += ", " + human_bytes(med(size))
                cells.append(cell.lstrip(", "))
            lines.append("| %s | " % w + " | ".join(cells) + " |")
        lines.append("")

    lines.append("Per run of one workload: lost (most in a run), the recorder's CPU time "
                 "(median) and peak RSS (most):")
    lines.append("")
    lines.append("| workload | " + " | ".join(configs) + " |")
    lines.append("|---|" + "---|" * len(configs))
    for w in workloads:
        cells = []
        for c in configs:
            ss = stats[(c, w)]
            lost = [s["lost"] for s in ss if s["lost"] is not None]
            cell = ""
            if lost:
                cell += "%d lost" % max(lost)
                lost_bytes = [s["lost_bytes"] for s in ss if s.get("lost_bytes") is not None]
                if lost_bytes:
                    cell += " (%s)" % (human_bytes(max(lost_bytes)) or "0 B")
                corrupt = sum(s.get("corrupt", 0) for s in ss)
                if corrupt:
                    cell += ", %d corrupt" % corrupt
            cell += ", %.2f s, %.0f MiB" % (med([s["cpu_s"] for s in ss]),
                                            max(s["rss_mib"] for s in ss))
            cells.append(cell.lstrip(", "))
        lines.append("| %s | " % w + " | ".join(cells) + " |")
    if "eaudit" in configs:
        lines.append("")
        lines.append("eAudit: records are its entry and exit records (its own parser); lost "
                     "counts failed ring-buffer writes, each a whole per-CPU batch, and in "
                     "brackets the bytes eAudit sent but did not receive; its CPU time leaves "
                     "out its start (BCC compiles its program at every start, ~5 s); corrupt: records its "
                     "parser found corrupted, over all runs.")
    if skipped:
        lines.append("")
        lines.append("Not run: " + "; ".join("%s (%s)" % kv for kv in skipped.items()))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
