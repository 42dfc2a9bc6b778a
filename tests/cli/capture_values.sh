# capture sqlite: every SQLite value crosses into the log losslessly (change-events.md §C1),
# each change becomes one event with the §C3 envelope, §C4 key and headers (a key change two:
# the delete of the old key, then the update), and a rolled-back
# transaction produces nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/capture_lib.sh"
DB=$WORK/app.db LOG=$WORK/log

app "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE v (id INTEGER PRIMARY KEY, x REAL, y, note TEXT);
           CREATE TABLE plain (a, b);" >/dev/null
evlog capture sqlite "$DB" --install -t v -t plain 2>/dev/null
app "$DB" "
INSERT INTO v (id, y) VALUES (1, NULL);
INSERT INTO v (id, y) VALUES (2, -9223372036854775808), (3, 9223372036854775807), (4, 9007199254740993);
INSERT INTO v (id, x, y) VALUES (5, 0.1, 0.1), (6, 1.0/3, 1.0/3), (7, -0.0, -0.0), (8, 5e-324, 5e-324);
INSERT INTO v (id, x, y) VALUES (9, 1e308*10, -1e308*10), (10, 1.7976931348623157e308, -2.2250738585072014e-308);
INSERT INTO v (id, y, note) VALUES (11, 'it''s ''quoted'', with, commas', 'line1
line2');
INSERT INTO v (id, y) VALUES (12, CAST(X'61006200' AS TEXT)), (13, CAST(X'FF41' AS TEXT)), (14, X'00FF0027');
INSERT INTO v (id, y) VALUES (15, ''), (16, X''), (17, 'NULL'), (18, 'Inf');
BEGIN; INSERT INTO v (id) VALUES (99); UPDATE v SET y = 'gone' WHERE id = 1; ROLLBACK;  -- nothing of it

UPDATE v SET y = 'now' WHERE id = 1;
UPDATE v SET id = 100 WHERE id = 2;
DELETE FROM v WHERE id = 3;
INSERT INTO plain VALUES ('r', 1); UPDATE plain SET b = 2; DELETE FROM plain;"
assert_eq "evlog: capture: relayed 24 changes (offsets 0..24)" "$(evlog capture sqlite "$DB" "$LOG" 2>&1)" "summary"
assert_eq "evlog: capture: relayed 0 changes" "$(evlog capture sqlite "$DB" "$LOG" 2>&1)" "second run"

expected='1 c v {id=1} null {id=1,x=null,y=null,note=null}
2 c v {id=2} null {id=2,x=null,y=-9223372036854775808,note=null}
3 c v {id=3} null {id=3,x=null,y=9223372036854775807,note=null}
4 c v {id=4} null {id=4,x=null,y=9007199254740993,note=null}
5 c v {id=5} null {id=5,x=R0.1+,y=R0.1+,note=null}
6 c v {id=6} null {id=6,x=R0.3333333333333333+,y=R0.3333333333333333+,note=null}
7 c v {id=7} null {id=7,x=R0.0+,y=R0.0+,note=null}
8 c v {id=8} null {id=8,x=R5e-324+,y=R5e-324+,note=null}
9 c v {id=9} null {id=9,x=RInfinity,y=R-Infinity,note=null}
10 c v {id=10} null {id=10,x=R1.7976931348623157e+308+,y=R-2.2250738585072014e-308-,note=null}
11 c v {id=11} null {id=11,x=null,y=T"it'"'"'s '"'"'quoted'"'"', with, commas",note=T"line1\nline2"}
12 c v {id=12} null {id=12,x=null,y=T"a\u0000b\u0000",note=null}
13 c v {id=13} null {id=13,x=null,y=TB/0E=,note=null}
14 c v {id=14} null {id=14,x=null,y=BAP8AJw==,note=null}
15 c v {id=15} null {id=15,x=null,y=T"",note=null}
16 c v {id=16} null {id=16,x=null,y=B,note=null}
17 c v {id=17} null {id=17,x=null,y=T"NULL",note=null}
18 c v {id=18} null {id=18,x=null,y=T"Inf",note=null}
19 u v {id=1} {id=1,x=null,y=null,note=null} {id=1,x=null,y=T"now",note=null}
20 d v {id=2} {id=2,x=null,y=-9223372036854775808,note=null} null new_key=["v",100]
20 u v {id=100} {id=2,x=null,y=-9223372036854775808,note=null} {id=100,x=null,y=-9223372036854775808,note=null}
21 d v {id=3} {id=3,x=null,y=9223372036854775807,note=null} null
22 c plain {rowid=1} null {rowid=1,a=T"r",b=1}
23 u plain {rowid=1} {rowid=1,a=T"r",b=1} {rowid=1,a=T"r",b=2}
24 d plain {rowid=1} {rowid=1,a=T"r",b=2} null'
assert_eq "$expected" "$(changes "$LOG")" "changes in the log"
assert_eq 0 "$(outbox_rows "$DB")" "outbox after relaying"
# -0.0: SQLite's quote() (and a REAL column's storage) cannot tell it from 0.0, so the stream
# carries 0.0 (change-events.md §C1.2); a snapshot reads the stored bits.

# Every finite double crosses with its bits: 3000 random bit patterns through the triggers.
# (SQLite's CAST of quote()'s text moved some, such as -1.9876213950433033e-290, by one
# unit in the last place.)
DB2=$WORK/reals.db LOG2=$WORK/reals-log
app "$DB2" "PRAGMA journal_mode=WAL; CREATE TABLE r (id INTEGER PRIMARY KEY, v);" >/dev/null
evlog capture sqlite "$DB2" --install -t r 2>/dev/null
python3 - "$DB2" <<'PY'
import random, sqlite3, struct, sys
random.seed(7)
values = []
while len(values) < 3000:
    d = struct.unpack("<d", struct.pack("<Q", random.getrandbits(64)))[0]
    if d == d and abs(d) != float("inf") and d != 0.0:
        values.append(d)
db = sqlite3.connect(sys.argv[1])
db.executemany("INSERT INTO r VALUES (?, ?)", list(enumerate(values)))
db.commit()
PY
evlog capture sqlite "$DB2" "$LOG2" 2>/dev/null
evlog tail "$LOG2" --from beginning --format '%s\n' | python3 -c '
import json, sqlite3, struct, sys
stored = dict(sqlite3.connect(sys.argv[1]).execute("SELECT id, v FROM r"))
bad = [(a["id"], a["v"], stored[a["id"]]) for a in (json.loads(l)["after"] for l in sys.stdin)
       if struct.pack("<d", float(a["v"])) != struct.pack("<d", stored[a["id"]])]
assert len(stored) == 3000 and not bad, bad[:5]' "$DB2" || fail "random doubles through the outbox"
echo PASS
