#include "scribe/pg/sql_scanner.hpp"

extern "C" {
#include "common/keywords.h"
}

namespace scribe::pg {
namespace {

// ScanKeywords holds about 500 keywords; checked when filled.
constexpr int kMaxKeywords = 2048;
uint16 keyword_tokens[kMaxKeywords];
bool keyword_tokens_filled = false;
int ident_token = -1;

const uint16* our_keyword_tokens() {
  if (!keyword_tokens_filled) {
    if (ScanKeywords.num_keywords > kMaxKeywords)
      elog(ERROR, "PostgreSQL's scanner has %d keywords, pg_scribe room for %d", ScanKeywords.num_keywords,
           kMaxKeywords);
    for (int i = 0; i < ScanKeywords.num_keywords; i++) keyword_tokens[i] = static_cast<uint16>(kKeywordToken + i);
    keyword_tokens_filled = true;
  }
  return keyword_tokens;
}

}  // namespace

core_yyscan_t begin_sql_scan(const char* text, core_yy_extra_type* extra) {
  return scanner_init(text, extra, &ScanKeywords, our_keyword_tokens());
}

int keyword_token(const char* name) {
  const int number = ScanKeywordLookup(name, &ScanKeywords);
  return number < 0 ? -1 : kKeywordToken + number;
}

int identifier_token() {
  if (ident_token < 0) {
    core_yy_extra_type extra;
    core_yyscan_t scanner = begin_sql_scan("x", &extra);
    core_YYSTYPE value;
    YYLTYPE location;
    ident_token = core_yylex(&value, &location, scanner);
    scanner_finish(scanner);
  }
  return ident_token;
}

}  // namespace scribe::pg
