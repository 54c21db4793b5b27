// The keyword table comes from the PostgreSQL installation we build against
// (parser/kwlist.h is a plain data list, no server code), so quoting follows
// exactly the grammar of that server.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "scribe/core/quote.hpp"

namespace scribe {
namespace {

enum KeywordCategory { UNRESERVED_KEYWORD, COL_NAME_KEYWORD, TYPE_FUNC_NAME_KEYWORD, RESERVED_KEYWORD };

struct Keyword {
  const char* word;
  KeywordCategory category;
};

#define PG_KEYWORD(kwname, value, category, collabel) {kwname, category},
constexpr Keyword kKeywords[] = {
#include "parser/kwlist.h"
};
#undef PG_KEYWORD

}  // namespace

bool is_keyword_requiring_quotes(std::string_view word) noexcept {
  // kwlist.h is sorted by name (the server's lookup relies on it).
  const Keyword* end = std::end(kKeywords);
  const Keyword* it = std::lower_bound(std::begin(kKeywords), end, word, [](const Keyword& kw, std::string_view w) {
    return std::string_view(kw.word) < w;
  });
  return it != end && std::string_view(it->word) == word && it->category != UNRESERVED_KEYWORD;
}

}  // namespace scribe
