#include "scribe/core/insert_batch.hpp"

namespace scribe {

namespace {

class HeadParser {
 public:
  explicit HeadParser(std::string_view text) : text_(text) {}

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // A name as quote_identifier writes it: lower-case plain or double-quoted.
  bool identifier() {
    if (pos_ >= text_.size()) return false;
    const char first = text_[pos_];
    if (first == '"') {
      for (std::size_t i = pos_ + 1; i < text_.size(); i++) {
        if (text_[i] != '"') continue;
        if (i + 1 < text_.size() && text_[i + 1] == '"') {
          i++;
          continue;
        }
        if (i == pos_ + 1) return false;  // "" is no name
        pos_ = i + 1;
        return true;
      }
      return false;
    }
    if (!(first == '_' || (first >= 'a' && first <= 'z') || static_cast<unsigned char>(first) >= 0x80)) return false;
    std::size_t i = pos_ + 1;
    while (i < text_.size()) {
      const char c = text_[i];
      const bool plain = c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                         static_cast<unsigned char>(c) >= 0x80;
      if (!plain) break;
      i++;
    }
    pos_ = i;
    return true;
  }

  std::size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::size_t single_row_insert_head(std::string_view statement) {
  HeadParser p(statement);
  if (!p.literal("INSERT INTO ") || !p.identifier() || !p.literal(".") || !p.identifier() || !p.literal(" (")) return 0;
  do {
    if (!p.identifier()) return 0;
  } while (p.literal(", "));
  if (!p.literal(") ")) return 0;
  p.literal("OVERRIDING SYSTEM VALUE ");
  if (!p.literal("VALUES ")) return 0;
  const std::size_t head = p.pos();
  // One row: "(" ... ")" ";" and nothing after it. The scanner that split
  // the statement ended it at a top-level ';', so the parentheses between
  // are balanced; a first ')' closing before the end would mean a second
  // row or a clause after the row, which the check below leaves alone.
  const std::string_view rest = statement.substr(head);
  if (rest.size() < 3 || rest.front() != '(' || rest.substr(rest.size() - 2) != ");") return 0;
  // The outer parentheses must enclose everything up to the ';': scan with
  // quoted runs skipped (wal2sql doubles quotes inside literals and names
  // and writes backslashes in standard strings literally, so a run ends at
  // a quote that is not doubled). Dollar quotes and comments are not part
  // of what wal2sql writes in a row: such a statement is left alone.
  const std::size_t last = rest.size() - 2;  // the closing ')'
  int depth = 0;
  for (std::size_t i = 0; i <= last; i++) {
    const char c = rest[i];
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < last && !(rest[j] == c && rest[j + 1] != c)) j += rest[j] == c ? 2 : 1;
      if (j >= last) return 0;
      i = j;
      continue;
    }
    if (c == '$' || c == ';' || (c == '-' && rest[i + 1] == '-') || (c == '/' && rest[i + 1] == '*')) return 0;
    if (c == '(') depth++;
    if (c == ')' && --depth == 0 && i != last) return 0;
  }
  if (depth != 0) return 0;
  return head;
}

void InsertBatcher::add(std::string_view statement, std::string& out) {
  const std::size_t head = single_row_insert_head(statement);
  if (head == 0) {
    flush(out);
    out.append(statement.data(), statement.size());
    out.push_back('\n');
    return;
  }
  const std::string_view head_text = statement.substr(0, head);
  const std::string_view row = statement.substr(head, statement.size() - head - 1);  // without ';'
  if (!head_.empty() && head_text == head_ && rows_ < max_rows_ && bytes_ < max_bytes_) {
    out.append(",\n");
    out.append(row.data(), row.size());
    rows_++;
    bytes_ += row.size();
    rows_merged_++;
    return;
  }
  flush(out);
  head_.assign(head_text.data(), head_text.size());
  out.append(statement.data(), head + row.size());
  rows_ = 1;
  bytes_ = statement.size();
}

void InsertBatcher::flush(std::string& out) {
  if (head_.empty()) return;
  out.append(";\n");
  head_.clear();
  rows_ = 0;
  bytes_ = 0;
}

}  // namespace scribe
