# The consumer-group store (LOG/groups/, format-spec §11) as a file: creating it syncs the
# directories that hold its new entries, and a truncated data.mdb is reported as corruption
# (exit 4) instead of killing the reader with SIGBUS when LMDB maps it.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
seq 1 5 | evlog append "$LOG"

# Directory syncs, seen through an LD_PRELOAD shim that records fsync(2) of directories.
if [[ -n ${EVLOG_FSYNC_TRACE_SHIM:-} ]]; then
  TRACE=$WORK/fsyncs
  EVLOG_FSYNC_TRACE=$TRACE LD_PRELOAD=$EVLOG_FSYNC_TRACE_SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
    evlog ack "$LOG" -g billing 3
  log_dir=$(realpath "$LOG")
  grep -qx "fsync $log_dir" "$TRACE" || fail "creating groups/ did not sync $log_dir: $(cat "$TRACE" 2>/dev/null)"
  grep -qx "fsync $log_dir/groups" "$TRACE" || fail "creating data.mdb did not sync groups/: $(cat "$TRACE")"
else
  echo "skipping the fsync trace (EVLOG_FSYNC_TRACE_SHIM not set)"
  evlog ack "$LOG" -g billing 3
fi
evlog ack "$LOG" -g audit 4
assert_contains "$(evlog stat "$LOG")" "group          billing  position 4" "positions readable"

# A truncated store: every command that opens it says so, names the file, exits 4.
size=$(stat -c %s "$LOG/groups/data.mdb")
truncate -s $((size / 2)) "$LOG/groups/data.mdb"
for cmd in "stat LOG" "verify LOG" "groups LOG" "ack LOG -g billing 4" "tail LOG -g billing"; do
  args=(${cmd/LOG/$LOG})
  expect_status 4 evlog "${args[@]}" >"$WORK/stdout"
  assert_contains "$(cat "$WORK/stderr" "$WORK/stdout")" \
    "$LOG/groups/data.mdb: the consumer-group store is damaged or truncated" "$cmd names the store"
done

# Pages of garbage behind intact meta pages: the store's check of its trees (format-spec
# §11.2) finds the damage before LMDB reads a page, and names the file and the page: exit 4.
P=$WORK/pages
echo a | evlog append "$P"
evlog ack "$P" -g billing 0
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[8192:] = b"x" * (len(d) - 8192); open(sys.argv[1], "wb").write(d)' "$P/groups/data.mdb"
for cmd in "stat LOG" "groups LOG" "ack LOG -g billing 0" "verify LOG"; do
  args=(${cmd/LOG/$P})
  expect_status 4 timeout 60 "$EVLOG" "${args[@]}" >"$WORK/stdout"
  assert_contains "$(cat "$WORK/stderr" "$WORK/stdout")" \
    "$P/groups/data.mdb: the consumer-group store is damaged or truncated (page " "$cmd reports the damaged page"
done

# A FIFO in place of data.mdb: opening it used to wait for a writer forever. Each command
# runs under `timeout`, so a regression fails instead of hanging the suite.
rm "$LOG/groups/data.mdb"
mkfifo "$LOG/groups/data.mdb"
for cmd in "stat LOG" "verify LOG" "groups LOG" "ack LOG -g billing 4" "export LOG --format archive"; do
  args=(${cmd/LOG/$LOG})
  expect_status 4 timeout 60 "$EVLOG" "${args[@]}" >"$WORK/stdout"
  assert_contains "$(cat "$WORK/stderr" "$WORK/stdout")" "$LOG/groups/data.mdb: is a FIFO" "$cmd names the FIFO"
done

# A link or special file anywhere in the store: LMDB would follow or open it (writing the
# store's pages through a planted link); every command refuses it, exit 4, naming it.
rm "$LOG/groups/data.mdb"
cp -a "$LOG/groups" "$WORK/real-groups"
for planted in groups-link lock-fifo groups-file data-directory; do
  rm -rf "$LOG/groups"
  cp -a "$WORK/real-groups" "$LOG/groups"
  case $planted in
    groups-link) rm -rf "$LOG/groups" && ln -s "$WORK/real-groups" "$LOG/groups" && name=groups what="a symbolic link" ;;
    lock-fifo) rm "$LOG/groups/lock.mdb" && mkfifo "$LOG/groups/lock.mdb" && name=groups/lock.mdb what="a FIFO" ;;
    groups-file) rm -rf "$LOG/groups" && echo x >"$LOG/groups" && name=groups what="a regular file" ;;
    data-directory) mkdir "$LOG/groups/data.mdb" && name=groups/data.mdb what="a directory" ;;
  esac
  for cmd in "stat LOG" "groups LOG" "ack LOG -g billing 4" "verify LOG"; do
    args=(${cmd/LOG/$LOG})
    expect_status 4 timeout 60 "$EVLOG" "${args[@]}" >"$WORK/stdout"
    assert_contains "$(cat "$WORK/stderr" "$WORK/stdout")" "$LOG/$name: is $what" "$cmd with $planted"
  done
done
[[ ! -e $WORK/real-groups/data.mdb ]] || fail "the store was written through the link"
echo "ok"
