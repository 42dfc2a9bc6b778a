# What a JetStream stream holds, for the bridge tests (issue 12). Source it after
# nats_server_lib.sh, with TOOL set to evlog_nats_tool.

nats_tool() { timeout 60 "$TOOL" "$@"; }
stream_count() { nats_tool info "$NATS_URL" "$1" | cut -d' ' -f1; }

# stream_offsets STREAM LOG: the offsets in STREAM, in stream order, one per message, each
# message checked against LOG: the evlog.log_id header is LOG's, and Nats-Msg-Id is
# LOGID:SUBJECT:OFFSET:FINGERPRINT with the fingerprint of the event at that offset
# (format-spec/bridge.md §B4), computed here from `evlog export` with python3-xxhash, an
# implementation of XXH3 other than the bridge's (Debian's python, which has it installed).
stream_offsets() {
  local log_id
  log_id=$(log_id "$2")
  evlog export "$2" >"$WORK/stream_offsets.export"
  nats_tool dump "$NATS_URL" "$1" | /usr/bin/python3 -c '
import base64, json, struct, sys, xxhash
log_id, export = sys.argv[1], sys.argv[2]

def raw(env, field, text):
    return base64.b64decode(text) if env.get(field + "_encoding") == "base64" else text.encode()

def fingerprint(env, timestamp_ns):
    u64 = lambda n: struct.pack("<Q", n)
    data = struct.pack("<q", timestamp_ns)
    if env["key"] is None:
        data += b"\0"
    else:
        key = raw(env, "key", env["key"])
        data += b"\1" + u64(len(key)) + key
    flat = env["headers_all"] if "headers_all" in env else [x for pair in env["headers"].items() for x in pair]
    names_values = [raw(env, "headers", x) for x in flat]
    data += u64(len(names_values) // 2)
    for x in names_values:
        data += u64(len(x)) + x
    payload = raw(env, "payload", env["payload"])
    data += u64(len(payload)) + payload
    return xxhash.xxh3_64_hexdigest(data)

events = {}
for line in open(export):
    env = json.loads(line)
    events[env["offset"]] = env
for line in sys.stdin:
    m = json.loads(line)
    h = m["headers"]
    offset = h["evlog.offset"][0]
    assert h["evlog.log_id"] == [log_id], (m["seq"], h["evlog.log_id"])
    env = events[int(offset)]
    want = ":".join([log_id, m["subject"], offset, fingerprint(env, int(h["evlog.timestamp"][0]))])
    assert h["Nats-Msg-Id"] == [want], (m["seq"], h["Nats-Msg-Id"], want)
    print(offset)
' "$log_id" "$WORK/stream_offsets.export"
}

# assert_stream_offsets STREAM LOG COUNT WHAT [LOGFILE]: the stream holds the log's offsets
# 0..COUNT-1, each once, in order. On a mismatch it says which are missing, repeated or out
# of order (not two lists of thousands of lines), then the end of LOGFILE and the server's.
assert_stream_offsets() {
  local report
  report=$(stream_offsets "$1" "$2" | python3 -c '
import sys
want = int(sys.argv[1])
got = [int(line) for line in sys.stdin]
seen, repeated, disorder = set(), [], []
for i, offset in enumerate(got):
    if offset in seen:
        repeated.append((i, offset))
    elif i and offset < got[i - 1]:
        disorder.append((i, got[i - 1], offset))
    seen.add(offset)
missing = sorted(set(range(want)) - seen)
extra = sorted(seen - set(range(want)))
if repeated or disorder or missing or extra:
    print(f"{len(got)} messages for {want} events; missing {len(missing)}: {missing[:10]}; "
          f"repeated {len(repeated)} (stream index, offset): {repeated[:10]}; "
          f"out of order {len(disorder)} (index, previous, offset): {disorder[:10]}; "
          f"beyond the log: {extra[:10]}")
' "$3") || fail "$4: could not read the stream $1"
  if [[ -n "$report" ]]; then
    [[ -z "${5:-}" ]] || sed 's/^/bridge: /' "$5" | tail -20 >&2
    tail -20 "$NATS_DIR/server.log" | sed 's/^/nats-server: /' >&2
    fail "$4: $report"
  fi
}
