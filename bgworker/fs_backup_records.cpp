// The record file of each file-system backup,
// $PGDATA/pg_scribe/fs_backups/<id>.json (fs_backup_internal.hpp).
// nlohmann/json before the server headers that other headers bring
// (postgres.h redefines snprintf).
#include "scribe/core/strict_json.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "engine.hpp"
#include "fs_backup_internal.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"

namespace scribe::fs_backup {

std::string records_dir() { return engine::scribe_state_dir() + "/fs_backups"; }

std::string record_path(std::uint64_t id) {
  char name[32];
  snprintf(name, sizeof name, "%010llu.json", static_cast<unsigned long long>(id));
  return join_path(records_dir(), name);
}

namespace {

std::string record_json(const Record& r) {
  auto lsn = [](XLogRecPtr value) { return value == InvalidXLogRecPtr ? Json() : Json(lsn_text(value)); };
  // TimestampTz: microseconds since 2000-01-01 00:00:00 UTC, 0 for none.
  return write_json({{"id", r.id},
                     {"label", r.label},
                     {"state", state_name(r.state)},
                     {"database_oid", static_cast<std::uint64_t>(r.database)},
                     {"fast", r.fast},
                     {"timeout_us", r.timeout_us},
                     {"start_lsn", lsn(r.start_lsn)},
                     {"stop_lsn", lsn(r.stop_lsn)},
                     {"started_at_us", static_cast<std::int64_t>(r.started_at)},
                     {"finished_at_us", static_cast<std::int64_t>(r.finished_at)},
                     {"deadline_us", static_cast<std::int64_t>(r.deadline)},
                     {"worker_pid", r.worker_pid},
                     {"sqlstate", r.sqlstate},
                     {"error", r.error},
                     {"backup_label", r.backup_label},
                     {"tablespace_map", r.tablespace_map},
                     {"wal_files", r.wal_files}});
}

}  // namespace

Record read_record(const std::string& path) {
  const Json doc = parse_json(read_small_file(path, 16u << 20), "file \"" + path + "\"");
  auto lsn = [&](const char* key) -> XLogRecPtr {
    const Json& v = json_at(doc, key);
    if (v.is_null()) return InvalidXLogRecPtr;
    const std::optional<std::uint64_t> parsed = parse_lsn(json_string(v));
    if (!parsed) throw Error("XX001", "invalid " + std::string(key) + " in \"" + path + "\"");
    return *parsed;
  };
  Record r;
  r.id = json_uint_at(doc, "id");
  r.label = json_string_at(doc, "label");
  const std::optional<State> state = state_from_name(json_string_at(doc, "state"));
  if (!state) throw Error("XX001", "unknown state \"" + json_string_at(doc, "state") + "\" in \"" + path + "\"");
  r.state = *state;
  r.database = static_cast<Oid>(json_uint_at(doc, "database_oid"));
  r.fast = json_bool_at(doc, "fast");
  r.timeout_us = json_int_at(doc, "timeout_us");
  r.start_lsn = lsn("start_lsn");
  r.stop_lsn = lsn("stop_lsn");
  r.started_at = json_int_at(doc, "started_at_us");
  r.finished_at = json_int_at(doc, "finished_at_us");
  r.deadline = json_int_at(doc, "deadline_us");
  r.worker_pid = static_cast<int>(json_int_at(doc, "worker_pid"));
  r.sqlstate = json_string_at(doc, "sqlstate");
  r.error = json_string_at(doc, "error");
  r.backup_label = json_string_at(doc, "backup_label");
  r.tablespace_map = json_string_at(doc, "tablespace_map");
  for (const Json& f : json_at(doc, "wal_files")) r.wal_files.push_back(json_string(f));
  return r;
}

void save_record(const Record& r) {
  const std::string base = engine::scribe_state_dir();
  if (!is_directory(base)) make_directory(base);
  if (!is_directory(records_dir())) {
    make_directory(records_dir());
    fsync_directory(base);
  }
  write_file_atomically(record_path(r.id), record_json(r));
}

bool is_record_name(const std::string& name) {
  return name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0 &&
         name.find_first_not_of("0123456789") == name.size() - 5;
}

// Every record, oldest first; a damaged one is reported and left out.
std::vector<Record> load_records() {
  std::vector<Record> records;
  if (!is_directory(records_dir())) return records;
  for (const std::string& name : list_directory(records_dir())) {
    if (!is_record_name(name)) continue;
    try {
      records.push_back(read_record(join_path(records_dir(), name)));
    } catch (const std::exception& e) {
      ereport(WARNING, (errmsg("pg_scribe: skipping a damaged file-system backup record: %s", e.what())));
    }
  }
  std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) { return a.id < b.id; });
  return records;
}

std::optional<Record> load_record(std::uint64_t id) {
  const std::string path = record_path(id);
  if (!path_exists(path)) return std::nullopt;
  return read_record(path);
}

}  // namespace scribe::fs_backup
