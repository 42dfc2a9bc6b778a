// §C7.2 of format-spec/change-events.md: one PostgreSQL column value, as pgoutput sends it
// (the type's text output, NULL, or "unchanged TOAST"), into the JSON of a change event.
// Pure. The mapping is lossless: a value is either a JSON form the type's text reads back
// from exactly (integers, booleans, floats, bytea) or that text itself as a JSON string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "capture/postgres/pgoutput.h"

namespace evlog::pg {

// Built-in type OIDs (pg_type.oid, fixed since PostgreSQL 7) that get a form of their own.
namespace type_oid {
inline constexpr uint32_t kBool = 16;
inline constexpr uint32_t kBytea = 17;
inline constexpr uint32_t kInt8 = 20;
inline constexpr uint32_t kInt2 = 21;
inline constexpr uint32_t kInt4 = 23;
inline constexpr uint32_t kOid = 26;
inline constexpr uint32_t kFloat4 = 700;
inline constexpr uint32_t kFloat8 = 701;
inline constexpr uint32_t kTimestampTz = 1184;
}  // namespace type_oid

// Appends the JSON of `value`, a value of type `oid`. Text the type's form does not expect
// (which a server set up as §C7.2 requires never sends) is kept as a JSON string.
void AppendPgValue(std::string* out, uint32_t oid, const PgValue& value);

// "YYYY-MM-DD HH:MM:SS[.f]+00" (timestamptz output with TimeZone=UTC, DateStyle=ISO) as
// "YYYY-MM-DDTHH:MM:SS[.f]Z"; any other text (infinity, BC, years past 9999) unchanged.
std::string TimestampTzToRfc3339(std::string_view text);

// Microseconds since 2000-01-01 UTC as RFC 3339 in UTC with six fraction digits.
std::string PgTimestampToRfc3339(PgTimestamp micros);

}  // namespace evlog::pg
