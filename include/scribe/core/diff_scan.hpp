// Streaming scanner for the SQL scripts a restore runs: diff files and
// pg_dump's plain-format output (base.sql, globals.sql). It finds where each
// transaction of a diff file starts and ends, and where a file cut short by
// a crash ("torn tail") must be cut; and, for a client that runs a script
// itself instead of handing it to psql, where each statement, COPY data and
// psql meta-command line is. It never holds the file in memory (state is a
// few dozen bytes plus the current header line, at most 1 KiB, and the
// current $tag$ of a dollar quote).
//
// These scripts are written for psql, so statements end where psql's lexer
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
// identifier is data. Not followed: :{?name}, which only appears outside
// quotes in text the server would reject.
//
// A backslash outside quotes starts a psql meta-command. Between statements
// the scanner takes it with the rest of its line as a meta-command line
// (pg_dump writes \connect and \restrict): never SQL, and a client must see
// it so as never to run it, since files are untrusted. Inside a statement
// psql would run a meta-command too; the scanner leaves the backslash in
// the statement, whose text the server then rejects.
//
// COPY ... FROM stdin reads its data from the lines after the statement's
// line up to a line "\." or the end of input, psql's rule (psql would run
// the rest of the statement's line after the data; the scanner skips it,
// pg_dump never writes any). Only the client knows which statements are such a
// COPY (its text is the client's to parse), so it says so with
// begin_copy_data() from the statement callback. Data is not lexed: its
// quotes, dashes and semicolons are values.
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
#include <utility>

namespace scribe {

struct DiffTransaction {
  std::uint32_t xid = 0;           // from the header (0 if no header)
  std::uint64_t commit_lsn = 0;    // lsn= of the header (0 if none)
  std::string commit_time;         // commit= text of the header ("" if none)
  std::uint64_t begin_offset = 0;  // first byte of the header line (or of BEGIN; when no header)
  std::uint64_t end_offset = 0;    // just past "COMMIT;" and the newline that follows it, if present
};

struct DiffStatement {
  std::uint64_t start = 0;      // first byte of its first token (not the blanks or comments before)
  std::uint64_t end = 0;        // just past its ';'
  bool in_transaction = false;  // within a transaction's bytes: BEGIN; and COMMIT; included
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
  using StatementCallback = std::function<void(const DiffStatement&)>;
  using CopyDataCallback = std::function<void(std::uint64_t data_start, std::uint64_t data_end, std::uint64_t resume)>;
  using MetaCommandCallback = std::function<void(std::uint64_t start, std::uint64_t end)>;
  using CommentLineCallback =
      std::function<void(std::uint64_t start, std::uint64_t end, std::string_view line, bool complete)>;

  explicit DiffScanner(TransactionCallback on_transaction = nullptr);

  // Callbacks run in file order, each as soon as the bytes decide it:
  //  - statement: at its ';' (a statement unterminated at finish() is not
  //    reported). BEGIN;'s runs once open_transaction() is set; COMMIT;'s
  //    once the transaction is complete, before its transaction callback.
  //  - COPY data (after begin_copy_data()): at the newline of the "\." line,
  //    or at finish() (where a last line "\." needs no newline). Bytes
  //    [data_start, data_end) are the data, whole lines; SQL goes on at
  //    `resume`, past the "\." line.
  //  - meta-command line: at its newline (included in [start, end)) or at
  //    finish(). Such lines are taken as meta-commands with or without
  //    this callback.
  //  - top-level comment line: a "--" comment starting in column 0 between
  //    statements outside a transaction (where pg_dump writes its entry
  //    headers), at its newline (included in [start, end)); `line` is its
  //    text without the newline, cut after comment_line_limit bytes
  //    (`complete` is then false). Not at finish() without a newline.
  void set_statement_callback(StatementCallback on_statement) { on_statement_ = std::move(on_statement); }
  void set_copy_data_callback(CopyDataCallback on_copy_data) { on_copy_data_ = std::move(on_copy_data); }
  void set_meta_command_callback(MetaCommandCallback on_meta) { on_meta_ = std::move(on_meta); }
  void set_comment_line_callback(CommentLineCallback on_comment_line) { on_comment_line_ = std::move(on_comment_line); }
  void set_comment_line_limit(std::size_t limit) { comment_line_max_ = limit; }

  // Where undecided bytes start, for a client that passes bytes on as they
  // come but must see a whole statement or top-level comment line in its
  // callback: the first byte of the statement being scanned, and of the
  // top-level column-0 comment line being scanned (or of a '-' there that
  // may open one). Empty when there is none.
  std::optional<std::uint64_t> statement_start() const;
  std::optional<std::uint64_t> comment_line_start() const;

  // Scans the next bytes of the file; any chunking gives the same results.
  // The transaction callback runs once per transaction, when the byte after
  // its COMMIT; arrives (that byte decides whether end_offset takes a
  // newline) or at finish(). An exception from a callback propagates out of
  // feed() or finish() with the scan intact: feeding on from bytes_fed()
  // loses only the rest of that call. bytes_fed() is then just before the
  // byte being scanned for the transaction callback, and just past the byte
  // that completed the event for the others.
  void feed(const char* data, std::size_t len);

  // End of input: delivers a transaction whose COMMIT; is the last byte,
  // and ends a meta-command line or COPY data there. Feeding may go on
  // afterwards (e.g. a file still being written); what comes next is SQL.
  void finish();

  std::uint64_t bytes_fed() const { return pos_; }

  // Offset just past the last complete top-level unit: the last complete
  // transaction, or a complete statement, comment (a "--" comment with its
  // newline), meta-command line (with its newline) or whitespace outside
  // any transaction; where a torn file must be cut. A transaction header
  // line belongs to the transaction after it, so clean_end() stays before
  // it until its COMMIT;. A COPY statement is one unit with its data and
  // "\." line: COPY data ended by the end of input leaves clean_end()
  // before the statement (pg_dump always writes "\.").
  std::uint64_t clean_end() const { return clean_end_; }

  bool in_transaction() const { return in_tx_; }  // inside BEGIN; ... not yet COMMIT;

  // The transaction being scanned (end_offset 0), already in BEGIN;'s
  // statement callback; nullptr outside one (in COMMIT;'s callback too).
  const DiffTransaction* open_transaction() const { return in_tx_ ? &tx_ : nullptr; }

  // Nothing pending: not inside a quote, comment, statement, transaction,
  // meta-command line or COPY data, or after a header line still waiting
  // for its BEGIN;.
  bool at_clean_end() const { return pos_ == clean_end_; }

  // Complete transactions so far, counted at their COMMIT; (the callback
  // may still be pending, see feed()).
  std::uint64_t transactions() const { return transactions_; }
  const std::optional<DiffTransaction>& last_transaction() const { return last_; }

  const DiffFileInfo& info() const { return info_; }
  // The first backslash outside quotes and comments inside a statement, if
  // any: psql would run it (with the rest of its line) as a meta-command;
  // no SQL statement holds one.
  const std::optional<std::uint64_t>& backslash_in_statement() const { return backslash_in_statement_; }

  // psql variable references (:name, and for safety any ':' followed by a
  // quote or '{' as in :'name', :"name", :{?name}) seen outside quotes and
  // comments: psql replaces one with the variable's value when such a
  // variable is set (PORT, DBNAME, ON_ERROR_STOP, ...), so the text it sends
  // is not the text of the file.
  std::uint64_t variable_references() const { return variable_references_; }

  // Only from the statement callback, for a statement that is a COPY ...
  // FROM stdin: what follows its line is COPY data. Throws Error (XX000)
  // elsewhere.
  void begin_copy_data();

  // While COPY data is being scanned (until its callback): data is known
  // to run from copy_data_start() and to be complete lines up to
  // copy_data_flushable_end() (the start of the line being scanned), so a
  // client can send it on after each feed() and the rest in the callback.
  // Until the COPY statement's line is complete both are just past its
  // ';': nothing yet. Both 0 outside COPY data.
  bool in_copy_data() const { return lex_ >= Lex::kCopyRest && lex_ <= Lex::kCopyLine; }
  std::uint64_t copy_data_start() const { return in_copy_data() ? copy_start_ : 0; }
  std::uint64_t copy_data_flushable_end() const { return in_copy_data() ? copy_line_start_ : 0; }

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
    kMetaLine,  // a psql meta-command line, up to its newline
    // COPY data, kCopyRest to kCopyLine (in_copy_data() relies on the order).
    kCopyRest,       // the rest of the COPY statement's line
    kCopyLineStart,  // at the start of a data line: "\."?
    kCopyBackslash,
    kCopyDot,
    kCopyDotCR,
    kCopyLine,  // inside a data line
  };

  // What the byte just scanned completed; feed() runs its callback after
  // step(), once the scanner's state is past the byte (so the callback may
  // switch to COPY data, and an exception from it loses no state).
  enum class Event : std::uint8_t { kNone, kStatement, kMetaLine, kCopyData, kCommentLine };

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
  // lex() hands the byte to the part for the current state's token family;
  // each returns true when `c` must be scanned again in the new state.
  bool lex(unsigned char c, std::uint64_t pos);
  bool lex_normal(unsigned char c, std::uint64_t pos);
  bool lex_word(unsigned char c);
  bool lex_punctuation(unsigned char c);
  bool lex_dollar(unsigned char c);
  bool lex_comment(unsigned char c, std::uint64_t pos);
  bool lex_string(unsigned char c, std::uint64_t pos);
  bool lex_quoted_identifier(unsigned char c);
  bool lex_meta_line(unsigned char c, std::uint64_t pos);
  bool lex_number(unsigned char c);
  std::size_t scan_run(const unsigned char* p, std::size_t len);
  std::size_t scan_settled(const unsigned char* p, std::size_t len);
  bool statement_settled() const;
  bool counts_begin_end() const;  // psql's CREATE [OR REPLACE] FUNCTION|PROCEDURE heuristic matched

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
  bool lex_copy(unsigned char c, std::uint64_t pos);
  void end_copy_data(std::uint64_t data_end, std::uint64_t resume, bool terminated);
  void emit();

  TransactionCallback on_transaction_;
  StatementCallback on_statement_;
  CopyDataCallback on_copy_data_;
  MetaCommandCallback on_meta_;
  CommentLineCallback on_comment_line_;
  Event event_ = Event::kNone;
  bool in_statement_callback_ = false;

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
  DiffStatement statement_;              // the last one ended
  std::uint64_t clean_before_stmt_ = 0;  // clean_end_ before it ended: a COPY's data joins it

  // Meta-command lines and COPY data.
  std::uint64_t meta_start_ = 0;
  std::uint64_t meta_end_ = 0;
  std::uint64_t copy_start_ = 0;
  std::uint64_t copy_line_start_ = 0;
  std::uint64_t copy_end_ = 0;
  std::uint64_t copy_resume_ = 0;

  // The comment being scanned.
  bool comment_top_ = false;  // a top-level unit outside a transaction
  bool capture_ = false;      // a line comment in column 0 there: maybe a header
  bool line_overflow_ = false;
  std::size_t comment_line_max_ = kCommentLineMax;
  std::uint64_t comment_line_end_ = 0;
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
  std::uint64_t variable_references_ = 0;
  std::optional<std::uint64_t> backslash_in_statement_;
};

}  // namespace scribe
