#!/usr/bin/env python3
"""Torture test 1 (issue 9): real evlog processes killed at random, checked by history_check.

Each cycle runs, against one log with small segments (so that appends roll often):
  - producers: `evlog append --atomic -p` processes, one batch each (1..6 events, sometimes
    large enough to span several frames), read from a pipe or, for some, from a file (a
    large one is then written to the log while it is read: Log::BeginAtomicAppend), some of
    them with --sync none, some with
    --expect-next set to a stale offset (a definite failure), some under the crash shim
    (tests/cli/crash_at_sync.cc), which kills the append just before its N-th fsync,
    fdatasync or msync, or write to HEAD: inside the append's critical section, between
    write, sync and publish;
  - tailers: `evlog tail -f --json` from the beginning, each line recorded as seen;
  - a replay consumer: `evlog replay -g replayed -f --batch N`, whose command appends the
    delivered lines to a file, recorded as seen;
  - an acker: `evlog ack -g acked OFFSET` for an offset already acknowledged to a producer;
  - a compactor: `evlog compact --retain-bytes` (which respects groups).
After a random moment, a random subset of the running processes is SIGKILLed; then the
cycle stops the rest, runs `evlog verify` (must pass), reads the group positions, and
appends a batch that must be acknowledged. At the end the log and the whole history go to
history_check (tests/torture/history.h has the invariants and the line format).

Every random choice comes from one seed: EVLOG_TORTURE_SEED, else the clock; it is printed
first. (Which moment a kill lands on depends on timing too: a failing seed replays the same
choices, not necessarily the same interleaving; the saved history says what happened.)
Cycles: 100, or EVLOG_TORTURE_CI_CYCLES (ctest sets 25 under the sanitizers);
EVLOG_TORTURE_LONG=1 means 10,000; EVLOG_TORTURE_CYCLES overrides both. Every 500 cycles
the run checks its history and starts again on a fresh log (a failed round keeps its files).
Ends with the suite's summary line:
  TORTURE name=process_crash runs=CYCLES events=N violations=V seconds=S seed=SEED

usage: process_crash.py EVLOG HISTORY_CHECK CRASH_SHIM WORKDIR
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

from history_recorder import Recorder, payload

EVLOG, CHECK, SHIM, WORK = sys.argv[1:5]
ROUND_CYCLES = int(os.environ.get("EVLOG_TORTURE_ROUND_CYCLES") or 500)  # cycles on one log (see main)
SEGMENT_BYTES = 1 << 20  # the large batches roll it every few cycles
MAX_EVENT_BYTES = 160 * 1024  # a batch of such events spans several frames (at most 256 KiB each)
# The limit counts the encoded event (payload, key, headers, lengths): leave room for them.
MAX_PAYLOAD_BYTES = MAX_EVENT_BYTES - 64


class Run:
    def __init__(self, seed, work):
        self.work = work
        self.log = os.path.join(work, "log")
        self.rng = random.Random(seed)
        self.history = Recorder(os.path.join(work, "history.jsonl"))
        self.seq = {}  # producer -> next batch number
        self.acked_offsets = []  # offsets acknowledged to producers, for the acker
        self.acked_lock = threading.Lock()
        self.killed = 0
        self.events_appended = 0
        self.replay_seen = os.path.join(self.work, "replayed.jsonl")

    # -- processes -----------------------------------------------------------------------
    def spawn(self, args, env_extra=None, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL):
        env = dict(os.environ)
        env.update(env_extra or {})
        return subprocess.Popen([EVLOG] + args, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env)

    def producer(self, producer_id, rng, procs, plain=False):
        """Appends one atomic batch and records what the process answered. A plain append is
        synced, not stale and not under the crash shim: it must be acknowledged."""
        seq = self.seq.get(producer_id, 0)
        self.seq[producer_id] = seq + 1
        big = rng.random() < 0.2
        count = rng.randint(2, 4) if big else rng.randint(1, 6)
        sizes = [rng.randint(100_000, MAX_PAYLOAD_BYTES) if big else rng.randint(20, 400) for _ in range(count)]
        data = "".join(payload(producer_id, seq, i, count, sizes[i]) + "\n" for i in range(count)).encode()
        sync = plain or rng.random() < 0.8
        stale = not plain and rng.random() < 0.05
        args = ["append", self.log, "--atomic", "-p"] + ([] if sync else ["--sync", "none"])
        if stale:
            args += ["--expect-next", "0"]  # the log is never empty here: a definite conflict
        env = {}
        if not plain and rng.random() < 0.15:
            # verify_asan_link_order=0: under ASan the shim comes before its runtime.
            env = {"LD_PRELOAD": SHIM, "EVLOG_CRASH_AT_SYNC": str(rng.randint(1, 4)),
                   "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
            if rng.random() < 0.5:
                env["EVLOG_CRASH_AT_WRITES_TO"] = "HEAD"  # writes to HEAD count too: publishing
        # From a file, a batch of a quarter segment or more streams into the log as it is read.
        from_file = rng.random() < (0.6 if big else 0.2)
        if from_file:
            source = os.path.join(self.work, f"batch-{producer_id}.in")  # producers run at once
            with open(source, "wb") as f:
                f.write(data)
        start = self.history.tick()
        if from_file:
            with open(source, "rb") as stdin:
                p = self.spawn(args, env, stdin=stdin, stdout=subprocess.PIPE)
        else:
            p = self.spawn(args, env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        procs.append(p)
        try:
            out, err = p.communicate(None if from_file else data, timeout=120)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            p.kill()
            out, err = p.communicate()
        end = self.history.tick()
        record = dict(t="append", producer=producer_id, seq=seq, events=count, sync=sync, start=start)
        lines = out.decode().split()
        if p.returncode == 0 and len(lines) == count:
            first = int(lines[0])
            record.update(outcome="ack", first=first, end=end)
            with self.acked_lock:
                self.acked_offsets.append(first + count - 1)
                self.events_appended += count
        elif p.returncode == 3 and stale:
            record.update(outcome="fail", end=end)  # --expect-next conflict: nothing appended
        else:
            record.update(outcome="unknown")  # killed, or an error that may leave it open
        self.history.record(**record)
        self.last_error = err.decode(errors="replace").strip()
        return p.returncode

    def tailer(self, consumer_id, p):
        """Records what a `tail -f` process prints until it is killed."""
        for line in p.stdout:
            if not line.endswith(b"\n"):
                break  # the tailer was killed in the middle of this line
            event = json.loads(line)
            self.history.record(t="seen", consumer=consumer_id, offset=event["offset"], payload=event["payload"],
                                at=self.history.tick())
        p.wait()

    def acker(self, rng, procs):
        with self.acked_lock:
            if not self.acked_offsets:
                return
            offset = rng.choice(self.acked_offsets[-50:])
        start = self.history.tick()
        p = self.spawn(["ack", self.log, "-g", "acked", str(offset)])
        procs.append(p)
        p.wait()
        end = self.history.tick()
        outcome = "ack" if p.returncode == 0 else "unknown"
        self.history.record(t="group_ack", group="acked", position=offset + 1, outcome=outcome, start=start,
                            end=end)

    # -- one cycle -----------------------------------------------------------------------
    def cycle(self, number):
        rng = random.Random(self.rng.getrandbits(64))
        procs = []
        threads = []
        stop = threading.Event()

        def producer_loop(producer_id, prng):
            while not stop.is_set():
                self.producer(producer_id, prng, procs)

        for producer_id in range(rng.randint(2, 4)):
            prng = random.Random(rng.getrandbits(64))
            threads.append(threading.Thread(target=producer_loop, args=(producer_id, prng)))
        for consumer_id in range(rng.randint(0, 2)):
            # Started here, not in its thread, so that it is in `procs` before the kill below.
            tail = self.spawn(["tail", self.log, "-f", "--json", "--from", "beginning"], stdout=subprocess.PIPE)
            procs.append(tail)
            threads.append(threading.Thread(target=self.tailer, args=(number * 10 + consumer_id, tail)))
        if rng.random() < 0.5:
            replay = self.spawn(["replay", self.log, "-g", "replayed", "-f", "--batch", str(rng.randint(1, 20)), "--",
                                 "sh", "-c", 'cat >>"$0"', self.replay_seen])
            procs.append(replay)
        if rng.random() < 0.5:
            threads.append(threading.Thread(target=lambda: [self.acker(rng, procs) for _ in range(3)]))
        if rng.random() < 0.3:
            threads.append(threading.Thread(
                target=lambda: procs.append(
                    self.spawn(["compact", self.log, "--retain-bytes", str(4 * SEGMENT_BYTES)]))))
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.01, 0.15))
        # The kill: a random subset of whatever is running now.
        for p in list(procs):
            if p.poll() is None and rng.random() < 0.5:
                p.send_signal(signal.SIGKILL)
                self.killed += 1
        stop.set()
        for p in list(procs):
            if p.poll() is None and p.args[1] in ("tail", "replay"):
                p.send_signal(signal.SIGKILL)  # followers never end by themselves
        for t in threads:
            t.join()
        for p in procs:
            p.wait()
        self.after_cycle(number)

    def after_cycle(self, number):
        verify = subprocess.run([EVLOG, "verify", self.log], capture_output=True, text=True)
        if verify.returncode != 0:
            raise SystemExit(f"cycle {number}: evlog verify failed ({verify.returncode}):\n{verify.stdout}"
                             f"{verify.stderr}")
        start = self.history.tick()
        groups = subprocess.run([EVLOG, "groups", self.log, "--json"], capture_output=True, text=True)
        end = self.history.tick()
        for line in groups.stdout.splitlines():
            g = json.loads(line)
            self.history.record(t="group_read", group=g["group"], position=g["position"], start=start, end=end)
        # Appending works again after every kill.
        rc = self.producer(1000, random.Random(number), [], plain=True)
        if rc != 0:
            raise SystemExit(f"cycle {number}: an append after the kills failed with status {rc}: {self.last_error}")

    def finish(self):
        # What the replay consumer was handed: seen (the file may end in a line cut by a kill).
        if os.path.exists(self.replay_seen):
            with open(self.replay_seen) as f:
                for line in f:
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    self.history.record(t="seen", consumer=999999, offset=event["offset"],
                                        payload=event["payload"], at=self.history.tick())
        with open(os.path.join(self.work, "final.jsonl"), "w") as out:
            subprocess.run([EVLOG, "tail", self.log, "--json", "--from", "beginning"], stdout=out, check=True)
        with open(os.path.join(self.work, "groups.jsonl"), "w") as out:
            subprocess.run([EVLOG, "groups", self.log, "--json"], stdout=out, check=True)
        stat = json.loads(subprocess.run([EVLOG, "stat", self.log, "--json"], capture_output=True, text=True,
                                         check=True).stdout)
        # Retention removed whole segments below the log's first offset.
        self.history.record(t="compact", below=stat.get("first_offset", 0))
        self.history.close()
        check = subprocess.run([CHECK, "--log", os.path.join(self.work, "final.jsonl"), "--groups",
                                os.path.join(self.work, "groups.jsonl"), os.path.join(self.work, "history.jsonl")],
                               capture_output=True, text=True)
        return check


def main():
    if os.environ.get("ASAN_OPTIONS"):
        # As tests/cli/lib.sh does: sanitized processes start 3x faster without these.
        os.environ["ASAN_OPTIONS"] += ":detect_leaks=0:report_globals=0"
    seed = int(os.environ.get("EVLOG_TORTURE_SEED") or time.time_ns() % (1 << 32))
    print(f"seed={seed}", flush=True)
    long_mode = os.environ.get("EVLOG_TORTURE_LONG") == "1"
    ci_cycles = int(os.environ.get("EVLOG_TORTURE_CI_CYCLES") or 100)
    cycles = int(os.environ.get("EVLOG_TORTURE_CYCLES") or (10000 if long_mode else ci_cycles))
    began = time.monotonic()
    if os.path.exists(WORK):
        shutil.rmtree(WORK)  # a fresh start every run
    rng = random.Random(seed)
    failed = killed = events = violations = 0
    # Rounds of at most ROUND_CYCLES cycles, each on a fresh log with its own history, checked
    # at its end: tailers read their log from the beginning every cycle, so one log for ten
    # thousand cycles would make the history grow with the square of the cycles.
    for first in range(0, cycles, ROUND_CYCLES):
        round_cycles = min(ROUND_CYCLES, cycles - first)
        work = os.path.join(WORK, f"round-{first // ROUND_CYCLES}")
        os.makedirs(work)
        run = Run(rng.getrandbits(64), work)
        subprocess.run([EVLOG, "append", run.log, "--segment-bytes", str(SEGMENT_BYTES), "--max-event-bytes",
                        str(MAX_EVENT_BYTES)], input=b"", check=True)
        run.producer(1000, random.Random(seed), [], plain=True)  # never empty: --expect-next 0 conflicts
        for number in range(first, first + round_cycles):
            run.cycle(number)
        check = run.finish()
        if check.returncode not in (0, 1):
            print(check.stdout + check.stderr)
            raise SystemExit(f"history_check could not run (status {check.returncode}) in {work}")
        print(check.stdout, end="", flush=True)
        violations += sum(1 for line in check.stdout.splitlines() if line.startswith("VIOLATION"))
        killed += run.killed
        events += run.events_appended
        if check.returncode != 0:
            failed += 1
            print(f"round {first // ROUND_CYCLES} failed: its log and history are kept in {work}")
        else:
            shutil.rmtree(work)
    print(f"killed {killed} processes in {cycles} cycles")
    print(f"TORTURE name=process_crash runs={cycles} events={events} violations={violations} "
          f"seconds={time.monotonic() - began:.1f} (about {killed} processes killed) seed={seed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
