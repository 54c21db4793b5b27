// Streaming scanner for diff files: finds where each transaction starts and
// ends, and where a file cut short by a crash ("torn tail") must be cut,
// without holding the file in memory (state is a few dozen bytes plus the
// current header line, at most 1 KiB, and the current $tag$ of a dollar
// quote).
//
// A diff file is run by psql, so statements end where psql's lexer
// (src/fe_utils/psqlscan.l) ends them: at a ';' outside quotes, comments,
// parentheses and SQL-standard function bodies (BEGIN ATOMIC ... END). The
// scanner follows those rules byte by byte, including the corners that
// decide whether a quote opens: E'...' only when the E starts a token,
// $tag$ but not $1 or a$b, numbers with identifier characters glued on
// (1e5$$ is one token), psql's :name variable references, and psql lexing
// a file line by line (so 'a'<newline>'b' is two literals for psql, where
// the server would join them). Checked against psql 15 on random input.
// Values in a file are adversarial, so nothing is matched on raw text:
// `COMMIT;` or a header-looking line inside a string, comment or quoted
// identifier is data. Not followed: psql backslash commands and :{?name},
// which only appear outside quotes in text the server would reject.
//
// The structure the scanner recognises (everything else is carried along):
//   -- pg_scribe diff chain=<id> start_lsn=<X/Y>          file header
//   -- scribe xid=<n> lsn=<X/Y> commit=<time>              transaction header
//   BEGIN; ... COMMIT;                                      a transaction
//   -- pg_scribe sealed end_lsn=<X/Y> transactions=<n>     trailer
// Header comments count only on a line of their own (the "--" in column 0)
// between top-level statements outside a transaction; malformed ones are
// ordinary comments. A transaction header is followed by BEGIN; after
// blank lines at most, or it is an ordinary comment. BEGIN and COMMIT may
// carry WORK or TRANSACTION, in any case. Inside a transaction only COMMIT
// ends it: END; ... START TRANSACTION; around a non-transactional
// statement does not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace scribe {

struct DiffTransaction {
  std::uint32_t xid = 0;           // from the header (0 if no header)
  std::uint64_t commit_lsn = 0;    // lsn= of the header (0 if none)
  std::string commit_time;         // commit= text of the header ("" if none)
  std::uint64_t begin_offset = 0;  // first byte of the header line (or of BEGIN; when no header)
  std::uint64_t end_offset = 0;    // just past "COMMIT;" and the newline that follows it, if present
};

struct DiffFileInfo {  // from the top-level comments outside transactions
  std::string chain_id;
  std::uint64_t start_lsn = 0;
  bool has_start = false;  // a file header was read (the first one counts)
  bool sealed = false;     // a trailer was read (the last one counts)
  std::uint64_t end_lsn = 0;
  std::uint64_t sealed_transactions = 0;
};

class DiffScanner {
 public:
  using TransactionCallback = std::function<void(const DiffTransaction&)>;

  explicit DiffScanner(TransactionCallback on_transaction = nullptr);

  // Scans the next bytes of the file; any chunking gives the same results.
  // The callback runs once per transaction, when the byte after its COMMIT;
  // arrives (that byte decides whether end_offset takes a newline) or at
  // finish(). If it throws, the exception propagates with bytes_fed() just
  // before the byte being scanned, so feeding on from there loses nothing.
  void feed(const char* data, std::size_t len);

  // End of input: delivers a transaction whose COMMIT; is the last byte.
  // Feeding may go on afterwards (e.g. a file still being written).
  void finish();

  std::uint64_t bytes_fed() const { return pos_; }

  // Offset just past the last complete top-level unit: the last complete
  // transaction, or a complete statement, comment (a "--" comment with its
  // newline) or whitespace outside any transaction; where a torn file must
  // be cut. A transaction header line belongs to the transaction after it,
  // so clean_end() stays before it until its COMMIT;.
  std::uint64_t clean_end() const { return clean_end_; }

  bool in_transaction() const { return in_tx_; }  // inside BEGIN; ... not yet COMMIT;

  // Nothing pending: not inside a quote, comment, statement, transaction or
  // after a header line still waiting for its BEGIN;.
  bool at_clean_end() const { return pos_ == clean_end_; }

  // Complete transactions so far, counted at their COMMIT; (the callback
  // may still be pending, see feed()).
  std::uint64_t transactions() const { return transactions_; }
  const std::optional<DiffTransaction>& last_transaction() const { return last_; }

  const DiffFileInfo& info() const { return info_; }

 private:
  // Lexer states: psqlscan.l's exclusive states plus the one-byte lookahead
  // its longest-match rules need (is this 'e' the start of E'...'?).
  enum class Lex : std::uint8_t {
    kNormal,
    kWord,     // identifier, counted for psql's CREATE FUNCTION heuristic
    kJunk,     // identifier characters glued to a number: not an identifier
    kPrefix,   // e/b/x/n at a token start: E'...' or an identifier?
    kPrefixU,  // u at a token start: U&'...'?
    kPrefixUAmp,
    kDash,   // '-': "--" comment?
    kSlash,  // '/': "/*" comment?
    kDot,    // '.': a number like .5?
    kColon,  // ':': "::", ":=" or a psql variable reference
    kColonVar,
    kDollar,  // '$': $$, $tag$ or $1?
    kDollarTag,
    kParam,
    kNumInt,
    kNumDot,
    kNumFrac,
    kNumE,
    kNumESign,
    kNumExp,
    kLineComment,
    kBlockComment,
    kBlockStar,
    kBlockSlash,
    kStdString,  // '...', B'', X'', N'', U&'' (backslash is literal)
    kStdQuote,
    kEString,  // E'...' (backslash escapes)
    kEBackslash,
    kEQuote,
    kXqs,  // after a closing quote: continued by newline + quote?
    kXqsDash,
    kXqsComment,
    kQuotedIdent,
    kQuotedIdentQuote,
    kDollarQuote,
  };

  // Words that matter: for BEGIN;/COMMIT; and psql's BEGIN ATOMIC tracking.
  enum class Keyword : std::uint8_t {
    kOther,
    kBegin,
    kCommit,
    kWork,
    kTransaction,
    kCreate,
    kFunction,
    kProcedure,
    kOr,
    kReplace,
    kCase,
    kEnd,
  };

  static constexpr std::size_t kWordMax = 16;           // longer words are no keyword
  static constexpr std::size_t kCommentLineMax = 1024;  // longer comment lines are no header
  static constexpr std::size_t kNoMatch = static_cast<std::size_t>(-1);

  void step(unsigned char c);
  bool lex(unsigned char c, std::uint64_t pos);  // true: scan `c` again in the new state
  bool lex_number(unsigned char c);
  std::size_t scan_run(const unsigned char* p, std::size_t len);

  void token(std::uint64_t start);
  void begin_word(std::uint64_t start);
  void end_word();
  void start_statement(std::uint64_t start);
  void semicolon(std::uint64_t pos);
  void end_statement(std::uint64_t end);
  bool statement_is(Keyword first) const;
  void start_comment(std::uint64_t start, bool line);
  void end_line_comment(std::uint64_t newline_pos);
  void end_block_comment(std::uint64_t pos);
  void deliver(bool newline);

  TransactionCallback on_transaction_;

  std::uint64_t pos_ = 0;
  std::uint64_t clean_end_ = 0;

  // Lexer.
  Lex lex_ = Lex::kNormal;
  unsigned char prev_byte_ = '\n';  // offset 0 is a line start
  std::uint64_t token_start_ = 0;   // of the token a lookahead state is deciding
  bool dash_at_line_start_ = false;
  unsigned char prefix_ = 0;
  bool escape_string_ = false;  // the string being scanned (or just closed) is E'...'
  bool xqs_newline_ = false;
  std::uint32_t comment_depth_ = 0;
  std::string dollar_tag_;
  std::size_t dollar_match_ = kNoMatch;  // chars of dollar_tag_ matched after a '$' in a dollar quote
  char word_[kWordMax] = {};
  std::size_t word_len_ = 0;
  std::uint32_t word_index_ = 0;

  // psql's statement-end rules: ';' ends a statement only at paren_depth 0
  // and begin_depth 0; begin_depth counts BEGIN/CASE ... END in a statement
  // that starts CREATE [OR REPLACE] FUNCTION|PROCEDURE.
  std::uint32_t paren_depth_ = 0;
  std::uint32_t begin_depth_ = 0;
  std::uint32_t identifier_count_ = 0;
  char identifiers_[4] = {};

  // The statement being scanned.
  bool stmt_active_ = false;
  std::uint64_t stmt_start_ = 0;
  std::uint32_t stmt_tokens_ = 0;
  bool stmt_words_only_ = true;
  Keyword stmt_kw_[2] = {Keyword::kOther, Keyword::kOther};

  // The comment being scanned.
  bool comment_top_ = false;  // a top-level unit outside a transaction
  bool capture_ = false;      // a line comment in column 0 there: maybe a header
  bool line_overflow_ = false;
  std::uint64_t comment_start_ = 0;
  std::string line_;

  // Transactions.
  bool in_tx_ = false;
  DiffTransaction tx_;
  std::optional<DiffTransaction> pending_header_;  // header line read, BEGIN; not yet
  std::uint64_t transactions_ = 0;
  std::optional<DiffTransaction> last_;
  bool deliver_pending_ = false;

  DiffFileInfo info_;
};

}  // namespace scribe
