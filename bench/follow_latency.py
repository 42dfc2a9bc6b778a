"""Commit-to-log latency under a following relay, as the capture benchmarks measure it."""
import json
import subprocess
import threading
import time


def commit_to_log_ms(evlog, log, relay_cmd, commit, ids, settle=0.0):
    """Runs relay_cmd (a `capture ... -f` into log) and a `tail -f` reader of log, waits
    `settle` seconds, then calls commit(id) for each id, 5 ms apart; each commit must produce
    one event whose payload's key is {"id": id}. Returns the milliseconds from each commit's
    return to its event's arrival at the reader, sorted (an upper bound of commit-to-log: it
    includes the reader's wake-up). Exits if an event is missing 30 s after the last commit.
    """
    subprocess.run([evlog, "append", log], input=b"", check=True)  # so that tail can follow at once
    relay = subprocess.Popen(relay_cmd, stderr=subprocess.DEVNULL)
    reader = subprocess.Popen([evlog, "tail", log, "-f", "--from", "beginning", "--json"], stdout=subprocess.PIPE)
    wanted, arrived = set(ids), {}

    def read():
        for line in reader.stdout:
            key = json.loads(json.loads(line)["payload"])["key"]["id"]
            if key in wanted:
                arrived[key] = time.monotonic()
                if len(arrived) == len(wanted):
                    return

    thread = threading.Thread(target=read)
    thread.start()
    time.sleep(settle)
    committed = {}
    for i in ids:
        commit(i)
        committed[i] = time.monotonic()
        time.sleep(0.005)
    thread.join(timeout=30)
    relay.terminate()
    reader.terminate()
    relay.wait()
    reader.wait()
    if len(arrived) != len(ids):
        raise SystemExit(f"bench: latency: {len(arrived)} of {len(ids)} changes arrived")
    return sorted((arrived[i] - committed[i]) * 1000 for i in committed)
