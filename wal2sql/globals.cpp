// Global objects in the stream (option include_globals; DESIGN.md invariant 7).
//
// Roles, memberships, role settings and the backed-up database's own
// properties live in shared catalogs and are mostly changed from another
// database of the cluster (the usual way a DBA creates a role). Logical
// decoding filters changes *and* logical messages by database, so nothing
// such a statement writes reaches this slot as a change or a message. What
// does reach it is the catalog snapshot: every commit of a catalog-modifying
// transaction, of any database, feeds the slot's snapshot builder
// (SnapBuildCommitTxn runs before DecodeCommit skips a foreign database's
// transaction), and the new snapshot is handed to every transaction of ours
// still being decoded, at the place where that commit happened. So at any
// point of our stream the historic snapshot shows the shared catalogs
// exactly as the source had them there, in commit order.
//
// The design, chosen over the alternatives:
//  - State diff (this file): at each point where wal2sql is about to write
//    (each statement of a transaction, its commit, and a "scribe.globals"
//    sync message) it checks whether the historic catalog snapshot moved
//    since it last read the globals; if it did, it reads them again
//    (pg_authid, pg_auth_members, pg_db_role_setting, our pg_database row,
//    pg_shdescription, pg_tablespace), and if they differ from the state the
//    stream has already brought a target to, it writes the SQL that moves
//    the target to the new state (scribe::globals::sync_sql), right there.
//    Cost when nothing changed: one comparison of snapshot identity
//    (xmin, xmax, committed xids, command id) per written statement; a
//    re-read only follows a catalog-modifying commit somewhere in the
//    cluster, and a write only a change of the globals themselves.
//    Syscache invalidation callbacks were considered as the trigger and
//    rejected: pg_db_role_setting and pg_shdescription have no syscache, so
//    ALTER ROLE ... SET and COMMENT ON DATABASE send no invalidation at all.
//  - A custom WAL resource manager (RegisterCustomRmgr + rm_decode) would
//    carry the statements themselves, but WAL holding its records cannot be
//    replayed (crash recovery, standbys, PITR) without the library: a backup
//    tool must not make the cluster depend on it.
//  - Capturing the statements in the other databases' ProcessUtility hook
//    and routing them to us: impossible, logical messages are per database.
//
// Exactly once across restarts. The state that the stream has brought a
// target to is kept per slot, in $PGDATA/pg_scribe/globals/<slot>/<LSN>,
// one file per point where SQL was written, made durable before the SQL
// leaves the plugin. When decoding starts, the newest file at a point the
// consumer already has (before the slot's confirmed position, or at or
// before start_after_lsn) is the baseline; newer files describe SQL that was
// lost with the crash and are removed. The first point decoded then reads
// the catalogs whatever the snapshot, so a change committed anywhere while
// nothing was written (or while the worker was down) is written at the
// first point after it. A new slot starts without a baseline: the first
// point writes the whole state (roles created when missing, memberships,
// settings, the database's properties) and drops nothing; pg_scribe sends a
// sync message right after creating a chain's slot, so that this lands at
// the start of the chain's stream.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "wal2sql.hpp"

#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/globals.hpp"
#include "scribe/pg/guard.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "catalog/pg_db_role_setting.h"
#include "catalog/pg_shdescription.h"
#include "catalog/pg_tablespace.h"
#include "catalog/pg_tablespace_d.h"
#include "miscadmin.h"
#include "replication/slot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace wal2sql {

using scribe::pg::call_pg;
namespace g = scribe::globals;

struct GlobalsTracker {
  std::string dir;
  std::optional<g::State> written;  // what the stream has brought a target to; none: unknown
  // The catalog snapshot the globals were last read under.
  bool have_identity = false;
  TransactionId xmin = InvalidTransactionId;
  TransactionId xmax = InvalidTransactionId;
  CommandId curcid = InvalidCommandId;
  std::vector<TransactionId> xip;
  std::vector<TransactionId> subxip;
  TimestampTz last_commit_time = 0;
  // Hashes only for a superuser decoder, like pg_dumpall's globals.sql.
  // Decided at the first read: superuser() needs a transaction.
  bool passwords_decided = false;
  bool include_passwords = false;
};

namespace {

constexpr char kGlobalsDir[] = "pg_scribe/globals";

std::string entry_name(XLogRecPtr lsn) { return fmt::format("{:016X}", lsn); }

std::optional<XLogRecPtr> entry_lsn(const std::string& name) {
  if (name.size() != 16 || name.find_first_not_of("0123456789ABCDEF") != std::string::npos) return std::nullopt;
  return static_cast<XLogRecPtr>(std::stoull(name, nullptr, 16));
}

bool snapshot_moved(const GlobalsTracker& t, Snapshot snap) {
  if (!t.have_identity || snap->xmin != t.xmin || snap->xmax != t.xmax || snap->curcid != t.curcid) return true;
  if (snap->xcnt != t.xip.size() || snap->subxcnt != static_cast<int32>(t.subxip.size())) return true;
  return (snap->xcnt > 0 && std::memcmp(snap->xip, t.xip.data(), snap->xcnt * sizeof(TransactionId)) != 0) ||
         (snap->subxcnt > 0 && std::memcmp(snap->subxip, t.subxip.data(), snap->subxcnt * sizeof(TransactionId)) != 0);
}

void remember_snapshot(GlobalsTracker& t, Snapshot snap) {
  t.xmin = snap->xmin;
  t.xmax = snap->xmax;
  t.curcid = snap->curcid;
  t.xip.assign(snap->xip, snap->xip + snap->xcnt);
  t.subxip.assign(snap->subxip, snap->subxip + std::max<int32>(snap->subxcnt, 0));
  t.have_identity = true;
}

// ---- reading the catalogs under the current (historic) snapshot. These run
// inside call_pg: they keep no C++ object of their own alive, they only
// assign into the caller's state.

std::optional<std::string> text_or_null(HeapTuple tuple, int attnum, TupleDesc desc) {
  bool isnull = false;
  const Datum d = heap_getattr(tuple, attnum, desc, &isnull);
  if (isnull) return std::nullopt;
  return std::string(TextDatumGetCString(d));
}

void read_roles(g::State& s, bool include_passwords) {
  Relation rel = table_open(AuthIdRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto* form = reinterpret_cast<Form_pg_authid>(GETSTRUCT(tuple));
    // Like pg_dumpall: the predefined roles belong to every cluster.
    if (std::strncmp(NameStr(form->rolname), "pg_", 3) == 0) continue;
    g::Role& r = s.roles[form->oid];
    r.name = NameStr(form->rolname);
    r.superuser = form->rolsuper;
    r.inherit = form->rolinherit;
    r.createrole = form->rolcreaterole;
    r.createdb = form->rolcreatedb;
    r.login = form->rolcanlogin;
    r.replication = form->rolreplication;
    r.bypassrls = form->rolbypassrls;
    r.connection_limit = form->rolconnlimit;
    if (include_passwords) r.password = text_or_null(tuple, Anum_pg_authid_rolpassword, RelationGetDescr(rel));
    bool isnull = false;
    const Datum until = heap_getattr(tuple, Anum_pg_authid_rolvaliduntil, RelationGetDescr(rel), &isnull);
    if (!isnull) r.valid_until = std::string(DatumGetCString(DirectFunctionCall1(timestamptz_out, until)));
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
}

void read_memberships(g::State& s) {
  Relation rel = table_open(AuthMemRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto* form = reinterpret_cast<Form_pg_auth_members>(GETSTRUCT(tuple));
    g::Membership& m = s.memberships[{form->roleid, form->member}];
    m.grantor = form->grantor;
    m.admin_option = form->admin_option;
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
}

void read_settings(g::State& s) {
  Relation rel = table_open(DbRoleSettingRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto* form = reinterpret_cast<Form_pg_db_role_setting>(GETSTRUCT(tuple));
    if (form->setdatabase != InvalidOid && form->setdatabase != MyDatabaseId) continue;
    bool isnull = false;
    const Datum config = heap_getattr(tuple, Anum_pg_db_role_setting_setconfig, RelationGetDescr(rel), &isnull);
    if (isnull) continue;
    Datum* elems = nullptr;
    bool* nulls = nullptr;
    int n = 0;
    deconstruct_array(DatumGetArrayTypeP(config), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
    std::vector<std::string>& list = s.settings[g::SettingsKey{form->setrole, form->setdatabase != InvalidOid}];
    for (int i = 0; i < n; i++)
      if (!nulls[i]) list.emplace_back(TextDatumGetCString(elems[i]));
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
}

void append_acl_letter(std::string& out, AclMode privs, AclMode options, AclMode bit, char letter) {
  if ((privs & bit) == 0) return;
  out.push_back(letter);
  if ((options & bit) != 0) out.push_back('*');
}

void read_database(g::State& s) {
  Relation rel = table_open(DatabaseRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto* form = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple));
    if (form->oid != MyDatabaseId) continue;
    s.database.owner = form->datdba;
    s.database.connection_limit = form->datconnlimit;
    bool isnull = false;
    const Datum datacl = heap_getattr(tuple, Anum_pg_database_datacl, RelationGetDescr(rel), &isnull);
    Acl* acl = isnull ? acldefault(OBJECT_DATABASE, form->datdba) : DatumGetAclP(datacl);
    const ::AclItem* items = ACL_DAT(acl);
    for (int i = 0; i < ACL_NUM(acl); i++) {
      g::AclItem item;
      item.grantee = items[i].ai_grantee;
      item.grantor = items[i].ai_grantor;
      const AclMode privs = ACLITEM_GET_PRIVS(items[i]), options = ACLITEM_GET_GOPTIONS(items[i]);
      append_acl_letter(item.privileges, privs, options, ACL_CREATE, 'C');
      append_acl_letter(item.privileges, privs, options, ACL_CREATE_TEMP, 'T');
      append_acl_letter(item.privileges, privs, options, ACL_CONNECT, 'c');
      s.database.acl.push_back(item);
    }
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
}

void read_comments(g::State& s) {
  Relation rel = table_open(SharedDescriptionRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto* form = reinterpret_cast<Form_pg_shdescription>(GETSTRUCT(tuple));
    std::optional<std::string>* target = nullptr;
    if (form->classoid == DatabaseRelationId && form->objoid == MyDatabaseId) {
      target = &s.database.comment;
    } else if (form->classoid == AuthIdRelationId) {
      const auto it = s.roles.find(form->objoid);
      if (it != s.roles.end()) target = &it->second.comment;
    }
    if (target != nullptr) *target = text_or_null(tuple, Anum_pg_shdescription_description, RelationGetDescr(rel));
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
}

// Where the tablespace's directory is, as pg_tablespace_location() reads
// it: the target of its link under pg_tblspc (the process runs in the data
// directory); "" for an in-place tablespace, a directory there; nullopt if
// neither (the built-in ones, or one dropped since this snapshot).
std::optional<std::string> tablespace_location(Oid oid) {
  if (oid == DEFAULTTABLESPACE_OID || oid == GLOBALTABLESPACE_OID) return std::nullopt;
  const std::string path = fmt::format("pg_tblspc/{}", oid);
  char target[MAXPGPATH];
  const ssize_t len = readlink(path.c_str(), target, sizeof target - 1);
  if (len > 0) return std::string(target, static_cast<std::size_t>(len));
  struct stat st;
  if (errno == EINVAL && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return std::string();
  return std::nullopt;
}

void read_tablespaces(g::State& s) {
  Relation rel = table_open(TableSpaceRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto* form = reinterpret_cast<Form_pg_tablespace>(GETSTRUCT(tuple));
    g::Tablespace& space = s.tablespaces[form->oid];
    space.name = NameStr(form->spcname);
    space.owner = form->spcowner;
    space.location = tablespace_location(form->oid);
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
}

void read_state(GlobalsTracker& t, g::State& s) {
  if (!t.passwords_decided) {
    t.include_passwords = superuser();
    t.passwords_decided = true;
  }
  read_roles(s, t.include_passwords);
  read_memberships(s);
  read_settings(s);
  read_database(s);
  read_comments(s);
  read_tablespaces(s);
}

bool is_list_setting(std::string_view name) {
  const std::string copy(name);
  return (GetConfigOptionFlags(copy.c_str(), true) & GUC_LIST_QUOTE) != 0;
}

void save_entry(const GlobalsTracker& t, XLogRecPtr lsn, const g::State& state) {
  if (!scribe::is_directory(t.dir)) {
    for (const std::string& dir : {std::string("pg_scribe"), std::string(kGlobalsDir), t.dir})
      if (!scribe::is_directory(dir)) scribe::make_directory(dir);
    scribe::fsync_directory(kGlobalsDir);
  }
  scribe::write_file_atomically(scribe::join_path(t.dir, entry_name(lsn)), g::serialize_state(state));
}

}  // namespace

void globals_forget_slot(LogicalDecodingContext* ctx) {
  const std::string dir = scribe::join_path(kGlobalsDir, NameStr(ctx->slot->data.name));
  std::string failure;
  try {
    scribe::remove_tree(dir);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // A leftover only costs a full state block less at the chain's start.
  if (!failure.empty())
    call_pg([&] {
      ereport(WARNING, (errmsg("wal2sql: could not remove \"%s\": %s", dir.c_str(), failure.c_str()),
                        errhint("Remove the directory; the stream of global objects takes it as its state.")));
    });
}

GlobalsTracker* globals_startup(LogicalDecodingContext* ctx, bool is_init, XLogRecPtr start_after_lsn) {
  auto* t = new GlobalsTracker();
  try {
    t->dir = scribe::join_path(kGlobalsDir, NameStr(ctx->slot->data.name));
    // A new slot (maybe named like a dropped one) starts with no baseline.
    if (is_init) {
      scribe::remove_tree(t->dir);
      return t;
    }
    if (!scribe::is_directory(t->dir)) return t;
    const XLogRecPtr confirmed = ctx->slot->data.confirmed_flush;
    std::optional<XLogRecPtr> baseline;
    std::vector<XLogRecPtr> entries;
    for (const std::string& name : scribe::list_directory(t->dir)) {
      const std::optional<XLogRecPtr> lsn = entry_lsn(name);
      if (!lsn) continue;
      entries.push_back(*lsn);
    }
    std::sort(entries.begin(), entries.end());
    for (const XLogRecPtr lsn : entries) {
      const bool consumed = lsn < confirmed || (start_after_lsn != 0 && lsn <= start_after_lsn);
      if (consumed) baseline = lsn;
    }
    // Newer entries: written out but lost with the consumer. Older: superseded.
    for (const XLogRecPtr lsn : entries)
      if (!baseline || lsn != *baseline) scribe::remove_file(scribe::join_path(t->dir, entry_name(lsn)));
    if (baseline)
      t->written = g::parse_state(scribe::read_small_file(scribe::join_path(t->dir, entry_name(*baseline))));
    return t;
  } catch (...) {
    delete t;
    throw;
  }
}

void globals_shutdown(GlobalsTracker* t) { delete t; }

void globals_note_commit(GlobalsTracker* t, TimestampTz commit_time) { t->last_commit_time = commit_time; }

TimestampTz globals_last_commit_time(const GlobalsTracker* t) { return t->last_commit_time; }

std::string globals_sync_sql(GlobalsTracker* t, XLogRecPtr lsn, bool needs_transaction) {
  if (!HistoricSnapshotActive()) return {};
  const Snapshot snap = GetCatalogSnapshot(AuthIdRelationId);
  if (!snapshot_moved(*t, snap)) return {};
  g::State now;
  call_pg([&] {
    if (!needs_transaction) {
      read_state(*t, now);
      return;
    }
    // A non-transactional message is decoded outside any transaction:
    // catalog access needs one, which is thrown away after.
    const bool nested = IsTransactionState();
    if (nested)
      BeginInternalSubTransaction(nullptr);
    else
      StartTransactionCommand();
    read_state(*t, now);
    if (nested)
      RollbackAndReleaseCurrentSubTransaction();
    else
      AbortCurrentTransaction();
  });
  remember_snapshot(*t, snap);
  std::string sql = g::sync_sql(t->written ? &*t->written : nullptr, now, is_list_setting);
  if (sql.empty() && t->written) {
    t->written = std::move(now);
    return sql;
  }
  // Durable before the SQL leaves the plugin (see the top of this file).
  save_entry(*t, lsn, now);
  t->written = std::move(now);
  return sql;
}

}  // namespace wal2sql
