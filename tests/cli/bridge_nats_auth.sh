# evlog bridge and a NATS server that requires credentials (issue 12): the password or token
# comes from a file and works; none, or a wrong one, is an error that says which options to
# check (waiting would never cure it), and no secret appears in any message.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_server_lib.sh"
TOOL=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_nats_tool}

PASSWORD=pw-$RANDOM-s3cret
printf '%s\n' "$PASSWORD" >"$WORK/password"
printf 'wrong-%s\n' "$PASSWORD" >"$WORK/wrong"
NATS_SERVER_ARGS=(--user relay --pass "$PASSWORD")
nats_server_start
AUTH_URL="nats://relay:$PASSWORD@127.0.0.1:$NATS_PORT"  # the test tool's own login
timeout 60 "$TOOL" stream "$AUTH_URL" AUTH auth.events
printf 'a\nb\nc\n' | evlog append "$WORK/log"

refused() {  # refused WHAT ARGS...: exit 1, the advice, no secret, the group not moved
  local what=$1 status=0
  shift
  timeout 60 "$EVLOG" bridge "$WORK/log" --to "$NATS_URL/auth.events" -g relay "$@" 2>"$WORK/stderr" || status=$?
  assert_eq 1 "$status" "$what: exit status ($(cat "$WORK/stderr"))"
  assert_contains "$(cat "$WORK/stderr")" "the server refused the connection" "$what"
  assert_contains "$(cat "$WORK/stderr")" "--nats-password-file" "$what: which options to check"
  [[ $(cat "$WORK/stderr") != *"$PASSWORD"* ]] || fail "$what: a message holds the password"
  [[ -z $(evlog groups "$WORK/log" --json) ]] || fail "$what: the group moved"
}
refused "no credentials"
refused "a wrong password" --nats-user relay --nats-password-file "$WORK/wrong"

expect_status 0 evlog bridge "$WORK/log" --to "$NATS_URL/auth.events" -g relay \
  --nats-user relay --nats-password-file "$WORK/password"
assert_eq 3 "$(timeout 60 "$TOOL" info "$AUTH_URL" AUTH | cut -d' ' -f1)" "messages in the stream"
evlog bridge "$WORK/copy" --from "$NATS_URL/AUTH" -g copy --nats-user relay --nats-password-file "$WORK/password" 2>/dev/null
assert_eq "$(printf 'a\nb\nc')" "$(evlog tail "$WORK/copy" --from beginning)" "the stream read back with the password"
nats_server_stop

# A token, on a server of its own.
TOKEN=tok-$RANDOM-s3cret
printf '%s\n' "$TOKEN" >"$WORK/token"
NATS_DIR= NATS_SERVER_ARGS=(--auth "$TOKEN")
nats_server_start
timeout 60 "$TOOL" stream "nats://$TOKEN@127.0.0.1:$NATS_PORT" TOKEN token.events
expect_status 0 evlog bridge "$WORK/log" --to "$NATS_URL/token.events" -g token --nats-token-file "$WORK/token"
assert_eq 3 "$(timeout 60 "$TOOL" info "nats://$TOKEN@127.0.0.1:$NATS_PORT" TOKEN | cut -d' ' -f1)" "messages sent with the token"
status=0
timeout 60 "$EVLOG" bridge "$WORK/log" --to "$NATS_URL/token.events" -g other --nats-token-file "$WORK/wrong" 2>"$WORK/stderr" || status=$?
assert_eq 1 "$status" "a wrong token: exit status ($(cat "$WORK/stderr"))"
[[ $(cat "$WORK/stderr") != *"$PASSWORD"* && $(cat "$WORK/stderr") != *"$TOKEN"* ]] || fail "a message holds a secret"
echo PASS
