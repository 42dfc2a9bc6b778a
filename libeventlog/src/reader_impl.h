#pragma once

#include <memory>

#include "eventlog/log.h"

namespace eventlog {

Result<std::unique_ptr<Reader>> NewReaderImpl(Log::Impl* log);

}  // namespace eventlog
