# Numeric and duration option values (issue 11): a negative count or offset is a usage error,
# not a huge number, and every option that takes a duration accepts the same units.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf 'a\nb\nc\n' | evlog append "$LOG"

# expect_usage_error WHAT NEEDLE COMMAND...: exit 2, stderr names the bad value, nothing read.
expect_usage_error() {
  local what=$1 needle=$2
  shift 2
  expect_status 2 "$@"
  assert_contains "$(cat "$WORK/stderr")" "$needle" "$what"
}

expect_usage_error "tail -n -5" "'-5' is not a whole number (negative values are not allowed)" evlog tail -n -5 "$LOG"
expect_usage_error "tail --lines=-1" "'-1' is not a whole number" evlog tail --lines=-1 "$LOG"
expect_usage_error "tail -c -1" "'-1' is not a whole number" evlog tail -c -1 "$LOG"
expect_usage_error "ack -- -1" "'-1' is not a whole number" evlog ack -g G "$LOG" -- -1
expect_usage_error "append --expect-next -1" "'-1' is not a whole number" evlog append --expect-next -1 "$LOG"
expect_usage_error "replay --batch -1" "'-1' is not a whole number" evlog replay --batch -1 "$LOG" -- true
expect_usage_error "replay --max-attempts -1" "'-1' is not a whole number" evlog replay --max-attempts -1 "$LOG" -- true
expect_usage_error "apply --batch -1" "'-1' is not a whole number" evlog apply --to sqlite:"$WORK/db" -g G --batch -1 "$LOG"
# strtoull's other surprises: a sign, octal and hexadecimal, overflow.
expect_usage_error "tail -n +5" "'+5' is not a whole number" evlog tail -n +5 "$LOG"
expect_usage_error "tail -n 0x10" "'0x10' is not a whole number" evlog tail -n 0x10 "$LOG"
expect_usage_error "tail -c 2^64" "18446744073709551616 is too large" evlog tail -c 18446744073709551616 "$LOG"
expect_usage_error "replay --batch range" "0 is out of range: it must be between 1 and 1000000" \
  evlog replay --batch 0 "$LOG" -- true
[[ ! -e $LOG/groups ]] || fail "a refused ack created the group store"
assert_eq 3 "$(event_count "$LOG")" "refused appends appended nothing"

# Decimal is decimal: 010 is ten, not octal eight.
seq 1 20 | evlog append "$LOG"
assert_eq 10 "$(evlog tail -n 010 "$LOG" | wc -l | tr -d ' ')" "tail -n 010"
assert_eq 2 "$(evlog tail -c 2 --from beginning "$LOG" | wc -l | tr -d ' ')" "tail -c 2"
evlog ack -g G "$LOG" 07
assert_contains "$(evlog groups -g G "$LOG")" "G      8" "ack 07 is offset 7"

# One duration syntax everywhere: days are a unit for replay as for compact.
evlog replay --timeout 1d --backoff 0ms --backoff-max 1d --to 0 "$LOG" -- true 2>/dev/null
evlog compact --retain-age 7d --wait-lock 1d --dry-run "$LOG" >/dev/null
evlog verify --wait-lock 2d "$LOG" >/dev/null
for option in --timeout --backoff --backoff-max; do
  expect_usage_error "replay $option -1s" "'-1s' is not a duration" evlog replay "$option" -1s "$LOG" -- true
  expect_usage_error "replay $option 1.5s" "'1.5s' is not a duration" evlog replay "$option" 1.5s "$LOG" -- true
done
expect_usage_error "compact --retain-age 7" "'7' is not a duration" evlog compact --retain-age 7 "$LOG"
expect_usage_error "compact --retain-age -7d" "'-7d' is not a duration" evlog compact --retain-age -7d "$LOG"
expect_usage_error "verify --wait-lock 1w" "'1w' is not a duration" evlog verify --wait-lock 1w "$LOG"
expect_usage_error "replay --timeout 0s" "must be more than 0" evlog replay --timeout 0s "$LOG" -- true
expect_usage_error "replay --timeout 36501d" "'36501d' is not a duration" evlog replay --timeout 36501d "$LOG" -- true
echo "option_values: ok"
