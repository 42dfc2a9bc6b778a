"""Test helper for the `evlog bridge` Kafka tests: makes events, and checks what kcat -J
consumed from a topic against what `evlog export --format ndjson` says the log holds.

  bridge_kafka_check.py make N SEED          JSON envelopes for `evlog append --json`
  bridge_kafka_check.py check EXPORT KCAT LOG_ID [--exactly-once] [--single-partition]

check fails (exit 1, naming the message) unless every message carries its event's key,
payload and headers followed by the bridge headers (format-spec/bridge.md §B2, §B3), the
Kafka timestamp is the event's in milliseconds, every event is in the topic (once with
--exactly-once, at least once otherwise), the messages of a key all sit in one partition,
and the first copies of each key's events are in offset order.
"""
import base64
import datetime
import json
import random
import sys


def b64(data):
    return base64.b64encode(data).decode()


def make(count, seed):
    rng = random.Random(seed)
    for i in range(count):
        envelope = {"payload": b64(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) + b"#%d" % i),
                    "payload_encoding": "base64"}
        roll = rng.random()
        if roll < 0.1:
            pass  # no key: Kafka's null key
        elif roll < 0.15:
            envelope["key"] = ""  # an empty key, distinct from none
        else:
            envelope["key"] = "k%d" % rng.randrange(8)
        headers = []
        for _ in range(rng.randrange(3)):
            headers += [b64(rng.choice([b"source", b"trace", b"bin\xff"])), b64(bytes(rng.randrange(256) for _ in range(5)))]
        if headers:
            envelope["headers_all"] = headers
            envelope["headers_encoding"] = "base64"
        print(json.dumps(envelope))


def decoded(envelope, field):
    value = envelope.get(field)
    if value is None:
        return None
    if envelope.get(field + "_encoding") == "base64":
        return base64.b64decode(value)
    return value.encode("utf-8", "surrogateescape")


def timestamp_ns(text):
    # "2026-12-02T04:40:05.911263599Z": Python parses microseconds only, so split the fraction.
    seconds, fraction = text.rstrip("Z").split(".")
    whole = datetime.datetime.fromisoformat(seconds).replace(tzinfo=datetime.timezone.utc)
    return int(whole.timestamp()) * 10**9 + int(fraction.ljust(9, "0"))


def exported_events(path):
    events = {}
    with open(path, "rb") as f:
        for line in f:
            e = json.loads(line)
            flat = e.get("headers_all")
            if flat is None:
                flat = [x for pair in e["headers"].items() for x in pair]
            if e.get("headers_encoding") == "base64":
                flat = [base64.b64decode(x) for x in flat]
            else:
                flat = [x.encode() for x in flat]
            events[e["offset"]] = {"key": decoded(e, "key"), "payload": decoded(e, "payload") or b"",
                                   "headers": flat, "timestamp": timestamp_ns(e["timestamp"])}
    return events


def kcat_messages(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "surrogateescape")
    messages = [json.loads(line) for line in text.split("\n") if line.strip()]  # not splitlines(): U+0085 is no line end here
    as_bytes = lambda s: None if s is None else s.encode("utf-8", "surrogateescape")
    for m in messages:
        m["key"] = as_bytes(m.get("key"))
        m["payload"] = as_bytes(m.get("payload")) or b""
        m["headers"] = [as_bytes(h) for h in m.get("headers") or []]
    # kcat prints each partition in order; partitions interleave in no defined order.
    return sorted(messages, key=lambda m: (m["partition"], m["offset"]))


def fail(message):
    print("bridge_kafka_check: " + message, file=sys.stderr)
    sys.exit(1)


def check(export_path, kcat_path, log_id, exactly_once, single_partition):
    events = exported_events(export_path)
    messages = kcat_messages(kcat_path)
    seen = {}
    partition_of_key = {}
    last_first_copy = {}  # key -> the evlog offset of its last first copy
    for m in messages:
        where = "partition %d offset %d" % (m["partition"], m["offset"])
        h = m["headers"]
        if len(h) < 6 or h[-6:-4] != [b"evlog.log_id", log_id.encode()] or h[-4] != b"evlog.offset" or \
                h[-2] != b"evlog.timestamp":
            fail("%s: bridge headers missing or out of place: %r" % (where, h[-6:]))
        offset = int(h[-3])
        event = events.get(offset)
        if event is None:
            fail("%s: evlog.offset %d is not in the log" % (where, offset))
        if h[:-6] != event["headers"]:
            fail("%s (event %d): headers %r, expected %r" % (where, offset, h[:-6], event["headers"]))
        if m["key"] != event["key"]:
            fail("%s (event %d): key %r, expected %r" % (where, offset, m["key"], event["key"]))
        if m["payload"] != event["payload"]:
            fail("%s (event %d): payload %r, expected %r" % (where, offset, m["payload"], event["payload"]))
        if int(h[-1]) != event["timestamp"] or m["ts"] != event["timestamp"] // 10**6 or m["tstype"] != "create":
            fail("%s (event %d): timestamp %s / %s %d, expected %d ns" % (where, offset, h[-1], m["tstype"], m["ts"],
                                                                         event["timestamp"]))
        seen[offset] = seen.get(offset, 0) + 1
        if seen[offset] > 1:
            continue
        if m["key"] is None:
            continue  # keyless events spread over the partitions: a copy may land elsewhere
        if partition_of_key.setdefault(m["key"], m["partition"]) != m["partition"]:
            fail("key %r is in partitions %d and %d" % (m["key"], partition_of_key[m["key"]], m["partition"]))
        if last_first_copy.get(m["key"], -1) > offset:
            fail("%s: event %d of key %r after its event %d" % (where, offset, m["key"], last_first_copy[m["key"]]))
        last_first_copy[m["key"]] = offset
    missing = sorted(set(events) - set(seen))
    if missing:
        fail("%d events never reached the topic, the first %d" % (len(missing), missing[0]))
    if exactly_once:
        twice = [o for o, n in seen.items() if n > 1]
        if twice:
            fail("%d events are in the topic more than once, the first %d" % (len(twice), min(twice)))
    if single_partition and len({m["partition"] for m in messages}) != 1:
        fail("messages in several partitions despite --partition")
    print("checked %d messages, %d events" % (len(messages), len(seen)))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(int(sys.argv[2]), int(sys.argv[3]))
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4], "--exactly-once" in sys.argv, "--single-partition" in sys.argv)
