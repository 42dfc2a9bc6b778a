"""A small PostgreSQL client over libpq through ctypes, for the tests' workloads and checkers:
the machines that run the tests have libpq (the relay links it) but no Python driver.

Connection.run(sql) sends one simple-protocol query string (it may hold several statements,
e.g. a whole transaction, which then costs one round trip) and returns the rows of every
statement that returned rows. A lost connection raises ConnectionLost, any other error
PgError: the workload tells a server restart apart from a bug in its own SQL that way."""
import ctypes

_pq = ctypes.CDLL("libpq.so.5")
_P, _INT, _STR = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
for _name, _returns, _takes in [
        ("PQconnectdb", _P, [_STR]), ("PQstatus", _INT, [_P]), ("PQerrorMessage", _STR, [_P]),
        ("PQfinish", None, [_P]), ("PQsendQuery", _INT, [_P, _STR]), ("PQgetResult", _P, [_P]),
        ("PQresultStatus", _INT, [_P]), ("PQresultErrorMessage", _STR, [_P]),
        ("PQresultErrorField", _STR, [_P, _INT]), ("PQntuples", _INT, [_P]), ("PQnfields", _INT, [_P]),
        ("PQfname", _STR, [_P, _INT]), ("PQftype", ctypes.c_uint, [_P, _INT]), ("PQgetvalue", _P, [_P, _INT, _INT]),
        ("PQgetlength", _INT, [_P, _INT, _INT]), ("PQgetisnull", _INT, [_P, _INT, _INT]), ("PQclear", None, [_P])]:
    getattr(_pq, _name).restype = _returns
    getattr(_pq, _name).argtypes = _takes

_CONNECTION_OK = 0
_PGRES_TUPLES_OK = 2
_PGRES_FATAL_ERROR = 7
_PG_DIAG_SQLSTATE = ord("C")


class PgError(Exception):
    pass


class ConnectionLost(PgError):
    pass


class Rows:
    """One statement's result: column names, type OIDs and rows of str (or None for NULL)."""

    def __init__(self, names, types, rows):
        self.names, self.types, self.rows = names, types, rows


def _rows_of(result):
    fields = range(_pq.PQnfields(result))
    names = [_pq.PQfname(result, f).decode() for f in fields]
    types = [_pq.PQftype(result, f) for f in fields]
    rows = []
    for r in range(_pq.PQntuples(result)):
        row = []
        for f in fields:
            if _pq.PQgetisnull(result, r, f):
                row.append(None)
            else:
                length = _pq.PQgetlength(result, r, f)
                row.append(ctypes.string_at(_pq.PQgetvalue(result, r, f), length).decode())
        rows.append(row)
    return Rows(names, types, rows)


class Connection:
    def __init__(self, conninfo):
        self._conn = _pq.PQconnectdb(conninfo.encode())
        if _pq.PQstatus(self._conn) != _CONNECTION_OK:
            message = _pq.PQerrorMessage(self._conn).decode(errors="replace").strip()
            _pq.PQfinish(self._conn)
            self._conn = None
            raise ConnectionLost(message)

    def close(self):
        if self._conn:
            _pq.PQfinish(self._conn)
            self._conn = None

    def _lost(self):
        return _pq.PQstatus(self._conn) != _CONNECTION_OK

    def run(self, sql):
        """The Rows of each statement of `sql` that returned rows, in order."""
        if not _pq.PQsendQuery(self._conn, sql.encode()):
            raise ConnectionLost(_pq.PQerrorMessage(self._conn).decode(errors="replace").strip())
        results, error = [], None
        while True:
            result = _pq.PQgetResult(self._conn)
            if not result:
                break
            status = _pq.PQresultStatus(result)
            if status == _PGRES_TUPLES_OK:
                results.append(_rows_of(result))
            elif status == _PGRES_FATAL_ERROR and error is None:
                error = _pq.PQresultErrorMessage(result).decode(errors="replace").strip()
                sqlstate = _pq.PQresultErrorField(result, _PG_DIAG_SQLSTATE)
            _pq.PQclear(result)
        # libpq may report a broken connection as an error result before its status turns
        # bad; its own errors carry no SQLSTATE, and the server's shutdown and connection
        # errors are classes 57P and 08.
        if self._lost() or (error is not None and (sqlstate is None or sqlstate[:3] in (b"57P", b"08"))):
            raise ConnectionLost(error or _pq.PQerrorMessage(self._conn).decode(errors="replace").strip())
        if error is not None:
            raise PgError(error)
        return results
