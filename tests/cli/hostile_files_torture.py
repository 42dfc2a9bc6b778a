#!/usr/bin/env python3
"""Hostile files (issue 9, item 8): a seeded generator of damaged log directories.

It builds a reference log (several segments with their indexes, two consumer groups, an
archive export), then makes N variants of it, each with one file replaced: random bytes, a
truncated header, a huge length field, a few flipped bytes, zero length, removed, a symbolic
link (dangling, to itself, to a device, to a valid copy), a FIFO or a directory. The file is
one of META, HEAD, LOCK, a segment (first, middle, newest), an index, a file of the group
store or the group store itself, or the archive that `import` reads. Every command then runs
on a fresh copy of the variant:
  tail, tail --from beginning, tail -f (stopped after the others), verify, verify --repair, stat, ls,
  export (ndjson and archive), compact, append, ack, groups, import (of the variant's
  archive into a new log, and of the reference archive into the variant).
Each must end by itself (no hang: killed after 30 s), without a signal or a sanitizer report,
within bounded memory (max RSS, and under ASan an allocation cap), with 0, 1 or 4, and a
failure must name the damaged file on stderr. `tail -f` must not spin while it waits. Read-only
commands must leave the log's files as they found them.

Usage: hostile_files_torture.py PATH/TO/evlog
  EVLOG_TORTURE_SEED=N   replays a run (the seed is printed first)
  EVLOG_TORTURE_LONG=1   many more variants (EVLOG_HOSTILE_VARIANTS=N sets the number)
It ends with one line: TORTURE name=hostile_files runs=R events=0 violations=V seconds=S seed=N
"""
import hashlib
import os
import random
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time

HANG_SECONDS = 30          # nothing here takes more than a second, even under ASan
FOLLOW_SECONDS = 1         # the least time `tail -f` is left following before it is stopped
FOLLOW_START_CPU = 0.5     # CPU seconds `tail -f` may take to start (ASan); waiting, it takes ~none
MAX_RSS_KIB = 400 << 10    # the reference log is ~100 KiB: anything near this is runaway allocation
ADDRESS_LIMIT = 4 << 30    # without ASan (which reserves terabytes), allocations beyond fail
ALLOWED_STATUS = {0, 1, 4}
SEGMENT_BYTES = 8192
FRAME_HEADER = 64


class Runner:
    def __init__(self, evlog, work, sanitized):
        self.evlog = evlog
        self.work = work
        self.sanitized = sanitized
        self.runs = 0
        self.violations = []
        self.outcomes = {}  # (file kind, mutation, command) -> exit statuses seen

    def run(self, variant, what, args, stdin=None):
        """Runs evlog ARGS to its end; records a violation for any broken promise."""
        return self.finish(self.start(variant, what, args, stdin), HANG_SECONDS)

    def start(self, variant, what, args, stdin=None, follow=False):
        self.runs += 1
        env = dict(os.environ)
        if self.sanitized:
            # A request for more than a GiB is runaway allocation: abort with a report.
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":max_allocation_size_mb=1024:allocator_may_return_null=0"

        def limit():
            if not self.sanitized:
                resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))

        stdin_file = subprocess.DEVNULL
        if isinstance(stdin, str):
            stdin_file = os.open(stdin, os.O_RDONLY)  # as the shell's `<`: a directory opens too
        elif isinstance(stdin, bytes):
            stdin_file = subprocess.PIPE
        n = self.runs
        out_path, err_path = os.path.join(self.work, f"stdout{n}"), os.path.join(self.work, f"stderr{n}")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen([self.evlog] + args, stdin=stdin_file, stdout=out, stderr=err,
                                    preexec_fn=limit, env=env)
        if isinstance(stdin, bytes):
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        if isinstance(stdin, str):
            os.close(stdin_file)
        return Running(proc, time.monotonic(), f"{variant} | evlog {' '.join(args)}", variant, what, args, follow,
                       out_path, err_path)

    def finish(self, running, seconds):
        """Waits until `seconds` after the start; then a follower is stopped, anything else hung."""
        status, usage, timed_out = wait_with_deadline(running.proc, running.started + seconds)
        stderr, stdout = read_and_remove(running.err_path), read_and_remove(running.out_path)
        label, what, follow = running.label, running.what, running.follow
        cpu = usage.ru_utime + usage.ru_stime
        if timed_out and not follow:
            return self.violation(label, f"hung: killed after {seconds} s")
        if usage.ru_maxrss > MAX_RSS_KIB:
            self.violation(label, f"max RSS {usage.ru_maxrss} KiB")
        if "Sanitizer" in stderr or "runtime error:" in stderr:
            return self.violation(label, "sanitizer report: " + stderr[:2000])
        elapsed = time.monotonic() - running.started
        if follow and cpu > FOLLOW_START_CPU + elapsed / 2:
            self.violation(label, f"tail -f used {cpu:.2f} s of CPU in {elapsed:.1f} s of waiting: it spins")
        if timed_out:
            return 0  # a follower still waiting: what it should do
        if status < 0:
            return self.violation(label, f"killed by signal {-status}: " + stderr[:500])
        if status not in ALLOWED_STATUS:
            return self.violation(label, f"exit status {status}: " + stderr[:500])
        command = running.args[0] + ("-f" if follow else "")
        self.outcomes.setdefault((what.kind, running.variant.split()[-1], command), set()).add(status)
        if status != 0 and not names_the_file(stderr + stdout, what):  # verify reports on stdout
            self.violation(label, f"exit {status} without naming {what.names[0]}: {stderr.strip()[:500]}")
        # A log file damaged, missing, linked or special is exit 4 (man/evlog.1). A directory in
        # its place may also be 1: the operating system refuses the rename, lock or removal
        # evlog attempts (EISDIR), which the message names; that is an I/O error.
        io_error_ok = running.variant.endswith(" directory")
        if status != 0 and what.log_file and status != 4 and not (status == 1 and io_error_ok):
            self.violation(label, f"exit {status}, not 4, for a damaged log file: {stderr.strip()[:500]}")
        return status

    def violation(self, label, why):
        self.violations.append(f"{label}: {why}")
        print(f"VIOLATION {label}: {why}", flush=True)
        return None


class Running:
    def __init__(self, proc, started, label, variant, what, args, follow, out_path, err_path):
        self.proc, self.started, self.label, self.variant, self.what = proc, started, label, variant, what
        self.args, self.follow, self.out_path, self.err_path = args, follow, out_path, err_path


def read_and_remove(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    os.remove(path)
    return text


def wait_with_deadline(proc, deadline):
    """Waits for proc; past the deadline (time.monotonic) stops it: SIGTERM, SIGKILL 5 s later.
    Returns (exit code or -signal, its resource usage, whether the deadline passed)."""
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage, timed_out
        now = time.monotonic()
        if now > deadline and not timed_out:
            timed_out = True
            proc.send_signal(signal.SIGTERM)
            deadline = now + 5
        elif now > deadline:
            proc.kill()
        time.sleep(0.005)


def names_the_file(stderr, what):
    return any(name in stderr for name in what.names)


class Target:
    """The file a variant damages, and the words an error about it may use."""

    def __init__(self, kind, path, names, log_file=True):
        self.kind = kind
        self.path = path          # relative to the variant directory
        self.names = names
        self.log_file = log_file  # part of the log (a failure is exit 4), not the import input


def frame_starts(data):
    starts, pos = [], 64
    while pos + FRAME_HEADER <= len(data):
        length = struct.unpack_from("<I", data, pos)[0]
        if length < FRAME_HEADER or pos + ((length + 7) & ~7) > len(data):
            break
        starts.append(pos)
        pos += (length + 7) & ~7
    return starts


def huge_length(rng, kind, data):
    """The file with one length field made implausible."""
    data = bytearray(data)
    if kind == "segment" and frame_starts(bytes(data)):
        at = rng.choice(frame_starts(bytes(data)))
        struct.pack_into("<I", data, at, rng.choice([0xFFFFFFFF, 0x7FFFFFF8, len(data) * 2, 72]))
    elif kind == "archive" and len(data) > 100:
        data[96:97] = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"  # the first entry's length varint
    elif kind == "lmdb" and len(data) >= 200:
        struct.pack_into("<Q", data, 16 + rng.choice([24, 120, 64, 112]), rng.choice([2**64 - 1, 2**40, 2**31]))
    elif len(data) >= 48:
        # META: segment_bytes; HEAD: committed_end; index: entry size (at 12) and interval.
        struct.pack_into("<Q", data, rng.choice([8, 24, 32, 40]), rng.choice([2**64 - 1, 2**63, 2**32 + 8]))
    return bytes(data)


def make_variant(rng, ref, variant_dir, target, archive_path):
    """Copies the reference log to variant_dir/log and damages the target; returns a label."""
    copy_tree(os.path.join(ref, "log"), os.path.join(variant_dir, "log"))
    shutil.copyfile(archive_path, os.path.join(variant_dir, "input.archive"))
    path = os.path.join(variant_dir, target.path)
    original = b""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            original = f.read()
    mutations = ["random", "zero", "truncate", "huge", "flip", "removed", "dangling", "loop", "dev",
                 "copy_link", "fifo", "directory"]
    if target.kind == "groups_dir":
        mutations = ["random", "zero", "removed", "dangling", "loop", "dev", "fifo", "copy_link"]
    if target.kind == "archive":
        mutations = ["random", "zero", "truncate", "huge", "flip", "directory", "dangling", "dev"]
    if target.path.endswith("data.mdb") and len(original) >= 3 * 4096:
        # A page of random bytes behind intact meta pages: LMDB trusts its B-tree pages, so
        # the store checks them before LMDB reads one (format-spec §11.2).
        mutations.append("page")
    mutation = rng.choice(mutations)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)
    if mutation in ("random", "zero", "truncate", "huge", "flip", "page"):
        if mutation == "random":
            data = rng.randbytes(rng.choice([rng.randrange(1, 64), rng.randrange(1, 2 * len(original) + 64)]))
        elif mutation == "zero":
            data = b""
        elif mutation == "truncate":
            data = original[:rng.choice([rng.randrange(0, 64), rng.randrange(0, max(1, len(original)))])]
        elif mutation == "huge":
            data = huge_length(rng, target.kind, original)
        elif mutation == "page":
            page = rng.randrange(2, len(original) // 4096)
            data = original[:page * 4096] + rng.randbytes(4096) + original[(page + 1) * 4096:]
        else:
            data = bytearray(original or b"\0" * 64)
            for _ in range(rng.randrange(1, 5)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data)
        with open(path, "wb") as f:
            f.write(data)
    elif mutation == "dangling":
        os.symlink(os.path.join(variant_dir, "nowhere"), path)
    elif mutation == "loop":
        os.symlink(os.path.basename(path), path)
    elif mutation == "dev":
        os.symlink(rng.choice(["/dev/zero", "/dev/urandom", "/dev/null"]), path)
    elif mutation == "copy_link":
        # A link to a valid copy of the file: links are refused even when their target is fine.
        copy = os.path.join(variant_dir, "elsewhere")
        if target.kind == "groups_dir":
            shutil.copytree(os.path.join(ref, target.path), copy)
        else:
            with open(copy, "wb") as f:
                f.write(original)
        os.symlink(copy, path)
    elif mutation == "fifo":
        os.mkfifo(path)
    elif mutation == "directory":
        os.mkdir(path)
        with open(os.path.join(path, "inside"), "wb") as f:
            f.write(b"x")
    # "removed": nothing more to do.
    return f"{target.path} {mutation}"


def copy_tree(src, dst, skip=()):
    """Copies a directory as it is: links stay links (never followed), FIFOs stay FIFOs."""
    os.mkdir(dst)
    for name in os.listdir(src):
        if name in skip:
            continue
        s, d = os.path.join(src, name), os.path.join(dst, name)
        mode = os.lstat(s).st_mode
        if stat.S_ISLNK(mode):
            os.symlink(os.readlink(s), d)
        elif stat.S_ISFIFO(mode):
            os.mkfifo(d)
        elif stat.S_ISDIR(mode):
            copy_tree(s, d)
        else:
            shutil.copyfile(s, d)


def snapshot(log_dir):
    """The log's files as readers must leave them. Not LOCK, nor the group store: LMDB readers
    register in lock.mdb, and the store recreates a missing data.mdb when it opens."""
    out = {}
    for root, dirs, files in os.walk(log_dir):
        for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, log_dir)
            if rel == "LOCK" or rel == "groups" or rel.startswith("groups/"):
                continue
            st = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    digest = hashlib.sha1(f.read()).hexdigest()
            out[rel] = (st.st_mode, st.st_size, digest, os.readlink(path) if os.path.islink(path) else "")
    return out


def build_reference(r, ref):
    log = os.path.join(ref, "log")
    # One append per few events, so that there are many frames, and index entries.
    for first in range(0, 240, 4):
        lines = b"".join(b"k%d:event-%d-%s\n" % (i % 5, i, b"x" * (i * 13 % 150)) for i in range(first, first + 4))
        subprocess.run([r.evlog, "append", log, "--segment-bytes", str(SEGMENT_BYTES), "-K", ":"], input=lines,
                       check=True)
    for group, offset in (("billing", "12"), ("audit", "30")):
        subprocess.run([r.evlog, "ack", log, offset, "-g", group], check=True)
    # The whole log (what the archive variants damage), and ten events small enough for a
    # segment of the log (what is imported into the damaged logs: import into an existing
    # log is one batch).
    archive, small = os.path.join(ref, "ref.archive"), os.path.join(ref, "small.archive")
    for path, extra in ((archive, []), (small, ["--to", "9"])):
        with open(path, "wb") as f:
            subprocess.run([r.evlog, "export", log, "--format", "archive"] + extra, stdout=f, check=True)
    segments = sorted(n for n in os.listdir(log) if n.endswith(".seg"))
    indexes = sorted(n for n in os.listdir(log) if n.endswith(".idx"))
    assert len(segments) >= 3 and indexes and os.path.exists(os.path.join(log, "groups", "data.mdb")), os.listdir(log)
    return segments, indexes, archive, small


def targets_of(segments, indexes):
    out = [Target("meta", "log/META", ["META"]), Target("head", "log/HEAD", ["HEAD"]),
           Target("lock", "log/LOCK", ["LOCK"])]
    for seg in (segments[0], segments[len(segments) // 2], segments[-1]):
        out.append(Target("segment", "log/" + seg, [seg]))
    for idx in (indexes[0], indexes[-1]):
        out.append(Target("index", "log/" + idx, [idx]))
    out.append(Target("lmdb", "log/groups/data.mdb", ["groups"]))
    out.append(Target("lmdb", "log/groups/lock.mdb", ["groups"]))
    out.append(Target("groups_dir", "log/groups", ["groups"]))
    out.append(Target("archive", "input.archive", ["archive", "input", "line 1"], log_file=False))
    return out


def run_commands(r, rng, variant_dir, target, label, small_archive):
    log = os.path.join(variant_dir, "log")
    archive = os.path.join(variant_dir, "input.archive")
    # Readers share one copy, and must leave it as they found it. `tail -f` follows it while
    # the other commands run, and is stopped after them.
    before = snapshot(log)
    follower = r.start(label, target, ["tail", "-f", log], follow=True)
    for args in (["tail", log, "-n", "5"], ["tail", log, "--from", "beginning"], ["verify", log], ["stat", log],
                 ["export", log], ["export", log, "--format", "archive"], ["groups", log], ["ls", log],
                 ["ls", variant_dir, "--json"]):
        r.run(label, target, args)
    # Writers each get a fresh copy.
    fresh = os.path.join(variant_dir, "fresh")
    compact = rng.choice([["--keep-latest-per-key", "--tombstone-retention", "0s"], ["--before", "20"],
                          ["--retain-bytes", "4096", "--ignore-groups"]])
    for args, stdin in ((["verify", "LOG", "--repair"], None), (["compact", "LOG"] + compact, None),
                        (["append", "LOG"], b"new-1\nnew-2\n"), (["ack", "LOG", "40", "-g", "billing"], None),
                        (["import", "--append", "LOG", small_archive], None)):
        shutil.rmtree(fresh, ignore_errors=True)
        copy_tree(variant_dir, fresh, skip=("fresh",))
        fixed = [os.path.join(fresh, "log") if a == "LOG" else a for a in args]
        r.run(label, target, fixed, stdin=stdin)
    if target.kind == "archive":
        new_log = os.path.join(variant_dir, "imported")
        r.run(label, target, ["import", new_log, archive])
        if os.path.exists(archive):  # the shell could not open a dangling link for `<`
            r.run(label, target, ["import", new_log + "-stdin"], stdin=archive)
    r.finish(follower, FOLLOW_SECONDS)
    if snapshot(log) != before:
        r.violation(label, "a read-only command changed the log's files")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    evlog = os.path.abspath(sys.argv[1])
    seed = int(os.environ.get("EVLOG_TORTURE_SEED") or random.SystemRandom().randrange(2**31))
    long_mode = os.environ.get("EVLOG_TORTURE_LONG") == "1"
    variants = int(os.environ.get("EVLOG_HOSTILE_VARIANTS") or (2000 if long_mode else 24))
    print(f"seed={seed}", flush=True)
    print(f"variants={variants}{' (long mode)' if long_mode else ''}", flush=True)
    rng = random.Random(seed)
    with open(evlog, "rb") as f:
        sanitized = b"__asan_init" in f.read()  # built with -fsanitize=address (whether linked statically or not)
    start = time.monotonic()
    work = tempfile.mkdtemp(prefix="evlog-hostile.")
    try:
        r = Runner(evlog, work, sanitized)
        ref = os.path.join(work, "ref")
        os.mkdir(ref)
        segments, indexes, ref_archive, small_archive = build_reference(r, ref)
        targets = targets_of(segments, indexes)
        for i in range(variants):
            target = targets[i % len(targets)] if i < len(targets) else rng.choice(targets)
            variant_dir = os.path.join(work, f"v{i}")
            os.mkdir(variant_dir)
            label = f"variant {i}: " + make_variant(rng, ref, variant_dir, target, ref_archive)
            run_commands(r, rng, variant_dir, target, label, small_archive)
            shutil.rmtree(variant_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - start
    if os.environ.get("EVLOG_HOSTILE_OUTCOMES") == "1":
        for (kind, mutation, command), statuses in sorted(r.outcomes.items()):
            print(f"outcome {kind:10} {mutation:9} {command:8} {sorted(statuses)}")
    print(f"TORTURE name=hostile_files runs={r.runs} events=0 violations={len(r.violations)} "
          f"seconds={seconds:.1f} seed={seed}", flush=True)
    return 1 if r.violations else 0


if __name__ == "__main__":
    sys.exit(main())
