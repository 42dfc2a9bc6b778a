# librdkafka's mock Kafka cluster for the `evlog bridge` tests (issue 12), served by the
# kafka_mock_cluster test tool. Source it after lib.sh.
#
# kafka_mock_start TOOL BROKERS [TOPIC PARTITIONS] starts the tool and sets KAFKA_BOOTSTRAP
# (its "127.0.0.1:PORT,..." list) and KAFKA_MOCK_PID; kafka_mock_stop stops it by PID and
# fails unless it exits 0. The tool's stdin is a FIFO whose only writer is this shell
# (KAFKA_MOCK_STDIN_FD), so the cluster ends with the test even if the test is killed.
# kafka_mock_control COMMAND sends one control command (kafka_mock_cluster.cc: down/up a
# broker, inject request errors) and waits until the tool has applied it.

# The mock's group coordinator makes a consumer that joins a group some earlier member of
# which has left wait for that member's session timeout (less a second), 45 s by default,
# and one that joins a new group 3 s: tests that run `--from` more than once per group pass
# these options to wait 3 s instead. Not less: a session shorter than the 3 s of a first
# join expires before that join completes, and the consumer never gets its partitions.
KAFKA_QUICK_GROUP=(-X session.timeout.ms=4000 -X heartbeat.interval.ms=500)
KAFKA_BOOTSTRAP=
KAFKA_MOCK_PID=
KAFKA_MOCK_STDIN_FD=
KAFKA_MOCK_DIR=

kafka_mock_start() {
  local tool=$1
  shift
  local dir="$WORK/kafka-mock.$RANDOM"
  mkdir "$dir"
  KAFKA_MOCK_DIR=$dir
  mkfifo "$dir/stdin"
  # Read-write, so this open does not wait for a reader; the tool must not inherit it, or it
  # would hold a writer of its own stdin and never see end of file.
  exec {KAFKA_MOCK_STDIN_FD}<>"$dir/stdin"
  "$tool" "$@" <"$dir/stdin" >"$dir/stdout" 2>"$dir/stderr" {KAFKA_MOCK_STDIN_FD}>&- &
  KAFKA_MOCK_PID=$!
  BACKGROUND_PIDS+=("$KAFKA_MOCK_PID")
  local i
  for ((i = 0; i < 600; i++)); do
    [[ -s "$dir/stdout" ]] && break
    kill -0 "$KAFKA_MOCK_PID" 2>/dev/null || fail "kafka_mock_cluster $* exited early: $(cat "$dir/stderr")"
    sleep 0.05
  done
  KAFKA_BOOTSTRAP=$(head -1 "$dir/stdout")
  [[ "$KAFKA_BOOTSTRAP" =~ ^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+)*$ ]] ||
    fail "kafka_mock_cluster $*: no bootstrap line within 30 s, got [$KAFKA_BOOTSTRAP]; stderr: $(cat "$dir/stderr")"
}

# kafka_mock_stop [SIGNAL]: SIGTERM by default; `eof` closes the tool's stdin instead.
kafka_mock_stop() {
  local how=${1:-TERM} status=0
  if [[ "$how" == eof ]]; then
    exec {KAFKA_MOCK_STDIN_FD}>&-
  else
    kill -"$how" "$KAFKA_MOCK_PID"
    exec {KAFKA_MOCK_STDIN_FD}>&-
  fi
  wait "$KAFKA_MOCK_PID" || status=$?
  [[ $status == 0 ]] || fail "kafka_mock_cluster (stopped by $how) exited $status"
  KAFKA_MOCK_PID=
}

kafka_mock_control() {
  local command=$1 i
  echo "$command" >&"$KAFKA_MOCK_STDIN_FD"
  for ((i = 0; i < 600; i++)); do
    grep -qxF "done $command" "$KAFKA_MOCK_DIR/stdout" && return 0
    grep -qxF "refused $command" "$KAFKA_MOCK_DIR/stdout" && fail "kafka_mock_cluster refused [$command]"
    sleep 0.05
  done
  fail "kafka_mock_cluster did not apply [$command] within 30 s"
}

# kafka_consume TOPIC FILE: every message of TOPIC as kcat's JSON envelopes (with headers).
kafka_consume() { timeout 60 kcat -C -b "$KAFKA_BOOTSTRAP" -t "$1" -J -e -q >"$2" || fail "kcat -C -t $1"; }
