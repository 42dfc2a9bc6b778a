# evlog runs capture, apply and bridge by handing them to evlog-connectors
# (cli/commands/connector_handoff.h): evlog itself must not load the connectors' client
# libraries, whose start-up cost every command would pay; the hand-off must keep the
# process (pid, arguments, exit status, signals); and a missing evlog-connectors must be
# an error that says where it was looked for, while help and completion still work.
source "$(dirname "$0")/lib.sh"

CONNECTORS="$(dirname "$EVLOG")/evlog-connectors"
[[ -x $CONNECTORS ]] || fail "no evlog-connectors next to $EVLOG"
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

echo "== evlog links none of the connectors' libraries; evlog-connectors links them"
core=$(needed "$EVLOG")
full=$(needed "$CONNECTORS")
for library in libpq libsqlite3 librdkafka libnats libssl libcrypto libgnutls; do
  if grep -q "^$library\." <<<"$core"; then fail "evlog links $library: $core"; fi
done
# The names checked above are the real ones (else the test above would pass for nothing).
for library in libpq libsqlite3 librdkafka libnats; do
  grep -q "^$library\." <<<"$full" || fail "evlog-connectors does not link $library: $full"
done

echo "== the hand-off keeps arguments and exit status"
# A usage error that only the connector code reports (CLI11 accepts the command line).
expect_status 2 evlog bridge "$WORK/log" -g relay
assert_contains "$(cat "$WORK/stderr")" "evlog: bridge: say where to relay" "bridge usage error after the hand-off"
expect_status 1 evlog capture sqlite "$WORK/missing.db" "$WORK/log"
assert_contains "$(cat "$WORK/stderr")" "$WORK/missing.db: no such database" "capture error after the hand-off"
expect_status 2 evlog apply "$WORK/log" --to sqlite:"$WORK/t.db" -g g --create-tables --batch 0
[[ ! -e $WORK/log ]] || fail "a refused command created the log"

echo "== the same process: pid, command line and signals"
# A bridge from an unreachable NATS server waits for it without end under -f.
"$EVLOG" -q bridge "$WORK/log" --from nats://127.0.0.1:1/STREAM -g copy -f 2>"$WORK/bridge.err" &
pid=$!
BACKGROUND_PIDS+=("$pid")
wait_until 30 "the bridge (pid $pid) running evlog-connectors" \
  bash -c "[[ \$(readlink /proc/$pid/exe) == $(realpath "$CONNECTORS") ]]"
assert_eq "$EVLOG" "$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -1)" "argv[0] after the hand-off"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
assert_eq 143 "$status" "exit status of the bridge after SIGTERM"

echo "== evlog without evlog-connectors"
mkdir -p "$WORK/alone"
cp "$EVLOG" "$WORK/alone/evlog"
expect_status 1 "$WORK/alone/evlog" bridge "$WORK/log2" --to nats://127.0.0.1:1/s -g relay
assert_contains "$(cat "$WORK/stderr")" "evlog: bridge: this subcommand is in evlog-connectors, which is not installed: looked for $WORK/alone/evlog-connectors or $WORK/libexec/evlog/evlog-connectors" "missing evlog-connectors"
[[ ! -e $WORK/log2 ]] || fail "the failed hand-off created the log"
# Help, completion and usage errors come from evlog's own definitions.
assert_contains "$("$WORK/alone/evlog" help bridge)" "--from" "help bridge without evlog-connectors"
assert_contains "$("$WORK/alone/evlog" completion bash)" "--nats-creds" "completion without evlog-connectors"
expect_status 2 "$WORK/alone/evlog" capture sqlite
assert_contains "$(cat "$WORK/stderr")" "DB is required" "usage error without evlog-connectors"
# Not executable: said as such, not taken for missing.
cp "$CONNECTORS" "$WORK/alone/evlog-connectors"
chmod -x "$WORK/alone/evlog-connectors"
expect_status 1 "$WORK/alone/evlog" bridge "$WORK/log2" --to nats://127.0.0.1:1/s -g relay
assert_contains "$(cat "$WORK/stderr")" "cannot run $WORK/alone/evlog-connectors: Permission denied" "unexecutable evlog-connectors"

echo "== the installed layout: bin/evlog finds libexec/evlog/evlog-connectors"
mkdir -p "$WORK/prefix/bin" "$WORK/prefix/libexec/evlog"
cp "$EVLOG" "$WORK/prefix/bin/evlog"
cp "$CONNECTORS" "$WORK/prefix/libexec/evlog/evlog-connectors"
expect_status 2 "$WORK/prefix/bin/evlog" bridge "$WORK/log2" -g relay
assert_contains "$(cat "$WORK/stderr")" "say where to relay" "installed layout hand-off"
# Through a symlink on PATH (as /usr/local/bin/evlog -> /opt/evlog/bin/evlog).
ln -s "$WORK/prefix/bin/evlog" "$WORK/evlog-link"
expect_status 2 "$WORK/evlog-link" bridge "$WORK/log2" -g relay
assert_contains "$(cat "$WORK/stderr")" "say where to relay" "hand-off through a symlink"

echo "PASS"
