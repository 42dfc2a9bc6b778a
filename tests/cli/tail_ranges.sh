# Selecting events: -n, --from, --to, -c, -N positions, --since, --until.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
seq 0 24 | evlog append "$LOG"
lines() { seq "$1" "$2"; }

assert_eq "$(lines 15 24)" "$(evlog tail "$LOG")" "default: last 10"
assert_eq "$(lines 22 24)" "$(evlog tail -n 3 "$LOG")" "-n 3"
assert_eq "$(lines 22 24)" "$(evlog tail -n3 "$LOG")" "-n3"
assert_eq "" "$(evlog tail -n 0 "$LOG")" "-n 0"
assert_eq "$(lines 0 24)" "$(evlog tail -n 100 "$LOG")" "-n beyond the start"
assert_eq "$(lines 0 24)" "$(evlog tail --from beginning "$LOG")" "--from beginning prints all"
assert_eq "$(lines 5 24)" "$(evlog tail --from 5 "$LOG")" "--from 5 prints to the end"
assert_eq "$(lines 20 24)" "$(evlog tail --from -5 "$LOG")" "--from -5"
assert_eq "" "$(evlog tail --from end "$LOG")" "--from end"
assert_eq "$(lines 5 8)" "$(evlog tail --from 5 --to 8 "$LOG")" "--to is inclusive"
assert_eq "$(lines 0 3)" "$(evlog tail --from beginning --to 3 "$LOG")" "--from beginning --to 3"
assert_eq "$(lines 20 22)" "$(evlog tail --from -5 --to -3 "$LOG")" "--to -3"
assert_eq "$(lines 23 24)" "$(evlog tail --from 23 --to end "$LOG")" "--to end"
assert_eq "$(lines 5 7)" "$(evlog tail --from 5 -c 3 "$LOG")" "-c 3"
assert_eq "$(lines 5 6)" "$(evlog tail --from 5 --to 6 -c 3 "$LOG")" "--to before -c"
assert_eq "$(lines 6 8)" "$(evlog tail --from 0 --to 8 -n 3 "$LOG")" "-n counts back from --to"
assert_eq "$(lines 10 11)" "$(evlog tail --from 10 -n 15 -c 2 "$LOG")" "-n limited by --from"
assert_eq "" "$(evlog tail --from 100 "$LOG")" "--from past the end"

# Times: take event timestamps from --json, then select by them.
python3 - "$LOG" "$EVLOG" <<'PY' || fail "time selection (see above)"
import json, subprocess, sys
from datetime import datetime, timezone
log, evlog = sys.argv[1], sys.argv[2]
def tail(*args):
    return subprocess.run([evlog, "tail", log, *args], check=True, capture_output=True,
                          text=True).stdout.split()
events = [json.loads(l) for l in subprocess.run([evlog, "tail", log, "--json", "--from", "0"],
          check=True, capture_output=True, text=True).stdout.splitlines()]
assert len(events) == 25, events
for e in events:
    assert len(e["timestamp"]) == 30 and e["timestamp"].endswith("Z"), e
stamps = [e["timestamp"] for e in events]
assert stamps == sorted(stamps), stamps
t = stamps[12]
since = tail("--since", t)
first = stamps.index(t)   # events may share a timestamp: all at or after t
assert since == [str(i) for i in range(first, 25)], (t, since)
until = tail("--from", "beginning", "--until", t)
last = len(stamps) - 1 - stamps[::-1].index(t)
assert until == [str(i) for i in range(0, last + 1)], (t, until)
assert tail("--since", "-1h") == [str(i) for i in range(25)]
assert tail("--since", "-1h", "-n", "2") == ["23", "24"]
assert tail("--since", "2000-01-01", "--until", "2000-01-02") == []
today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
assert tail("--since", today) == [str(i) for i in range(25)]
secs = int(datetime.now(timezone.utc).timestamp())
assert tail("--since", str(secs + 3600)) == []
assert tail("--since", str((secs - 3600) * 1000)) == [str(i) for i in range(25)]
# RFC 3339 with an offset: the same instant as t, written in +02:00.
dt = datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
shifted = dt.astimezone(timezone(__import__("datetime").timedelta(hours=2)))
t2 = shifted.strftime("%Y-%m-%dT%H:%M:%S") + "." + t[20:29] + "+02:00"
assert tail("--since", t2) == since, (t2, tail("--since", t2))
assert tail("--until", "-1h", "--from", "0") == []
PY
echo PASS
