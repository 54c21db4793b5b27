// nlohmann/json before the server headers that other headers bring
// (postgres.h redefines snprintf).
#include "scribe/core/strict_json.hpp"

#include "base.hpp"
#include "unreadable_data.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.hpp"
#include "globals_sync.hpp"
#include "scribe/core/base_filter.hpp"
#include "scribe/core/chain.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fault.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/digest.hpp"
#include "scribe/pg/compat.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/lwlock_guard.hpp"

#include "scribe/pg/catalog_spi.hpp"
extern "C" {
#include "access/xlog.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "replication/slot.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "replication/walreceiver.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/tuplestore.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

extern char** environ;
}

namespace scribe::engine {
namespace {

using scribe::pg::call_pg;

std::string conninfo_quote(const std::string& value) {
  std::string out = "'";
  for (const char ch : value) {
    if (ch == '\'' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('\'');
  return out;
}

std::string connect_host_name() {
  if (connect_host != nullptr && connect_host[0] != '\0') return connect_host;
  std::string dirs = Unix_socket_directories != nullptr ? Unix_socket_directories : "";
  const std::size_t comma = dirs.find(',');
  std::string first = dirs.substr(0, comma);
  while (!first.empty() && first.front() == ' ') first.erase(0, 1);
  while (!first.empty() && first.back() == ' ') first.pop_back();
  return first.empty() ? "127.0.0.1" : first;
}

std::string session_user_name() {
  std::string name;
  call_pg([&] { name = GetUserNameFromId(GetSessionUserId(), false); });
  return name;
}

std::string bin_path(const char* program) {
  std::string dir = parent_directory(my_exec_path);
  return join_path(dir, program);
}

// A child process whose stdout is streamed to a sink; killed if we unwind.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
      throw Error(sqlstate::kSystemError, std::string("could not create a pipe: ") + strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The child must not inherit the backend's blocked signals or handlers.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all_default;
    sigemptyset(&none);
    sigfillset(&all_default);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all_default);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const int rc = posix_spawn(&pid_, argv[0].c_str(), &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    stdout_ = out[0];
    stderr_ = err[0];
    if (rc != 0) {
      pid_ = -1;
      throw Error(sqlstate::kSystemError, "could not run \"" + argv[0] + "\": " + strerror(rc), {},
                  "pg_dump and pg_dumpall must be installed next to the server's postgres binary.");
    }
  }
  ~Child() {
    if (stdout_ >= 0) ::close(stdout_);
    if (stderr_ >= 0) ::close(stderr_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  // Streams stdout to `sink` until the program ends; returns its stderr.
  template <class Sink>
  std::string run(Sink sink, const std::string& program) {
    std::string errors;
    char buf[1 << 16];
    while (stdout_ >= 0 || stderr_ >= 0) {
      pollfd fds[2];
      int n = 0;
      if (stdout_ >= 0) fds[n++] = {stdout_, POLLIN, 0};
      if (stderr_ >= 0) fds[n++] = {stderr_, POLLIN, 0};
      const int rc = ::poll(fds, n, 100);
      call_pg([] { CHECK_FOR_INTERRUPTS(); });
      if (rc < 0) {
        if (errno == EINTR) continue;
        throw Error(sqlstate::kSystemError, std::string("poll failed: ") + strerror(errno));
      }
      for (int i = 0; i < n; i++) {
        if (fds[i].revents == 0) continue;
        const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          ::close(fds[i].fd);
          (fds[i].fd == stdout_ ? stdout_ : stderr_) = -1;
          continue;
        }
        if (fds[i].fd == stdout_)
          sink(buf, static_cast<std::size_t>(got));
        else if (errors.size() < 8192)
          errors.append(buf, static_cast<std::size_t>(got));
      }
    }
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) throw Error(sqlstate::kSystemError, std::string("waitpid failed: ") + strerror(errno));
    }
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      while (!errors.empty() && errors.back() == '\n') errors.pop_back();
      throw Error(sqlstate::kSystemError, program + " failed", errors, "See the DETAIL; the backup was not created.");
    }
    return errors;
  }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
};

struct StoredOutput {
  std::uint64_t bytes = 0;
  std::string sha256;
};

// Runs a dump program into chain_dir/name through the compressor
// (`own_entries`: through a BaseDumpFilter that leaves them out first).
StoredOutput dump_to_file(const std::vector<std::string>& argv, const std::string& path, const CompressionSpec& spec,
                          const std::string& program,
                          const std::optional<std::vector<std::string>>& own_entries = std::nullopt) {
  File out(path, File::Mode::kCreateNew);
  Sha256 hash;
  StoredOutput result;
  auto compressor = make_compressor(spec, [&](const char* data, std::size_t n) {
    out.write_all(data, n);
    hash.update(data, n);
    result.bytes += n;
  });
  const bool filter_extension = own_entries.has_value();
  BaseDumpFilter filter([&](const char* data, std::size_t n) { compressor->write(data, n); },
                        own_entries.value_or(std::vector<std::string>{}));
  Child child(argv);
  child.run(
      [&](const char* data, std::size_t n) {
        if (filter_extension)
          filter.write(data, n);
        else
          compressor->write(data, n);
      },
      program);
  filter.finish();
  compressor->finish();
  out.sync();
  out.close();
  result.sha256 = hash.hex();
  return result;
}

std::string metadata_json(XLogRecPtr start_lsn, const BaseRequest& request) {
  Json doc = {{"format", "pg_scribe metadata 1"},
              {"chain_id", request.chain_id},
              {"created_at", now_iso()},
              {"system_identifier", std::to_string(GetSystemIdentifier())},
              {"database", current_database_name()},
              {"slot", request.slot},
              {"start_lsn", lsn_text(start_lsn)},
              {"compression", to_string(request.compression)}};
  std::string version, version_num, collate, ctype;
  std::vector<std::pair<std::string, std::string>> extensions;
  call_pg([&] {
    version = GetConfigOption("server_version", false, false);
    version_num = GetConfigOption("server_version_num", false, false);
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    // From the catalog: PostgreSQL 16 removed the lc_collate and lc_ctype settings.
    const char* locale_query =
        psprintf("SELECT datcollate::text, datctype::text FROM pg_catalog.pg_database WHERE oid = %u", MyDatabaseId);
    if (scribe::pg::spi_execute_catalog(locale_query, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
      elog(ERROR, "could not read the database's locale");
    collate = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    ctype = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
    if (scribe::pg::spi_execute_catalog("SELECT extname::text, extversion FROM pg_catalog.pg_extension ORDER BY 1",
                                        true, 0) != SPI_OK_SELECT)
      elog(ERROR, "could not list the extensions");
    for (uint64 i = 0; i < SPI_processed; i++)
      extensions.emplace_back(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
                              SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
    SPI_finish();
  });
  doc["server_version"] = version;
  doc["server_version_num"] = static_cast<std::int64_t>(std::stoll(version_num));
  doc["encoding"] = GetDatabaseEncodingName();
  doc["lc_collate"] = collate;
  doc["lc_ctype"] = ctype;
  Json& by_name = doc["extensions"] = Json::object();
  for (const auto& [name, ver] : extensions) by_name[name] = ver;
  return write_json(doc);
}

// The header lines of the entries pg_dump writes only because the scribe
// extension is installed (see BaseDumpFilter): besides the extension and
// its comment, the ACL, security label and policy entries of its member
// objects, which pg_dump writes when they differ from the extension
// script's (pg_init_privs; the README's non-superuser setup grants EXECUTE
// on some). A restore onto a server without pg_scribe would fail on them.
// The tags are pg_dump's (pg_dump.c: "FUNCTION name(args)" with
// pg_get_function_arguments, "TABLE name", "COLUMN table.column", ...,
// names through fmtId, which quotes as quote_ident does).
constexpr const char kOwnDumpEntriesQuery[] = R"SQL(
WITH x AS (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'scribe'),
m AS (SELECT d.classid, d.objid FROM pg_catalog.pg_depend d JOIN x ON d.refobjid = x.oid
       WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'),
e(tag, schema, owner, types) AS (
  SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE ' WHEN 'a' THEN 'AGGREGATE ' ELSE 'FUNCTION ' END
         || pg_catalog.quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
         n.nspname::text, pg_catalog.pg_get_userbyid(p.proowner)::text, ARRAY['ACL', 'SECURITY LABEL']
    FROM m JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = m.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || pg_catalog.quote_ident(c.relname),
         n.nspname, pg_catalog.pg_get_userbyid(c.relowner), ARRAY['ACL', 'SECURITY LABEL']
    FROM m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = m.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  UNION ALL
  SELECT 'COLUMN ' || pg_catalog.quote_ident(c.relname) || '.' || pg_catalog.quote_ident(a.attname),
         n.nspname, pg_catalog.pg_get_userbyid(c.relowner), ARRAY['ACL', 'SECURITY LABEL']
    FROM m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = m.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT c.relname, n.nspname, pg_catalog.pg_get_userbyid(c.relowner), ARRAY['ROW SECURITY']
    FROM m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = m.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  UNION ALL
  SELECT c.relname || ' ' || pol.polname, n.nspname, pg_catalog.pg_get_userbyid(c.relowner), ARRAY['POLICY']
    FROM m JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = m.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_policy pol ON pol.polrelid = c.oid
  UNION ALL
  SELECT k || pg_catalog.quote_ident(t.typname), n.nspname, pg_catalog.pg_get_userbyid(t.typowner),
         ARRAY['ACL', 'SECURITY LABEL']
    FROM m JOIN pg_catalog.pg_type t ON m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = m.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace, (VALUES ('TYPE '), ('DOMAIN ')) k(k)
  UNION ALL
  SELECT 'EVENT TRIGGER ' || pg_catalog.quote_ident(t.evtname), '', pg_catalog.pg_get_userbyid(t.evtowner),
         ARRAY['SECURITY LABEL']
    FROM m JOIN pg_catalog.pg_event_trigger t
      ON m.classid = 'pg_catalog.pg_event_trigger'::pg_catalog.regclass AND t.oid = m.objid)
SELECT e.tag, t.type, e.schema, e.owner FROM e, pg_catalog.unnest(e.types) t(type)
)SQL";

std::vector<std::string> own_dump_entries() {
  // Each row's four fields are copied into a C array (plain buffers, nothing
  // with a destructor while SPI_getvalue may longjmp), then made into a
  // header outside call_pg.
  constexpr int kFields = 4;
  char** cells = nullptr;
  uint64 count = 0;
  call_pg([&] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    if (scribe::pg::spi_execute_catalog(kOwnDumpEntriesQuery, true, 0) != SPI_OK_SELECT)
      elog(ERROR, "could not list the scribe extension's member objects");
    count = SPI_processed;
    cells = static_cast<char**>(SPI_palloc(sizeof(char*) * (count * kFields + 1)));
    for (uint64 i = 0; i < count; i++)
      for (int c = 0; c < kFields; c++) {
        const char* value = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1);
        char* copy = static_cast<char*>(SPI_palloc(value != nullptr ? std::strlen(value) + 1 : 1));
        std::strcpy(copy, value != nullptr ? value : "");
        cells[i * kFields + c] = copy;
      }
    SPI_finish();
  });
  std::vector<std::string> headers;
  for (uint64 i = 0; i < count; i++) {
    char* const* f = cells + i * kFields;
    headers.push_back(dump_entry_header(f[0], f[1], f[2], f[3]));
  }
  call_pg([&] {
    for (uint64 i = 0; i < count * kFields; i++) pfree(cells[i]);
    pfree(cells);
  });
  return headers;
}

// Removes the slot and the chain directory unless disarmed, also when the
// session ends with FATAL meanwhile.
class BaseUndo {
 public:
  ~BaseUndo() {
    if (armed) undo(false);
  }
  void undo(bool exiting) {
    if (!slot.empty()) {
      try {
        // At exit, do not wait for a slot someone uses.
        if (exiting)
          (void)drop_unused_slot(slot);
        else
          drop_slot_if_exists(slot);
      } catch (const std::exception& e) {
        ereport(WARNING, (errmsg("pg_scribe: could not drop slot \"%s\" after a failure: %s", slot.c_str(), e.what()),
                          errhint("Drop it with pg_drop_replication_slot(); it retains WAL.")));
      }
    }
    if (!chain_dir.empty()) {
      try {
        remove_tree(chain_dir);
      } catch (const std::exception& e) {
        ereport(WARNING,
                (errmsg("pg_scribe: could not remove \"%s\" after a failure: %s", chain_dir.c_str(), e.what())));
      }
    }
  }
  bool armed = true;
  std::string slot;
  std::string chain_dir;
  ExitUndo on_exit{[this] {
    if (armed) undo(true);
  }};
};

std::vector<ExitUndo*>& exit_undos() {
  static std::vector<ExitUndo*> undos;  // innermost last
  return undos;
}

void run_exit_undos(int, Datum) {
  std::vector<ExitUndo*>& undos = exit_undos();
  while (!undos.empty()) {
    const ExitUndo* undo = undos.back();
    undos.pop_back();
    try {
      undo->run();
    } catch (const std::exception& e) {
      ereport(WARNING, (errmsg("pg_scribe: cleanup at the end of the session: %s", e.what())));
    } catch (...) {
    }
  }
}

}  // namespace

ExitUndo::ExitUndo(std::function<void()> action) : action_(std::move(action)) {
  static bool registered = false;
  if (!registered) {
    call_pg([] { before_shmem_exit(run_exit_undos, 0); });
    registered = true;
  }
  exit_undos().push_back(this);
}

ExitUndo::~ExitUndo() {
  std::vector<ExitUndo*>& undos = exit_undos();
  undos.erase(std::remove(undos.begin(), undos.end(), this), undos.end());
}

std::string local_conninfo() {
  return "host=" + conninfo_quote(connect_host_name()) + " port=" + std::to_string(PostPortNumber) +
         " dbname=" + conninfo_quote(current_database_name()) + " user=" + conninfo_quote(session_user_name()) +
         " application_name='pg_scribe'";
}

void drop_slot_if_exists(const std::string& slot) {
  call_pg([&] {
    if (SearchNamedReplicationSlot(slot.c_str(), true) != nullptr) ReplicationSlotDrop(slot.c_str(), false);
  });
}

std::string derived_slot_name(const std::string& base, const std::string& chain_id) {
  std::string suffix = "_" + chain_id;
  for (char& ch : suffix) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string head = base.substr(0, NAMEDATALEN - 1 - suffix.size());
  return head + suffix;
}

bool drop_unused_slot(const std::string& slot) {
  bool unused = false;
  {
    scribe::pg::LWLockGuard lock(ReplicationSlotControlLock, LW_SHARED);
    call_pg([&] {
      ReplicationSlot* s = SearchNamedReplicationSlot(slot.c_str(), false);
      if (s != nullptr) {
        SpinLockAcquire(&s->mutex);
        unused = s->in_use && s->active_pid == 0 && s->data.database == MyDatabaseId;
        SpinLockRelease(&s->mutex);
      }
    });
  }
  if (!unused) return false;
  call_pg([&] { ReplicationSlotDrop(slot.c_str(), true); });
  return true;
}

void remove_abandoned_chains(const std::string& backup_dir, const std::string& current_chain,
                             const std::string& current_slot, const std::string& slot_base) {
  for (const std::string& name : list_directory(backup_dir)) {
    const std::optional<std::string> id = chain_id_from_dir_name(name);
    const std::string dir = join_path(backup_dir, name);
    if (!id || *id == current_chain || !is_directory(dir)) continue;
    if (*id > current_chain) {
      // Chain ids only grow: a newer chain is one the configuration never
      // switched to.
      const std::string slot = derived_slot_name(slot_base, *id);
      const bool dropped = slot != current_slot && drop_unused_slot(slot);
      remove_tree(dir);
      fsync_directory(backup_dir);
      const std::string what = "chain " + *id + (dropped ? " and its slot \"" + slot + "\"" : std::string());
      ereport(LOG, (errmsg("pg_scribe: removed %s, left by a scribe.new_chain() that did not finish", what.c_str())));
      continue;
    }
    std::string slot;
    try {
      slot = load_manifest(dir).slot;
    } catch (const std::exception&) {
      continue;  // not ours to judge: --verify reports it
    }
    if (!slot.empty() && slot != current_slot && drop_unused_slot(slot))
      ereport(LOG, (errmsg("pg_scribe: dropped the slot \"%s\" of the previous chain %s, left by an interrupted "
                           "scribe.new_chain()",
                           slot.c_str(), id->c_str())));
  }
}

BaseResult take_base(const BaseRequest& request) {
  BaseResult result;
  BaseUndo undo;
  result.chain_dir = join_path(request.backup_dir, chain_dir_name(request.chain_id));
  make_directory(result.chain_dir);
  undo.chain_dir = result.chain_dir;
  fsync_directory(request.backup_dir);

  const std::string conninfo = local_conninfo();
  WalReceiverConn* conn = nullptr;
  char* snapshot = nullptr;
  XLogRecPtr lsn = InvalidXLogRecPtr;
  // Built before call_pg: a C++ string must not be alive where ereport jumps.
  const std::string host_name = connect_host_name();
  call_pg([&] {
    load_file("libpqwalreceiver", false);
    char* err = nullptr;
    conn = scribe::pg::connect_logical_replication(conninfo.c_str(), "pg_scribe", &err);
    if (conn == nullptr)
      ereport(ERROR,
              (errcode(ERRCODE_CONNECTION_FAILURE),
               errmsg("pg_scribe could not open a replication connection to the server: %s", err),
               errhint("The session user needs the REPLICATION attribute (or superuser), and pg_hba.conf must let it "
                       "connect to this database from \"%s\" without a password prompt (trust, peer, or "
                       "the postgres OS user's ~/.pgpass): a logical replication connection matches the "
                       "database's lines, not the \"replication\" ones. scribe.host can point elsewhere.",
                       host_name.c_str())));
  });
  // From here the connection must be closed on every path.
  struct Disconnect {
    WalReceiverConn*& conn;
    ~Disconnect() {
      if (conn != nullptr) {
        WalReceiverConn* c = conn;
        conn = nullptr;
        try {
          call_pg([&] { walrcv_disconnect(c); });
        } catch (...) {
        }
      }
    }
  } disconnect{conn};
  // libpqwalreceiver's walrcv_create_slot always names pgoutput: send the
  // replication command ourselves. The slot name was validated by the caller.
  // On 17+ it is a failover slot: a standby with sync_replication_slots keeps
  // a copy, and the chain continues on it once it is promoted.
  std::string snapshot_name;
  const char* quoted_slot = nullptr;
  call_pg([&] { quoted_slot = quote_identifier(request.slot.c_str()); });
  const std::string command = "CREATE_REPLICATION_SLOT " + std::string(quoted_slot) +
                              " LOGICAL wal2sql (SNAPSHOT 'export'" + scribe::pg::kCreateSlotFailoverOption + ")";
  call_pg([&] {
    const Oid types[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
    WalRcvExecResult* res = walrcv_exec(conn, command.c_str(), 4, types);
    if (res->status != WALRCV_OK_TUPLES)
      ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
                      errmsg("could not create replication slot \"%s\": %s", request.slot.c_str(), res->err)));
    TupleTableSlot* row = MakeSingleTupleTableSlot(res->tupledesc, &TTSOpsMinimalTuple);
    if (!tuplestore_gettupleslot(res->tuplestore, true, false, row))
      elog(ERROR, "CREATE_REPLICATION_SLOT returned no row");
    bool isnull;
    char* consistent_point = TextDatumGetCString(slot_getattr(row, 2, &isnull));
    snapshot_name = TextDatumGetCString(slot_getattr(row, 3, &isnull));
    lsn = DatumGetLSN(DirectFunctionCall1(pg_lsn_in, CStringGetDatum(consistent_point)));
    ExecDropSingleTupleTableSlot(row);
    walrcv_clear_result(res);
  });
  snapshot = snapshot_name.data();
  undo.slot = request.slot;
  result.start_lsn = lsn;
  if (request.on_slot_created) request.on_slot_created(lsn);
  emit_globals_sync_point();
  fault_point("base_slot_created");

  const std::string base_name = "base.sql" + std::string(file_suffix(request.compression.method));
  // No --extension, -n or -t: any of them turns off pg_dump's "include
  // everything" mode, which silently drops event triggers, casts, languages,
  // foreign-data wrappers and servers, publications, access methods,
  // default privileges and large objects. The filter leaves out scribe's own.
  std::vector<std::string> dump_args = {bin_path("pg_dump"), "--no-password", "--format=plain",
                                        std::string("--snapshot=") + snapshot};
  // pg_dump 17 can leave the extension out itself, its members' ACLs too.
  if constexpr (scribe::pg::kPgDumpHasExcludeExtension) dump_args.push_back("--exclude-extension=scribe");
  dump_args.push_back("--dbname=" + conninfo);
  // Rows that would make the base's restore fail (pg_node_tree values, ...).
  for (std::string& arg : unreadable_table_data_exclusions()) dump_args.push_back(std::move(arg));
  const StoredOutput base = dump_to_file(dump_args, join_path(result.chain_dir, base_name), request.compression,
                                         "pg_dump", own_dump_entries());
  // The snapshot is no longer needed once pg_dump has it.
  {
    WalReceiverConn* c = conn;
    conn = nullptr;
    call_pg([&] { walrcv_disconnect(c); });
  }
  bool is_superuser = false;
  call_pg([&] { is_superuser = superuser(); });
  std::vector<std::string> globals_args = {bin_path("pg_dumpall"), "--no-password", "--globals-only",
                                           "--dbname=" + conninfo};
  // Without superuser, pg_authid is not readable: roles without passwords.
  if (!is_superuser) globals_args.push_back("--no-role-passwords");
  const StoredOutput globals = dump_to_file(globals_args, join_path(result.chain_dir, std::string(kGlobalsFileName)),
                                            CompressionSpec{}, "pg_dumpall");
  write_file_atomically(join_path(result.chain_dir, std::string(kMetadataFileName)),
                        metadata_json(result.start_lsn, request));

  Manifest manifest;
  manifest.chain_id = request.chain_id;
  manifest.system_identifier = GetSystemIdentifier();
  manifest.database = current_database_name();
  manifest.slot = request.slot;
  manifest.start_lsn = result.start_lsn;
  manifest.compression = to_string(request.compression);
  manifest.base = StoredFile{base_name, base.bytes, base.sha256, to_string(request.compression)};
  manifest.globals = StoredFile{std::string(kGlobalsFileName), globals.bytes, globals.sha256, "none"};
  save_manifest(result.chain_dir, manifest);
  create_active_file(result.chain_dir, request.chain_id, result.start_lsn, GetDatabaseEncodingName());
  fsync_directory(result.chain_dir);
  undo.armed = false;
  return result;
}

}  // namespace scribe::engine
