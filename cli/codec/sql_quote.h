// SQL text for names and strings that came from data (event fields, table names): the
// quoting that SQLite and PostgreSQL share, so that every connector builds statements alike.
#pragma once

#include <string>
#include <string_view>

namespace evlog {

// An identifier: "name", each '"' inside doubled. Any bytes make a valid identifier this way,
// so a column called `select` or `a"b` needs no other care.
std::string QuoteIdentifier(std::string_view name);

// A string literal: 'text', each '\'' inside doubled (standard_conforming_strings, which
// PostgreSQL has on by default and SQLite always has).
std::string QuoteLiteral(std::string_view text);

}  // namespace evlog
