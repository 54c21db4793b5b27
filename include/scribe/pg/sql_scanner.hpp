// PostgreSQL's core SQL scanner (parser/scanner.h) without the grammar's
// token numbers: parser/gram.h is installed up to PostgreSQL 15 only. The
// scanner takes the keywords' token numbers from its caller, so we give it
// our own (keyword i of ScanKeywords scans as kKeywordToken + i) and learn
// the one number we need from gram.h, an identifier's, by scanning one.
// Single-character tokens scan as the character, as always.
// Server code: the scanner may ereport, call with no C++ object alive.
#pragma once

#include "scribe/pg/postgres.hpp"

extern "C" {
#include "parser/scanner.h"
}

namespace scribe::pg {

// Above every token number gram.h gives (about 750 in 18).
inline constexpr int kKeywordToken = 0x4000;

// scanner_init over `text` with our keyword token numbers.
core_yyscan_t begin_sql_scan(const char* text, core_yy_extra_type* extra);

inline bool is_keyword_token(int token) { return token >= kKeywordToken; }

// The token the scanner returns for the keyword `name` (lower case), or -1
// when it is not one.
int keyword_token(const char* name);

// The token the scanner returns for an identifier (IDENT).
int identifier_token();

}  // namespace scribe::pg
