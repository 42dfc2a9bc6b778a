// Remote -> log: fetches messages from a RemoteSource into a LocalAppender, appends them
// durably as one batch, and only then lets the source commit its remote position. Each
// round is one atomic batch, so a crash leaves a whole round in the log or none of it.
#pragma once

#include <chrono>
#include <string>

#include "bridge/local_appender.h"
#include "bridge/remote.h"
#include "eventlog/log.h"
#include "replay/signal_pipe.h"
#include "term/progress.h"

namespace evlog {

struct InboundOptions {
  bool follow = false;
  std::string remote;  // the endpoint as the user wrote it, for messages
};

class InboundPump {
 public:
  InboundPump(eventlog::Log& log, RemoteSource& source, const SignalPipe& signals, InboundOptions options);

  // Relays until caught up (without follow) or a signal; what was fetched before a signal
  // is still appended and committed.
  eventlog::Status Run();

  // "appended 1,000 events (offsets 0..999) from nats://...".
  // `failed`: the run ended with an error, so "nothing new" would not be known.
  std::string Summary(bool failed = false) const;

 private:
  eventlog::Status CommitRound();

  eventlog::Log& log_;
  RemoteSource& source_;
  const SignalPipe& signals_;
  InboundOptions options_;
  LocalAppender appender_;
  std::optional<uint64_t> first_offset_;
  uint64_t last_offset_ = 0;
  mutable Progress progress_{"bridge", "events", 0};  // on a terminal only; cleared by Summary()
};

}  // namespace evlog
