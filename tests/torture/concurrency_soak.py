#!/usr/bin/env python3
"""Torture test 6 (issue 9): a concurrency soak. Many evlog processes share one log for a
while, nobody is killed, the holder of the log's lock is stopped with SIGSTOP again and
again; then the history goes to history_check (tests/torture/history.h) and every event must
have reached the consumer group at least once.

Running at once, against a log with 1 MiB segments:
  - streaming producers (4 or more): long-lived `evlog append -p` processes fed lines in
    chunks, each line an event whose printed offset is its acknowledgement (--sync batch,
    always or none); each process ends after a random number of lines and the producer
    starts another, so logs are opened and their tails adopted under contention;
  - batch producers: one `evlog append --atomic -p` process per batch of 1..6 events, some
    large enough to span several frames, some with --expect-next (the log's next offset, or
    a stale one: a definite conflict), some with --wait-lock 20ms (may give up: a definite
    failure, "nothing was changed");
  - tailers: `evlog tail -f --json` from the beginning, the end, or a random offset, each for
    a random while; every line recorded as seen, and the offsets one tailer prints must be
    consecutive except where retention removed segments it had not reached (nothing it
    skipped may be in the final log);
  - a snapshot reader: `evlog tail --json -n N` again and again; what it prints ends at the
    log's committed end, so its last event must be the last of its batch;
  - a consumer group: `evlog replay -g replayed -f --batch N`, stopped with SIGTERM and
    restarted now and then; at the end it must have delivered every offset below the group's
    position at least once (at-least-once delivery, the promise of a group);
  - an acker (`evlog ack -g acked` of acknowledged offsets) and `evlog groups` readers;
  - a compactor: `evlog compact --retain-bytes` every second or so (it keeps what groups
    have not acked, so the consumer group never loses an event);
  - a stopper: it finds the process holding LOG/LOCK exclusively in /proc/locks and stops it
    with SIGSTOP for up to 0.6 s (every other writer must wait, none may fail or corrupt
    anything), and now and then stops a reader instead.
Since nobody is killed, every append must be acknowledged except the definite failures
above, and every process must end with status 0.

Seed: EVLOG_TORTURE_SEED, else the clock; printed first. (The seed fixes the choices, not
the interleaving.) Length: EVLOG_SOAK_SECONDS (default 15 s; the CI test sets 8 under the
sanitizers); EVLOG_TORTURE_LONG=1 runs until 3,000,000 events were acknowledged
(EVLOG_SOAK_EVENTS overrides; EVLOG_SOAK_SECONDS bounds it too). SIGTERM or SIGINT ends a run
early, checked as usual. CI paces the producers; the long mode lets them run flat out.
Ends with the suite's summary line:
  TORTURE name=concurrency_soak runs=PROCESSES events=N violations=V seconds=S (...) seed=SEED

usage: concurrency_soak.py EVLOG HISTORY_CHECK WORKDIR
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
import traceback

from history_recorder import Recorder, payload

EVLOG, CHECK, WORK = sys.argv[1:4]
LOG = os.path.join(WORK, "log")
HISTORY = os.path.join(WORK, "history.jsonl")
SEGMENT_BYTES = 1 << 20
MAX_EVENT_BYTES = 160 * 1024
# The limit counts the encoded event (payload, key, headers, lengths): leave room for them.
MAX_PAYLOAD_BYTES = MAX_EVENT_BYTES - 64
GROUP = "replayed"

def read_events(path):
    """The `tail --json` lines in `path`, in order. A command that replay stopped with SIGTERM
    may have written part of a line, and the group then delivers that batch again: the
    broken line is the cut-off part followed by a whole one, which is kept."""
    events = []
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break  # cut off at the end
            try:
                events.append(json.loads(raw))
            except json.JSONDecodeError:
                events.append(json.loads(raw[raw.rindex(b'{"offset":'):]))
    return events


class Soak:
    def __init__(self, seed, deadline, event_goal, paced):
        self.rng = random.Random(seed)
        self.history = Recorder(HISTORY)
        self.deadline = deadline
        self.event_goal = event_goal
        self.paced = paced
        self.stop = threading.Event()
        self.lock = threading.Lock()  # guards the counters and lists below
        self.children = set()  # live processes, for the stopper
        self.acked_offsets = []  # recent offsets acknowledged to producers
        self.events = 0  # events acknowledged
        self.processes = 0
        self.lock_holder_stops = 0
        self.reader_stops = 0
        self.definite_failures = 0
        self.tailed = 0
        self.errors = []  # what went wrong besides the checker's invariants
        self.gaps = []  # (reader, first, last) offsets a reader skipped
        self.replayed = os.path.join(WORK, "replayed.jsonl")

    # -- bookkeeping ---------------------------------------------------------------------
    def error(self, message):
        with self.lock:
            self.errors.append(message)
        print(f"ERROR {message}", flush=True)

    def spawn(self, args, **kwargs):
        p = subprocess.Popen([EVLOG] + args, stderr=subprocess.PIPE, **kwargs)
        with self.lock:
            self.children.add(p)
            self.processes += 1
        return p

    def run_for(self, args, seconds, **kwargs):
        """Runs a follower (tail -f, replay -f) for `seconds` (less if the run ends), then stops
        it with SIGTERM, which it must obey with status 0 or 128+15."""
        p = self.spawn(args, **kwargs)
        self.stop.wait(seconds)
        p.send_signal(signal.SIGTERM)
        err = p.stderr.read().decode(errors="replace")
        p.wait()
        self.reap(p)
        if p.returncode not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
            self.error(f"`evlog {' '.join(args[:1] + args[2:])}` exited {p.returncode} after SIGTERM: {err.strip()}")

    def reap(self, p):
        with self.lock:
            self.children.discard(p)

    def acknowledged(self, offsets):
        with self.lock:
            self.events += len(offsets)
            self.acked_offsets.extend(offsets)
            del self.acked_offsets[:-100]
            if self.event_goal and self.events >= self.event_goal:
                self.stop.set()

    def running(self):
        if time.monotonic() >= self.deadline:
            self.stop.set()
        return not self.stop.is_set()

    # -- producers -----------------------------------------------------------------------
    def streaming_producer(self, producer, rng):
        """Long-lived `append -p` processes; one line is one event, its batch of one."""
        seq = 0
        while self.running():
            sync = rng.choice(["batch", "batch", "always", "none"])
            lines_in_process = rng.randint(1, 20_000)
            p = self.spawn(["append", LOG, "-p", "--sync", sync], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            pending = []  # (seq, start) of lines written and not yet acknowledged, in order
            pending_lock = threading.Lock()

            def read_offsets():
                for line in p.stdout:
                    end = self.history.tick()
                    with pending_lock:
                        s, start = pending.pop(0)
                    offset = int(line)
                    self.history.write(f'{{"t":"append","producer":{producer},"seq":{s},"events":1,'
                                       f'"sync":{"false" if sync == "none" else "true"},"outcome":"ack",'
                                       f'"first":{offset},"start":{start},"end":{end}}}\n')
                    self.acknowledged([offset])

            reader = threading.Thread(target=read_offsets)
            reader.start()
            written = 0
            while written < lines_in_process and self.running():
                chunk = min(rng.randint(1, 300 if self.paced else 3000), lines_in_process - written)
                sizes = [rng.randint(16, 300) for _ in range(chunk)]
                data = "".join(payload(producer, seq + i, 0, 1, sizes[i]) + "\n" for i in range(chunk))
                start = self.history.tick()
                with pending_lock:
                    pending.extend((seq + i, start) for i in range(chunk))
                p.stdin.write(data.encode())
                p.stdin.flush()
                seq += chunk
                written += chunk
                if self.paced:
                    time.sleep(rng.uniform(0.0, 0.02))
            p.stdin.close()
            err = p.stderr.read().decode(errors="replace")
            p.wait()
            reader.join()
            self.reap(p)
            if p.returncode != 0 or pending:
                self.error(f"producer {producer}: `append -p --sync {sync}` exited {p.returncode} with "
                           f"{len(pending)} of {written} lines unacknowledged: {err.strip()}")
                for s, start in pending:  # their outcome is not known
                    self.history.write(f'{{"t":"append","producer":{producer},"seq":{s},"events":1,'
                                       f'"outcome":"unknown","start":{start}}}\n')

    def batch_producer(self, producer, rng):
        """One `append --atomic -p` process per batch."""
        seq = 0
        while self.running():
            big = rng.random() < 0.1
            count = rng.randint(2, 4) if big else rng.randint(1, 6)
            sizes = [rng.randint(100_000, MAX_PAYLOAD_BYTES) if big else rng.randint(16, 400) for _ in range(count)]
            data = "".join(payload(producer, seq, i, count, sizes[i]) + "\n" for i in range(count)).encode()
            args = ["append", LOG, "--atomic", "-p"]
            kind = rng.random()
            expect = None
            if kind < 0.1:
                expect = self.next_offset() if rng.random() < 0.7 else 0  # 0: stale, the log is never empty
                args += ["--expect-next", str(expect)]
            elif kind < 0.2:
                args += ["--wait-lock", "20ms"]
            start = self.history.tick()
            p = self.spawn(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            out, err = p.communicate(data)
            end = self.history.tick()
            self.reap(p)
            err = err.decode(errors="replace")
            offsets = [int(x) for x in out.split()]
            record = f'"t":"append","producer":{producer},"seq":{seq},"events":{count},"start":{start}'
            if p.returncode == 0 and len(offsets) == count:
                self.history.write(f'{{{record},"outcome":"ack","first":{offsets[0]},"end":{end}}}\n')
                self.acknowledged(offsets)
            elif (p.returncode == 3 and expect is not None) or (p.returncode == 1 and "nothing was changed" in err):
                self.history.write(f'{{{record},"outcome":"fail","end":{end}}}\n')
                with self.lock:
                    self.definite_failures += 1
            else:
                self.history.write(f'{{{record},"outcome":"unknown"}}\n')
                self.error(f"batch producer {producer}: {' '.join(args[2:])} exited {p.returncode}: {err.strip()}")
            seq += 1
            if self.paced:
                time.sleep(rng.uniform(0.0, 0.05))

    def next_offset(self):
        stat = subprocess.run([EVLOG, "stat", LOG, "--json"], capture_output=True, text=True)
        return json.loads(stat.stdout)["next_offset"] if stat.returncode == 0 else 0

    # -- consumers -----------------------------------------------------------------------
    def tailer(self, consumer, rng):
        """`tail -f --json` for a random while; its offsets must increase, and skip only what
        retention removed."""
        window = 0
        while self.running():
            where = rng.choice(["beginning", "end", "offset"])
            start_at = where if where != "offset" else str(rng.randint(0, max(0, self.next_offset() - 1)))
            out_path = os.path.join(WORK, f"tail-{consumer}-{window}.jsonl")
            with open(out_path, "wb") as out:
                self.run_for(["tail", LOG, "-f", "--json", "--from", start_at], rng.uniform(0.2, 3.0), stdout=out)
            self.record_seen(out_path, consumer * 100_000 + window, f"tail -f --from {start_at}", consecutive=True)
            window += 1

    def record_seen(self, path, consumer, what, consecutive):
        previous = None
        lines = []
        for event in read_events(path):
            offset = event["offset"]
            if consecutive and previous is not None and offset <= previous:
                self.error(f"{what} printed offset {offset} after {previous}")
            elif consecutive and previous is not None and offset != previous + 1:
                # Retention may remove segments a reader has not reached yet (groups hold it
                # back, plain readers do not): the reader goes on at the oldest segment left.
                # Checked at the end: nothing the reader skipped may still be in the log.
                with self.lock:
                    self.gaps.append((what, previous + 1, offset - 1))
            previous = offset
            at = self.history.tick()
            encoding = ',"payload_encoding":"base64"' if event.get("payload_encoding") == "base64" else ""
            lines.append(f'{{"t":"seen","consumer":{consumer},"offset":{offset},'
                         f'"payload":{json.dumps(event["payload"])}{encoding},"at":{at}}}\n')
        self.history.write("".join(lines))
        with self.lock:
            self.tailed += len(lines)
        os.unlink(path)

    def snapshot_reader(self, consumer, rng):
        """`tail --json -n N` without -f prints up to the log's committed end when it starts,
        which is always a batch boundary: its last event must end its batch (a batch is never
        half visible, even while its writer is stopped between two of its frames)."""
        snapshot = 0
        while not self.stop.wait(rng.uniform(0.01, 0.3)):
            out_path = os.path.join(WORK, f"snapshot-{consumer}.jsonl")
            with open(out_path, "wb") as out:
                p = self.spawn(["tail", LOG, "--json", "-n", str(rng.randint(1, 50))], stdout=out)
                err = p.communicate()[1].decode(errors="replace")
                self.reap(p)
            if p.returncode != 0:
                self.error(f"tail -n exited {p.returncode}: {err.strip()}")
            events = read_events(out_path)
            if events:
                last = events[-1]["payload"]
                index, count = last.split(":")[0].split("i")[1].split("n")
                if int(index) != int(count) - 1:
                    self.error(f"tail -n ended inside a batch: its last event is {last.split(':')[0]}")
            self.record_seen(out_path, consumer * 100_000 + 50_000 + snapshot, "tail -n", consecutive=True)
            snapshot += 1

    def replay_consumer(self, rng):
        """The consumer group: `replay -g -f`, stopped with SIGTERM and restarted now and then."""
        while self.running():
            self.run_for(["replay", LOG, "-g", GROUP, "-f", "--batch", str(rng.randint(2, 500)), "--",
                          "sh", "-c", 'cat >>"$0"', self.replayed], rng.uniform(0.5, 5.0))

    def acker(self, rng):
        while self.running():
            with self.lock:
                offset = rng.choice(self.acked_offsets) if self.acked_offsets else None
            if offset is not None:
                start = self.history.tick()
                p = self.spawn(["ack", LOG, "-g", "acked", str(offset)])
                err = p.communicate()[1].decode(errors="replace")
                end = self.history.tick()
                self.reap(p)
                if p.returncode != 0:
                    self.error(f"ack -g acked {offset} exited {p.returncode}: {err.strip()}")
                outcome = "ack" if p.returncode == 0 else "unknown"
                self.history.write(f'{{"t":"group_ack","group":"acked","position":{offset + 1},'
                                   f'"outcome":"{outcome}","start":{start},"end":{end}}}\n')
            self.read_groups()
            self.stop.wait(rng.uniform(0.02, 0.3))

    def read_groups(self):
        start = self.history.tick()
        groups = subprocess.run([EVLOG, "groups", LOG, "--json"], capture_output=True, text=True)
        end = self.history.tick()
        if groups.returncode != 0:
            self.error(f"groups --json exited {groups.returncode}: {groups.stderr.strip()}")
        for line in groups.stdout.splitlines():
            g = json.loads(line)
            self.history.write(f'{{"t":"group_read","group":{json.dumps(g["group"])},"position":{g["position"]},'
                               f'"start":{start},"end":{end}}}\n')

    def compactor(self, rng):
        while not self.stop.wait(rng.uniform(0.3, 2.0)):
            p = self.spawn(["compact", LOG, "--retain-bytes", str(rng.randint(2, 8) * SEGMENT_BYTES)],
                           stdout=subprocess.DEVNULL)
            err = p.communicate()[1].decode(errors="replace")
            self.reap(p)
            if p.returncode != 0:
                self.error(f"compact --retain-bytes exited {p.returncode}: {err.strip()}")

    # -- the stopper ---------------------------------------------------------------------
    def lock_holder(self, inode):
        """The pid holding LOG/LOCK exclusively, from /proc/locks (flock entries name it)."""
        with open("/proc/locks") as f:
            for line in f:
                fields = line.split()
                if "->" in fields:
                    continue  # a waiter
                if len(fields) >= 6 and fields[1] == "FLOCK" and fields[3] == "WRITE" and \
                        fields[5].endswith(f":{inode}"):
                    return int(fields[4])
        return None

    def stopper(self, rng):
        inode = os.stat(os.path.join(LOG, "LOCK")).st_ino
        while not self.stop.wait(rng.uniform(0.02, 0.4)):
            with self.lock:
                children = {p.pid: p for p in self.children}
            if rng.random() < 0.8:
                # The lock is held only while a batch is written, synced and published:
                # look a few times before giving up on this round.
                for _ in range(1000):
                    pid = self.lock_holder(inode)
                    if pid in children:
                        break
                    time.sleep(0.0003)
                else:
                    continue
                kind = "holder"
            else:
                readers = [p for p in children.values() if p.args[1] in ("tail", "replay")]
                if not readers:
                    continue
                pid = rng.choice(readers).pid
                kind = "reader"
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                continue
            time.sleep(rng.uniform(0.005, 0.6))
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                continue  # it had exited just before SIGSTOP (a zombie), and was reaped since
            with self.lock:
                if kind == "holder":
                    self.lock_holder_stops += 1
                else:
                    self.reader_stops += 1

    # -- the run -------------------------------------------------------------------------
    def run(self):
        threads = []
        producers = self.rng.randint(4, 6)
        for producer in range(producers):
            threads.append(threading.Thread(target=self.guarded(self.streaming_producer),
                                            args=(producer, random.Random(self.rng.getrandbits(64)))))
        for producer in range(100, 100 + self.rng.randint(1, 2)):
            threads.append(threading.Thread(target=self.guarded(self.batch_producer),
                                            args=(producer, random.Random(self.rng.getrandbits(64)))))
        for consumer in range(1, 1 + self.rng.randint(1, 2)):
            threads.append(threading.Thread(target=self.guarded(self.tailer),
                                            args=(consumer, random.Random(self.rng.getrandbits(64)))))
        threads.append(threading.Thread(target=self.guarded(self.snapshot_reader),
                                        args=(9, random.Random(self.rng.getrandbits(64)))))
        for target in (self.replay_consumer, self.acker, self.compactor, self.stopper):
            threads.append(threading.Thread(target=self.guarded(target),
                                            args=(random.Random(self.rng.getrandbits(64)),)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return producers

    def guarded(self, target):
        """A thread's body that reports an exception as an error of the run (and stops it)
        instead of ending that thread quietly while the others go on."""
        def body(*args):
            try:
                target(*args)
            except Exception:  # noqa: BLE001 - any failure of the driver fails the run
                self.error(f"{target.__name__}: {traceback.format_exc()}")
                self.stop.set()
        return body

    def finish(self):
        """Deliver what the group has left, then check the history and the group's delivery."""
        drain = subprocess.run([EVLOG, "replay", LOG, "-g", GROUP, "--batch", "1000", "--", "sh", "-c",
                                'cat >>"$0"', self.replayed], capture_output=True, text=True)
        if drain.returncode != 0:
            self.error(f"replay -g {GROUP} (the final drain) exited {drain.returncode}: {drain.stderr.strip()}")
        verify = subprocess.run([EVLOG, "verify", LOG], capture_output=True, text=True)
        if verify.returncode != 0:
            self.error(f"evlog verify exited {verify.returncode}: {verify.stdout}{verify.stderr}")
        final = os.path.join(WORK, "final.jsonl")
        groups = os.path.join(WORK, "groups.jsonl")
        with open(final, "w") as out:
            subprocess.run([EVLOG, "tail", LOG, "--json", "--from", "beginning"], stdout=out, check=True)
        with open(groups, "w") as out:
            subprocess.run([EVLOG, "groups", LOG, "--json"], stdout=out, check=True)
        stat = json.loads(subprocess.run([EVLOG, "stat", LOG, "--json"], capture_output=True, text=True,
                                         check=True).stdout)
        # At least once: the group's position is the log's end after the drain, and every
        # offset below it reached the group's command (retention keeps what groups need).
        position = {json.loads(line)["group"]: json.loads(line)["position"] for line in open(groups)}[GROUP]
        if position != stat["next_offset"]:
            self.error(f"after the drain, group {GROUP} is at {position}, the log ends at {stat['next_offset']}")
        delivered = {event["offset"] for event in read_events(self.replayed)}
        missing = [o for o in range(position) if o not in delivered]
        if missing:
            self.error(f"group {GROUP} never delivered {len(missing)} offsets below its position "
                       f"{position}, first {missing[:10]}")
        self.record_seen(self.replayed, 999_999_999, f"replay -g {GROUP}", consecutive=False)
        for what, first, last in self.gaps:
            if last >= stat["first_offset"]:
                self.error(f"{what} skipped offsets {first}..{last}, which the log still holds from "
                           f"{stat['first_offset']}")
        self.history.write(f'{{"t":"compact","below":{stat.get("first_offset", 0)}}}\n')
        self.history.close()
        return subprocess.run([CHECK, "--log", final, "--groups", groups, HISTORY], capture_output=True, text=True)


def main():
    if os.environ.get("ASAN_OPTIONS"):
        os.environ["ASAN_OPTIONS"] += ":detect_leaks=0:report_globals=0"  # as tests/cli/lib.sh
    seed = int(os.environ.get("EVLOG_TORTURE_SEED") or time.time_ns() % (1 << 32))
    print(f"seed={seed}", flush=True)
    long_mode = os.environ.get("EVLOG_TORTURE_LONG") == "1"
    seconds = float(os.environ.get("EVLOG_SOAK_SECONDS") or (24 * 3600 if long_mode else 15))
    event_goal = int(os.environ.get("EVLOG_SOAK_EVENTS") or (3_000_000 if long_mode else 0))
    began = time.monotonic()
    if os.path.exists(WORK):
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    subprocess.run([EVLOG, "append", LOG, "--segment-bytes", str(SEGMENT_BYTES), "--max-event-bytes",
                    str(MAX_EVENT_BYTES)], input=b"", check=True)
    soak = Soak(seed, began + seconds, event_goal, paced=not long_mode)
    # The first event, so that --expect-next 0 is always stale.
    start = soak.history.tick()
    subprocess.run([EVLOG, "append", LOG], input=(payload(99, 0, 0, 1, 20) + "\n").encode(), check=True)
    soak.history.write(f'{{"t":"append","producer":99,"seq":0,"events":1,"outcome":"ack","first":0,'
                       f'"start":{start},"end":{soak.history.tick()}}}\n')
    # SIGTERM or SIGINT ends the run early, checked as if its time were up.
    signal.signal(signal.SIGTERM, lambda *_: soak.stop.set())
    signal.signal(signal.SIGINT, lambda *_: soak.stop.set())
    producers = soak.run()
    check = soak.finish()
    if check.returncode not in (0, 1):
        print(check.stdout + check.stderr)
        raise SystemExit(f"history_check could not run (status {check.returncode})")
    print(check.stdout, end="")
    violations = sum(1 for line in check.stdout.splitlines() if line.startswith("VIOLATION")) + len(soak.errors)
    print(f"{producers} streaming producers; {soak.processes} processes; {soak.tailed} events seen by consumers; "
          f"{soak.definite_failures} definite failures (--expect-next, --wait-lock)")
    print(f"TORTURE name=concurrency_soak runs={soak.processes} events={soak.events} violations={violations} "
          f"seconds={time.monotonic() - began:.1f} ({soak.lock_holder_stops} SIGSTOPs of the lock holder, "
          f"{soak.reader_stops} of readers) seed={seed}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
