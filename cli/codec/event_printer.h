// How `tail` prints one event: the payload and a terminator (the default, a memcpy per
// event), a JSON envelope (--json), or a --format template.
#pragma once

#include <optional>
#include <string>

#include "eventlog/event.h"
#include "codec/format_string.h"
#include "codec/json_envelope.h"
#include "codec/output_buffer.h"

namespace evlog {

class EventPrinter {
 public:
  // `format` must compile (it was validated on the command line).
  static EventPrinter Make(bool json, const std::optional<std::string>& format, bool null_terminated,
                           TimeZoneChoice zone = TimeZoneChoice::kLocal) {
    EventPrinter printer;
    if (json) {
      printer.mode_ = Mode::kJson;
    } else if (format) {
      printer.mode_ = Mode::kFormat;
      printer.format_ = std::move(FormatString::Compile(*format, zone)).value();
    }
    printer.terminator_ = null_terminated ? '\0' : '\n';
    return printer;
  }

  void Print(const eventlog::Event& event, OutputBuffer& out) const {
    switch (mode_) {
      case Mode::kPayload:
        out.Append(event.payload);
        out.Append(terminator_);
        break;
      case Mode::kJson:
        AppendEventJson(event, out);
        out.Append('\n');
        break;
      case Mode::kFormat: format_->Append(event, out); break;
    }
  }

 private:
  enum class Mode { kPayload, kJson, kFormat };
  Mode mode_ = Mode::kPayload;
  char terminator_ = '\n';
  std::optional<FormatString> format_;
};

}  // namespace evlog
