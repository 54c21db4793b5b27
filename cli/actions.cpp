// The thin actions: calls of the SQL API (scribe.init, scribe.start, ...,
// scribe.fs_backup_start, scribe.fs_backup_stop) and --status.
#include "actions.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <cstdio>
#include <ctime>

#include "connection.hpp"
#include "report.hpp"
#include "repository_read.hpp"
#include "scribe/core/repository.hpp"
#include "scribe/core/chain.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/chain_verify.hpp"
#include "scribe/core/compression.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/strict_json.hpp"

namespace pgscribe {

namespace {

// Without -d, the actions that work on an existing backup connect to the
// database its scribe.json names (the seed CLI's --rotate-diff takes only
// --backup-dir).
ConnectionOptions connection_for(const Options& o) {
  ConnectionOptions c = o.connection;
  if (c.dbname.empty() && !o.backup_dir.empty() && o.action != Action::kInit) {
    try {
      const auto owner = scribe::parse_json(
          scribe::repository::read_small(scribe::join_path(o.backup_dir, std::string(scribe::kOwnerFileName)), 1 << 16),
          "file \"scribe.json\"");
      c.dbname = scribe::json_string_at(owner, "database");
      log_verbose("connecting to database \"" + c.dbname + "\" named by " + o.backup_dir + "/scribe.json");
    } catch (const std::exception&) {
      // Not readable here (another host, another OS user): libpq's defaults.
    }
  }
  return c;
}

void require_extension(Connection& conn) {
  const Rows rows = conn.exec("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'scribe'");
  if (rows.count() == 0)
    throw ActionError(kExitError, "extension \"scribe\" is not installed in database \"" + conn.database() + "\"", {},
                      "Run CREATE EXTENSION scribe; in that database (the server needs shared_preload_libraries = "
                      "'scribe'), or use pg_scribe --init, which creates it.");
}

// The configured backup of this database, from scribe.status.
struct Configured {
  bool exists = false;
  std::string backup_dir, chain_id, slot, state;
};

Configured configured_backup(Connection& conn) {
  const Rows rows = conn.exec(
      "SELECT backup_dir, current_chain, slot_name, state FROM scribe.status WHERE database = "
      "pg_catalog.current_database()");
  Configured c;
  if (rows.count() == 0) return c;
  c.exists = true;
  c.backup_dir = rows.get(0, 0);
  c.chain_id = rows.get(0, 1);
  c.slot = rows.get(0, 2);
  c.state = rows.get(0, 3);
  return c;
}

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// --backup-dir given to an action on an existing backup must be the one the
// database streams to: a script pointed at the wrong directory fails loudly.
Configured require_backup(Connection& conn, const Options& o) {
  require_extension(conn);
  Configured c = configured_backup(conn);
  if (!c.exists)
    throw ActionError(kExitBackup, "database \"" + conn.database() + "\" is not backed up by pg_scribe", {},
                      "Initialize it with pg_scribe --init --backup-dir=DIR.");
  if (!o.backup_dir.empty() && strip_trailing_slashes(o.backup_dir) != strip_trailing_slashes(c.backup_dir))
    throw ActionError(
        kExitInvalid,
        "database \"" + conn.database() + "\" is backed up to \"" + c.backup_dir + "\", not \"" + o.backup_dir + "\"",
        {}, "Give --backup-dir=" + c.backup_dir + " or leave it out.");
  return c;
}

std::string slot_or_default(const Options& o) { return o.slot.empty() ? "pg_scribe" : o.slot; }

// Validation shown before init, as the seed CLI's --init prints it. The
// server checks again inside scribe.init(), which has the last word.
bool show_validation(Connection& conn, bool force) {
  log_line("Validating the server and the database...");
  const Rows s = conn.exec(
      "SELECT pg_catalog.current_setting('wal_level'), pg_catalog.current_setting('max_replication_slots')::int, "
      "pg_catalog.current_setting('max_wal_senders')::int, "
      "(SELECT count(*) FROM pg_catalog.pg_replication_slots)::int, "
      "coalesce(pg_catalog.current_setting('output_plugin_libraries', true), '*'), "
      "(SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "  WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'u' AND n.nspname !~ '^pg_')::int, "
      "(SELECT count(*) FROM pg_catalog.pg_largeobject_metadata)::int, "
      "pg_catalog.current_setting('shared_preload_libraries')");
  bool ok = true;
  auto check = [&](bool pass, const std::string& what, const std::string& fix) {
    if (pass) {
      log_done(what);
    } else {
      log_line("✗ " + what + (fix.empty() ? "" : "\n    fix: " + fix));
      ok = false;
    }
  };
  const std::string wal_level = s.get(0, 0);
  const int slots = std::stoi(s.get(0, 1)), senders = std::stoi(s.get(0, 2)), used = std::stoi(s.get(0, 3));
  const std::string plugins = s.get(0, 4);
  check(wal_level == "logical", "wal_level = " + wal_level, "set wal_level = logical in postgresql.conf and restart");
  check(slots - used >= 1,
        "max_replication_slots = " + std::to_string(slots) + " (" + std::to_string(used) + " in use)",
        "raise max_replication_slots and restart");
  check(senders >= 1, "max_wal_senders = " + std::to_string(senders), "set max_wal_senders to at least 2 and restart");
  check(plugins == "*" || plugins.find("wal2sql") != std::string::npos, "output_plugin_libraries = '" + plugins + "'",
        "add wal2sql to output_plugin_libraries and reload");
  const std::string preload = s.get(0, 7);
  check(preload.find("scribe") != std::string::npos, "shared_preload_libraries = '" + preload + "'",
        "add scribe to shared_preload_libraries and restart");
  const Rows offenders = conn.exec(
      "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema', "
      "'scribe') AND n.nspname !~ '^pg_toast' AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS "
      "(SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)) OR (c.relreplident = 'i' "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))) "
      "ORDER BY 1");
  if (offenders.count() == 0) {
    log_done("every table has a usable replica identity");
  } else {
    std::string fixes;
    for (int i = 0; i < offenders.count() && i < 50; i++)
      fixes += "\n    ALTER TABLE " + offenders.get(i, 0) + " REPLICA IDENTITY FULL;";
    log_line("✗ " + std::to_string(offenders.count()) + " table(s) without a usable replica identity" +
             (force ? " (--force: their UPDATE and DELETE will stop the replay)" : "") + "\n    fix:" + fixes);
    if (!force) ok = false;
  }
  if (s.get(0, 5) != "0") log_line("! " + s.get(0, 5) + " unlogged table(s): not backed up");
  if (s.get(0, 6) != "0") log_line("! " + s.get(0, 6) + " large object(s): not backed up");
  return ok;
}

// Chains from the manifests in the directory, as the seed CLI's --status
// shows them.
void show_chains(const std::string& backup_dir, const std::string& streaming_chain) {
  log_line("");
  log_line("Backup Directory: " + backup_dir);
  std::vector<std::string> ids;
  try {
    ids = list_chain_ids(backup_dir);
  } catch (const std::exception& e) {
    log_warning(std::string("cannot read the backup directory: ") + e.what());
    return;
  }
  std::uint64_t total = 0;
  for (const std::string& id : ids) {
    const std::string dir = scribe::join_path(backup_dir, scribe::chain_dir_name(id));
    log_line("");
    log_line("  chain-" + id + (id == streaming_chain ? " (ACTIVE - streaming)" : ""));
    try {
      const scribe::Manifest m = load_chain_manifest(dir);
      std::uint64_t diff_bytes = 0;
      for (const auto& d : m.diffs) diff_bytes += d.stored.bytes;
      total += m.base.bytes + m.globals.bytes + diff_bytes;
      log_line("    Base: " + m.base.file + " (" + scribe::size_text(m.base.bytes) + "), stream from " +
               scribe::lsn_text(m.start_lsn));
      log_line("    Differentials: " + std::to_string(m.diffs.size()) + " files (" + scribe::size_text(diff_bytes) +
               " total)");
      if (!m.diffs.empty()) {
        const auto& last = m.diffs.back();
        log_line("    Last sealed: " + last.stored.file + " at " + last.sealed_at + ", up to " +
                 scribe::lsn_text(last.end_lsn));
      }
      if (m.closed) log_line("    Closed at " + scribe::lsn_text(m.end_lsn) + "; continued by chain-" + m.next_chain);
      const std::string active = scribe::join_path(dir, std::string(scribe::kActiveFileName));
      if (scribe::repository::exists(active)) {
        struct stat st {};
        const std::uint64_t size = stat(active.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
        total += size;
        log_line("    Active: active.sql (" + scribe::size_text(size) + ")");
      }
    } catch (const std::exception& e) {
      log_line(std::string("    manifest unreadable: ") + e.what());
    }
  }
  if (ids.empty()) log_line("  (no chains)");
  log_line("");
  log_line("Total backup size: " + scribe::size_text(total));
}

}  // namespace

bool decompress_file(const std::string& path, const std::string& name,
                     const std::function<void(const char*, std::size_t)>& sink,
                     const std::function<bool(std::size_t)>& after_block, scribe::StoredFileCheck* check) {
  constexpr std::size_t kBlock = 1 << 20;
  if (scribe::repository::is_remote(path)) return decompress_remote_file(path, name, sink, after_block, check);
  // O_NONBLOCK: a FIFO in place of a file must not hang the open (it is
  // refused below; a regular file's reads ignore the flag).
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) throw ActionError(kExitBackup, "could not open " + name + ": " + std::strerror(errno), path);
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0) throw ActionError(kExitBackup, "could not stat " + name + ": " + std::strerror(errno), path);
  if (!S_ISREG(st.st_mode)) throw ActionError(kExitBackup, "could not read " + name + ": not a regular file", path);
  auto decompressor = scribe::make_decompressor(scribe::method_for_file_name(name), checked_sink(sink, check));
  std::unique_ptr<char[]> buffer(new char[kBlock]);
  for (;;) {
    const ssize_t n = read(fd, buffer.get(), kBlock);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ActionError(kExitBackup, "could not read " + name + ": " + std::strerror(errno), path);
    }
    if (n == 0) break;
    if (check != nullptr) check->stored(buffer.get(), static_cast<std::size_t>(n));
    decompressor->write(buffer.get(), static_cast<std::size_t>(n));
    if (after_block && !after_block(static_cast<std::size_t>(n))) return false;
  }
  decompressor->finish();
  return true;
}

std::vector<std::string> list_chain_ids(const std::string& backup_dir) {
  std::vector<std::string> ids;
  const bool remote = scribe::repository::is_remote(backup_dir);
  for (const std::string& name : scribe::repository::list(backup_dir)) {
    auto id = scribe::chain_id_from_dir_name(name);
    // (In a store, a chain-* name in the listing is a key prefix: a directory.)
    if (id && (remote || scribe::is_directory(scribe::join_path(backup_dir, name)))) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string pick_chain(const std::string& backup_dir, const std::string& requested) {
  std::vector<std::string> ids;
  try {
    ids = list_chain_ids(backup_dir);
  } catch (const scribe::Error& e) {
    throw ActionError(kExitBackup, std::string("cannot read backup directory: ") + e.what(), e.detail(), e.hint());
  }
  if (requested.empty()) {
    if (ids.empty())
      throw ActionError(kExitBackup, "no chain in backup directory \"" + backup_dir + "\"", {},
                        "A backup directory holds chain-<ID>/ directories made by pg_scribe --init.");
    return ids.back();
  }
  std::string id = requested;
  if (auto stripped = scribe::chain_id_from_dir_name(id)) id = *stripped;
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
    std::string known;
    for (const auto& k : ids) known += (known.empty() ? "" : ", ") + k;
    throw ActionError(kExitBackup, "chain \"" + requested + "\" not found in \"" + backup_dir + "\"",
                      known.empty() ? "The directory holds no chain." : "Chains: " + known + ".");
  }
  return id;
}

int run_init(const Options& o) {
  Connection conn(connection_for(o));
  if (!show_validation(conn, o.force) && !o.force)
    throw ActionError(kExitInvalid, "validation failed: nothing was created", {},
                      "Fix what is marked ✗ above, or give --force to back up tables without a replica identity.");
  const Rows ext = conn.exec("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'scribe'");
  if (ext.count() == 0) {
    conn.exec("CREATE EXTENSION scribe");
    log_done("Extension scribe created");
  }
  const std::string compression = o.compress.empty() ? "none" : o.compress;
  log_line("Creating the slot and taking the base backup...");
  const Rows r =
      o.repository.empty()
          ? conn.exec("SELECT chain_id, chain_dir, slot_name, start_lsn FROM scribe.init($1, $2, $3, $4)",
                      {o.backup_dir, slot_or_default(o), compression, std::string(o.force ? "true" : "false")})
          : conn.exec(
                "SELECT chain_id, chain_dir, slot_name, start_lsn FROM scribe.init($1, $2, $3, $4, $5)",
                {o.backup_dir, slot_or_default(o), compression, std::string(o.force ? "true" : "false"), o.repository});
  log_done("Replication slot '" + r.get(0, 2) + "' created at LSN " + r.get(0, 3));
  log_done("Initial chain created: " + r.get(0, 0));
  log_line("  Location: " + r.get(0, 1) + "/");
  log_done("Streaming started (background worker of the server)");
  if (!o.repository.empty()) log_done("Sealed files are uploaded to " + o.repository);
  log_line("");
  log_line("Seal a differential with:");
  log_line("  pg_scribe --rotate-diff -d " + conn.database() + " --backup-dir " + o.backup_dir);
  std::printf("%s\n", r.get(0, 0).c_str());
  return kExitOk;
}

int run_start(const Options& o) {
  Connection conn(connection_for(o));
  const Configured c = require_backup(conn, o);
  if (!o.slot.empty() && o.slot != c.slot)
    throw ActionError(
        kExitSlot, "database \"" + conn.database() + "\" streams from slot \"" + c.slot + "\", not \"" + o.slot + "\"");
  log_done("Found latest chain: " + c.chain_id);
  const Rows r = conn.exec("SELECT scribe.start()");
  log_done(r.get(0, 0) == "t" ? "Started streaming from slot '" + c.slot + "'"
                              : "Already streaming from slot '" + c.slot + "'");
  log_done("Writing to: " + c.backup_dir + "/chain-" + c.chain_id + "/active.sql");
  return kExitOk;
}

int run_stop(const Options& o) {
  Connection conn(connection_for(o));
  const Configured c = require_backup(conn, o);
  const Rows r = conn.exec("SELECT scribe.stop()");
  log_done(r.get(0, 0) == "t" ? "Stopped streaming; slot '" + c.slot + "' keeps the WAL until --start"
                              : "Streaming was already stopped");
  return kExitOk;
}

int run_rotate_diff(const Options& o) {
  Connection conn(connection_for(o));
  const Configured c = require_backup(conn, o);
  log_done("Found active chain: " + c.chain_id);
  const Rows r =
      conn.exec("SELECT diff_file, first_lsn, last_lsn, transactions, bytes, sha256 FROM scribe.rotate_diff()");
  const std::string path = r.get(0, 0);
  log_done("Rotated differential: " + path.substr(path.find_last_of('/') + 1) + " (" +
           scribe::size_text(std::stoull(r.get(0, 4))) + ", " + scribe::count_text(std::stoull(r.get(0, 3))) +
           " transactions, WAL " + r.get(0, 1) + " to " + r.get(0, 2) + ")");
  log_done("New differential started");
  std::printf("%s\n", r.get(0, 0).c_str());
  return kExitOk;
}

int run_new_chain(const Options& o) {
  Connection conn(connection_for(o));
  const Configured c = require_backup(conn, o);
  log_line("Taking new base backup...");
  const Rows r =
      conn.exec("SELECT scribe.new_chain($1)",
                {o.compress.empty() ? std::optional<std::string>() : std::optional<std::string>(o.compress)});
  const std::string id = r.get(0, 0);
  log_done("Base backup complete: chain-" + id);
  log_line("");
  log_line("Transitioning from chain-" + c.chain_id + "...");
  log_done("Sealed old chain: chain-" + c.chain_id);
  log_done("Started streaming to new chain: " + id);
  std::printf("%s\n", id.c_str());
  return kExitOk;
}

int run_teardown(const Options& o) {
  Connection conn(connection_for(o));
  const Configured c = require_backup(conn, o);
  conn.exec("SELECT scribe.teardown($1)", {std::string(o.keep_slot ? "false" : "true")});
  log_done("Stopped backing up database \"" + conn.database() + "\"" +
           (o.keep_slot ? "; slot '" + c.slot + "' kept" : "; slot '" + c.slot + "' dropped"));
  log_line("  The files in " + c.backup_dir + " were kept.");
  return kExitOk;
}

int run_status(const Options& o) {
  int code = kExitOk;
  std::string streaming_chain;
  try {
    Connection conn(connection_for(o));
    require_extension(conn);
    std::string sql =
        "SELECT database, slot_name, coalesce(worker_pid::text, '-'), state, coalesce(last_error, ''), "
        "coalesce(backup_dir, ''), coalesce(current_chain, ''), coalesce(confirmed_flush_lsn::text, '-'), "
        "coalesce(lag_bytes::text, '-'), coalesce(round(lag_seconds::numeric, 1)::text, '-'), "
        "coalesce(wal_status, 'missing'), coalesce(last_rotation::text, 'never'), diffs_in_chain, "
        "pg_catalog.array_to_string(warnings, e'\\n'), pg_catalog.pg_current_wal_lsn()::text, "
        "coalesce(pg_catalog.pg_size_pretty(lag_bytes), '-'), "
        "(SELECT restart_lsn::text FROM pg_catalog.pg_replication_slots r WHERE r.slot_name = s.slot_name) "
        "FROM scribe.status s";
    std::vector<std::optional<std::string>> params;
    if (!o.slot.empty()) {
      sql += " WHERE slot_name = $1";
      params.push_back(o.slot);
    }
    sql += " ORDER BY database";
    const Rows r = conn.exec(sql, params);
    if (r.count() == 0) {
      log_warning(o.slot.empty() ? "no database of this cluster is backed up by pg_scribe"
                                 : "no pg_scribe backup uses slot \"" + o.slot + "\"");
      code = kExitWarnings;
    }
    for (int i = 0; i < r.count(); i++) {
      if (i > 0) log_line("");
      log_line("Database: " + r.get(i, 0));
      log_line("Replication Slot: " + r.get(i, 1));
      log_line("  Worker: " + r.get(i, 3) + " (pid " + r.get(i, 2) + ")");
      log_line("  Current LSN: " + r.get(i, 14));
      log_line("  Confirmed LSN: " + r.get(i, 7));
      log_line("  Restart LSN: " + (r.is_null(i, 16) ? std::string("-") : r.get(i, 16)));
      log_line("  Lag: " + r.get(i, 15) + " (" + r.get(i, 9) + " s)");
      log_line("  WAL status: " + r.get(i, 10));
      log_line("  Backup directory: " + r.get(i, 5));
      log_line("  Current chain: " + r.get(i, 6) + " (" + r.get(i, 12) + " sealed differentials, last rotation " +
               r.get(i, 11) + ")");
      if (!r.get(i, 4).empty()) log_line("  Last error: " + r.get(i, 4));
      const std::string warnings = r.get(i, 13);
      if (!warnings.empty()) {
        std::size_t start = 0;
        while (start <= warnings.size()) {
          const std::size_t nl = warnings.find('\n', start);
          const std::string w = warnings.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
          if (!w.empty()) log_line("  WARNING: " + w);
          if (nl == std::string::npos) break;
          start = nl + 1;
        }
        code = kExitWarnings;
      }
      if (!o.backup_dir.empty() && strip_trailing_slashes(r.get(i, 5)) == strip_trailing_slashes(o.backup_dir))
        streaming_chain = r.get(i, 6);
    }
  } catch (const ConnectError&) {
    // The directory can still be shown without a server.
    if (o.backup_dir.empty()) throw;
    log_warning("cannot connect to the server: showing the backup directory only");
    code = kExitConnection;
    show_chains(o.backup_dir, streaming_chain);
    return code;
  }
  if (!o.backup_dir.empty()) show_chains(o.backup_dir, streaming_chain);
  return code;
}

namespace {

// 'text' for a shell command line shown to the user.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char ch : text) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

// A file of the stopped backup, written here (not on the server). A failure
// loses nothing: the server keeps the result for another --fs-backup-stop.
void write_backup_file(const Options& o, const std::string& path, const std::string& content, const char* what) {
  try {
    scribe::write_file_atomically(path, content);
  } catch (const scribe::Error& e) {
    const std::string again = "pg_scribe --fs-backup-stop --label " + shell_quote(o.label);
    throw ActionError(kExitBackup, std::string("could not write the ") + what + " file: " + e.what(), e.detail(),
                      "The backup was stopped and the server kept its result: run " + again + " again to get it.");
  }
}

}  // namespace

int run_fs_backup_start(const Options& o) {
  Connection conn(connection_for(o));
  require_extension(conn);
  log_line(
      "Starting file-system backup \"" + o.label + "\"" +
      (o.fast ? " with an immediate checkpoint..." : " (waiting for a spread checkpoint; --fast forces one now)..."));
  const Rows r =
      conn.exec("SELECT scribe.fs_backup_start($1, $2, pg_catalog.make_interval(secs => $3::double precision))",
                {o.label, std::string(o.fast ? "true" : "false"),
                 o.timeout.empty() ? std::optional<std::string>() : std::optional<std::string>(o.timeout)});
  const std::string start_lsn = r.get(0, 0);
  log_done("Backup \"" + o.label + "\" in progress from LSN " + start_lsn +
           "; a background worker of the server holds it open");
  try {
    const Rows d = conn.exec(
        "SELECT deadline FROM scribe.fs_backups WHERE label = $1 AND state = 'running' AND deadline IS NOT NULL",
        {o.label});
    if (d.count() > 0) log_line("  It is aborted unless stopped by " + d.get(0, 0) + ".");
  } catch (const DbError&) {
    // The view is for monitoring roles; the backup runs all the same.
  }
  log_line("Copy or snapshot the data directory now (leave out postmaster.pid, postmaster.opts and the contents of");
  log_line("pg_wal), then end the backup, from any session:");
  log_line("  pg_scribe --fs-backup-stop --label " + shell_quote(o.label) + " --backup-label-file COPY/backup_label");
  std::printf("%s\n", start_lsn.c_str());
  return kExitOk;
}

int run_fs_backup_stop(const Options& o) {
  Connection conn(connection_for(o));
  require_extension(conn);
  const bool wait_for_archive = !o.no_wait_for_archive;
  log_line("Stopping file-system backup \"" + o.label + "\"" +
           (wait_for_archive ? " (waiting until the WAL it needs is archived)..." : "..."));
  const Rows r = conn.exec(
      "SELECT stop_lsn, backup_label, tablespace_map, pg_catalog.array_to_string(wal_files, E'\\n') "
      "FROM scribe.fs_backup_stop($1, $2)",
      {o.label, std::string(wait_for_archive ? "true" : "false")});
  const std::string stop_lsn = r.get(0, 0), label_file = r.get(0, 1), wal = r.get(0, 3);
  const bool has_map = !r.is_null(0, 2);
  log_done("Backup \"" + o.label + "\" stopped at LSN " + stop_lsn);
  if (!o.backup_label_file.empty()) {
    write_backup_file(o, o.backup_label_file, label_file, "backup_label");
    log_done("backup_label written to " + o.backup_label_file);
  }
  if (has_map && !o.tablespace_map_file.empty()) {
    write_backup_file(o, o.tablespace_map_file, r.get(0, 2), "tablespace_map");
    log_done("tablespace_map written to " + o.tablespace_map_file);
  } else if (has_map) {
    log_warning("the cluster has tablespaces: the backup needs this tablespace_map file next to backup_label",
                r.get(0, 2), "Give --tablespace-map-file=COPY/tablespace_map to write it.");
  } else if (!o.tablespace_map_file.empty()) {
    log_line("  No tablespace_map needed (only the default tablespaces): " + o.tablespace_map_file + " not written");
  }
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start < wal.size()) {
    std::size_t end = wal.find('\n', start);
    if (end == std::string::npos) end = wal.size();
    const std::string name = wal.substr(start, end - start);
    if (name.find('.') == std::string::npos) segments.push_back(name);
    start = end + 1;
  }
  if (!segments.empty())
    log_done("It needs " + std::to_string(segments.size()) + " WAL segment(s): " + segments.front() +
             (segments.size() > 1 ? " to " + segments.back() : std::string()) + (wait_for_archive ? ", archived" : ""));
  if (!o.wal_list_file.empty()) {
    write_backup_file(o, o.wal_list_file, wal.empty() ? wal : wal + "\n", "WAL list");
    log_done("WAL file list written to " + o.wal_list_file);
  }
  if (o.backup_label_file.empty()) log_line("Store the text below as backup_label in the root of the copy:");
  std::fwrite(label_file.data(), 1, label_file.size(), stdout);
  return kExitOk;
}

}  // namespace pgscribe
