# Every example of every subcommand's --help runs as written (issue 11), in a directory that
# holds what the examples name: the log `events` with events, headers and the groups
# `billing` and `old`, and the SQLite database `app.db` with a table `orders`. The
# PostgreSQL examples need a server and are only checked to parse (exit 2 is a usage error;
# they are given a connection string that fails at once). The kafka:// examples run against
# librdkafka's mock cluster (EVLOG_KAFKA_MOCK, kafka_mock_cluster.cc) in place of
# localhost:9092. A follower (-f) runs until stopped:
# it passes once it has run for a while without an error; the bridge to Kafka, once it has
# relayed every event, as long as that takes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_server_lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
KAFKA_MOCK=${EVLOG_KAFKA_MOCK:?EVLOG_KAFKA_MOCK: the kafka_mock_cluster test tool (tests/cli/CMakeLists.txt sets it)}

EVLOG=$(realpath "$EVLOG")  # the examples run in $WORK
cd "$WORK"
printf 'a:1\nb:2\nc:3\n' | evlog append events -K : -H source=web
evlog ack events -g billing 0
evlog ack events -g old 0
python3 -c "import sqlite3; db = sqlite3.connect('app.db'); db.execute('create table orders (id integer primary key, total int)'); db.commit()"

# The examples in the order of `evlog --help` with capture before apply (apply reads what
# capture wrote), and each subcommand's in order (export writes what import reads).
subcommands=$(evlog --help | sed -n '/^Subcommands:/,/^$/p' | awk '/^  [a-z]/{print $1}' | grep -v '^apply$')
examples() {
  # shellcheck disable=SC2086
  evlog $1 --help | sed -n '/^Examples:$/,$p' | sed 1d | sed 's/^  //'
}
# relayed_or_ended LOG GROUP PID: GROUP has relayed all of LOG, or PID has ended.
relayed_or_ended() {
  [[ $("$EVLOG" groups "$1" --json -g "$2" 2>/dev/null) == *'"lag":0'* ]] || ! kill -0 "$3" 2>/dev/null
}
ran=0
run_example() {
  local example=$1 status=0
  if [[ $example == *postgres* && $example != "evlog help "* ]]; then
    # The server named does not exist; a connection that fails is exit 1, a usage error 2.
    example=$(sed -e 's#postgres://[^ ]*#postgres://nobody@127.0.0.1:1/none#g' -e "s#'host=db dbname=shop'#'host=127.0.0.1 port=1'#" <<<"$example")
    PATH=$(dirname "$EVLOG"):$PATH timeout 60 bash -c "set -o pipefail; $example" </dev/null >/dev/null 2>"$WORK/stderr" || status=$?
    [[ $status == 1 ]] || fail "example [$1]: expected a connection error (1), got $status: $(cat "$WORK/stderr")"
    return
  fi
  if [[ $example == *nats://* ]]; then
    # A nats-server of the test's own, with a stream on the example's subject.
    if [[ -z "$NATS_PID" ]]; then
      nats_server_start
      local subject=${example#*nats://localhost:4222/}
      subject=${subject%% *}
      timeout 60 "${EVLOG_NATS_TOOL:?the test needs EVLOG_NATS_TOOL}" stream "$NATS_URL" EXAMPLE "$subject"
    fi
    example=${example//localhost:4222/127.0.0.1:$NATS_PORT}
  elif [[ $example == *kafka://localhost:9092/* ]]; then
    [[ -n $KAFKA_BOOTSTRAP ]] || kafka_mock_start "$KAFKA_MOCK" 1
    example=${example//kafka:\/\/localhost:9092\//kafka://$KAFKA_BOOTSTRAP/}
  fi
  local limit=60
  [[ $example == *" -f"* ]] && limit=3  # a follower: stopped after a while (exit 124)
  if [[ $example =~ ^evlog\ bridge\ ([^ ]+)\ --to\ kafka://.*\ -g\ ([^ ]+)\ -f$ ]]; then
    # Checked below to have relayed events: stopped once its group has no lag, rather than
    # after 3 s, in which a slow machine may not even have reached the broker. SIGALRM is
    # timeout's own signal for "time is up": the follower is stopped as at the limit (124).
    local log=${BASH_REMATCH[1]} group=${BASH_REMATCH[2]} follower
    PATH=$(dirname "$EVLOG"):$PATH timeout 60 bash -c "set -o pipefail; $example" </dev/null >/dev/null 2>"$WORK/stderr" &
    follower=$!
    BACKGROUND_PIDS+=("$follower")
    wait_until 60 "example [$example]: no lag (or its end)" relayed_or_ended "$log" "$group" "$follower"
    kill -ALRM "$follower" 2>/dev/null || true
    wait "$follower" || status=$?
  else
    PATH=$(dirname "$EVLOG"):$PATH timeout "$limit" bash -c "set -o pipefail; $example" </dev/null >/dev/null 2>"$WORK/stderr" || status=$?
  fi
  if [[ $example == *" -f"* ]]; then
    [[ $status == 124 ]] || fail "example [$example]: a follower ended with $status: $(cat "$WORK/stderr")"
  else
    [[ $status == 0 ]] || fail "example [$example]: exit $status: $(cat "$WORK/stderr")"
  fi
  ran=$((ran + 1))
}
for sub in $subcommands "capture sqlite" "capture postgres" apply; do
  while IFS= read -r example; do
    [[ $example == evlog* || $example == *"| evlog"* ]] || fail "$sub: example does not run evlog: [$example]"
    run_example "$example"
  done < <(examples "$sub")
done
[[ -z $KAFKA_BOOTSTRAP ]] || kafka_mock_stop TERM
# The commands did what they say.
[[ -s events.evlog && -s events.jsonl ]] || fail "export examples wrote nothing"
[[ $(evlog stat --json copy) == *'"events":'* ]] || fail "import example made no log"
[[ -d changes ]] || fail "capture example made no log"
[[ $(evlog groups events --json -g nats-relay) == *'"lag":0'* ]] || fail "the nats:// example did not relay events: $(evlog groups events --json)"
# The kafka:// examples relayed `events` (as it was then) to a topic and back into orders-copy;
# the mock creates topics of several partitions, between which order is not kept.
copied=$(event_count orders-copy)
[[ $copied -gt 0 ]] && cmp -s <(evlog tail orders-copy --from beginning --format '%k:%s\n' | sort) \
  <(evlog tail events --from beginning --format '%k:%s\n' | head -n "$copied" | sort) ||
  fail "the bridge examples did not copy events to Kafka and back ($copied events in orders-copy)"
echo "ok: $ran examples ran"
