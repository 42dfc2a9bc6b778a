# Times as people write them, under two zones: a reading without a zone is local time (TZ),
# one with Z or +HH:MM is not; today and yesterday are local midnights; %t prints local time
# (or UTC with --utc) while JSON stays UTC; groups --reset-to @TIME parses the same way.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
i=0
for t in 2026-11-30T21:00:00Z 2026-11-30T23:00:00Z 2026-12-01T01:00:00Z 2026-12-01T05:00:00Z 2026-12-01T07:00:00Z; do
  echo "{\"offset\":$i,\"timestamp\":\"$t\",\"payload\":\"e$i\"}"
  i=$((i + 1))
done >"$WORK/events.json"
evlog import "$LOG" "$WORK/events.json" 2>/dev/null
since() { TZ=$1 "$EVLOG" tail "$LOG" --since "$2" --format '%o ' | sed 's/ $//'; }

# Readings with a zone name one instant whatever TZ says.
for tz in UTC Asia/Tokyo; do
  assert_eq "4" "$(since $tz 2026-12-01T07:00Z)" "Z under $tz"
  assert_eq "4" "$(since $tz '2026-12-01T08:00:00+01:00')" "+01:00 under $tz"
  assert_eq "3 4" "$(since $tz '2026-12-01 00:00-05:00')" "-05:00 under $tz"
done

# Without a zone: local time. Tokyo is nine hours east of UTC.
assert_eq "4" "$(since UTC '2026-12-01 07:00')" "HH:MM under UTC"
assert_eq "1 2 3 4" "$(since Asia/Tokyo '2026-12-01 07:00')" "HH:MM under Asia/Tokyo"
assert_eq "2 3 4" "$(since UTC '2026-12-01 01:00:00')" "HH:MM:SS under UTC"
assert_eq "2 3 4" "$(since Asia/Tokyo '2026-12-01 10:00:00')" "HH:MM:SS under Asia/Tokyo"
assert_eq "3 4" "$(since UTC '2026-12-01T05:00')" "T separator under UTC"
assert_eq "3 4" "$(since Asia/Tokyo '2026-12-01T14:00:00.000')" "T separator and fraction under Asia/Tokyo"
assert_eq "2 3 4" "$(since UTC 2026-12-01)" "a date under UTC: its midnight"
assert_eq "0 1 2 3 4" "$(since Asia/Tokyo 2026-12-01)" "a date under Asia/Tokyo: its midnight"
assert_eq "0 1" "$(TZ=Asia/Tokyo "$EVLOG" tail "$LOG" --from beginning --until '2026-12-01 08:00' --format '%o ' | sed 's/ $//')" \
  "--until, local and inclusive"
assert_eq "1" "$(TZ=Asia/Tokyo "$EVLOG" export "$LOG" --since '2026-12-01 08:00' --until '2026-12-01 08:00' | wc -l)" \
  "export --since/--until in local time"

# %t: local by default, --utc on request; %T and JSON do not depend on TZ.
assert_eq "2026-12-01T06:00:00.000+09:00" "$(TZ=Asia/Tokyo "$EVLOG" tail "$LOG" --from 0 -c 1 --format '%t')" "%t under Asia/Tokyo"
assert_eq "2026-11-30T21:00:00.000+00:00" "$(TZ=UTC "$EVLOG" tail "$LOG" --from 0 -c 1 --format '%t')" "%t under UTC"
assert_eq "2026-11-30T21:00:00.000Z" "$(TZ=Asia/Tokyo "$EVLOG" tail "$LOG" --from 0 -c 1 --utc --format '%t')" "%t --utc"
expect_status 2 evlog tail "$LOG" --utc --local --format '%t'
assert_eq "1796072400000" "$(TZ=Asia/Tokyo "$EVLOG" tail "$LOG" --from 0 -c 1 --format '%T')" "%T stays epoch milliseconds"
assert_contains "$(TZ=Asia/Tokyo "$EVLOG" tail "$LOG" --from 0 -c 1 --json)" '"timestamp":"2026-11-30T21:00:00.000000000Z"' "JSON stays UTC"

# groups --reset-to @TIME reads times as --since does.
position() { "$EVLOG" groups "$LOG" -g "$1" --json | sed -n 's/.*"position":\([0-9]*\).*/\1/p'; }
TZ=Asia/Tokyo "$EVLOG" groups "$LOG" -g tokyo --reset-to '@2026-12-01 07:00' --create --execute >/dev/null
TZ=UTC "$EVLOG" groups "$LOG" -g utc --reset-to '@2026-12-01 07:00' --create --execute >/dev/null
assert_eq "1 4" "$(position tokyo) $(position utc)" "--reset-to @TIME in local time"

# today and yesterday: local midnights, which differ between zones.
for tz in UTC Asia/Tokyo; do
  DAYS=$WORK/days-${tz//\//-}
  today=$(TZ=$tz date -d 'today 00:00' +%s)
  yesterday=$(TZ=$tz date -d 'yesterday 00:00' +%s)
  i=0
  for s in $((yesterday - 3600)) $((yesterday + 3600)) $((today + 1)); do
    echo "{\"offset\":$i,\"timestamp\":\"$(date -u -d "@$s" +%Y-%m-%dT%H:%M:%SZ)\",\"payload\":\"d$i\"}"
    i=$((i + 1))
  done | evlog import "$DAYS" - 2>/dev/null
  in_zone() { TZ=$tz "$EVLOG" tail "$DAYS" "$@" --format '%o ' | sed 's/ $//'; }
  assert_eq "1 2" "$(in_zone --since yesterday)" "--since yesterday under $tz"
  assert_eq "2" "$(in_zone --since today)" "--since today under $tz"
  assert_eq "1" "$(in_zone --since yesterday --until today)" "yesterday until today under $tz"
done

# Relative times: -DURATION and DURATION ago, in the duration syntax of every option.
REL=$WORK/rel
echo recent | evlog append "$REL"
assert_eq "recent" "$(evlog tail "$REL" --since '1h ago')" "--since '1h ago'"
assert_eq "recent" "$(evlog tail "$REL" --since -90m)" "--since -90m"
assert_eq "" "$(evlog tail "$REL" --from beginning --until '1h ago')" "--until '1h ago'"

# Refused forms: usage errors that show the accepted ones.
for bad in '2026-12-01 7:00' '2026-13-01' 'tomorrow-ish' '1 h ago' '2026-12-01T07:00+1'; do
  expect_status 2 evlog tail "$LOG" --since "$bad"
  assert_contains "$(cat "$WORK/stderr")" "'$bad' is not a time" "refused: $bad"
done
echo PASS
