// The record file of each file-system backup,
// $PGDATA/pg_scribe/fs_backups/<id>.json (fs_backup_internal.hpp).
#include <algorithm>
#include <string>
#include <vector>

#include "engine.hpp"
#include "fs_backup_internal.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/json.hpp"

namespace scribe::fs_backup {

std::string records_dir() { return engine::scribe_state_dir() + "/fs_backups"; }

std::string record_path(std::uint64_t id) {
  char name[32];
  snprintf(name, sizeof name, "%010llu.json", static_cast<unsigned long long>(id));
  return join_path(records_dir(), name);
}

namespace {

std::string record_json(const Record& r) {
  JsonWriter w;
  auto lsn = [&](const char* key, XLogRecPtr value) {
    w.key(key);
    if (value == InvalidXLogRecPtr) {
      w.null_value();
    } else {
      char buf[kLsnTextSize];
      format_lsn(value, buf);
      w.value(buf);
    }
  };
  w.begin_object();
  w.key("id");
  w.value(r.id);
  w.key("label");
  w.value(r.label);
  w.key("state");
  w.value(state_name(r.state));
  w.key("database_oid");
  w.value(static_cast<std::uint64_t>(r.database));
  w.key("fast");
  w.value(r.fast);
  w.key("timeout_us");
  w.value(r.timeout_us);
  lsn("start_lsn", r.start_lsn);
  lsn("stop_lsn", r.stop_lsn);
  // TimestampTz: microseconds since 2000-01-01 00:00:00 UTC, 0 for none.
  w.key("started_at_us");
  w.value(static_cast<std::int64_t>(r.started_at));
  w.key("finished_at_us");
  w.value(static_cast<std::int64_t>(r.finished_at));
  w.key("deadline_us");
  w.value(static_cast<std::int64_t>(r.deadline));
  w.key("worker_pid");
  w.value(r.worker_pid);
  w.key("sqlstate");
  w.value(r.sqlstate);
  w.key("error");
  w.value(r.error);
  w.key("backup_label");
  w.value(r.backup_label);
  w.key("tablespace_map");
  w.value(r.tablespace_map);
  w.key("wal_files");
  w.begin_array();
  for (const std::string& f : r.wal_files) w.value(f);
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace

Record read_record(const std::string& path) {
  const JsonValue doc = parse_json(read_small_file(path, 16u << 20), "file \"" + path + "\"");
  auto lsn = [&](const char* key) -> XLogRecPtr {
    const JsonValue& v = doc.at(key);
    if (v.is_null()) return InvalidXLogRecPtr;
    const std::optional<std::uint64_t> parsed = parse_lsn(v.as_string());
    if (!parsed) throw Error(sqlstate::kDataCorrupted, "invalid " + std::string(key) + " in \"" + path + "\"");
    return *parsed;
  };
  Record r;
  r.id = doc.uint_at("id");
  r.label = doc.string_at("label");
  const std::optional<State> state = state_from_name(doc.string_at("state"));
  if (!state)
    throw Error(sqlstate::kDataCorrupted, "unknown state \"" + doc.string_at("state") + "\" in \"" + path + "\"");
  r.state = *state;
  r.database = static_cast<Oid>(doc.uint_at("database_oid"));
  r.fast = doc.at("fast").as_bool();
  r.timeout_us = doc.at("timeout_us").as_int();
  r.start_lsn = lsn("start_lsn");
  r.stop_lsn = lsn("stop_lsn");
  r.started_at = doc.at("started_at_us").as_int();
  r.finished_at = doc.at("finished_at_us").as_int();
  r.deadline = doc.at("deadline_us").as_int();
  r.worker_pid = static_cast<int>(doc.at("worker_pid").as_int());
  r.sqlstate = doc.string_at("sqlstate");
  r.error = doc.string_at("error");
  r.backup_label = doc.string_at("backup_label");
  r.tablespace_map = doc.string_at("tablespace_map");
  for (const JsonValue& f : doc.at("wal_files").as_array()) r.wal_files.push_back(f.as_string());
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
