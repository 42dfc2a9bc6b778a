# Sizes read the same in stat, compact and verify (issue 11: stat printed raw byte counts,
# compact KiB): human units, with the exact count beside them when rounded; stat --json keeps
# plain byte counts.
source "$(dirname "$0")/lib.sh"

BIG=$WORK/big
seq 1 60000 | sed "s/$/-padding-padding/" | evlog append "$BIG" --segment-bytes 64K
bytes=$(evlog stat --json "$BIG" | sed -E 's/.*"bytes_on_disk":([0-9]+).*/\1/')
[[ $bytes =~ ^[0-9]+$ ]] && ((bytes > 1048576)) || fail "stat --json bytes_on_disk: $bytes"
stat_text=$(evlog stat "$BIG")
grouped=$(sed -E ':a;s/([0-9])([0-9]{3})($|,)/\1,\2\3/;ta' <<<"$bytes")  # 1234567 -> 1,234,567
assert_contains "$stat_text" "bytes on disk  $(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }') ($grouped bytes)" "stat bytes on disk"
assert_contains "$stat_text" "(rolled at 64 KiB; events up to" "stat segment size"
assert_contains "$(evlog compact --before 20000 --ignore-groups --dry-run "$BIG")" " KiB" "compact sizes"
[[ $(evlog compact --before 20000 --ignore-groups --dry-run "$BIG") =~ [0-9]\.[0-9]\ KiB\ \([0-9,]+\ bytes\) ]] ||
  fail "compact prints sizes as stat does: $(evlog compact --before 20000 --ignore-groups --dry-run "$BIG")"
assert_contains "$(evlog verify "$BIG")" "MiB (" "verify sizes"
echo "human_sizes: ok"
