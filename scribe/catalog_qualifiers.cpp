#include "catalog_qualifiers.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "scribe/core/catalog_qualifier.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/postgres.hpp"
#include "scribe/pg/sql_scanner.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
}

namespace scribe::capture {
namespace {

using scribe::pg::call_pg;

struct ScannedToken {
  int token;
  int offset;
  const char* name;  // an identifier's or keyword's value, else nullptr
};

// PostgreSQL's scanner over `text` (NUL-terminated, palloc'd), tokens into
// a palloc'd array. No C++ object is alive here: the scanner may ereport.
int scan_tokens(const char* text, ScannedToken** out) {
  int used = 0, allocated = 64;
  ScannedToken* tokens = static_cast<ScannedToken*>(palloc(sizeof(ScannedToken) * allocated));
  const int ident = scribe::pg::identifier_token();
  core_yy_extra_type extra;
  core_yyscan_t scanner = scribe::pg::begin_sql_scan(text, &extra);
  for (;;) {
    core_YYSTYPE value;
    YYLTYPE location;
    const int token = core_yylex(&value, &location, scanner);
    if (token == 0) break;
    if (used == allocated) {
      allocated *= 2;
      tokens = static_cast<ScannedToken*>(repalloc(tokens, sizeof(ScannedToken) * allocated));
    }
    const char* name = nullptr;
    if (token == ident)
      name = value.str;
    else if (scribe::pg::is_keyword_token(token))
      name = value.keyword;
    tokens[used++] = ScannedToken{token, location, name};
  }
  scanner_finish(scanner);
  *out = tokens;
  return used;
}

bool contains_case_insensitively(std::string_view text, std::string_view needle) {
  return std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

}  // namespace

std::string without_database_qualifiers(std::string_view statement) {
  const char* database_name = nullptr;
  call_pg([&] { database_name = get_database_name(MyDatabaseId); });
  if (database_name == nullptr) return std::string(statement);
  const std::string database = database_name;
  // Most statements cannot hold the name at all.
  if (!contains_case_insensitively(statement, database)) return std::string(statement);

  ScannedToken* tokens = nullptr;
  int count = 0;
  call_pg([&] {
    char* text = pnstrdup(statement.data(), statement.size());
    count = scan_tokens(text, &tokens);
  });
  std::vector<NameChain> chains;
  for (int i = 0; i < count; i++) {
    if (tokens[i].name == nullptr || (i > 0 && tokens[i - 1].token == '.')) continue;
    NameChain chain;
    chain.parts.emplace_back(tokens[i].name);
    chain.offsets.push_back(static_cast<std::size_t>(tokens[i].offset));
    int j = i;
    while (j + 2 < count && tokens[j + 1].token == '.' && tokens[j + 2].name != nullptr) {
      j += 2;
      chain.parts.emplace_back(tokens[j].name);
      chain.offsets.push_back(static_cast<std::size_t>(tokens[j].offset));
    }
    chain.followed_by_parenthesis = j + 1 < count && tokens[j + 1].token == '(';
    i = j;
    if (chain.parts.size() >= 3 && chain.parts[0] == database) chains.push_back(std::move(chain));
  }
  if (chains.empty()) return std::string(statement);
  const auto is_schema = [](std::string_view name) {
    const std::string copy(name);
    bool exists = false;
    call_pg([&] { exists = OidIsValid(get_namespace_oid(copy.c_str(), true)); });
    return exists;
  };
  return without_catalog_qualifiers(statement, chains, database, is_schema);
}

}  // namespace scribe::capture
