// An LD_PRELOAD shim for the LMDB reader-slot test: a process that begins a read-only LMDB
// transaction is killed (SIGKILL) right after LMDB gave it a reader slot, so the slot is left
// behind, marked with a dead pid. Active when $EVLOG_KILL_IN_READ_TXN is set. Not part of evlog.
#include <lmdb.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "shim_util.h"

extern "C" int mdb_txn_begin(MDB_env* env, MDB_txn* parent, unsigned int flags, MDB_txn** txn) {
  static auto real = evlog_shim::Real<int (*)(MDB_env*, MDB_txn*, unsigned int, MDB_txn**)>("mdb_txn_begin");
  static const bool active = std::getenv("EVLOG_KILL_IN_READ_TXN") != nullptr;
  const int rc = real(env, parent, flags, txn);
  if (active && rc == 0 && (flags & MDB_RDONLY) != 0) kill(getpid(), SIGKILL);
  return rc;
}
