// Quoting of SQL identifiers and string literals.
//
// Everything pg_scribe emits is replayed later, possibly by a session whose
// settings we do not control, so the rules here must not depend on any
// setting: identifiers use double quotes (unaffected by settings), literals
// that contain a backslash use the E'' form (whose meaning does not depend
// on standard_conforming_strings).
//
// The append_* functions write into any sink with append(const char*, size_t)
// and push_back(char): std::string in the unit tests, a StringInfo adapter in
// the server. They never allocate beyond what the sink does.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace scribe {

// True if `word` is a PostgreSQL keyword that cannot be used as a bare
// column or table name (any category but unreserved), as the server's own
// quote_identifier() decides.
bool is_keyword_requiring_quotes(std::string_view word) noexcept;

// True if `ident` must be double-quoted to be read back as the same name.
inline bool identifier_needs_quotes(std::string_view ident) noexcept {
  if (ident.empty()) return true;
  const char first = ident.front();
  if (!((first >= 'a' && first <= 'z') || first == '_')) return true;
  for (const char ch : ident) {
    const bool safe = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    if (!safe) return true;
  }
  return is_keyword_requiring_quotes(ident);
}

template <class Sink>
void append_identifier(Sink& out, std::string_view ident) {
  if (!identifier_needs_quotes(ident)) {
    out.append(ident.data(), ident.size());
    return;
  }
  out.push_back('"');
  std::size_t start = 0;
  for (std::size_t i = 0; i < ident.size(); ++i) {
    if (ident[i] == '"') {
      out.append(ident.data() + start, i - start + 1);
      out.push_back('"');
      start = i + 1;
    }
  }
  out.append(ident.data() + start, ident.size() - start);
  out.push_back('"');
}

// schema.name, each part quoted as needed.
template <class Sink>
void append_qualified_name(Sink& out, std::string_view schema, std::string_view name) {
  append_identifier(out, schema);
  out.push_back('.');
  append_identifier(out, name);
}

// A string literal that reads back as exactly `value` whatever the session's
// standard_conforming_strings: quotes are doubled, and a value containing a
// backslash is written as E'...' with the backslashes doubled.
template <class Sink>
void append_literal(Sink& out, std::string_view value) {
  const char* const data = value.data();
  const std::size_t size = value.size();
  const bool has_backslash = size > 0 && std::memchr(data, '\\', size) != nullptr;
  if (has_backslash) out.push_back('E');
  out.push_back('\'');
  std::size_t start = 0;
  if (!has_backslash) {
    // Only quotes to double: jump from one to the next (most values have none).
    while (start < size) {
      const void* quote = std::memchr(data + start, '\'', size - start);
      if (quote == nullptr) break;
      const std::size_t i = static_cast<std::size_t>(static_cast<const char*>(quote) - data);
      out.append(data + start, i - start + 1);
      out.push_back('\'');
      start = i + 1;
    }
  } else {
    for (std::size_t i = 0; i < size; ++i) {
      const char ch = data[i];
      if (ch == '\'' || ch == '\\') {
        out.append(data + start, i - start + 1);
        out.push_back(ch);
        start = i + 1;
      }
    }
  }
  out.append(data + start, size - start);
  out.push_back('\'');
}

// A dollar-quoted string whose tag ("$wal2sql$", "$wal2sql1$", ...) does not
// occur in `body`, so the body can hold anything, even the base tag.
template <class Sink>
void append_dollar_quoted(Sink& out, std::string_view body) {
  char tag[32] = "$wal2sql$";
  // The closing tag must not be found early, also across the end of the
  // body: a body ending in "$wal2sql" followed by "$wal2sql$" holds the tag
  // one byte before the closing one.
  auto clashes = [&] {
    std::string text(body);
    text += tag;
    return text.find(tag) != body.size();
  };
  for (unsigned n = 1; clashes(); ++n) {
    char digits[12];
    int len = 0;
    for (unsigned v = n; v != 0; v /= 10) digits[len++] = static_cast<char>('0' + v % 10);
    char* p = tag + 8;  // after "$wal2sql"
    while (len > 0) *p++ = digits[--len];
    *p++ = '$';
    *p = '\0';
  }
  const std::size_t tag_len = std::strlen(tag);
  out.append(tag, tag_len);
  out.append(body.data(), body.size());
  out.append(tag, tag_len);
}

}  // namespace scribe
