#include "scribe/core/chain.hpp"

#include <cstdio>
#include <ctime>

#include "scribe/core/error.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/json.hpp"

namespace scribe {

std::string utc_name_timestamp(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<std::int64_t> parse_name_timestamp(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  int fields[6];
  const std::size_t starts[6] = {0, 4, 6, 9, 11, 13};
  const std::size_t lengths[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; i++) {
    int value = 0;
    for (std::size_t k = 0; k < lengths[i]; k++) {
      const char ch = text[starts[i] + k];
      if (ch < '0' || ch > '9') return std::nullopt;
      value = value * 10 + (ch - '0');
    }
    fields[i] = value;
  }
  std::tm tm{};
  tm.tm_year = fields[0] - 1900;
  tm.tm_mon = fields[1] - 1;
  tm.tm_mday = fields[2];
  tm.tm_hour = fields[3];
  tm.tm_min = fields[4];
  tm.tm_sec = fields[5];
  const std::time_t t = ::timegm(&tm);
  // timegm normalises out-of-range fields: accept only what prints back the same.
  if (utc_name_timestamp(t) != text) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

std::string next_name_timestamp(std::int64_t unix_seconds_now, std::string_view previous) {
  std::int64_t t = unix_seconds_now;
  if (const auto last = parse_name_timestamp(previous); last && *last >= t) t = *last + 1;
  return utc_name_timestamp(t);
}

std::string chain_dir_name(std::string_view chain_id) { return "chain-" + std::string(chain_id); }

std::optional<std::string> chain_id_from_dir_name(std::string_view name) {
  constexpr std::string_view kPrefix = "chain-";
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const std::string_view id = name.substr(kPrefix.size());
  if (!parse_name_timestamp(id)) return std::nullopt;
  return std::string(id);
}

std::string diff_file_name(std::string_view timestamp, std::string_view suffix) {
  return "diff-" + std::string(timestamp) + ".sql" + std::string(suffix);
}

bool is_diff_file_name(std::string_view name) {
  if (name.size() < 5 + 16 + 4 || name.substr(0, 5) != "diff-") return false;
  if (!parse_name_timestamp(name.substr(5, 16))) return false;
  const std::string_view rest = name.substr(21);
  return rest == ".sql" || rest == ".sql.gz" || rest == ".sql.lz4" || rest == ".sql.zst";
}

std::string diff_header_line(std::string_view chain_id, std::uint64_t start_lsn) {
  char lsn[kLsnTextSize];
  format_lsn(start_lsn, lsn);
  return "-- pg_scribe diff chain=" + std::string(chain_id) + " start_lsn=" + lsn + "\n";
}

std::string diff_trailer_line(std::uint64_t end_lsn, std::uint64_t transactions) {
  char lsn[kLsnTextSize];
  format_lsn(end_lsn, lsn);
  return "-- pg_scribe sealed end_lsn=" + std::string(lsn) + " transactions=" + std::to_string(transactions) + "\n";
}

std::uint64_t Manifest::last_commit_lsn() const {
  for (auto it = diffs.rbegin(); it != diffs.rend(); ++it)
    if (it->transactions > 0) return it->last_commit_lsn;
  return 0;
}

namespace {

std::string lsn_text(std::uint64_t lsn) {
  char buf[kLsnTextSize];
  format_lsn(lsn, buf);
  return buf;
}

void write_stored_fields(JsonWriter& w, const StoredFile& f) {
  w.key("file");
  w.value(f.file);
  w.key("bytes");
  w.value(f.bytes);
  w.key("sha256");
  w.value(f.sha256);
  w.key("compression");
  w.value(f.compression);
}

void write_stored(JsonWriter& w, const StoredFile& f) {
  w.begin_object();
  write_stored_fields(w, f);
  w.end_object();
}

[[noreturn]] void bad_manifest(const std::string& what) {
  throw Error(sqlstate::kDataCorrupted, "invalid manifest: " + what, {},
              "The manifest was damaged or edited; verify the chain and take a new chain if needed.");
}

std::uint64_t lsn_at(const JsonValue& v, std::string_view key) {
  const std::optional<std::uint64_t> lsn = parse_lsn(v.string_at(key));
  if (!lsn) bad_manifest("\"" + std::string(key) + "\" is not an LSN");
  return *lsn;
}

StoredFile read_stored(const JsonValue& v) {
  StoredFile f;
  f.file = v.string_at("file");
  f.bytes = v.uint_at("bytes");
  f.sha256 = v.string_at("sha256");
  f.compression = v.string_at("compression");
  if (f.file.empty() || f.file.find('/') != std::string::npos || f.file[0] == '.')
    bad_manifest("file name \"" + f.file + "\" is not a plain name");
  return f;
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  JsonWriter w;
  w.begin_object();
  w.key("format");
  w.value("pg_scribe manifest 1");
  w.key("chain_id");
  w.value(m.chain_id);
  w.key("system_identifier");
  w.value(std::to_string(m.system_identifier));
  w.key("database");
  w.value(m.database);
  w.key("slot");
  w.value(m.slot);
  w.key("start_lsn");
  w.value(lsn_text(m.start_lsn));
  w.key("compression");
  w.value(m.compression);
  w.key("base");
  write_stored(w, m.base);
  w.key("globals");
  write_stored(w, m.globals);
  w.key("diffs");
  w.begin_array();
  for (const SealedDiff& d : m.diffs) {
    w.begin_object();
    write_stored_fields(w, d.stored);
    w.key("start_lsn");
    w.value(lsn_text(d.start_lsn));
    w.key("end_lsn");
    w.value(lsn_text(d.end_lsn));
    w.key("transactions");
    w.value(d.transactions);
    w.key("first_commit_lsn");
    w.value(lsn_text(d.first_commit_lsn));
    w.key("last_commit_lsn");
    w.value(lsn_text(d.last_commit_lsn));
    w.key("first_commit_time");
    w.value(d.first_commit_time);
    w.key("last_commit_time");
    w.value(d.last_commit_time);
    w.key("sealed_at");
    w.value(d.sealed_at);
    w.end_object();
  }
  w.end_array();
  w.key("closed");
  w.value(m.closed);
  if (m.closed) {
    w.key("end_lsn");
    w.value(lsn_text(m.end_lsn));
    w.key("next_chain");
    w.value(m.next_chain);
  }
  w.end_object();
  return w.str();
}

Manifest parse_manifest(std::string_view json) {
  const JsonValue doc = parse_json(json);
  if (!doc.is_object()) bad_manifest("not a JSON object");
  if (doc.string_at("format") != "pg_scribe manifest 1") bad_manifest("unknown format \"" + doc.string_at("format") + "\"");
  Manifest m;
  m.chain_id = doc.string_at("chain_id");
  try {
    m.system_identifier = std::stoull(doc.string_at("system_identifier"));
  } catch (const std::logic_error&) {
    bad_manifest("\"system_identifier\" is not a number");
  }
  m.database = doc.string_at("database");
  m.slot = doc.string_at("slot");
  m.start_lsn = lsn_at(doc, "start_lsn");
  m.compression = doc.string_at("compression");
  const JsonValue* base = doc.find("base");
  const JsonValue* globals = doc.find("globals");
  const JsonValue* diffs = doc.find("diffs");
  if (base == nullptr || globals == nullptr || diffs == nullptr || !diffs->is_array())
    bad_manifest("\"base\", \"globals\" or \"diffs\" is missing");
  m.base = read_stored(*base);
  m.globals = read_stored(*globals);
  for (const JsonValue& d : diffs->as_array()) {
    SealedDiff diff;
    diff.stored = read_stored(d);
    if (!is_diff_file_name(diff.stored.file)) bad_manifest("\"" + diff.stored.file + "\" is not a diff file name");
    diff.start_lsn = lsn_at(d, "start_lsn");
    diff.end_lsn = lsn_at(d, "end_lsn");
    diff.transactions = d.uint_at("transactions");
    diff.first_commit_lsn = lsn_at(d, "first_commit_lsn");
    diff.last_commit_lsn = lsn_at(d, "last_commit_lsn");
    diff.first_commit_time = d.string_at("first_commit_time");
    diff.last_commit_time = d.string_at("last_commit_time");
    diff.sealed_at = d.string_at("sealed_at");
    m.diffs.push_back(std::move(diff));
  }
  const JsonValue* closed = doc.find("closed");
  m.closed = closed != nullptr && closed->is_bool() && closed->as_bool();
  if (m.closed) {
    m.end_lsn = lsn_at(doc, "end_lsn");
    m.next_chain = doc.string_at("next_chain");
  }
  return m;
}

}  // namespace scribe
