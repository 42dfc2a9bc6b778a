# compact --keep-latest-per-key: closed segments keep unkeyed events and the newest event of
# each key, at their offsets; tombstones stay for --tombstone-retention, and while a group has
# not acked them (format-spec §13.2); --dry-run changes
# nothing; reads from a removed offset start at the next survivor; verify stays clean.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
PAD=$(printf '%040d' 0)
# Ten keys, every fifth record unkeyed; k3 is deleted by a tombstone at offset 7.
for i in $(seq 0 599); do
  if ((i == 7)); then echo "k3="
  elif ((i % 5 == 4)); then echo "u$i.$PAD"
  elif ((i % 10 == 3 && i > 7)); then echo "u$i.$PAD"
  else echo "k$((i % 10))=v$i.$PAD"; fi
done | evlog append "$LOG" --segment-bytes 4096 -K =
echo "k1=last" | evlog append "$LOG" -K =
last_seg=$(ls "$LOG"/*.seg | tail -1)
last_seg=${last_seg##*/}
ACTIVE=$((10#${last_seg%.seg}))
show() { evlog tail "$LOG" --from beginning --format '%o %k=%s\n'; }
BEFORE=$(show)
# What must survive: unkeyed events, each key's newest event, and the active segment.
expected() {
  awk -v active="$ACTIVE" '{ split($2, kv, "="); key[NR] = kv[1]; line[NR] = $0; off[NR] = $1;
                             if (kv[1] != "") newest[kv[1]] = $1 }
       END { for (i = 1; i <= NR; i++)
               if (off[i] >= active || key[i] == "" || newest[key[i]] == off[i]) print line[i] }' <<<"$1"
}

expect_status 2 evlog compact "$LOG" --before 0 --tombstone-retention 1h
assert_contains "$(cat "$WORK/stderr")" "--tombstone-retention needs --keep-latest-per-key" "usage"
expect_status 2 evlog compact "$LOG" --keep-latest-per-key --tombstone-retention soon

snapshot() { (cd "$LOG" && find . -maxdepth 1 -name '*.seg' -exec md5sum {} + | sort); }
before=$(snapshot)
out=$(evlog compact "$LOG" --keep-latest-per-key --dry-run 2>"$WORK/stderr")
assert_eq "$before" "$(snapshot)" "--dry-run changes nothing"
assert_contains "$out" "would rewrite $(printf '%020d.seg' 0): remove " "--dry-run segment line"
assert_contains "$out" "would compact " "--dry-run totals"

((ACTIVE > 0)) && [[ -n $(ls "$LOG"/*.seg | sed -n 4p) ]] || fail "expected at least 4 segments"
out=$(evlog compact "$LOG" --keep-latest-per-key)
# Sizes as every command prints them: "21.2 KiB (21,704 bytes)", "5 KiB", "512 bytes".
[[ $out =~ ^compacted\ [0-9]+\ segments:\ removed\ [0-9]+\ events\ \(0\ tombstones\),\ ([0-9.]+\ [KMG]iB(\ \([0-9,]+\ bytes\))?|[0-9]+\ bytes)\ reclaimed$ ]] ||
  fail "report: got [$out]"
AFTER=$(show)
assert_eq "$(expected "$BEFORE")" "$AFTER" "survivors at their offsets"
assert_contains "$AFTER" "7 k3=" "a tombstone within its retention stays"
assert_contains "$AFTER" "k1=last" "the newest value"
evlog verify "$LOG" >/dev/null || fail "verify after key compaction"

# Offset 0 (k0=v0) was superseded: reading from it starts at the next survivor.
first_after_0=$(awk '$1 > 0 { print; exit }' <<<"$AFTER")
assert_eq "$first_after_0" "$(evlog tail "$LOG" --from 0 --format '%o %k=%s\n' | head -1)" "--from a removed offset"

# A second run finds nothing more; an expired tombstone that a group has not acked stays
# (the group would never learn of the delete), unless --ignore-groups or the group acks it.
assert_contains "$(evlog compact "$LOG" --keep-latest-per-key)" "compacted 0 segments: removed 0 events" "idempotent"
evlog ack "$LOG" -g lagging 6  # position 7: the tombstone at offset 7 is next
out=$(evlog compact "$LOG" --keep-latest-per-key --tombstone-retention 0s)
assert_contains "$out" "removed 0 events (0 tombstones)" "a tombstone a group has not acked stays"
assert_contains "$out" "kept 1 expired tombstone: group 'lagging' is at offset 7" "and the report says why"
assert_contains "$(show)" "7 k3=" "the unacked tombstone"
out=$(evlog compact "$LOG" --keep-latest-per-key --tombstone-retention 0s --ignore-groups --dry-run)
assert_contains "$out" "would remove 1 events (1 tombstones)" "--ignore-groups would remove it"
evlog ack "$LOG" -g lagging 7
evlog groups "$LOG" -g lagging --delete >/dev/null
out=$(evlog compact "$LOG" --keep-latest-per-key --tombstone-retention 0s)
assert_contains "$out" "removed 1 events (1 tombstones)" "an expired tombstone goes"
[[ $(show) != *" k3="* ]] || fail "k3 still present after its tombstone expired"
evlog verify "$LOG" >/dev/null || fail "verify after removing the tombstone"

# Combined with retention; the log goes on.
out=$(evlog compact "$LOG" --before 100 --keep-latest-per-key)
assert_contains "$out" "the log now starts at offset" "retention line"
assert_contains "$out" "compacted " "key compaction line"
echo "k2=after" | evlog append "$LOG" -K =
assert_eq "k2=after" "$(evlog tail "$LOG" -n 1 --format '%k=%s\n')" "append after key compaction"
evlog verify "$LOG" >/dev/null || fail "verify at the end"

# tail -n N prints the last N events, also where key compaction left gaps in the offsets
# (it printed those at or above next_offset - N: here one event for -n 5).
GAPS=$WORK/gaps
# Every other event updates one hot key: compaction keeps the others, one offset in two.
for i in $(seq 1 2000); do if ((i % 2)); then echo "u$i:$i"; else echo "hot:$i"; fi; done |
  evlog append -K : "$GAPS" --segment-bytes 4096
echo "unkeyed" | evlog append "$GAPS"
evlog compact "$GAPS" --keep-latest-per-key >/dev/null
all=$(evlog tail "$GAPS" --from beginning --format '%o %s\n')
(($(wc -l <<<"$all") < 1500)) || fail "key compaction left no gaps"
for n in 1 5 150 400 1000 100000; do
  assert_eq "$(tail -n "$n" <<<"$all")" "$(evlog tail "$GAPS" -n "$n" --format '%o %s\n')" "tail -n $n across gaps"
done
assert_eq "$(head -n 10 <<<"$all" | tail -n 3)" "$(evlog tail "$GAPS" -n 3 --to "$(head -n 10 <<<"$all" | tail -n 1 | cut -d' ' -f1)" --format '%o %s\n')" "tail -n 3 --to across gaps"

# Nearly full segments of small events appended seconds apart: each survivor stays in a frame
# that starts where its original frame started, so a rewrite never outgrows its segment. Put
# in one frame, each record of a later batch took a 5-byte timestamp delta instead of a 1-byte
# one, and compaction failed on the first such segment, on every run (format-spec §13.2).
# compacts_in_place WHAT: key-compacts $LOG with and without --dry-run; no segment is kept
# back, the survivors are those expected, verify is clean and the segment files shrink.
seg_bytes() { cat "$LOG"/*.seg | wc -c; }
compacts_in_place() {
  last_seg=$(ls "$LOG"/*.seg | tail -1)
  last_seg=${last_seg##*/}
  ACTIVE=$((10#${last_seg%.seg}))
  BEFORE=$(show)
  local before_bytes out
  before_bytes=$(seg_bytes)
  out=$(evlog compact "$LOG" --keep-latest-per-key --dry-run 2>/dev/null) || fail "$1: --dry-run failed"
  [[ $out != *kept* ]] || fail "$1: --dry-run keeps a segment back: $out"
  out=$(evlog compact "$LOG" --keep-latest-per-key) || fail "$1: compact failed"
  [[ $out != *kept* ]] || fail "$1: a segment kept back: $out"
  assert_eq "$(expected "$BEFORE")" "$(show)" "$1: survivors"
  evlog verify "$LOG" >/dev/null || fail "$1: verify"
  (($(seg_bytes) < before_bytes)) || fail "$1: $before_bytes bytes of segments before, $(seg_bytes) after"
}

# The review's case: two batches of 185 events 1.1 s apart fill one 4 KiB segment.
LOG=$WORK/batches-apart
seq 0 184 | sed 's/^/a/; s/$/:x/' | evlog append "$LOG" -K : --atomic --segment-bytes 4096
sleep 1.1
seq 0 184 | sed 's/^/b/; s/$/:x/' | evlog append "$LOG" -K : --atomic
second_seg=$(ls "$LOG"/*.seg | sed -n 2p)
[[ -z $second_seg ]] || fail "the two batches do not share a segment"
for i in $(seq 0 299); do echo "c$((i % 10)):x"; done | evlog append "$LOG" -K : --atomic
echo 'a0:new' | evlog append "$LOG" -K :
echo 'unkeyed' | evlog append "$LOG"
compacts_in_place "batches 1.1 s apart"
assert_contains "$(show)" "1 a1=x" "an event of the first batch"

# As `evlog append` fills 64 KiB segments: 60 runs of 300 small events, one key in 50
# repeating an earlier one, one event in 97 unkeyed.
LOG=$WORK/many-appends
for r in $(seq 1 60); do
  awk -v r="$r" 'BEGIN { srand(r); for (i = 0; i < 300; i++)
                           print (i % 97 == 0 ? "note-" r "-" i : "user-" (i % 50 ? r * 300 + i : int(rand() * 100)) ":ok") }' |
    evlog append "$LOG" -K : --segment-bytes 65536
  sleep 0.02
done
[[ -n $(ls "$LOG"/*.seg | sed -n 3p) ]] || fail "expected at least 3 segments"
compacts_in_place "many appends"
echo PASS
