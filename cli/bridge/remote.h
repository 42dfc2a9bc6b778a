// The two faces of a distributed engine (Kafka, NATS JetStream) as the bridge sees them.
// Each engine implements them in its own folder and target (kafka/, nats/); the pumps that
// drive them (outbound_pump.h, inbound_pump.h) hold everything that is the same for every
// engine: reading the log, acking the group in order, appending durably, follow, signals,
// progress and the summary.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/status.h"

namespace evlog {

class LocalAppender;

// Log -> remote. The contract that makes the bridge at-least-once and in order:
//   - every event given to Send() is, in the remote, after every event sent before it that
//     shares its partition (Kafka) or subject (NATS);
//   - it is either confirmed through Poll() once the remote has stored it durably (acks=all,
//     a JetStream publish acknowledgement), or Poll() returns an error; a remote that is
//     merely unreachable is retried inside the engine, without end, and is not an error.
// Each message carries the event's key, headers and payload and the bridge headers
// (bridge_headers.h).
class RemoteSink {
 public:
  virtual ~RemoteSink() = default;

  // Hands one event to the engine, which copies what it needs: the views in `event` are
  // valid only during the call. May wait while the engine's queue is full, serving
  // confirmations meanwhile (they are returned by the next Poll()). kBusy if a SIGINT or
  // SIGTERM ended that wait: the event was not handed over, and the bridge stops as the
  // signal asks (the next run sends it).
  virtual eventlog::Status Send(const eventlog::Event& event) = 0;

  // Waits at most `timeout` for confirmations; appends the offsets confirmed since the
  // last call to *confirmed, in any order. An error (a message the remote refuses for
  // good: too large, not authorised) names the event's offset and ends the bridge.
  virtual eventlog::Status Poll(std::chrono::milliseconds timeout, std::vector<uint64_t>* confirmed) = 0;
};

// Remote -> log. The engine fetches messages into a LocalAppender; the pump makes them
// durable in the log, and only then lets the engine commit its position in the remote.
// A crash between the two gives the same messages again on restart: at least once.
class RemoteSource {
 public:
  virtual ~RemoteSource() = default;

  // Waits at most `timeout` for messages and adds them to `appender` until it is full()
  // or nothing more is available now. Returns true when the source is caught up: every
  // message that existed when the bridge started (without -f: its end) has been added.
  // Returns false at once, whatever it added, when the remote needs what was fetched made
  // durable and committed before anything else (a Kafka rebalance revoking partitions: their
  // offsets can be committed only while they are still this consumer's). The pump calls
  // CommitFetched() after every Fetch(), so the next Fetch() may rely on it having run.
  virtual eventlog::Result<bool> Fetch(std::chrono::milliseconds timeout, LocalAppender& appender) = 0;

  // Everything fetched so far is durable in the log (the round may have added nothing):
  // commit the remote consumer position past every message added to the appender (never
  // past one whose Add() failed: it was not stored), and past any message the source
  // skipped because this run already holds it in the log. A commit the remote refuses
  // because the consumer no longer owns the messages (a Kafka group that rebalanced) is not
  // an error: they are durable, and whoever consumes them next receives them again (at least
  // once). Other errors end the bridge (the messages are then received again on restart).
  virtual eventlog::Status CommitFetched() = 0;
};

}  // namespace evlog
