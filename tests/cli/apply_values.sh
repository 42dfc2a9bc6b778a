# apply stores every value with the storage class and the bytes or bits the envelope names
# (§C1): NULL, int64 extremes, REAL bit for bit (-0.0, subnormals, infinities), TEXT with NUL
# or invalid UTF-8, BLOB (empty too); and --create-tables gives columns no affinity, so a
# column that holds 3 and then 3.0, or '5' and then 5, keeps each value's class.
source "$(dirname "$0")/apply_lib.sh"

LOG=$WORK/log
DB=$WORK/target.db
# (key, JSON value, expected typeof, expected bytes or bits in hex / decimal integer)
CASES=(
  '1|null|null|'
  '2|-9223372036854775808|integer|-9223372036854775808'
  '3|9223372036854775807|integer|9223372036854775807'
  '4|0.1|real|3fb999999999999a'
  '5|-0.0|real|8000000000000000'
  '6|5e-324|real|0000000000000001'
  '7|1.7976931348623157e308|real|7fefffffffffffff'
  '8|{"$real":"Infinity"}|real|7ff0000000000000'
  '9|{"$real":"-Infinity"}|real|fff0000000000000'
  '10|3.0|real|4008000000000000'
  '11|"caf\u00e9 \"q\""|text|636166c3a9202271 22'
  '12|{"$text_base64":"YQBi"}|text|610062'
  '13|{"$text_base64":"/w=="}|text|ff'
  '14|""|text|'
  '15|{"$blob_base64":"AAEC/w=="}|blob|000102ff'
  '16|{"$blob_base64":""}|blob|'
  '17|"5"|text|35'
  '18|5|integer|5'
)
for c in "${CASES[@]}"; do
  IFS='|' read -r key value _ _ <<<"$c"
  insert vals "{\"k\":$key}" "{\"k\":$key,\"v\":$value}"
done | evlog append "$LOG"
expect_status 0 evlog apply "$LOG" --to "sqlite:$DB" -g g --create-tables

# Python reads the stored values back without SQLite's text rendering in between.
actual=$(python3 - "$DB" <<'PY'
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
db.text_factory = bytes
for k, t, v in db.execute("SELECT k, typeof(v), v FROM vals ORDER BY k"):
    t = t.decode()
    if t == "real":
        v = struct.pack(">d", v).hex()
    elif t in ("text", "blob"):
        v = v.hex()
    elif v is None:
        v = ""
    print(f"{k}|{t}|{v}")
PY
)
expected=$(for c in "${CASES[@]}"; do IFS='|' read -r key _ type bits <<<"$c"; echo "$key|$type|${bits// /}"; done)
assert_eq "$expected" "$actual" "stored values"
assert_eq 'CREATE TABLE "vals" ("k", "v", PRIMARY KEY ("k"))' "$(rows "$DB" "SELECT sql FROM sqlite_schema WHERE name = 'vals'")" \
  "created table: no declared types, key from the envelope"

# The same values through an update that changes them in place, and sqlite3's own view.
{
  update vals '{"k":2}' '{"k":2,"v":-9223372036854775808}' '{"k":2,"v":{"$blob_base64":"AA=="}}'
  update vals '{"k":15}' '{"k":15,"v":{"$blob_base64":"AAEC/w=="}}' '{"k":15,"v":null}'
} | evlog append "$LOG"
expect_status 0 evlog apply "$LOG" --to "sqlite:$DB" -g g
assert_eq "$(printf "blob|X'00'\nnull|NULL")" "$(rows "$DB" 'SELECT typeof(v), quote(v) FROM vals WHERE k IN (2, 15) ORDER BY k')" \
  "values changed by updates"
echo PASS
