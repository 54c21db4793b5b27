#include "scribe/core/insert_batch.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

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

  bool identifier(std::string_view& name) {
    const std::size_t start = pos_;
    if (!identifier()) return false;
    name = text_.substr(start, pos_ - start);
    return true;
  }

  // A value as wal2sql writes it: a number, NULL, true, false, or a
  // standard string ('' for a quote; no backslash before a quote) with an
  // optional cast to a type name without spaces. Nothing else (E'', $$,
  // B'', ...).
  bool value(std::string_view& out) {
    const std::size_t start = pos_;
    if (pos_ >= text_.size()) return false;
    const char first = text_[pos_];
    if (first == '\'') {
      std::size_t i = pos_ + 1;
      for (;;) {
        i = text_.find('\'', i);
        if (i == std::string_view::npos) return false;
        if (i + 1 < text_.size() && text_[i + 1] == '\'') {
          i += 2;
          continue;
        }
        break;
      }
      // A backslash before a quote would end the string elsewhere with
      // standard_conforming_strings off; wal2sql writes such values as E''.
      // (Searched for within the literal only: a row has several.)
      const std::string_view quoted = text_.substr(start, i - start);
      for (std::size_t j = quoted.find('\\'); j != std::string_view::npos; j = quoted.find('\\', j + 1))
        if (text_[start + j + 1] == '\'') return false;
      pos_ = i + 1;
      if (literal("::")) {
        if (!identifier()) return false;
        if (literal(".") && !identifier()) return false;
        while (literal("[]")) {
        }
      }
    } else if (first == '-' || digit(first)) {
      if (first == '-') pos_++;
      if (!digits()) return false;
      if (literal(".") && !digits()) return false;
      if (literal("e") || literal("E")) {
        if (!literal("+")) literal("-");
        if (!digits()) return false;
      }
    } else if (!literal("NULL") && !literal("true") && !literal("false")) {
      return false;
    }
    out = text_.substr(start, pos_ - start);
    return true;
  }

  // After an E: '...' with quotes and backslashes doubled (as
  // append_literal writes a value with a backslash), an optional cast.
  // `out` is the quoted part and the cast.
  bool escaped_string(std::string_view& out) {
    const std::size_t start = pos_;
    if (!literal("'")) return false;
    std::size_t i = pos_;
    for (;;) {
      if (i >= text_.size()) return false;
      if (text_[i] == '\\') {
        i += 2;
        continue;
      }
      if (text_[i] == '\'') {
        if (i + 1 < text_.size() && text_[i + 1] == '\'') {
          i += 2;
          continue;
        }
        break;
      }
      i++;
    }
    pos_ = i + 1;
    if (literal("::")) {
      if (!identifier()) return false;
      if (literal(".") && !identifier()) return false;
      while (literal("[]")) {
      }
    }
    out = text_.substr(start, pos_ - start);
    return true;
  }

  bool at_end() const { return pos_ == text_.size(); }
  std::size_t pos() const { return pos_; }

 private:
  static bool digit(char c) { return c >= '0' && c <= '9'; }
  bool digits() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && digit(text_[pos_])) pos_++;
    return pos_ > start;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

namespace {

// What single_row_insert_head looks at in a row; other bytes are skipped.
constexpr std::array<bool, 256> make_row_special() {
  std::array<bool, 256> t{};
  for (const unsigned char c : std::string_view("'\"$;-/()")) t[c] = true;
  return t;
}
constexpr std::array<bool, 256> kRowSpecial = make_row_special();

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
    while (i < last && !kRowSpecial[static_cast<unsigned char>(rest[i])]) i++;
    const char c = rest[i];
    if (c == '\'' || c == '"') {
      // The run ends at the first quote before `last` not doubled.
      std::size_t j = i + 1;
      for (;;) {
        if (j >= last) return 0;
        const void* hit = std::memchr(rest.data() + j, c, last - j);
        if (hit == nullptr) return 0;
        j = static_cast<std::size_t>(static_cast<const char*>(hit) - rest.data());
        if (rest[j + 1] != c) break;
        j += 2;
      }
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

std::string copy_statement_for_insert(std::string_view statement) {
  HeadParser p(statement);
  if (!p.literal("INSERT INTO ")) return {};
  const std::size_t start = p.pos();
  if (!p.identifier() || !p.literal(".") || !p.identifier() || !p.literal(" (")) return {};
  do {
    if (!p.identifier()) return {};
  } while (p.literal(", "));
  if (!p.literal(")")) return {};
  const std::size_t end = p.pos();
  if (!p.literal(" ")) return {};
  p.literal("OVERRIDING SYSTEM VALUE ");
  if (!p.literal("VALUES ")) return {};
  std::string copy = "COPY ";
  copy.append(statement.substr(start, end - start));
  copy.append(" FROM STDIN");
  return copy;
}

namespace {

// Reads the value at p (NULL, true, false, a number, '...' or E'...' with
// an optional cast): `whole` its text, `value` without the E.
bool read_row_value(HeadParser& p, std::string_view text, std::string_view& whole, std::string_view& value,
                    bool& escaped) {
  const std::size_t start = p.pos();
  escaped = p.literal("E");
  if (!p.value(value)) {
    if (!escaped || !p.escaped_string(value)) return false;
  }
  whole = text.substr(start, p.pos() - start);
  return true;
}

// The characters of a string literal that COPY's text format or the
// literal's own quoting writes otherwise.
constexpr std::array<bool, 256> make_copy_special() {
  std::array<bool, 256> t{};
  t['\''] = t['\\'] = t['\n'] = t['\r'] = t['\t'] = true;
  return t;
}
constexpr std::array<bool, 256> kCopySpecial = make_copy_special();

// Appends a value read by read_row_value as a field of COPY's text format.
bool append_field(std::string_view whole, std::string_view value, bool escaped, std::string& out) {
  if (whole == "NULL") {
    out.append("\\N");
  } else if (whole == "true") {
    out.push_back('t');
  } else if (whole == "false") {
    out.push_back('f');
  } else if (value.front() != '\'') {
    out.append(value);  // a number
  } else {
    // The string's characters (a cast after it names the column's own
    // type, which COPY reads the text as), in COPY's text format.
    // Runs of plain characters are copied at once: a value's characters
    // are most of a restore's COPY data.
    const std::size_t close = value.find_last_of('\'');
    std::size_t i = 1;
    while (i < close) {
      std::size_t run = i;
      while (run < close && !kCopySpecial[static_cast<unsigned char>(value[run])]) run++;
      out.append(value.data() + i, run - i);
      if (run >= close) break;
      i = run;
      const char c = value[i];
      if (c == '\'') {
        i++;  // '' is one quote
      } else if (c == '\\' && escaped) {
        if (value[i + 1] != '\\') return false;  // wal2sql writes no other escape
        i++;
      }
      switch (c) {
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          out.push_back(c);
      }
      i++;
    }
  }
  return true;
}

}  // namespace

bool append_copy_line(std::string_view row, std::string& out) {
  HeadParser p(row);
  if (!p.literal("(")) return false;
  bool first = true;
  do {
    if (!first) out.push_back('\t');
    first = false;
    std::string_view whole, value;
    bool escaped = false;
    if (!read_row_value(p, row, whole, value, escaped) || !append_field(whole, value, escaped, out)) return false;
  } while (p.literal(", "));
  if (!p.literal(")") || !p.at_end()) return false;
  out.push_back('\n');
  return true;
}

bool row_literals(std::string_view row, std::vector<std::string_view>& out) {
  out.clear();
  HeadParser p(row);
  if (!p.literal("(")) return false;
  do {
    std::string_view whole, value;
    bool escaped = false;
    if (!read_row_value(p, row, whole, value, escaped)) return false;
    out.push_back(whole);
  } while (p.literal(", "));
  return p.literal(")") && p.at_end();
}

bool append_copy_field(std::string_view literal, std::string& out) {
  HeadParser p(literal);
  std::string_view whole, value;
  bool escaped = false;
  return read_row_value(p, literal, whole, value, escaped) && p.at_end() && append_field(whole, value, escaped, out);
}

bool parse_keyed_dml(std::string_view statement, KeyedDml& out) {
  HeadParser p(statement);
  out.set_columns.clear();
  out.set_values.clear();
  out.key_columns.clear();
  out.key_values.clear();
  if (p.literal("DELETE FROM ONLY "))
    out.kind = KeyedDml::Kind::kDelete;
  else if (p.literal("UPDATE ONLY "))
    out.kind = KeyedDml::Kind::kUpdate;
  else
    return false;
  const std::size_t table_start = p.pos();
  if (!p.identifier() || !p.literal(".") || !p.identifier()) return false;
  out.table = statement.substr(table_start, p.pos() - table_start);
  std::string_view column, value;
  if (out.kind == KeyedDml::Kind::kUpdate) {
    if (!p.literal(" SET ")) return false;
    do {
      if (!p.identifier(column) || !p.literal(" = ") || !p.value(value)) return false;
      out.set_columns.push_back(column);
      out.set_values.push_back(value);
    } while (p.literal(", "));
  }
  if (!p.literal(" WHERE ")) return false;
  do {
    // " = " as older diffs have it (they replay under search_path
    // pg_catalog, pg_temp: it meant pg_catalog's operator).
    if (!p.identifier(column) || !(p.literal(" OPERATOR(pg_catalog.=) ") || p.literal(" = ")) || !p.value(value))
      return false;
    // wal2sql writes "k IS NULL"; "k = NULL" matches nothing, or with
    // transform_null_equals what IS NULL would: not what IN or a join do.
    if (value == "NULL") return false;
    out.key_columns.push_back(column);
    out.key_values.push_back(value);
  } while (p.literal(" AND "));
  return p.literal(";") && p.at_end();
}

namespace {

// The name an identifier as written stands for ("a""b" -> a"b).
void append_name(std::string& out, std::string_view written) {
  if (written.size() < 2 || written.front() != '"') {
    out.append(written.data(), written.size());
    return;
  }
  for (std::size_t i = 1; i + 1 < written.size(); i++) {
    out.push_back(written[i]);
    if (written[i] == '"') i++;
  }
}

// No column named twice (a key column among the SET columns is a key
// change, which is never merged).
bool distinct_columns(const KeyedDml& statement) {
  std::vector<std::string> names;
  names.reserve(statement.set_columns.size() + statement.key_columns.size());
  for (const auto* list : {&statement.set_columns, &statement.key_columns})
    for (const std::string_view column : *list) {
      names.emplace_back();
      append_name(names.back(), column);
    }
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) == names.end();
}

template <class List>
bool same_list(const std::vector<std::string_view>& a, const List& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); i++)
    if (a[i] != b[i]) return false;
  return true;
}

void append_joined(std::string& out, const std::vector<std::string_view>& items) {
  for (std::size_t i = 0; i < items.size(); i++) {
    if (i > 0) out.append(", ");
    out.append(items[i].data(), items[i].size());
  }
}

// The statement's row in the merged form.
void render_row(const KeyedDml& statement, std::string& row) {
  row.clear();
  if (statement.kind == KeyedDml::Kind::kDelete && statement.key_values.size() == 1) {
    row.append(statement.key_values[0].data(), statement.key_values[0].size());
    return;
  }
  row.push_back('(');
  append_joined(row, statement.key_values);
  if (statement.kind == KeyedDml::Kind::kUpdate) {
    row.append(", ");
    append_joined(row, statement.set_values);
  }
  row.push_back(')');
}

// The key values as text, unambiguously.
void render_key(const KeyedDml& statement, std::string& key) {
  key.clear();
  for (const std::string_view value : statement.key_values) {
    key.append(std::to_string(value.size()));
    key.push_back(':');
    key.append(value.data(), value.size());
  }
}

}  // namespace

bool collect_update_run(const std::vector<std::string>& statements, std::size_t from, UpdateRun& out) {
  KeyedDml first, next;
  if (from >= statements.size() || !parse_keyed_dml(statements[from], first) || first.kind != KeyedDml::Kind::kUpdate ||
      !distinct_columns(first))
    return false;
  // The lines are written into one buffer as they come; a row updated again
  // takes the place of its earlier line. A row is known by its key's text:
  // the value itself for a one-column key (a view into `statements`), else
  // render_key's text.
  std::string data;
  std::vector<std::pair<std::size_t, std::size_t>> lines;  // [start, end) in data, one per row
  bool replaced = false;
  std::unordered_map<std::string_view, std::size_t> row_of_value;
  std::unordered_map<std::string, std::size_t> row_of_key;
  std::string key;
  std::size_t i = from;
  for (; i < statements.size(); i++) {
    const KeyedDml& statement = i == from ? first : next;
    if (i > from &&
        (!parse_keyed_dml(statements[i], next) || next.kind != KeyedDml::Kind::kUpdate || next.table != first.table ||
         !same_list(next.key_columns, first.key_columns) || !same_list(next.set_columns, first.set_columns)))
      break;
    // The row "(keys, values)" as COPY text: the key values, then the SET
    // values, each read as append_copy_line reads a row's.
    const std::size_t line_start = data.size();
    bool ok = true;
    for (const auto* values : {&statement.key_values, &statement.set_values})
      for (const std::string_view value : *values) {
        if (data.size() > line_start) data.push_back('\t');
        ok = ok && append_copy_field(value, data);
      }
    if (!ok) {
      data.resize(line_start);
      break;
    }
    data.push_back('\n');
    const std::pair<std::size_t, std::size_t> line{line_start, data.size()};
    std::size_t* slot = nullptr;
    bool added = false;
    if (statement.key_values.size() == 1) {
      const auto [found, fresh] = row_of_value.emplace(statement.key_values[0], lines.size());
      slot = &found->second;
      added = fresh;
    } else {
      render_key(statement, key);
      const auto [found, fresh] = row_of_key.emplace(key, lines.size());
      slot = &found->second;
      added = fresh;
    }
    if (added) {
      lines.push_back(line);
    } else {
      lines[*slot] = line;
      replaced = true;
    }
  }
  if (i == from) return false;
  out.table.assign(first.table);
  out.key_columns.assign(first.key_columns.begin(), first.key_columns.end());
  out.set_columns.assign(first.set_columns.begin(), first.set_columns.end());
  if (replaced) {
    out.copy_data.clear();
    for (const auto& [line_start, line_end] : lines) out.copy_data.append(data, line_start, line_end - line_start);
  } else {
    out.copy_data = std::move(data);
  }
  out.rows = lines.size();
  out.end = i;
  return true;
}

void DmlBatcher::add(std::string_view statement, std::string& out) {
  const std::size_t head = (merge_ & kMergeInserts) != 0 ? single_row_insert_head(statement) : 0;
  if (head != 0) {
    const std::string_view head_text = statement.substr(0, head);
    const std::string_view row = statement.substr(head, statement.size() - head - 1);  // without ';'
    if (open_ == Open::kInsert && head_text == head_ && rows_ < max_rows_ && bytes_ < max_bytes_) {
      out.append(",\n");
      out.append(row.data(), row.size());
      rows_++;
      bytes_ += row.size();
      rows_merged_++;
      return;
    }
    flush(out);
    open_ = Open::kInsert;
    head_.assign(head_text.data(), head_text.size());
    out.append(statement.data(), head + row.size());
    rows_ = 1;
    bytes_ = statement.size();
    return;
  }
  if ((merge_ & (kMergeDeletes | kMergeUpdates)) != 0 && parse_keyed_dml(statement, next_) &&
      (merge_ & (next_.kind == KeyedDml::Kind::kDelete ? kMergeDeletes : kMergeUpdates)) != 0 &&
      (next_.kind == KeyedDml::Kind::kDelete || !update_filter_ || update_filter_(next_.table))) {
    render_row(next_, row_);
    if (next_.kind == KeyedDml::Kind::kUpdate) render_key(next_, key_text_);
    if (collapses_update()) {
      // The same row again, the same columns: its newer values replace
      // the older ones (see set_collapse_updates).
      const std::size_t at = keys_.at(key_text_);
      run_rows_[at] = row_;
      run_statements_[at].assign(statement.data(), statement.size());
      bytes_ += row_.size();
      rows_collapsed_++;
      rows_merged_++;
      return;
    }
    if (joins_keyed()) {
      rows_++;
      bytes_ += row_.size();
      if (open_ == Open::kUpdate) keys_.emplace(key_text_, rows_ - 1);
      if (buffers_run()) {
        run_rows_.push_back(row_);
        run_statements_.emplace_back(statement.data(), statement.size());
        return;
      }
      if (merged_) {
        out.append(", ");
        out.append(row_);
        rows_merged_++;
        return;
      }
      pending_.append(statement.data(), statement.size());
      pending_.push_back('\n');
      pending_rows_.append(", ");
      pending_rows_.append(row_);
      if (rows_ >= (open_ == Open::kUpdate ? kMinUpdateRows : 2)) {
        write_keyed_head(out);
        out.append(pending_rows_);
        merged_ = true;
        rows_merged_ += rows_ - 1;
      }
      return;
    }
    flush(out);
    if (distinct_columns(next_)) {
      start_keyed(statement);
      return;
    }
  }
  flush(out);
  out.append(statement.data(), statement.size());
  out.push_back('\n');
}

std::size_t DmlBatcher::keyed_row_limit() const {
  if (open_ == Open::kUpdate) return std::min(max_rows_, kMaxUpdateRows);
  if (key_columns_.size() > 1) return std::min(max_rows_, kMaxCompositeDeleteRows);
  return max_rows_;
}

bool DmlBatcher::joins_keyed() const {
  const Open kind = next_.kind == KeyedDml::Kind::kDelete ? Open::kDelete : Open::kUpdate;
  if (open_ != kind || rows_ >= keyed_row_limit() || bytes_ >= max_bytes_) return false;
  if (next_.table != table_ || !same_list(next_.key_columns, key_columns_) ||
      !same_list(next_.set_columns, set_columns_))
    return false;
  // Updating a row twice in one statement would apply one of the two.
  return kind != Open::kUpdate || keys_.count(key_text_) == 0;
}

bool DmlBatcher::collapses_update() const {
  return collapse_updates_ && open_ == Open::kUpdate && next_.kind == KeyedDml::Kind::kUpdate && bytes_ < max_bytes_ &&
         next_.table == table_ && same_list(next_.key_columns, key_columns_) &&
         same_list(next_.set_columns, set_columns_) && keys_.count(key_text_) != 0;
}

void DmlBatcher::start_keyed(std::string_view statement) {
  open_ = next_.kind == KeyedDml::Kind::kDelete ? Open::kDelete : Open::kUpdate;
  pending_.assign(statement.data(), statement.size());
  pending_.push_back('\n');
  pending_rows_ = row_;
  merged_ = false;
  table_.assign(next_.table.data(), next_.table.size());
  set_columns_.assign(next_.set_columns.begin(), next_.set_columns.end());
  key_columns_.assign(next_.key_columns.begin(), next_.key_columns.end());
  keys_.clear();
  if (open_ == Open::kUpdate) keys_.emplace(key_text_, 0);
  rows_ = 1;
  bytes_ = statement.size();
  if (buffers_run()) {
    run_rows_.assign(1, row_);
    run_statements_.assign(1, std::string(statement));
  }
}

void DmlBatcher::write_keyed_head(std::string& out) const {
  if (open_ == Open::kDelete && key_columns_.size() == 1) {
    // The first element is typed as the column: see the header.
    out.append("DELETE FROM ONLY ")
        .append(table_)
        .append(" WHERE ")
        .append(key_columns_[0])
        .append(" OPERATOR(pg_catalog.=) ANY (ARRAY[(NULL::")
        .append(table_)
        .append(").")
        .append(key_columns_[0])
        .append(", ");
    return;
  }
  if (open_ == Open::kDelete) {
    out.append("DELETE FROM ONLY ").append(table_).append(" AS pg_scribe_t USING (VALUES (");
  } else {
    out.append("UPDATE ONLY ").append(table_).append(" AS pg_scribe_t SET ");
    for (std::size_t i = 0; i < set_columns_.size(); i++)
      out.append(i > 0 ? ", " : "").append(set_columns_[i]).append(" = pg_scribe_v.").append(set_columns_[i]);
    out.append(" FROM (VALUES (");
  }
  // A first row typed as the table's columns: see the header.
  bool first = true;
  for (const auto* list : {&key_columns_, &set_columns_})
    for (const std::string& column : *list) {
      out.append(first ? "(NULL::" : ", (NULL::").append(table_).append(").").append(column);
      first = false;
    }
  out.append("), ");
}

void DmlBatcher::write_keyed_tail(std::string& out) const {
  if (open_ == Open::kDelete && key_columns_.size() == 1) {
    out.append("])");
    return;
  }
  out.append(") AS pg_scribe_v (");
  bool first = true;
  for (const auto* list : {&key_columns_, &set_columns_})
    for (const std::string& column : *list) {
      out.append(first ? "" : ", ").append(column);
      first = false;
    }
  out.append(") WHERE ");
  for (std::size_t i = 0; i < key_columns_.size(); i++)
    out.append(i > 0 ? " AND pg_scribe_t." : "pg_scribe_t.")
        .append(key_columns_[i])
        .append(" OPERATOR(pg_catalog.=) pg_scribe_v.")
        .append(key_columns_[i]);
}

void DmlBatcher::flush(std::string& out) {
  switch (open_) {
    case Open::kNone:
      return;
    case Open::kInsert:
      out.append(";\n");
      break;
    case Open::kDelete:
    case Open::kUpdate:
      if (buffers_run()) {
        flush_buffered_run(out);
      } else if (merged_) {
        write_keyed_tail(out);
        out.append(";\n");
      } else {
        out.append(pending_);
      }
      break;
  }
  reset();
}

void DmlBatcher::flush_buffered_run(std::string& out) {
  if (run_rows_.size() < kMinUpdateRows) {
    for (const std::string& statement : run_statements_) out.append(statement).push_back('\n');
    return;
  }
  write_keyed_head(out);
  for (std::size_t i = 0; i < run_rows_.size(); i++) out.append(i > 0 ? ", " : "").append(run_rows_[i]);
  write_keyed_tail(out);
  out.append(";\n");
  rows_merged_ += run_rows_.size() - 1;
}

void DmlBatcher::reset() {
  run_rows_.clear();
  run_statements_.clear();
  open_ = Open::kNone;
  head_.clear();
  pending_.clear();
  pending_rows_.clear();
  merged_ = false;
  keys_.clear();
  rows_ = 0;
  bytes_ = 0;
}

}  // namespace scribe
