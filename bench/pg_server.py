"""A throwaway PostgreSQL server for the benchmark, and a minimal libpq client through ctypes.

The same recipe as tests/cli/pg_lib.sh (initdb into /tmp, Unix socket in that directory, a
free port, run as the `postgres` user under root, stop by PID), except for durability: this
server keeps PostgreSQL's defaults (fsync, synchronous_commit and full_page_writes on), so
that its commits cost what they cost in production and commit-to-log latency means something;
and autovacuum is off, so that no worker's CPU is counted as a benchmarked command's.
libpq comes through ctypes because it is installed with evlog's build dependencies, and a
Python driver (psycopg) would be one more package for a benchmark.
"""
import ctypes
import ctypes.util
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SETTINGS = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{dir}'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
logging_collector = off
# No worker comes and goes during a phase, so that a phase's server CPU is its client's.
autovacuum = off
timezone = 'UTC'
"""


def pg_bin():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not dirs or not os.access(os.path.join(dirs[-1], "postgres"), os.X_OK):
        raise SystemExit("bench: no PostgreSQL server under /usr/lib/postgresql/*/bin (run scripts/install-deps)")
    return dirs[-1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """Started by the constructor; stop() (fast shutdown, then SIGKILL) removes its directory."""

    def __init__(self):
        self.bin = pg_bin()
        self.dir = tempfile.mkdtemp(prefix="evlog-pgbench.", dir="/tmp")  # a socket path stays short
        self.run_as = []
        if os.geteuid() == 0:  # the server refuses root; setpriv execs in place, so the PID is the server's
            shutil.chown(self.dir, "postgres", "postgres")
            self.run_as = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
        self.process = None
        data = os.path.join(self.dir, "data")
        subprocess.run(self.run_as + [os.path.join(self.bin, "initdb"), "-D", data, "-U", "evlog", "--auth=trust",
                                      "--no-sync", "-E", "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(data, "postgresql.conf"), "a") as conf:
            conf.write(SETTINGS.format(dir=self.dir))
        for attempt in range(3):  # another process may take the free port before the server binds it
            self.port = free_port()
            if self._start(data):
                break
        else:
            self.stop()
            raise SystemExit("bench: the PostgreSQL server did not start")
        self.conninfo = f"host={self.dir} port={self.port} user=evlog dbname=postgres"

    def _start(self, data):
        log = open(os.path.join(self.dir, "server.log"), "w")
        self.process = subprocess.Popen(self.run_as + [os.path.join(self.bin, "postgres"), "-D", data,
                                                       "-p", str(self.port)], stdout=log, stderr=log)
        for _ in range(1200):
            ready = subprocess.run([os.path.join(self.bin, "pg_isready"), "-q", "-h", self.dir, "-p", str(self.port)])
            if ready.returncode == 0:
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def backends(self):
        """The postmaster's child processes now: its helpers and one backend per connection."""
        pid = self.process.pid
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return set(f.read().split())

    def reaped_cpu(self, before):
        """CPU seconds of every server process reaped so far, once the backends that are not
        in `before` (those a finished client left) are gone.

        The postmaster reaps each backend when it exits, which adds the backend's user and
        system time to the postmaster's cutime and cstime (proc(5)): the difference across a
        command is what its connections cost the server.
        """
        for _ in range(400):
            if self.backends() <= before:
                break
            time.sleep(0.025)
        else:
            raise SystemExit("bench: a server backend outlived its client by 10 s")
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime

    def log_tail(self, chars=4000):
        with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
            return f.read()[-chars:]

    def tool(self, name):
        return os.path.join(self.bin, name)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Connection:
    """One libpq connection; exec() runs SQL and returns the first column of the first row."""

    OK = (1, 2)  # PGRES_COMMAND_OK, PGRES_TUPLES_OK

    def __init__(self, conninfo):
        pq = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
        pq.PQconnectdb.restype = ctypes.c_void_p
        pq.PQconnectdb.argtypes = [ctypes.c_char_p]
        pq.PQstatus.argtypes = [ctypes.c_void_p]
        pq.PQerrorMessage.restype = ctypes.c_char_p
        pq.PQerrorMessage.argtypes = [ctypes.c_void_p]
        pq.PQexec.restype = ctypes.c_void_p
        pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        pq.PQresultStatus.argtypes = [ctypes.c_void_p]
        pq.PQntuples.argtypes = [ctypes.c_void_p]
        pq.PQgetvalue.restype = ctypes.c_char_p
        pq.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        pq.PQclear.argtypes = [ctypes.c_void_p]
        pq.PQfinish.argtypes = [ctypes.c_void_p]
        self.pq = pq
        self.conn = pq.PQconnectdb(conninfo.encode())
        if pq.PQstatus(self.conn) != 0:
            raise SystemExit(f"bench: connect: {pq.PQerrorMessage(self.conn).decode().strip()}")

    def exec(self, sql):
        result = self.pq.PQexec(self.conn, sql.encode())
        try:
            if self.pq.PQresultStatus(result) not in self.OK:
                raise SystemExit(f"bench: {sql[:80]}: {self.pq.PQerrorMessage(self.conn).decode().strip()}")
            return self.pq.PQgetvalue(result, 0, 0).decode() if self.pq.PQntuples(result) else None
        finally:
            self.pq.PQclear(result)

    def close(self):
        self.pq.PQfinish(self.conn)
