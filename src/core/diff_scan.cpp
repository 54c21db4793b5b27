#include "scribe/core/diff_scan.hpp"

#include "scribe/core/error.hpp"
#include "scribe/core/format.hpp"

#include <array>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

namespace scribe {

namespace {

// Character classes of psqlscan.l (bytes >= 0x80 count as letters there),
// looked up in a table: the scanner asks for every byte.
enum : unsigned char { kIdentStart = 1, kDigit = 2, kDollarSign = 4, kBlank = 8, kNewline = 16 };

constexpr std::array<unsigned char, 256> make_classes() {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80) t[c] |= kIdentStart;
    if (c >= '0' && c <= '9') t[c] |= kDigit;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') t[c] |= kBlank;
    if (c == '\n' || c == '\r') t[c] |= kNewline;
  }
  t['$'] |= kDollarSign;
  return t;
}
constexpr std::array<unsigned char, 256> kClasses = make_classes();

inline bool is_newline(unsigned char c) { return kClasses[c] & kNewline; }
inline bool is_blank(unsigned char c) { return kClasses[c] & kBlank; }
inline bool is_digit(unsigned char c) { return kClasses[c] & kDigit; }
inline bool is_ident_start(unsigned char c) { return kClasses[c] & kIdentStart; }
inline bool is_dolq_cont(unsigned char c) { return kClasses[c] & (kIdentStart | kDigit); }  // also psql's variable_char
inline bool is_ident_cont(unsigned char c) { return kClasses[c] & (kIdentStart | kDigit | kDollarSign); }

unsigned char ascii_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c; }

// ---- Header comment lines ----

std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t max) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(ch - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// The value of `key=` among the blank-separated words of `fields` (the first
// if repeated); nullopt when absent or empty. Unknown keys are allowed so
// that a later writer can add fields.
std::optional<std::string_view> field(std::string_view fields, std::string_view key) {
  std::size_t i = 0;
  while (i < fields.size()) {
    while (i < fields.size() && (fields[i] == ' ' || fields[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < fields.size() && fields[j] != ' ' && fields[j] != '\t') ++j;
    const std::string_view word = fields.substr(i, j - i);
    if (word.size() > key.size() && word.compare(0, key.size(), key) == 0 && word[key.size()] == '=') {
      const std::string_view value = word.substr(key.size() + 1);
      if (value.empty()) return std::nullopt;
      return value;
    }
    i = j;
  }
  return std::nullopt;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

constexpr std::string_view kTxHeader = "-- scribe ";
constexpr std::string_view kFileHeader = "-- pg_scribe diff ";
constexpr std::string_view kTrailer = "-- pg_scribe sealed ";

std::optional<DiffTransaction> parse_tx_header(std::string_view line) {
  if (!starts_with(line, kTxHeader)) return std::nullopt;
  const std::string_view rest = line.substr(kTxHeader.size());
  const auto xid_text = field(rest, "xid");
  const auto lsn_text = field(rest, "lsn");
  const auto commit_text = field(rest, "commit");
  if (!xid_text || !lsn_text || !commit_text) return std::nullopt;
  const auto xid = parse_unsigned(*xid_text, std::numeric_limits<std::uint32_t>::max());
  const auto lsn = parse_lsn(*lsn_text);
  if (!xid || !lsn) return std::nullopt;
  DiffTransaction tx;
  tx.xid = static_cast<std::uint32_t>(*xid);
  tx.commit_lsn = *lsn;
  tx.commit_time.assign(commit_text->data(), commit_text->size());
  return tx;
}

// Updates `info` from a file header or trailer line; false for other lines.
bool parse_file_comment(std::string_view line, DiffFileInfo& info) {
  if (starts_with(line, kFileHeader)) {
    const std::string_view rest = line.substr(kFileHeader.size());
    const auto chain = field(rest, "chain");
    const auto start_text = field(rest, "start_lsn");
    if (!chain || !start_text) return false;
    const auto start = parse_lsn(*start_text);
    if (!start) return false;
    if (!info.has_start) {  // a file has one header; a second is not the file's
      info.chain_id.assign(chain->data(), chain->size());
      info.start_lsn = *start;
      info.has_start = true;
    }
    return true;
  }
  if (starts_with(line, kTrailer)) {
    const std::string_view rest = line.substr(kTrailer.size());
    const auto end_text = field(rest, "end_lsn");
    const auto count_text = field(rest, "transactions");
    if (!end_text || !count_text) return false;
    const auto end = parse_lsn(*end_text);
    const auto count = parse_unsigned(*count_text, std::numeric_limits<std::uint64_t>::max());
    if (!end || !count) return false;
    info.sealed = true;
    info.end_lsn = *end;
    info.sealed_transactions = *count;
    return true;
  }
  return false;
}

}  // namespace

DiffScanner::DiffScanner(TransactionCallback on_transaction) : on_transaction_(std::move(on_transaction)) {}

void DiffScanner::feed(const char* data, std::size_t len) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  std::size_t i = 0;
  while (i < len) {
    const std::size_t run = scan_run(p + i, len - i);
    if (run != 0) {
      i += run;
      pos_ += run;
      prev_byte_ = p[i - 1];
      if (i == len) break;
    }
    step(p[i]);
    ++i;
    if (event_ != Event::kNone) emit();  // the scanner's state is past the byte
  }
}

void DiffScanner::finish() {
  if (deliver_pending_) deliver(false);
  if (lex_ == Lex::kMetaLine) {
    lex_ = Lex::kNormal;
    meta_end_ = pos_;
    event_ = Event::kMetaLine;
    emit();
  } else if (in_copy_data()) {
    // A "\." line cut short of its newline still ends the data (psql sends
    // it, and the server takes it as the end marker).
    const bool terminated = lex_ == Lex::kCopyDot || lex_ == Lex::kCopyDotCR;
    if (lex_ == Lex::kCopyRest) copy_start_ = copy_line_start_ = pos_;
    end_copy_data(terminated ? copy_line_start_ : pos_, pos_, terminated);
    emit();
  }
}

void DiffScanner::begin_copy_data() {
  if (!in_statement_callback_)
    throw Error(sqlstate::kInternalError, "DiffScanner::begin_copy_data() called outside the statement callback");
  if (in_copy_data()) return;
  lex_ = Lex::kCopyRest;
  copy_start_ = copy_line_start_ = pos_;
  clean_end_ = clean_before_stmt_;  // the COPY is complete only with its data
}

// Runs the callback of the event the last byte completed.
void DiffScanner::emit() {
  const Event event = event_;
  event_ = Event::kNone;
  switch (event) {
    case Event::kNone:
      break;
    case Event::kStatement:
      if (on_statement_) {
        struct Reset {
          bool& flag;
          ~Reset() { flag = false; }
        } reset{in_statement_callback_};
        in_statement_callback_ = true;
        on_statement_(statement_);
      }
      break;
    case Event::kMetaLine:
      if (on_meta_) on_meta_(meta_start_, meta_end_);
      break;
    case Event::kCopyData:
      if (on_copy_data_) on_copy_data_(copy_start_, copy_end_, copy_resume_);
      break;
    case Event::kCommentLine:
      if (on_comment_line_) on_comment_line_(comment_start_, comment_line_end_, line_, !line_overflow_);
      break;
  }
}

// Most bytes (inside strings, comments and words, whitespace) leave the
// state as it is or change it in a simple way: take runs of them at once.
// Returns how many bytes at `p` it took; step() does the rest.
std::size_t DiffScanner::scan_run(const unsigned char* p, std::size_t len) {
  if (deliver_pending_) return 0;
  const auto find1 = [&](unsigned char stop) -> std::size_t {
    const void* hit = std::memchr(p, stop, len);
    return hit ? static_cast<std::size_t>(static_cast<const unsigned char*>(hit) - p) : len;
  };
  const auto find2 = [&](unsigned char a, unsigned char b) -> std::size_t {
    std::size_t i = 0;
    while (i < len && p[i] != a && p[i] != b) ++i;
    return i;
  };
  const auto span = [&](auto member) -> std::size_t {
    std::size_t i = 0;
    while (i < len && member(p[i])) ++i;
    return i;
  };
  switch (lex_) {
    case Lex::kStdString:
      return find1('\'');
    case Lex::kEString:
      return find2('\'', '\\');
    case Lex::kQuotedIdent:
      return find1('"');
    case Lex::kDollarQuote:
      return dollar_match_ == kNoMatch ? find1('$') : 0;
    case Lex::kBlockComment:
      return find2('*', '/');
    case Lex::kLineComment:
      return capture_ ? 0 : find2('\n', '\r');
    case Lex::kWord: {
      const std::size_t n = span(is_ident_cont);
      for (std::size_t i = 0; i < n && word_len_ <= kWordMax; ++i) {
        if (word_len_ < kWordMax) word_[word_len_] = static_cast<char>(p[i]);
        ++word_len_;  // kWordMax + 1: too long for a keyword
      }
      return n;
    }
    case Lex::kJunk:
      return span(is_ident_cont);
    case Lex::kColonVar:
      return span(is_dolq_cont);
    case Lex::kParam:
    case Lex::kNumInt:
    case Lex::kNumFrac:
    case Lex::kNumExp:
      return span(is_digit);
    case Lex::kMetaLine:
    case Lex::kCopyRest:
    case Lex::kCopyLine:
      return find1('\n');
    case Lex::kNormal: {
      if (statement_settled()) return scan_settled(p, len);
      const std::size_t n = span(is_blank);
      if (n != 0 && !in_tx_ && !stmt_active_ && !pending_header_) clean_end_ = pos_ + n;
      return n;
    }
    default:
      return 0;
  }
}

// The fast path for the row changes that make up most of a diff: inside a
// statement once statement_settled(), a token changes nothing the scanner
// reports or decides on but the parenthesis depth (its words are past the
// two that make BEGIN; or COMMIT; and the four of psql's CREATE FUNCTION
// heuristic, which did not match). So whole tokens of the common kinds are
// taken here at once: blanks, one-byte operators and punctuation, words,
// plain numbers, '...' literals and "quoted identifiers", each only when
// the byte that ends it is in `p` too, so the state after it is kNormal
// again, exactly as step() would leave it. Anything else (';', a comment,
// $, :, \, E'...', a number glued to letters, a literal continued on the
// next line...) is left to step() at a token boundary. The counts of
// tokens and identifiers are not kept up here: past the thresholds above
// nothing reads them but their reset at the statement's end.
std::size_t DiffScanner::scan_settled(const unsigned char* p, std::size_t len) {
  std::size_t i = 0;
  // Offset of the first byte at or after `from` that closes a literal
  // opened by `quote` (a doubled quote is a quote inside it); 0 when it is
  // not decided within `p` (what follows the quote decides).
  const auto closing = [&](std::size_t from, unsigned char quote) -> std::size_t {
    while (from < len) {
      const void* hit = std::memchr(p + from, quote, len - from);
      if (hit == nullptr) return 0;
      const std::size_t at = static_cast<std::size_t>(static_cast<const unsigned char*>(hit) - p);
      if (at + 1 >= len) return 0;
      if (p[at + 1] != quote) return at;
      from = at + 2;
    }
    return 0;
  };
  while (i < len) {
    const unsigned char c = p[i];
    const unsigned char next = i + 1 < len ? p[i + 1] : 0;
    const bool has_next = i + 1 < len;
    switch (c) {
      case ' ':
      case '\t':
      case '\n':
      case '\r':
      case '\f':
        ++i;
        continue;
      case '(':
        ++paren_depth_;
        ++i;
        continue;
      case ')':
        if (paren_depth_ > 0) --paren_depth_;
        ++i;
        continue;
      case '-':  // "--" opens a comment
        if (!has_next || next == '-') return i;
        ++i;
        continue;
      case '/':  // "/*" opens a comment
        if (!has_next || next == '*') return i;
        ++i;
        continue;
      case '.':  // ".5" is a number
        if (!has_next || is_digit(next)) return i;
        ++i;
        continue;
      case '"': {
        const std::size_t end = closing(i + 1, '"');
        if (end == 0) return i;
        i = end + 1;
        continue;
      }
      case '\'': {
        // After the closing quote, blanks then a '\r', '-' or quote may
        // continue the literal (kXqs): left to step().
        const std::size_t end = closing(i + 1, '\'');
        if (end == 0) return i;
        std::size_t after = end + 1;
        while (after < len && (p[after] == ' ' || p[after] == '\t' || p[after] == '\f')) ++after;
        if (after >= len || p[after] == '\r' || p[after] == '-' || p[after] == '\'') return i;
        i = after;
        continue;
      }
      case ';':
      case '$':
      case ':':
      case '\\':
        return i;
      default:
        break;
    }
    if (is_ident_start(c)) {
      // E'', B'', X'', N'' literals and U&'' are step()'s; a prefix letter
      // before anything else starts a word as any letter does.
      const unsigned char lower = ascii_lower(c);
      if ((lower == 'e' || lower == 'b' || lower == 'x' || lower == 'n') && (!has_next || next == '\'')) return i;
      if (lower == 'u' && (!has_next || next == '&')) return i;
      std::size_t end = i + 1;
      while (end < len && is_ident_cont(p[end])) ++end;
      if (end >= len) return i;
      i = end;
      continue;
    }
    if (is_digit(c)) {
      // Digits, maybe '.' and digits; an exponent, "1..", or letters glued
      // on are step()'s.
      std::size_t end = i + 1;
      while (end < len && is_digit(p[end])) ++end;
      if (end < len && p[end] == '.') {
        if (end + 1 >= len || p[end + 1] == '.') return i;
        ++end;
        while (end < len && is_digit(p[end])) ++end;
      }
      if (end >= len || is_ident_start(p[end])) return i;
      i = end;
      continue;
    }
    ++i;  // an operator character or another byte: a token of its own
  }
  return i;
}

void DiffScanner::step(unsigned char c) {
  const std::uint64_t pos = pos_;
  if (deliver_pending_) deliver(c == '\n');
  while (lex(c, pos)) {
  }
  prev_byte_ = c;
  pos_ = pos + 1;
}

void DiffScanner::deliver(bool newline) {
  deliver_pending_ = false;
  if (newline) ++last_->end_offset;
  if (on_transaction_) on_transaction_(*last_);
}

bool DiffScanner::lex(unsigned char c, std::uint64_t pos) {
  switch (lex_) {
    case Lex::kNormal:
      return lex_normal(c, pos);
    case Lex::kWord:
    case Lex::kJunk:
    case Lex::kPrefix:
    case Lex::kPrefixU:
    case Lex::kPrefixUAmp:
      return lex_word(c);
    case Lex::kDash:
    case Lex::kSlash:
    case Lex::kDot:
    case Lex::kColon:
    case Lex::kColonVar:
      return lex_punctuation(c);
    case Lex::kDollar:
    case Lex::kDollarTag:
    case Lex::kDollarQuote:
      return lex_dollar(c);
    case Lex::kLineComment:
    case Lex::kBlockComment:
    case Lex::kBlockStar:
    case Lex::kBlockSlash:
      return lex_comment(c, pos);
    case Lex::kStdString:
    case Lex::kStdQuote:
    case Lex::kEString:
    case Lex::kEBackslash:
    case Lex::kEQuote:
    case Lex::kXqs:
    case Lex::kXqsDash:
    case Lex::kXqsComment:
      return lex_string(c, pos);
    case Lex::kQuotedIdent:
    case Lex::kQuotedIdentQuote:
      return lex_quoted_identifier(c);
    case Lex::kMetaLine:
      return lex_meta_line(c, pos);
    case Lex::kParam:
    case Lex::kNumInt:
    case Lex::kNumDot:
    case Lex::kNumFrac:
    case Lex::kNumE:
    case Lex::kNumESign:
    case Lex::kNumExp:
      return lex_number(c);
    case Lex::kCopyRest:
    case Lex::kCopyLineStart:
    case Lex::kCopyBackslash:
    case Lex::kCopyDot:
    case Lex::kCopyDotCR:
    case Lex::kCopyLine:
      return lex_copy(c, pos);
  }
  return false;
}

// Outside any token: what the byte starts.
bool DiffScanner::lex_normal(unsigned char c, std::uint64_t pos) {
  switch (lex_) {
    case Lex::kNormal:
      switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case '\f':
          if (!in_tx_ && !stmt_active_ && !pending_header_) clean_end_ = pos + 1;
          return false;
        case '-':
          lex_ = Lex::kDash;
          token_start_ = pos;
          dash_at_line_start_ = is_newline(prev_byte_);
          return false;
        case '/':
          lex_ = Lex::kSlash;
          token_start_ = pos;
          return false;
        case '\'':
          token(pos);
          escape_string_ = false;
          lex_ = Lex::kStdString;
          return false;
        case '"':
          token(pos);
          lex_ = Lex::kQuotedIdent;
          return false;
        case '$':
          lex_ = Lex::kDollar;
          token_start_ = pos;
          return false;
        case '.':
          lex_ = Lex::kDot;
          token_start_ = pos;
          return false;
        case ':':
          token(pos);
          lex_ = Lex::kColon;
          return false;
        case '(':
          token(pos);
          ++paren_depth_;
          return false;
        case ')':
          token(pos);
          if (paren_depth_ > 0) --paren_depth_;
          return false;
        case ';':
          semicolon(pos);
          return false;
        case '\\':
          if (stmt_active_) {
            if (!backslash_in_statement_) backslash_in_statement_ = pos;
            token(pos);  // psql would run a meta-command; the server rejects the statement
            return false;
          }
          lex_ = Lex::kMetaLine;
          meta_start_ = pos;
          if (!in_tx_) pending_header_.reset();  // a header is followed by blank lines at most
          return false;
        case 'e':
        case 'E':
        case 'b':
        case 'B':
        case 'x':
        case 'X':
        case 'n':
        case 'N':
          lex_ = Lex::kPrefix;
          prefix_ = c;
          token_start_ = pos;
          return false;
        case 'u':
        case 'U':
          lex_ = Lex::kPrefixU;
          prefix_ = c;
          token_start_ = pos;
          return false;
        default:
          if (is_ident_start(c)) {
            begin_word(pos);
            word_[word_len_++] = static_cast<char>(c);
            lex_ = Lex::kWord;
          } else if (is_digit(c)) {
            token(pos);
            lex_ = Lex::kNumInt;
          } else {
            token(pos);  // an operator character or anything else
          }
          return false;
      }

    default:
      break;
  }
  return false;
}

// Identifiers and keywords, and the letters that may prefix a string
// (E'', B'', X'', N'', U&'').
bool DiffScanner::lex_word(unsigned char c) {
  switch (lex_) {
    case Lex::kWord:
      if (is_ident_cont(c)) {
        if (word_len_ < kWordMax) word_[word_len_] = static_cast<char>(c);
        if (word_len_ <= kWordMax) ++word_len_;  // kWordMax + 1: too long for a keyword
        return false;
      }
      end_word();
      lex_ = Lex::kNormal;
      return true;

    case Lex::kJunk:
      if (is_ident_cont(c)) return false;
      lex_ = Lex::kNormal;
      return true;

    case Lex::kPrefix:
      if (c == '\'') {
        token(token_start_);
        // N'' B'' X'' follow standard-string rules (for B'' and X'' a ''
        // ends the literal and opens another, which lexes the same way).
        escape_string_ = prefix_ == 'e' || prefix_ == 'E';
        lex_ = escape_string_ ? Lex::kEString : Lex::kStdString;
        return false;
      }
      begin_word(token_start_);
      word_[word_len_++] = static_cast<char>(prefix_);
      lex_ = Lex::kWord;
      return true;

    case Lex::kPrefixU:
      if (c == '&') {
        lex_ = Lex::kPrefixUAmp;
        return false;
      }
      begin_word(token_start_);
      word_[word_len_++] = static_cast<char>(prefix_);
      lex_ = Lex::kWord;
      return true;

    case Lex::kPrefixUAmp:
      token(token_start_);
      if (c == '\'') {
        escape_string_ = false;
        lex_ = Lex::kStdString;
        return false;
      }
      if (c == '"') {
        lex_ = Lex::kQuotedIdent;
        return false;
      }
      // psql's xufailed: "u" and "&" are tokens, "u" is no identifier.
      lex_ = Lex::kNormal;
      return true;

    default:
      break;
  }
  return false;
}

// A '-', '/', '.' or ':' whose meaning the next byte decides: a comment,
// a number, a cast or a psql variable reference.
bool DiffScanner::lex_punctuation(unsigned char c) {
  switch (lex_) {
    case Lex::kDash:
      if (c == '-') {
        start_comment(token_start_, true);
        lex_ = Lex::kLineComment;
        return false;
      }
      token(token_start_);
      lex_ = Lex::kNormal;
      return true;

    case Lex::kSlash:
      if (c == '*') {
        start_comment(token_start_, false);
        comment_depth_ = 0;
        lex_ = Lex::kBlockComment;
        return false;
      }
      token(token_start_);
      lex_ = Lex::kNormal;
      return true;

    case Lex::kDot:
      token(token_start_);
      lex_ = is_digit(c) ? Lex::kNumFrac : Lex::kNormal;
      return !is_digit(c);

    case Lex::kColon:
      // psql's own rules: "::" and ":=" are operators; :name is a variable
      // reference, so in :e'...' the quote opens a standard string.
      if (c == ':' || c == '=') {
        lex_ = Lex::kNormal;
        return false;
      }
      if (is_dolq_cont(c)) {
        ++variable_references_;
        lex_ = Lex::kColonVar;
        return false;
      }
      if (c == '\'' || c == '"' || c == '{') ++variable_references_;
      lex_ = Lex::kNormal;
      return true;

    case Lex::kColonVar:
      if (is_dolq_cont(c)) return false;
      lex_ = Lex::kNormal;
      return true;

    default:
      break;
  }
  return false;
}

// $1 parameters, $tag$ and $$ dollar quotes.
bool DiffScanner::lex_dollar(unsigned char c) {
  switch (lex_) {
    case Lex::kDollar:
      if (is_digit(c)) {
        token(token_start_);
        lex_ = Lex::kParam;
        return false;
      }
      if (c == '$') {
        token(token_start_);
        dollar_tag_.clear();
        dollar_match_ = kNoMatch;
        lex_ = Lex::kDollarQuote;
        return false;
      }
      if (is_ident_start(c)) {
        dollar_tag_.assign(1, static_cast<char>(c));
        lex_ = Lex::kDollarTag;
        return false;
      }
      token(token_start_);
      lex_ = Lex::kNormal;
      return true;

    case Lex::kDollarTag:
      if (is_dolq_cont(c)) {
        dollar_tag_.push_back(static_cast<char>(c));
        return false;
      }
      token(token_start_);
      if (c == '$') {
        dollar_match_ = kNoMatch;
        lex_ = Lex::kDollarQuote;
        return false;
      }
      {
        // psql's dolqfailed: only the '$' is taken; what followed is scanned
        // again from the start of a token ($e'... opens an E'' string).
        lex_ = Lex::kNormal;
        std::string tag;
        tag.swap(dollar_tag_);
        std::uint64_t at = token_start_ + 1;
        for (const char ch : tag) {
          while (lex(static_cast<unsigned char>(ch), at)) {
          }
          ++at;
        }
      }
      return true;

    case Lex::kDollarQuote:
      // The quote ends at the first "$tag$". A tag holds no '$', so every
      // '$' may start the closing delimiter.
      if (c == '$') {
        if (dollar_match_ == dollar_tag_.size()) {
          lex_ = Lex::kNormal;
          return false;
        }
        dollar_match_ = 0;
      } else if (dollar_match_ != kNoMatch) {
        if (dollar_match_ < dollar_tag_.size() && static_cast<unsigned char>(dollar_tag_[dollar_match_]) == c)
          ++dollar_match_;
        else
          dollar_match_ = kNoMatch;
      }
      return false;

    default:
      break;
  }
  return false;
}

// -- line comments (maybe a header line) and nested /* block comments */.
bool DiffScanner::lex_comment(unsigned char c, std::uint64_t pos) {
  switch (lex_) {
    case Lex::kLineComment:
      if (is_newline(c)) {
        lex_ = Lex::kNormal;
        end_line_comment(pos);
        return false;
      }
      if (capture_) {
        if (line_.size() < comment_line_max_)
          line_.push_back(static_cast<char>(c));
        else
          line_overflow_ = true;
      }
      return false;

    case Lex::kBlockComment:
      if (c == '*') lex_ = Lex::kBlockStar;
      if (c == '/') lex_ = Lex::kBlockSlash;
      return false;

    case Lex::kBlockStar:
      if (c == '*') return false;
      if (c == '/') {
        if (comment_depth_ == 0) {
          lex_ = Lex::kNormal;
          end_block_comment(pos);
          return false;
        }
        --comment_depth_;
      }
      lex_ = Lex::kBlockComment;
      return false;

    case Lex::kBlockSlash:
      if (c == '/') return false;
      if (c == '*') ++comment_depth_;
      lex_ = Lex::kBlockComment;
      return false;

    default:
      break;
  }
  return false;
}

// '...' and E'...' literals, and psql's rule for a literal continued
// after a '\r' (xqs).
bool DiffScanner::lex_string(unsigned char c, std::uint64_t pos) {
  switch (lex_) {
    case Lex::kStdString:
      if (c == '\'') lex_ = Lex::kStdQuote;
      return false;

    case Lex::kStdQuote:
      if (c == '\'') {
        lex_ = Lex::kStdString;
        return false;
      }
      lex_ = Lex::kXqs;
      xqs_newline_ = false;
      return true;

    case Lex::kEString:
      if (c == '\\') lex_ = Lex::kEBackslash;
      if (c == '\'') lex_ = Lex::kEQuote;
      return false;

    case Lex::kEBackslash:
      lex_ = Lex::kEString;
      return false;

    case Lex::kEQuote:
      if (c == '\'') {
        lex_ = Lex::kEString;
        return false;
      }
      lex_ = Lex::kXqs;
      xqs_newline_ = false;
      return true;

    case Lex::kXqs:
      // 'a'<blanks, a newline, blanks or -- comments>'b' is one literal,
      // scanned on in the first part's mode. But psql lexes a file line by
      // line without the '\n', so only a '\r' inside a line can join two
      // parts; after a '\n' a quote opens a new literal (where the server
      // would join them: the statement text still ends where psql ends it).
      if (c == ' ' || c == '\t' || c == '\f') return false;
      if (c == '\r') {
        xqs_newline_ = true;
        return false;
      }
      if (c == '-') {
        lex_ = Lex::kXqsDash;
        token_start_ = pos;
        return false;
      }
      if (c == '\'' && xqs_newline_) {
        lex_ = escape_string_ ? Lex::kEString : Lex::kStdString;
        return false;
      }
      lex_ = Lex::kNormal;
      return true;

    case Lex::kXqsDash:
      if (c == '-') {
        lex_ = Lex::kXqsComment;
        return false;
      }
      token(token_start_);
      lex_ = Lex::kNormal;
      return true;

    case Lex::kXqsComment:
      if (c == '\r') {
        xqs_newline_ = true;
        lex_ = Lex::kXqs;
      } else if (c == '\n') {
        lex_ = Lex::kNormal;
        return true;
      }
      return false;

    default:
      break;
  }
  return false;
}

// "quoted identifiers".
bool DiffScanner::lex_quoted_identifier(unsigned char c) {
  switch (lex_) {
    case Lex::kQuotedIdent:
      if (c == '"') lex_ = Lex::kQuotedIdentQuote;
      return false;

    case Lex::kQuotedIdentQuote:
      if (c == '"') {
        lex_ = Lex::kQuotedIdent;
        return false;
      }
      lex_ = Lex::kNormal;
      return true;

    default:
      break;
  }
  return false;
}

// A psql meta-command line, up to its newline.
bool DiffScanner::lex_meta_line(unsigned char c, std::uint64_t pos) {
  switch (lex_) {
    case Lex::kMetaLine:
      if (c == '\n') {
        lex_ = Lex::kNormal;
        meta_end_ = pos + 1;
        event_ = Event::kMetaLine;
        if (!in_tx_) clean_end_ = pos + 1;
      }
      return false;

    default:
      break;
  }
  return false;
}

// COPY data as psql reads it: line by line ('\n' ends a line), up to a line
// that is exactly "\." or "\.\r".
bool DiffScanner::lex_copy(unsigned char c, std::uint64_t pos) {
  if (c == '\n') {
    if (lex_ == Lex::kCopyDot || lex_ == Lex::kCopyDotCR) {
      end_copy_data(copy_line_start_, pos + 1, true);
      return false;
    }
    if (lex_ == Lex::kCopyRest) copy_start_ = pos + 1;
    copy_line_start_ = pos + 1;
    lex_ = Lex::kCopyLineStart;
    return false;
  }
  switch (lex_) {
    case Lex::kCopyLineStart:
      lex_ = c == '\\' ? Lex::kCopyBackslash : Lex::kCopyLine;
      break;
    case Lex::kCopyBackslash:
      lex_ = c == '.' ? Lex::kCopyDot : Lex::kCopyLine;
      break;
    case Lex::kCopyDot:
      lex_ = c == '\r' ? Lex::kCopyDotCR : Lex::kCopyLine;
      break;
    case Lex::kCopyDotCR:
      lex_ = Lex::kCopyLine;
      break;
    default:  // kCopyRest, kCopyLine
      break;
  }
  return false;
}

void DiffScanner::end_copy_data(std::uint64_t data_end, std::uint64_t resume, bool terminated) {
  lex_ = Lex::kNormal;
  copy_end_ = data_end;
  copy_resume_ = resume;
  event_ = Event::kCopyData;
  if (terminated && !in_tx_) clean_end_ = resume;
}

// Numbers as psql reads them (the same since PostgreSQL 15): where a number
// ends decides whether a following e', $ or $tag$ opens a quote. An
// identifier glued to a number is "junk" taken with it by longest match:
// 1e'x' is 1e then 'x', and 1e5$$ is one token ("1" + identifier "e5$$"),
// while 1e+5$$ is 1e+5 then $$.
bool DiffScanner::lex_number(unsigned char c) {
  switch (lex_) {
    case Lex::kParam:  // $1
      if (is_digit(c)) return false;
      break;
    case Lex::kNumInt:
      if (is_digit(c)) return false;
      if (c == '.') {
        lex_ = Lex::kNumDot;
        return false;
      }
      if (c == 'e' || c == 'E') {
        lex_ = Lex::kNumE;
        return false;
      }
      break;
    case Lex::kNumDot:
      if (c == '.') {  // 1.. is 1 then ".."
        lex_ = Lex::kNormal;
        return false;
      }
      lex_ = Lex::kNumFrac;
      return true;
    case Lex::kNumFrac:
      if (is_digit(c)) return false;
      if (c == 'e' || c == 'E') {
        lex_ = Lex::kNumE;
        return false;
      }
      break;
    case Lex::kNumE:
      // Unsigned exponent digits also continue the identifier "e...".
      if (c == '+' || c == '-') {
        lex_ = Lex::kNumESign;
        return false;
      }
      if (is_ident_cont(c)) {
        lex_ = Lex::kJunk;
        return false;
      }
      lex_ = Lex::kNormal;
      return true;
    case Lex::kNumESign:  // 1e+ without digits: the sign is still taken
      lex_ = is_digit(c) ? Lex::kNumExp : Lex::kNormal;
      return !is_digit(c);
    case Lex::kNumExp:
      if (is_digit(c)) return false;
      break;
    default:
      break;
  }
  if (is_ident_start(c)) {
    lex_ = Lex::kJunk;
    return false;
  }
  lex_ = Lex::kNormal;
  return true;
}

void DiffScanner::start_statement(std::uint64_t start) {
  stmt_active_ = true;
  stmt_start_ = start;
  stmt_tokens_ = 0;
  stmt_words_only_ = true;
  stmt_kw_[0] = stmt_kw_[1] = Keyword::kOther;
}

void DiffScanner::token(std::uint64_t start) {
  if (!stmt_active_) start_statement(start);
  if (stmt_tokens_ < std::numeric_limits<std::uint32_t>::max()) ++stmt_tokens_;
  stmt_words_only_ = false;
}

void DiffScanner::begin_word(std::uint64_t start) {
  if (!stmt_active_) start_statement(start);
  word_index_ = stmt_tokens_;
  if (stmt_tokens_ < std::numeric_limits<std::uint32_t>::max()) ++stmt_tokens_;
  word_len_ = 0;
}

bool DiffScanner::counts_begin_end() const {
  return identifiers_[0] == 'c' &&
         (identifiers_[1] == 'f' || identifiers_[1] == 'p' ||
          (identifiers_[1] == 'o' && identifiers_[2] == 'r' && (identifiers_[3] == 'f' || identifiers_[3] == 'p')));
}

bool DiffScanner::statement_settled() const {
  return stmt_active_ && stmt_tokens_ >= 3 && identifier_count_ >= sizeof identifiers_ && !counts_begin_end();
}

void DiffScanner::end_word() {
  if (word_index_ >= 2 && statement_settled()) {
    // Nothing about this word matters any more (see scan_settled()).
    if (identifier_count_ < std::numeric_limits<std::uint32_t>::max()) ++identifier_count_;
    return;
  }
  Keyword kw = Keyword::kOther;
  if (word_len_ >= 2 && word_len_ <= 11) {
    char lower[kWordMax];
    for (std::size_t i = 0; i < word_len_; ++i)
      lower[i] = static_cast<char>(ascii_lower(static_cast<unsigned char>(word_[i])));
    const std::string_view w(lower, word_len_);
    switch (lower[0]) {
      case 'b':
        if (w == "begin") kw = Keyword::kBegin;
        break;
      case 'c':
        if (w == "commit") kw = Keyword::kCommit;
        if (w == "create") kw = Keyword::kCreate;
        if (w == "case") kw = Keyword::kCase;
        break;
      case 'e':
        if (w == "end") kw = Keyword::kEnd;
        break;
      case 'f':
        if (w == "function") kw = Keyword::kFunction;
        break;
      case 'o':
        if (w == "or") kw = Keyword::kOr;
        break;
      case 'p':
        if (w == "procedure") kw = Keyword::kProcedure;
        break;
      case 'r':
        if (w == "replace") kw = Keyword::kReplace;
        break;
      case 't':
        if (w == "transaction") kw = Keyword::kTransaction;
        break;
      case 'w':
        if (w == "work") kw = Keyword::kWork;
        break;
      default:
        break;
    }
  }

  // psqlscan.l's heuristic, step for step: note the first identifiers of
  // the statement and count BEGIN/CASE ... END only once it reads
  // CREATE [OR REPLACE] FUNCTION|PROCEDURE, outside parentheses.
  if (identifier_count_ == 0) std::memset(identifiers_, 0, sizeof identifiers_);
  if (kw == Keyword::kCreate || kw == Keyword::kFunction || kw == Keyword::kProcedure || kw == Keyword::kOr ||
      kw == Keyword::kReplace) {
    if (identifier_count_ < sizeof identifiers_)
      identifiers_[identifier_count_] = static_cast<char>(ascii_lower(static_cast<unsigned char>(word_[0])));
  }
  if (identifier_count_ < std::numeric_limits<std::uint32_t>::max()) ++identifier_count_;
  if (counts_begin_end() && paren_depth_ == 0) {
    if (kw == Keyword::kBegin) {
      ++begin_depth_;
    } else if (kw == Keyword::kCase) {
      if (begin_depth_ >= 1) ++begin_depth_;  // CASE also ends with END
    } else if (kw == Keyword::kEnd) {
      if (begin_depth_ > 0) --begin_depth_;
    }
  }

  if (word_index_ < 2) stmt_kw_[word_index_] = kw;
}

void DiffScanner::semicolon(std::uint64_t pos) {
  if (!stmt_active_) start_statement(pos);  // an empty statement
  if (paren_depth_ != 0 || begin_depth_ != 0) {
    token(pos);
    return;
  }
  identifier_count_ = 0;
  end_statement(pos + 1);
}

// BEGIN; or COMMIT; with an optional WORK or TRANSACTION, in any case.
bool DiffScanner::statement_is(Keyword first) const {
  if (!stmt_words_only_ || stmt_kw_[0] != first) return false;
  return stmt_tokens_ == 1 ||
         (stmt_tokens_ == 2 && (stmt_kw_[1] == Keyword::kWork || stmt_kw_[1] == Keyword::kTransaction));
}

void DiffScanner::end_statement(std::uint64_t end) {
  stmt_active_ = false;
  statement_.start = stmt_start_;
  statement_.end = end;
  statement_.in_transaction = in_tx_;
  event_ = Event::kStatement;
  clean_before_stmt_ = clean_end_;
  if (in_tx_) {
    if (!statement_is(Keyword::kCommit)) return;
    in_tx_ = false;
    tx_.end_offset = end;
    ++transactions_;
    last_ = std::move(tx_);
    tx_ = DiffTransaction{};
    clean_end_ = end;
    // The callback waits for the next byte: a newline there belongs to the
    // transaction, so cutting at end_offset leaves whole lines.
    deliver_pending_ = true;
    return;
  }
  if (statement_is(Keyword::kBegin)) {
    in_tx_ = true;
    statement_.in_transaction = true;
    if (pending_header_) {
      tx_ = std::move(*pending_header_);
      pending_header_.reset();
    } else {
      tx_ = DiffTransaction{};
      tx_.begin_offset = stmt_start_;
    }
    return;
  }
  pending_header_.reset();  // a header line not followed by BEGIN; is just a comment
  clean_end_ = end;
}

void DiffScanner::start_comment(std::uint64_t start, bool line) {
  comment_top_ = !in_tx_ && !stmt_active_;
  comment_start_ = start;
  capture_ = false;
  if (!comment_top_) return;
  // A header line followed by a comment is no transaction's. clean_end_
  // stays before it all the same until this comment is complete: a file cut
  // just after a header line must read as torn again when scanned anew.
  pending_header_.reset();
  if (line && dash_at_line_start_) {
    capture_ = true;
    line_overflow_ = false;
    line_.assign("--");
  }
}

void DiffScanner::end_line_comment(std::uint64_t newline_pos) {
  if (!comment_top_) return;
  if (capture_) {
    capture_ = false;
    comment_line_end_ = newline_pos + 1;
    event_ = Event::kCommentLine;
    if (!line_overflow_) {
      if (auto header = parse_tx_header(line_)) {
        header->begin_offset = comment_start_;
        pending_header_ = std::move(header);
        return;  // clean_end_ stays before the header until its COMMIT;
      }
      parse_file_comment(line_, info_);
    }
  }
  clean_end_ = newline_pos + 1;
}

std::optional<std::uint64_t> DiffScanner::statement_start() const {
  if (!stmt_active_) return std::nullopt;
  return stmt_start_;
}

std::optional<std::uint64_t> DiffScanner::comment_line_start() const {
  if (lex_ == Lex::kLineComment && capture_) return comment_start_;
  if (lex_ == Lex::kDash && dash_at_line_start_ && !in_tx_ && !stmt_active_) return token_start_;
  return std::nullopt;
}

void DiffScanner::end_block_comment(std::uint64_t pos) {
  if (comment_top_) clean_end_ = pos + 1;
}

}  // namespace scribe
