# evlog bridge's -X (librdkafka properties, issue 12): a malformed or reserved property is a
# usage error (2) naming the property, never its value, which may be a secret; a value
# librdkafka refuses is an error naming the property, not the value.
source "$(dirname "$0")/lib.sh"

SECRET=Pa55-w0rd-not-for-logs
printf 'a:1\n' | evlog append "$WORK/log" -K :
URL=kafka://127.0.0.1:1/topic

expect_status 2 evlog bridge "$WORK/log" --to "$URL" -g g -X "$SECRET"
assert_contains "$(cat "$WORK/stderr")" "-X takes KEY=VALUE" "-X without '='"
expect_status 2 evlog bridge "$WORK/log" --to "$URL" -g g -X "=$SECRET"
for reserved in enable.idempotence acks group.id bootstrap.servers enable.auto.commit delivery.report.only.error \
  auto.offset.reset; do
  expect_status 2 evlog bridge "$WORK/log" --from "$URL" -g g -X "$reserved=$SECRET"
  assert_contains "$(cat "$WORK/stderr")" "-X $reserved: set by the bridge itself" "-X $reserved"
  grep -q -- "$SECRET" "$WORK/stderr" && fail "-X $reserved: the value was printed: $(cat "$WORK/stderr")"
done
expect_status 1 evlog bridge "$WORK/log" --to "$URL" -g g -X "no.such.property=$SECRET"
assert_contains "$(cat "$WORK/stderr")" "-X no.such.property: librdkafka has no such property" "unknown property"
expect_status 1 evlog bridge "$WORK/log" --to "$URL" -g g -X "linger.ms=$SECRET"
assert_contains "$(cat "$WORK/stderr")" "-X linger.ms: librdkafka refused its value" "invalid value"
# rd_kafka_new() refuses a key it cannot decrypt or load, quoting the values it was given.
expect_status 1 evlog bridge "$WORK/log" --to "$URL" -g g -X security.protocol=ssl -X "ssl.key.password=$SECRET" \
  -X "ssl.key.location=$WORK/$SECRET.pem"
assert_contains "$(cat "$WORK/stderr")" "librdkafka refused the configuration" "a key that does not load"
grep -q -- "$SECRET" "$WORK/stderr" && fail "the value was printed: $(cat "$WORK/stderr")"
# bridge_until_waiting WHAT ARGS...: `evlog bridge ARGS` with stderr in $WORK/stderr, run
# until it notes that it waits for the unreachable broker (after librdkafka has printed its
# configuration and failed to connect once), however long its start takes, then stopped by
# SIGTERM: it must still be running then (143).
waiting_or_ended() { grep -qF "evlog: bridge: waiting for $URL: " "$WORK/stderr" || ! kill -0 "$1" 2>/dev/null; }
bridge_until_waiting() {
  local what=$1 pid status=0
  shift
  "$EVLOG" bridge "$@" 2>"$WORK/stderr" &
  pid=$!
  BACKGROUND_PIDS+=("$pid")
  wait_until 60 "$what: the note that it waits for the broker" waiting_or_ended "$pid"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || status=$?
  assert_eq 143 "$status" "$what ($(cat "$WORK/stderr"))"
}
# A SASL mechanism without SASL: librdkafka warns, quoting the value, and the bridge goes on
# (waiting for the unreachable broker until it is stopped).
bridge_until_waiting "a bridge waiting for an unreachable broker" "$WORK/log" --to "$URL" -g g -X "sasl.mechanisms=$SECRET"
assert_contains "$(cat "$WORK/stderr")" "warning: librdkafka warns about a -X property" "the warning, without its text"
grep -q -- "$SECRET" "$WORK/stderr" && fail "the value was printed: $(cat "$WORK/stderr")"
# -X debug=CONTEXTS shows librdkafka's debug log (as kcat -d does). Values of credential
# properties, at any length, and values read from @FILE appear as ***; other values stay
# visible (the broker's name carries the protocol: sasl_ssl://...).
printf 'Secret-From-File-99' > "$WORK/token"
bridge_until_waiting "a bridge with -X debug waiting for an unreachable broker" "$WORK/log" --to "$URL" -g g \
  -X debug=broker,conf -X security.protocol=sasl_ssl -X sasl.mechanisms=PLAIN -X "sasl.username=$SECRET" \
  -X sasl.password=abc12 -X "client.id=@$WORK/token"
assert_contains "$(cat "$WORK/stderr")" "evlog: bridge: librdkafka BRKMAIN: " "the broker thread's debug line"
assert_contains "$(grep BRKMAIN "$WORK/stderr")" "sasl_ssl://127.0.0.1:1" "a non-secret -X value in a debug line"
for secret in "$SECRET" abc12 Secret-From-File-99; do
  grep -q -- "$secret" "$WORK/stderr" && fail "-X debug printed a credential: $(grep -- "$secret" "$WORK/stderr")"
done
assert_contains "$(cat "$WORK/stderr")" "***" "a masked value"
bridge_until_waiting "a bridge waiting for an unreachable broker" "$WORK/log" --to "$URL" -g g
grep -q "librdkafka [A-Z]*: " "$WORK/stderr" && fail "debug lines without -X debug: $(head -3 "$WORK/stderr")"
# librdkafka quotes a part of a secret it cannot parse in the error that the bridge turns into
# its "waiting for" note ("Unrecognized sasl.oauthbearer.config beginning at: ..."): the note
# must not show it (a review found the secret there). A note that quotes no secret is shown
# whole, with a short -X value in it (5 is in the broker's port as well).
printf 'principal=relay mysecret=%s' "$SECRET" > "$WORK/oauth"
bridge_until_waiting "a bridge whose OAUTHBEARER config librdkafka cannot parse" "$WORK/log" --to "$URL" -g g \
  -X security.protocol=sasl_plaintext -X sasl.mechanisms=OAUTHBEARER -X enable.sasl.oauthbearer.unsecure.jwt=true \
  -X "sasl.oauthbearer.config=@$WORK/oauth"
grep -q -- "$SECRET" "$WORK/stderr" && fail "a note printed a secret: $(cat "$WORK/stderr")"
assert_contains "$(cat "$WORK/stderr")" "quotes a secret -X value, so it is not shown" "the note, without its text"
bridge_until_waiting "a bridge with a short -X value" "$WORK/log" --to "$URL" -g g -X linger.ms=5
assert_contains "$(cat "$WORK/stderr")" "Connection refused" "why the bridge waits"
# Every message above: the value never appears, whatever librdkafka's own text says.
# (librdkafka's own message for a bad enum value, compression.codec, quotes it.)
for args in "$SECRET" "=$SECRET" "linger.ms=$SECRET" "no.such.property=$SECRET" "acks=$SECRET" \
  "compression.codec=$SECRET"; do
  status=0
  evlog bridge "$WORK/log" --to "$URL" -g g -X "$args" >"$WORK/out" 2>&1 || status=$?
  [[ $status != 0 ]] || fail "-X $args was accepted"
  grep -q -- "$SECRET" "$WORK/out" && fail "-X [$args]: the value was printed: $(cat "$WORK/out")"
done
# -X and --partition belong to kafka:// only, --partition to --to only.
expect_status 2 evlog bridge "$WORK/log" --to nats://127.0.0.1:1/s -g g -X linger.ms=5
# A subject with a wildcard token names many subjects: refused for --to (a token that only
# holds * among other characters is a plain one).
for subject in 's.*' 's.>' '*' '>' 'a.*.c'; do
  expect_status 2 evlog bridge "$WORK/log" --to "nats://127.0.0.1:1/$subject" -g g
  assert_contains "$(cat "$WORK/stderr")" "a token * or > names many subjects" "--to subject $subject"
done
status=0
timeout 2 "$EVLOG" bridge "$WORK/log" --to "nats://127.0.0.1:1/s.a*b" -g g 2>"$WORK/stderr" || status=$?
[[ $status != 2 ]] || fail "--to subject s.a*b refused as a usage error: $(cat "$WORK/stderr")"
expect_status 2 evlog bridge "$WORK/log" --from "$URL" -g g --partition 1
echo "bridge_kafka_usage: ok"
