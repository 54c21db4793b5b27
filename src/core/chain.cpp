#include "scribe/core/chain.hpp"

#include <ctime>

#include <fmt/format.h>

#include "scribe/core/error.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/strict_json.hpp"

namespace scribe {

std::string utc_name_timestamp(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
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
  return fmt::format("-- pg_scribe diff chain={} start_lsn={}\n", chain_id, lsn_text(start_lsn));
}

std::string diff_trailer_line(std::uint64_t end_lsn, std::uint64_t transactions) {
  return fmt::format("-- pg_scribe sealed end_lsn={} transactions={}\n", lsn_text(end_lsn), transactions);
}

std::uint64_t Manifest::last_commit_lsn() const {
  for (auto it = diffs.rbegin(); it != diffs.rend(); ++it)
    if (it->transactions > 0) return it->last_commit_lsn;
  return 0;
}

namespace {

Json stored_json(const StoredFile& f) {
  return {{"file", f.file}, {"bytes", f.bytes}, {"sha256", f.sha256}, {"compression", f.compression}};
}

[[noreturn]] void bad_manifest(const std::string& what) {
  throw Error(sqlstate::kDataCorrupted, "invalid manifest: " + what, {},
              "The manifest was damaged or edited; verify the chain and take a new chain if needed.");
}

std::uint64_t lsn_at(const Json& v, std::string_view key) {
  const std::optional<std::uint64_t> lsn = parse_lsn(json_string_at(v, key));
  if (!lsn) bad_manifest("\"" + std::string(key) + "\" is not an LSN");
  return *lsn;
}

StoredFile read_stored(const Json& v) {
  StoredFile f;
  f.file = json_string_at(v, "file");
  f.bytes = json_uint_at(v, "bytes");
  f.sha256 = json_string_at(v, "sha256");
  f.compression = json_string_at(v, "compression");
  if (f.file.empty() || f.file.find('/') != std::string::npos || f.file[0] == '.')
    bad_manifest("file name \"" + f.file + "\" is not a plain name");
  return f;
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  Json diffs = Json::array();
  for (const SealedDiff& d : m.diffs) {
    Json diff = stored_json(d.stored);
    diff["start_lsn"] = lsn_text(d.start_lsn);
    diff["end_lsn"] = lsn_text(d.end_lsn);
    diff["transactions"] = d.transactions;
    diff["first_commit_lsn"] = lsn_text(d.first_commit_lsn);
    diff["last_commit_lsn"] = lsn_text(d.last_commit_lsn);
    diff["first_commit_time"] = d.first_commit_time;
    diff["last_commit_time"] = d.last_commit_time;
    diff["sealed_at"] = d.sealed_at;
    diffs.push_back(std::move(diff));
  }
  Json doc = {{"format", "pg_scribe manifest 1"},
              {"chain_id", m.chain_id},
              {"system_identifier", std::to_string(m.system_identifier)},
              {"database", m.database},
              {"slot", m.slot},
              {"start_lsn", lsn_text(m.start_lsn)},
              {"compression", m.compression},
              {"base", stored_json(m.base)},
              {"globals", stored_json(m.globals)},
              {"diffs", std::move(diffs)},
              {"closed", m.closed}};
  if (m.closed) {
    doc["end_lsn"] = lsn_text(m.end_lsn);
    doc["next_chain"] = m.next_chain;
  }
  return write_json(doc);
}

Manifest parse_manifest(std::string_view json) {
  const Json doc = parse_json(json);
  if (!doc.is_object()) bad_manifest("not a JSON object");
  if (json_string_at(doc, "format") != "pg_scribe manifest 1")
    bad_manifest("unknown format \"" + json_string_at(doc, "format") + "\"");
  Manifest m;
  m.chain_id = json_string_at(doc, "chain_id");
  try {
    m.system_identifier = std::stoull(json_string_at(doc, "system_identifier"));
  } catch (const std::logic_error&) {
    bad_manifest("\"system_identifier\" is not a number");
  }
  m.database = json_string_at(doc, "database");
  m.slot = json_string_at(doc, "slot");
  m.start_lsn = lsn_at(doc, "start_lsn");
  m.compression = json_string_at(doc, "compression");
  const Json* base = json_find(doc, "base");
  const Json* globals = json_find(doc, "globals");
  const Json* diffs = json_find(doc, "diffs");
  if (base == nullptr || globals == nullptr || diffs == nullptr || !diffs->is_array())
    bad_manifest("\"base\", \"globals\" or \"diffs\" is missing");
  m.base = read_stored(*base);
  m.globals = read_stored(*globals);
  for (const Json& d : *diffs) {
    SealedDiff diff;
    diff.stored = read_stored(d);
    if (!is_diff_file_name(diff.stored.file)) bad_manifest("\"" + diff.stored.file + "\" is not a diff file name");
    diff.start_lsn = lsn_at(d, "start_lsn");
    diff.end_lsn = lsn_at(d, "end_lsn");
    diff.transactions = json_uint_at(d, "transactions");
    diff.first_commit_lsn = lsn_at(d, "first_commit_lsn");
    diff.last_commit_lsn = lsn_at(d, "last_commit_lsn");
    diff.first_commit_time = json_string_at(d, "first_commit_time");
    diff.last_commit_time = json_string_at(d, "last_commit_time");
    diff.sealed_at = json_string_at(d, "sealed_at");
    m.diffs.push_back(std::move(diff));
  }
  const Json* closed = json_find(doc, "closed");
  m.closed = closed != nullptr && closed->is_boolean() && closed->get<bool>();
  if (m.closed) {
    m.end_lsn = lsn_at(doc, "end_lsn");
    m.next_chain = json_string_at(doc, "next_chain");
  }
  return m;
}

}  // namespace scribe
