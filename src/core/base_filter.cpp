#include "scribe/core/base_filter.hpp"

#include <algorithm>

namespace scribe {
namespace {

constexpr std::string_view kLeftOut =
    "-- pg_scribe: this entry of pg_scribe's own is left out; restoring does not need pg_scribe\n";

// Big enough for any header of pg_scribe's own (the longest is a function
// signature); a longer line is some other entry's header.
constexpr std::size_t kHeaderLineMax = 64 * 1024;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// pg_dump writes "-- Name: ..." for an entry and "-- Data for Name: ..." for
// a table's data; both start an entry.
bool is_entry_header(std::string_view line) {
  return starts_with(line, "-- Name: ") || starts_with(line, "-- Data for Name: ");
}

void append_sanitized(std::string& out, std::string_view field) {
  for (const char ch : field) out.push_back(ch == '\n' || ch == '\r' ? ' ' : ch);
}

}  // namespace

std::string dump_entry_header(std::string_view tag, std::string_view type, std::string_view schema,
                              std::string_view owner) {
  std::string line = "-- Name: ";
  append_sanitized(line, tag);
  line += "; Type: ";
  append_sanitized(line, type);
  line += "; Schema: ";
  if (schema.empty())
    line += "-";
  else
    append_sanitized(line, schema);
  line += "; Owner: ";
  append_sanitized(line, owner);
  return line;
}

std::vector<std::string> scribe_extension_entry_headers() {
  // The extension entry has no owner ("-"); its comment and security label
  // an empty one, written as "" by pg_dump 15 and as "-" by some versions.
  std::vector<std::string> lines = {dump_entry_header("scribe", "EXTENSION", "", "-")};
  for (const char* type : {"COMMENT", "SECURITY LABEL"})
    for (const char* owner : {"", "-"}) lines.push_back(dump_entry_header("EXTENSION scribe", type, "", owner));
  return lines;
}

BaseDumpFilter::BaseDumpFilter(ByteSink sink, const std::vector<std::string>& own_entries) : sink_(std::move(sink)) {
  for (std::string& line : scribe_extension_entry_headers()) own_.insert(std::move(line));
  own_.insert(own_entries.begin(), own_entries.end());
  scanner_.set_comment_line_limit(kHeaderLineMax);
  scanner_.set_comment_line_callback([this](std::uint64_t start, std::uint64_t end, std::string_view line,
                                            bool complete) { on_header(start, end, line, complete); });
  scanner_.set_statement_callback([this](const DiffStatement& statement) { on_statement(statement); });
}

// Bytes up to `offset` belong to the current entry: passed on or dropped.
void BaseDumpFilter::flush_to(std::uint64_t offset, bool pass) {
  if (offset <= pending_start_) return;
  const std::size_t n = static_cast<std::size_t>(offset - pending_start_);
  if (pass && n > 0) sink_(pending_.data(), n);
  pending_.erase(0, n);
  pending_start_ = offset;
}

// Comment lines between statements stay (pg_dump's "--" lines around a
// header belong to the entry before it); a header decides its entry.
void BaseDumpFilter::on_header(std::uint64_t start, std::uint64_t end, std::string_view line, bool complete) {
  flush_to(start, !dropping_);
  flush_to(end, true);
  if (!is_entry_header(line)) return;
  dropping_ = complete && own_.count(std::string(line)) != 0;
  if (dropping_) {
    sink_(kLeftOut.data(), kLeftOut.size());
    ++left_out_;
  }
}

// pg_dump's table data: "COPY <table> (<columns>) FROM stdin;", its rows
// on the following lines up to "\.". The scanner must not lex them.
void BaseDumpFilter::on_statement(const DiffStatement& statement) {
  if (statement.start < pending_start_) return;  // not kept: see write()
  const std::string_view text(pending_.data() + (statement.start - pending_start_),
                              static_cast<std::size_t>(statement.end - statement.start));
  if (starts_with(text, "COPY ") && ends_with(text, " FROM stdin;")) scanner_.begin_copy_data();
}

void BaseDumpFilter::write(const char* data, std::size_t len) {
  pending_.append(data, len);
  scanner_.feed(data, len);
  // Keep what a callback may still need: the statement being scanned (to
  // tell a COPY) and a line that may be an entry header.
  std::uint64_t decided = scanner_.bytes_fed();
  if (const auto start = scanner_.statement_start()) decided = std::min(decided, *start);
  if (const auto start = scanner_.comment_line_start()) decided = std::min(decided, *start);
  flush_to(decided, !dropping_);
}

void BaseDumpFilter::finish() {
  scanner_.finish();
  flush_to(pending_start_ + pending_.size(), !dropping_);
}

}  // namespace scribe
