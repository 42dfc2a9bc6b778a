# Runs the replication client's integration test (pg_stream_test.cc) against a fresh server.
# Usage: pg_stream.sh PATH/TO/evlog PATH/TO/evlog_pg_stream_test
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
TEST_BINARY=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_pg_stream_test}

pg_start
"$TEST_BINARY" || { echo "--- server log ---" >&2; tail -50 "$PG_DIR/server.log" >&2; fail "pg_stream_test"; }
