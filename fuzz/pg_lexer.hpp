// An independent reader of PostgreSQL 15's lexical rules (src/backend/parser/
// scan.l), written for the fuzz targets from the grammar, not from
// pg_scribe's code: string literals ('...' with standard_conforming_strings
// on or off, E'...' with every backslash escape, the quote continuation
// across a newline), quoted and plain identifiers (case folding, keywords),
// dollar quotes (flex's longest-match rules of the xdolq state), comments.
// The fuzz targets read what pg_scribe renders with it and compare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pglex {

inline bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }
// scan.l: ident_start [A-Za-z\200-\377_], ident_cont [A-Za-z\200-\377_0-9\$]
inline bool ident_start(unsigned char c) { return is_alpha(c) || c == '_' || c >= 0x80; }
inline bool ident_cont(unsigned char c) { return ident_start(c) || is_digit(c) || c == '$'; }
// dolq_start [A-Za-z\200-\377_], dolq_cont [A-Za-z\200-\377_0-9]
inline bool dolq_start(unsigned char c) { return ident_start(c); }
inline bool dolq_cont(unsigned char c) { return ident_start(c) || is_digit(c); }
// space [ \t\n\r\f] (PostgreSQL 15; 16 adds \v)
inline bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

inline unsigned hex_value(unsigned char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

inline bool put_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return true;
}

// scan.l's quotecontinue: {whitespace_with_newline}{quote}, where
// whitespace_with_newline = {horiz_whitespace}*{newline}{special_whitespace}*
// and special_whitespace = {space}+ | {comment}{newline}. Returns the offset
// just past the continuing quote, or npos.
inline std::size_t quote_continuation(std::string_view t, std::size_t p) {
  const std::size_t n = t.size();
  while (p < n && (t[p] == ' ' || t[p] == '\t' || t[p] == '\f')) ++p;
  if (p >= n || (t[p] != '\n' && t[p] != '\r')) return std::string_view::npos;
  ++p;
  for (;;) {
    if (p < n && is_space(static_cast<unsigned char>(t[p]))) {
      ++p;
    } else if (p + 1 < n && t[p] == '-' && t[p + 1] == '-') {
      std::size_t q = p + 2;
      while (q < n && t[q] != '\n' && t[q] != '\r') ++q;
      if (q >= n) return std::string_view::npos;  // {comment}{newline}: the newline is needed
      p = q + 1;
    } else {
      break;
    }
  }
  return p < n && t[p] == '\'' ? p + 1 : std::string_view::npos;
}

// Reads a string literal at `pos` (an optional E prefix, then quotes), as
// the server does with the given standard_conforming_strings. On success
// `pos` is just past it (continuations included) and `value` holds its
// bytes. False for anything the server would reject or read otherwise
// (unterminated, bad escape, a NUL or invalid Unicode escape). With
// `strict` false only the extent matters: a bad escape or a NUL is kept as
// it is, so that texts the server would reject still split the same way.
inline bool read_string_literal(std::string_view t, std::size_t& pos, std::string& value,
                                bool standard_conforming_strings = true, bool strict = true) {
  const std::size_t n = t.size();
  std::size_t p = pos;
  bool escape = false;
  if (p + 1 < n && (t[p] == 'E' || t[p] == 'e') && t[p + 1] == '\'') {
    escape = true;
    ++p;
  }
  if (p >= n || t[p] != '\'') return false;
  if (!standard_conforming_strings) escape = true;  // {quote} starts xe, not xq
  ++p;
  value.clear();
  std::uint32_t pending_high = 0;  // a \u high surrogate waiting for its low half
  for (;;) {
    if (p >= n) return false;
    const unsigned char c = static_cast<unsigned char>(t[p]);
    if (pending_high != 0 && !(c == '\\' && p + 1 < n && (t[p + 1] == 'u' || t[p + 1] == 'U'))) {
      if (strict) return false;
      pending_high = 0;
    }
    if (c == '\'') {
      if (p + 1 < n && t[p + 1] == '\'') {
        value.push_back('\'');
        p += 2;
        continue;
      }
      const std::size_t cont = quote_continuation(t, p + 1);
      if (cont != std::string_view::npos) {
        p = cont;
        continue;
      }
      pos = p + 1;
      return !strict || value.find('\0') == std::string::npos;
    }
    if (!escape || c != '\\') {
      value.push_back(static_cast<char>(c));
      ++p;
      continue;
    }
    if (p + 1 >= n) return false;
    const unsigned char e = static_cast<unsigned char>(t[p + 1]);
    if (e >= '0' && e <= '7') {  // xeoctesc [\\][0-7]{1,3}
      unsigned v = 0;
      std::size_t q = p + 1;
      for (int k = 0; k < 3 && q < n && t[q] >= '0' && t[q] <= '7'; ++k, ++q) v = v * 8 + (t[q] - '0');
      value.push_back(static_cast<char>(static_cast<unsigned char>(v)));
      p = q;
    } else if (e == 'x' && p + 2 < n && is_hex(static_cast<unsigned char>(t[p + 2]))) {  // xehexesc
      unsigned v = hex_value(static_cast<unsigned char>(t[p + 2]));
      std::size_t q = p + 3;
      if (q < n && is_hex(static_cast<unsigned char>(t[q]))) v = v * 16 + hex_value(static_cast<unsigned char>(t[q++]));
      value.push_back(static_cast<char>(v));
      p = q;
    } else if (e == 'u' || e == 'U') {  // xeunicode, or xeunicodefail for too few digits
      const std::size_t digits = e == 'u' ? 4 : 8;
      std::uint32_t cp = 0;
      std::size_t k = 0;
      for (; k < digits && p + 2 + k < n && is_hex(static_cast<unsigned char>(t[p + 2 + k])); ++k)
        cp = cp * 16 + hex_value(static_cast<unsigned char>(t[p + 2 + k]));
      if (k < digits) {  // xeunicodefail: an error; lenient, the text as it is
        if (strict) return false;
        value.append(t.data() + p, 2 + k);
        p += 2 + k;
        continue;
      }
      const std::size_t escape_start = p;
      p += 2 + digits;
      bool ok = true;
      if (pending_high != 0) {
        ok = cp >= 0xDC00 && cp <= 0xDFFF;
        if (ok) cp = 0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00);
        pending_high = 0;
      } else if (cp >= 0xD800 && cp <= 0xDBFF) {
        pending_high = cp;
        continue;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        ok = false;
      }
      if (!ok || !put_utf8(value, cp)) {
        if (strict) return false;
        value.append(t.data() + escape_start, p - escape_start);
      }
    } else {  // xeescape [\\][^0-7]
      char out = static_cast<char>(e);
      switch (e) {
        case 'b':
          out = '\b';
          break;
        case 'f':
          out = '\f';
          break;
        case 'n':
          out = '\n';
          break;
        case 'r':
          out = '\r';
          break;
        case 't':
          out = '\t';
          break;
        default:
          break;
      }
      value.push_back(out);
      p += 2;
    }
  }
}

// A double-quoted identifier at `pos`: "" stands for ", empty is an error
// (not with `strict` false: only the extent matters then).
inline bool read_quoted_identifier(std::string_view t, std::size_t& pos, std::string& name, bool strict = true) {
  const std::size_t n = t.size();
  if (pos >= n || t[pos] != '"') return false;
  name.clear();
  for (std::size_t p = pos + 1; p < n; ++p) {
    if (t[p] != '"') {
      name.push_back(t[p]);
      continue;
    }
    if (p + 1 < n && t[p + 1] == '"') {
      name.push_back('"');
      ++p;
      continue;
    }
    if (strict && name.empty()) return false;  // zero-length delimited identifier
    pos = p + 1;
    return !strict || name.find('\0') == std::string::npos;
  }
  return false;
}

// A plain identifier at `pos`, folded to lower case as downcase_identifier
// does in a multibyte encoding (ASCII only). `is_keyword(word)` says whether
// the folded word is a keyword that cannot be a name; such a word fails.
template <class IsKeyword>
bool read_plain_identifier(std::string_view t, std::size_t& pos, std::string& name, IsKeyword is_keyword) {
  const std::size_t n = t.size();
  if (pos >= n || !ident_start(static_cast<unsigned char>(t[pos]))) return false;
  std::size_t p = pos;
  name.clear();
  while (p < n && ident_cont(static_cast<unsigned char>(t[p]))) {
    char c = t[p++];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    name.push_back(c);
  }
  // E'..', B'..', X'..', N'..', U&'..' are strings, not identifiers.
  if (p < n && (t[p] == '\'' || (t[p] == '&' && name == "u"))) return false;
  if (is_keyword(name)) return false;
  pos = p;
  return true;
}

template <class IsKeyword>
bool read_identifier(std::string_view t, std::size_t& pos, std::string& name, IsKeyword is_keyword) {
  if (pos < t.size() && t[pos] == '"') return read_quoted_identifier(t, pos, name);
  return read_plain_identifier(t, pos, name, is_keyword);
}

// A dollar-quoted string at `pos`, following scan.l's rules in the xdolq
// state literally: at each '$' flex takes the longest of dolqdelim
// (\$({dolq_start}{dolq_cont}*)?\$), dolqfailed (\${dolq_start}{dolq_cont}*)
// and a single '$'; a dolqdelim other than the opening tag is text except
// its final '$', scanned again.
inline bool read_dollar_quoted(std::string_view t, std::size_t& pos, std::string& body,
                               std::string* tag_out = nullptr) {
  const std::size_t n = t.size();
  if (pos >= n || t[pos] != '$') return false;
  std::size_t p = pos + 1;
  if (p < n && dolq_start(static_cast<unsigned char>(t[p]))) {
    ++p;
    while (p < n && dolq_cont(static_cast<unsigned char>(t[p]))) ++p;
  }
  if (p >= n || t[p] != '$') return false;
  const std::string_view tag = t.substr(pos, p + 1 - pos);
  p += 1;
  body.clear();
  while (p < n) {
    if (t[p] != '$') {  // dolqinside [^$]+
      body.push_back(t[p++]);
      continue;
    }
    std::size_t q = p + 1;
    if (q < n && dolq_start(static_cast<unsigned char>(t[q]))) {
      ++q;
      while (q < n && dolq_cont(static_cast<unsigned char>(t[q]))) ++q;
    }
    if (q < n && t[q] == '$') {  // dolqdelim t[p..q]
      const std::string_view delim = t.substr(p, q + 1 - p);
      if (delim == tag) {
        if (tag_out != nullptr) tag_out->assign(tag.data(), tag.size());
        pos = q + 1;
        return true;
      }
      body.append(delim.data(), delim.size() - 1);
      p = q;  // yyless(yyleng - 1)
      continue;
    }
    body.append(t.data() + p, q - p);  // dolqfailed, or a lone '$'
    p = q;
  }
  return false;
}

// Tokens, enough to compare what two texts say: string literals (decoded),
// dollar-quoted bodies, quoted identifiers, and everything else as words and
// single characters. Comments and white space are dropped.
struct Token {
  enum Kind : char { kString = 'S', kDollar = 'D', kQuotedIdent = 'Q', kWord = 'W', kChar = 'C', kBad = 'X' } kind;
  std::string text;
  bool operator<(const Token& o) const { return kind != o.kind ? kind < o.kind : text < o.text; }
  bool operator==(const Token& o) const { return kind == o.kind && text == o.text; }
};

inline std::vector<Token> tokenize(std::string_view t) {
  std::vector<Token> out;
  const std::size_t n = t.size();
  std::size_t p = 0;
  // Where the last identifier or keyword ended: "E'" and "$" right after one
  // continue it. Not after a number: scan.l reads "2.00$$" as the number
  // 2.00 and a dollar quote (psql and the server both do).
  std::size_t ident_end = std::string_view::npos;
  auto prev_is_ident = [&](std::size_t at) { return at == ident_end; };
  auto digit_at = [&](std::size_t at) { return at < n && is_digit(static_cast<unsigned char>(t[at])); };
  while (p < n) {
    const unsigned char c = static_cast<unsigned char>(t[p]);
    if (is_digit(c) || (c == '.' && digit_at(p + 1))) {
      // psqlscan.l (15): {decinteger}, {numeric}, {real} and their failure
      // forms; an identifier glued on is taken with the number as junk by
      // longest match ("1e5$$" is one token, "1e+5$$" is 1e+5 then "$$").
      const std::size_t start = p;
      auto junk = [&] {
        while (p < n && ident_cont(static_cast<unsigned char>(t[p]))) ++p;
      };
      bool may_take_junk = true;
      while (digit_at(p)) ++p;
      if (p < n && t[p] == '.' && !(p + 1 < n && t[p + 1] == '.')) {
        ++p;
        while (digit_at(p)) ++p;
      }
      if (p < n && (t[p] == 'e' || t[p] == 'E')) {
        const std::size_t q = p + 1;
        if (q < n && (t[q] == '+' || t[q] == '-')) {
          p = q + 1;
          may_take_junk = digit_at(p);
          while (digit_at(p)) ++p;
        } else if (q < n && ident_cont(static_cast<unsigned char>(t[q]))) {
          p = q;
          junk();
          may_take_junk = false;
        } else {
          p = q;
          may_take_junk = false;
        }
      }
      if (may_take_junk && p < n && ident_start(static_cast<unsigned char>(t[p]))) junk();
      out.push_back({Token::kWord, std::string(t.substr(start, p - start))});
    } else if (is_space(c)) {
      ++p;
    } else if (c == '-' && p + 1 < n && t[p + 1] == '-') {
      while (p < n && t[p] != '\n' && t[p] != '\r') ++p;
    } else if (c == '/' && p + 1 < n && t[p + 1] == '*') {
      int depth = 1;
      p += 2;
      while (p < n && depth > 0) {
        if (t[p] == '/' && p + 1 < n && t[p + 1] == '*') {
          ++depth;
          p += 2;
        } else if (t[p] == '*' && p + 1 < n && t[p + 1] == '/') {
          --depth;
          p += 2;
        } else {
          ++p;
        }
      }
      if (depth > 0) out.push_back({Token::kBad, "/*"});
    } else if (c == '\'' || ((c == 'E' || c == 'e') && p + 1 < n && t[p + 1] == '\'' && !prev_is_ident(p))) {
      std::string v;
      if (read_string_literal(t, p, v, true, false)) {
        out.push_back({Token::kString, v});
      } else {
        out.push_back({Token::kBad, std::string(t.substr(p))});
        return out;
      }
    } else if (c == '"') {
      std::string v;
      if (read_quoted_identifier(t, p, v, false)) {
        out.push_back({Token::kQuotedIdent, v});
      } else {
        out.push_back({Token::kBad, std::string(t.substr(p))});
        return out;
      }
    } else if (c == '$' && !prev_is_ident(p) && p + 1 < n && !is_digit(static_cast<unsigned char>(t[p + 1]))) {
      std::string v;
      std::size_t q = p;
      if (read_dollar_quoted(t, q, v)) {
        out.push_back({Token::kDollar, v});
        p = q;
      } else {
        out.push_back({Token::kChar, "$"});
        ++p;
      }
    } else if (ident_start(c)) {
      std::size_t q = p;
      while (q < n && ident_cont(static_cast<unsigned char>(t[q]))) ++q;
      out.push_back({Token::kWord, std::string(t.substr(p, q - p))});
      p = q;
      ident_end = p;
    } else {
      out.push_back({Token::kChar, std::string(1, static_cast<char>(c))});
      ++p;
    }
  }
  return out;
}

}  // namespace pglex
