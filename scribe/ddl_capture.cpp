#include <cstring>
#include <string>
#include <string_view>

#include "ddl_capture.hpp"
#include "catalog_qualifiers.hpp"
#include "ddl_objects.hpp"
#include "../bgworker/engine.hpp"
#include "scribe/core/ddl_message.hpp"
#include "scribe/pg/ddl_auth.hpp"
#include "scribe/pg/compat.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/catalog_spi.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/pg_inherits.h"
#include "catalog/namespace.h"
#include "catalog/pg_class_d.h"
#include "catalog/pg_proc_d.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "access/htup_details.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/prepare.h"
#include "commands/tablecmds.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "parser/parser.h"
#include "replication/message.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

PGDLLEXPORT Datum scribe_capture_ddl(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_assert_preloaded(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_capture_ddl);
PG_FUNCTION_INFO_V1(scribe_assert_preloaded);
}

namespace scribe::capture {
namespace {

using scribe::pg::call_pg;
using scribe::pg::run_entry;

struct StringInfoSink {
  StringInfo buf;
  void append(const char* data, std::size_t len) { appendBinaryStringInfo(buf, data, static_cast<int>(len)); }
  void push_back(char ch) { appendStringInfoCharMacro(buf, ch); }
};

ProcessUtility_hook_type previous_process_utility = nullptr;
bool loaded_at_server_start = false;

// The utility statements being executed in this backend, innermost last:
// an event trigger reads the text of the one that fired it.
struct ExecutingStatement {
  const char* query_string;
  int location;
  int length;  // 0: to the end of query_string
};
constexpr int kMaxNesting = 256;
ExecutingStatement executing[kMaxNesting];
int nesting = 0;

// DDL commands between their start and end events. A command started while
// another runs is part of it (REFRESH MATERIALIZED VIEW CONCURRENTLY runs
// DDL of its own): only the outermost one is replayed. Restored when a
// utility statement fails, since its end event then never comes.
int ddl_in_progress = 0;

// What sql_drop saw of the current command: DROPs of temporary objects
// only are not replayed.
bool drop_seen = false;
bool drop_all_temporary = false;
// What ddl_command_start saw of a DROP of objects that are not relations:
// all of them temporary (see drop_targets_all_temporary).
bool drop_targets_temporary = false;
// The current command is a CREATE TABLE ... (LIKE a temporary table).
bool create_like_temporary = false;
// What sql_drop saw of a DROP naming temporary and permanent relations: the
// DROP of the permanent ones only, replayed instead.
const char* drop_of_permanent_only = nullptr;

scribe::pg::DdlKey ddl_key;
bool ddl_key_loaded = false;

// scribe.auto_replica_identity: give REPLICA IDENTITY FULL to a table that
// a command leaves without a usable replica identity.
bool auto_replica_identity = true;

// Tables the current command may have left without a usable replica
// identity, found before its end event (DROP INDEX: the index's table is
// gone from the catalogs by then). In TopMemoryContext: DROP INDEX
// CONCURRENTLY ends in another transaction than it started.
List* identity_candidates = NIL;
void capture_before_utility_without_event_trigger(Node* utility);
void capture_after_utility_without_event_trigger(Node* utility);

void process_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree, ProcessUtilityContext context,
                     ParamListInfo params, QueryEnvironment* query_env, DestReceiver* dest, QueryCompletion* qc) {
  if (nesting < kMaxNesting) executing[nesting] = {query_string, pstmt->stmt_location, pstmt->stmt_len};
  ++nesting;
  const int ddl_in_progress_at_entry = ddl_in_progress;
  try {
    scribe::engine::refuse_drop_while_configured(pstmt->utilityStmt);
    call_pg([&] {
      capture_before_utility_without_event_trigger(pstmt->utilityStmt);
      if (previous_process_utility != nullptr)
        previous_process_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
      else
        standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
      capture_after_utility_without_event_trigger(pstmt->utilityStmt);
    });
  } catch (...) {
    --nesting;
    ddl_in_progress = ddl_in_progress_at_entry;
    throw;
  }
  --nesting;
}

std::string_view current_statement_text() {
  if (nesting == 0 || nesting > kMaxNesting)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("pg_scribe cannot find the text of this DDL statement"),
                    errhint("The statement is nested too deeply, or pg_scribe was not loaded when it started.")));
  const ExecutingStatement& st = executing[nesting - 1];
  const char* start = st.query_string + (st.location > 0 ? st.location : 0);
  std::size_t len = st.length > 0 ? static_cast<std::size_t>(st.length) : std::strlen(start);
  // Leading blanks and the terminator are not part of the statement.
  while (len > 0 && (*start == ' ' || *start == '\n' || *start == '\t' || *start == '\r')) ++start, --len;
  while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\n' || start[len - 1] == '\t' ||
                     start[len - 1] == '\r' || start[len - 1] == ';'))
    --len;
  return std::string_view(start, len);
}

// The captured text is replayed with standard_conforming_strings on. Written
// with it off, a backslash in a '...' string means an escape, and the replay
// would read the text otherwise: 'x\'; DROP TABLE t; --' is one string here,
// a string and a second statement (run by whoever restores, psql
// meta-commands included) there. Without a backslash the setting changes
// nothing, and E'...' means the same under both.
void refuse_text_read_otherwise_on_replay(std::string_view statement) {
  if (standard_conforming_strings || statement.find('\\') == std::string_view::npos) return;
  throw scribe::Error(sqlstate::kFeatureNotSupported,
                      "pg_scribe cannot capture a DDL statement containing a backslash while "
                      "standard_conforming_strings is off",
                      "The backup replays DDL with standard_conforming_strings on, where the backslashes of this "
                      "statement could be read otherwise.",
                      "SET standard_conforming_strings = on and write the statement for it (E'...' for escapes).");
}

// Statements PostgreSQL refuses inside a transaction block.
bool runs_outside_transaction(Node* tree) {
  if (IsA(tree, IndexStmt)) return reinterpret_cast<IndexStmt*>(tree)->concurrent;
  if (IsA(tree, DropStmt)) return reinterpret_cast<DropStmt*>(tree)->concurrent;
  if (IsA(tree, AlterTableStmt)) {  // ALTER TABLE … DETACH PARTITION … CONCURRENTLY
    ListCell* cell;
    foreach (cell, reinterpret_cast<AlterTableStmt*>(tree)->cmds) {
      auto* cmd = static_cast<AlterTableCmd*>(lfirst(cell));
      if (cmd->subtype == AT_DetachPartition && cmd->def != nullptr && IsA(cmd->def, PartitionCmd) &&
          reinterpret_cast<PartitionCmd*>(cmd->def)->concurrent)
        return true;
    }
  }
  if (IsA(tree, ReindexStmt)) {
    ListCell* cell;
    foreach (cell, reinterpret_cast<ReindexStmt*>(tree)->params) {
      auto* opt = static_cast<DefElem*>(lfirst(cell));
      if (strcmp(opt->defname, "concurrently") == 0) return defGetBoolean(opt);
    }
  }
  return false;
}

void emit_ddl_as(std::string_view statement, bool transactional, const char* role) {
  if (!ddl_key_loaded) {
    scribe::pg::load_or_create_ddl_key(&ddl_key);
    ddl_key_loaded = true;
  }
  scribe::DdlContext ddl;
  ddl.search_path = namespace_search_path != nullptr ? namespace_search_path : "";
  ddl.role = role;
  // What a statement creates depends on these too (USING and TABLESPACE
  // left out); carried when not PostgreSQL's default.
  const auto setting_unless = [](const char* name, std::string_view fallback) -> std::string_view {
    const char* value = GetConfigOption(name, true, false);
    if (value == nullptr || fallback == value) return {};
    return value;
  };
  ddl.access_method = setting_unless("default_table_access_method", "heap");
  ddl.tablespace = setting_unless("default_tablespace", "");
  ddl.transactional = transactional;
  ddl.statement = statement;

  StringInfoData body;
  initStringInfo(&body);
  StringInfoSink body_out{&body};
  scribe::append_ddl_body(body_out, ddl);

  char mac[scribe::kDdlMacHexLength];
  scribe::pg::sign_ddl(ddl_key, GetTopTransactionId(), body.data, body.len, mac);
  StringInfoData message;
  initStringInfo(&message);
  appendBinaryStringInfo(&message, scribe::kDdlSignatureTag.data(), static_cast<int>(scribe::kDdlSignatureTag.size()));
  appendBinaryStringInfo(&message, mac, sizeof mac);
  appendStringInfoChar(&message, '\n');
  appendBinaryStringInfo(&message, body.data, body.len);
  // Transactional: decoded in place, gone if the (sub)transaction rolls back.
  scribe::pg::log_logical_message(scribe::kDdlMessagePrefix.data(), message.data, message.len, true);
  pfree(body.data);
  pfree(message.data);
}

void emit_ddl(std::string_view statement, bool transactional) {
  emit_ddl_as(statement, transactional, GetUserNameFromId(GetUserId(), false));
}

void remember_identity_candidate(Oid relid) {
  if (!OidIsValid(relid)) return;
  MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
  identity_candidates = list_append_unique_oid(identity_candidates, relid);
  MemoryContextSwitchTo(old);
}

// DROP INDEX: the tables of the indexes, while they can still be found.
void remember_tables_of_dropped_indexes(Node* tree) {
  if (!IsA(tree, DropStmt) || reinterpret_cast<DropStmt*>(tree)->removeType != OBJECT_INDEX) return;
  ListCell* cell;
  foreach (cell, reinterpret_cast<DropStmt*>(tree)->objects) {
    const Oid index = RangeVarGetRelid(makeRangeVarFromNameList(static_cast<List*>(lfirst(cell))), NoLock, true);
    if (OidIsValid(index)) remember_identity_candidate(IndexGetRelation(index, true));
  }
}

// Runs `query` (one oid column) through SPI and remembers each row.
void remember_identity_candidates_from(const char* query) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "pg_scribe: SPI_connect failed");
  if (scribe::pg::spi_execute_catalog(query, true, 0) != SPI_OK_SELECT) elog(ERROR, "pg_scribe: \"%s\" failed", query);
  for (uint64 i = 0; i < SPI_processed; i++) {
    bool isnull;
    const Datum value = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
    if (!isnull) remember_identity_candidate(DatumGetObjectId(value));
  }
  SPI_finish();
}

// Whether changes of `rel` are decoded and need their rows identified on
// replay: permanent ordinary tables outside the system schemas.
bool is_captured_table(Relation rel) {
  return rel->rd_rel->relkind == RELKIND_RELATION && rel->rd_rel->relpersistence == RELPERSISTENCE_PERMANENT &&
         !IsSystemRelation(rel) && !isAnyTempNamespace(RelationGetNamespace(rel));
}

// FULL, or a primary key or identity index that WAL logging uses (a
// deferrable primary key is none: RelationGetReplicaIndex skips it).
bool has_usable_replica_identity(Relation rel) {
  return rel->rd_rel->relreplident == REPLICA_IDENTITY_FULL || OidIsValid(RelationGetReplicaIndex(rel));
}

}  // namespace

// Sets REPLICA IDENTITY FULL on `rel` and puts the same ALTER into the
// stream, so the restored table is the same (pg_dump shows it at the
// source too). It runs as the table's owner, whom ALTER TABLE requires,
// inside a security-restricted operation: whoever ran the command that
// took the identity away (a member of the owner role, a DROP TYPE ...
// CASCADE that dropped a key column) may not own the table. Nothing in it
// runs code of any role, and it only ever adds FULL to a table that had no
// usable identity. The caller holds a lock on `rel`.
void give_full_replica_identity(Relation rel) {
  const Oid relid = RelationGetRelid(rel);
  char* name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)), RelationGetRelationName(rel));
  Oid saved_user;
  int saved_context;
  GetUserIdAndSecContext(&saved_user, &saved_context);
  SetUserIdAndSecContext(rel->rd_rel->relowner,
                         saved_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
  auto* identity = makeNode(ReplicaIdentityStmt);
  identity->identity_type = REPLICA_IDENTITY_FULL;
  auto* cmd = makeNode(AlterTableCmd);
  cmd->subtype = AT_ReplicaIdentity;
  cmd->def = reinterpret_cast<Node*>(identity);
  // Not a command of its own for event triggers: the one running now
  // collects nothing more (and has no current command to collect into).
  EventTriggerInhibitCommandCollection();
  AlterTableInternal(relid, list_make1(cmd), false);
  EventTriggerUndoInhibitCommandCollection();
  CommandCounterIncrement();
  StringInfoData sql;
  initStringInfo(&sql);
  appendStringInfo(&sql, "ALTER TABLE %s REPLICA IDENTITY FULL", name);
  emit_ddl(std::string_view(sql.data, sql.len), true);  // replayed as the owner
  SetUserIdAndSecContext(saved_user, saved_context);
  pfree(sql.data);
}

namespace {

// After a command: every remembered table that is captured and has no
// usable replica identity gets FULL (scribe.auto_replica_identity), or a
// warning that its UPDATE and DELETE are not backed up.
void check_replica_identity_of_candidates(bool explicit_identity) {
  List* candidates = identity_candidates;
  identity_candidates = NIL;
  // Partitions and inheritance children lose a key with their parent's
  // (ALTER TABLE parent DROP CONSTRAINT ..._pkey).
  List* all = NIL;
  ListCell* cell;
  foreach (cell, candidates) {
    const Oid relid = lfirst_oid(cell);
    if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid))) continue;
    all = list_concat_unique_oid(all, find_all_inheritors(relid, NoLock, nullptr));
  }
  list_free(candidates);
  foreach (cell, all) {
    Relation rel = try_relation_open(lfirst_oid(cell), ShareUpdateExclusiveLock);
    if (rel == nullptr) continue;
    if (!is_captured_table(rel) || has_usable_replica_identity(rel)) {
      relation_close(rel, NoLock);
      continue;
    }
    char* name =
        quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)), RelationGetRelationName(rel));
    if (auto_replica_identity) {
      give_full_replica_identity(rel);
      ereport(explicit_identity ? WARNING : NOTICE,
              (errmsg("pg_scribe set REPLICA IDENTITY FULL on table %s", name),
               errdetail("The table has no primary key or replica identity index; without one its UPDATE and DELETE "
                         "could not be replayed from the backup."),
               errhint("Add a primary key (then ALTER TABLE ... REPLICA IDENTITY DEFAULT), or turn "
                       "scribe.auto_replica_identity off to keep the table as it is.")));
    } else {
      ereport(WARNING,
              (errmsg("table %s has no usable replica identity: its UPDATE and DELETE are not backed up", name),
               errdetail("scribe.auto_replica_identity is off; each such change is a comment in the backup."),
               errhint("Add a primary key, or ALTER TABLE %s REPLICA IDENTITY FULL.", name)));
    }
    relation_close(rel, NoLock);
  }
  list_free(all);
}

bool sets_replica_identity(Node* tree) {
  if (!IsA(tree, AlterTableStmt)) return false;
  ListCell* cell;
  foreach (cell, reinterpret_cast<AlterTableStmt*>(tree)->cmds)
    if (static_cast<AlterTableCmd*>(lfirst(cell))->subtype == AT_ReplicaIdentity) return true;
  return false;
}

void append_type_and_collation(StringInfo out, Oid type, int32 typmod, Oid collation) {
  appendStringInfoString(out,
                         format_type_extended(type, typmod, FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
  if (OidIsValid(collation) && collation != get_typcollation(type)) {
    HeapTuple tup = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
    if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for collation %u", collation);
    auto* form = reinterpret_cast<Form_pg_collation>(GETSTRUCT(tup));
    appendStringInfo(out, " COLLATE %s",
                     quote_qualified_identifier(get_namespace_name(form->collnamespace), NameStr(form->collname)));
    ReleaseSysCache(tup);
  }
}

// CREATE TABLE AS and SELECT INTO write their rows before any event at the
// end of the command, so they are replayed as the empty table, created at
// the start, followed by the decoded rows: the same rows, even when the
// query had volatile parts. The table has only the query's columns.
void emit_create_table_as(CreateTableAsStmt* stmt) {
  IntoClause* into = stmt->into;
  if (into->rel->relpersistence == RELPERSISTENCE_TEMP ||
      (into->rel->schemaname != nullptr && strcmp(into->rel->schemaname, "pg_temp") == 0))
    return;
  const Oid nsp = RangeVarGetCreationNamespace(into->rel);
  if (isAnyTempNamespace(nsp)) return;
  if (stmt->if_not_exists && OidIsValid(get_relname_relid(into->rel->relname, nsp))) return;

  StringInfoData sql;
  initStringInfo(&sql);
  appendStringInfo(&sql, "CREATE %sTABLE %s (", into->rel->relpersistence == RELPERSISTENCE_UNLOGGED ? "UNLOGGED " : "",
                   quote_qualified_identifier(get_namespace_name(nsp), into->rel->relname));
  ListCell* name_cell = list_head(into->colNames);
  int ncolumns = 0;
  auto add_column = [&](const char* default_name, Oid type, int32 typmod, Oid collation) {
    const char* name = default_name;
    if (name_cell != nullptr) {
      name = strVal(lfirst(name_cell));
      name_cell = lnext(into->colNames, name_cell);
    }
    appendStringInfo(&sql, "%s%s ", ncolumns++ > 0 ? ", " : "", quote_identifier(name));
    append_type_and_collation(&sql, type, typmod, collation);
  };
  Node* query = stmt->query;
  // CREATE TABLE ... AS EXECUTE arrives as a utility Query around the EXECUTE.
  if (IsA(query, Query) && reinterpret_cast<Query*>(query)->commandType == CMD_UTILITY)
    query = reinterpret_cast<Query*>(query)->utilityStmt;
  if (IsA(query, Query)) {
    ListCell* cell;
    foreach (cell, reinterpret_cast<Query*>(query)->targetList) {
      auto* tle = static_cast<TargetEntry*>(lfirst(cell));
      if (tle->resjunk) continue;
      add_column(tle->resname, exprType(reinterpret_cast<Node*>(tle->expr)),
                 exprTypmod(reinterpret_cast<Node*>(tle->expr)), exprCollation(reinterpret_cast<Node*>(tle->expr)));
    }
  } else if (IsA(query, ExecuteStmt)) {
    PreparedStatement* prepared = FetchPreparedStatement(reinterpret_cast<ExecuteStmt*>(query)->name, true);
    TupleDesc desc = FetchPreparedStatementResultDesc(prepared);
    for (int i = 0; desc != nullptr && i < desc->natts; i++) {
      Form_pg_attribute att = TupleDescAttr(desc, i);
      add_column(NameStr(att->attname), att->atttypid, att->atttypmod, att->attcollation);
    }
  } else {
    elog(ERROR, "pg_scribe: unexpected query in CREATE TABLE AS");
  }
  appendStringInfoChar(&sql, ')');
  if (into->accessMethod != nullptr) appendStringInfo(&sql, " USING %s", quote_identifier(into->accessMethod));
  if (into->options != NIL) {
    appendStringInfoString(&sql, " WITH (");
    ListCell* cell;
    bool first = true;
    foreach (cell, into->options) {
      auto* opt = static_cast<DefElem*>(lfirst(cell));
      if (!first) appendStringInfoString(&sql, ", ");
      first = false;
      if (opt->defnamespace != nullptr) appendStringInfo(&sql, "%s.", quote_identifier(opt->defnamespace));
      appendStringInfoString(&sql, quote_identifier(opt->defname));
      if (opt->arg != nullptr) appendStringInfo(&sql, " = %s", quote_literal_cstr(defGetString(opt)));
    }
    appendStringInfoChar(&sql, ')');
  }
  if (into->tableSpaceName != nullptr) appendStringInfo(&sql, " TABLESPACE %s", quote_identifier(into->tableSpaceName));
  emit_ddl(std::string_view(sql.data, sql.len), true);
  pfree(sql.data);
}

bool is_create_table_as(Node* tree) {
  return IsA(tree, CreateTableAsStmt) && reinterpret_cast<CreateTableAsStmt*>(tree)->objtype == OBJECT_TABLE;
}

// EXPLAIN ANALYZE of CREATE TABLE AS, SELECT INTO or CREATE MATERIALIZED
// VIEW creates the relation, and CLUSTER ... USING marks the index
// clustered, without firing any event trigger: the ProcessUtility hook
// captures them, in a database where scribe is installed, unless they are
// part of an extension's script or of another DDL command.
bool capturing_utility_without_event_trigger() {
  return loaded_at_server_start && !creating_extension && ddl_in_progress == 0 &&
         OidIsValid(get_extension_oid("scribe", true));
}

// The table, before its rows are written (as at ddl_command_start).
void capture_before_utility_without_event_trigger(Node* utility) {
  if (utility == nullptr || !IsA(utility, ExplainStmt)) return;
  CreateTableAsStmt* created = created_by_explain_analyze(utility);
  if (created == nullptr || created->objtype != OBJECT_TABLE || !capturing_utility_without_event_trigger()) return;
  emit_create_table_as(created);
}

// The materialized view (its rows are not decoded: it is replayed as
// written, like CREATE MATERIALIZED VIEW itself) and CLUSTER, once done.
void capture_after_utility_without_event_trigger(Node* utility) {
  if (utility == nullptr || !(IsA(utility, ExplainStmt) || IsA(utility, ClusterStmt) || IsA(utility, ReindexStmt)))
    return;
  if (!capturing_utility_without_event_trigger()) return;
  if (IsA(utility, ReindexStmt)) {
    const ReindexReplay replay = reindex_replay(utility);
    if (replay == ReindexReplay::kNone) return;
    if (replay == ReindexReplay::kNotReplayable) {
      ereport(WARNING, (errmsg("pg_scribe does not replay REINDEX DATABASE or SYSTEM with TABLESPACE"),
                        errdetail("The backup keeps the indexes in the tablespaces they had before."),
                        errhint("Use REINDEX (TABLESPACE ...) SCHEMA, TABLE or INDEX, or ALTER INDEX ... SET "
                                "TABLESPACE, which are replayed.")));
      return;
    }
    const std::string_view statement = current_statement_text();
    refuse_text_read_otherwise_on_replay(statement);
    emit_ddl(statement, replay == ReindexReplay::kInTransaction);
    return;
  }
  if (IsA(utility, ClusterStmt)) {
    char* alter_table = cluster_as_alter_table(utility);
    if (alter_table != nullptr) emit_ddl(alter_table, true);
    return;
  }
  CreateTableAsStmt* created = created_by_explain_analyze(utility);
  if (created == nullptr) return;
  if (created->objtype == OBJECT_TABLE) {
    // No event trigger saw the new table: it gets a usable replica
    // identity here, as a CREATE TABLE AS would at its end event.
    remember_identity_candidate(RangeVarGetRelid(created->into->rel, NoLock, true));
    check_replica_identity_of_candidates(false);
    return;
  }
  if (created->objtype != OBJECT_MATVIEW) return;
  const std::string_view statement = explained_statement_text(current_statement_text());
  refuse_text_read_otherwise_on_replay(statement);
  emit_ddl(statement, true);
}

// Runs `query` (one row, one boolean or NULL column) through SPI.
bool query_bool(const char* query, bool* isnull) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "pg_scribe: SPI_connect failed");
  if (scribe::pg::spi_execute_catalog(query, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
    elog(ERROR, "pg_scribe: \"%s\" failed", query);
  const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
  const bool result = !*isnull && DatumGetBool(value);
  SPI_finish();
  return result;
}

// True when every object the command created or altered is temporary: its
// replay would be meaningless (and fail when two sessions used one name).
bool command_touches_only_temporary_objects(const CollectedObjects& collected) {
  if (drop_targets_temporary) return true;
  if (drop_seen) return drop_all_temporary;
  return collected.all_temporary;
}

// The text to replay for a captured statement: partition bounds as stored
// rather than as written, and a statement on large objects guarded so that
// it replays only where they exist.
std::string_view replayable_statement(Node* tree, std::string_view statement, const CollectedObjects& collected) {
  if (create_like_temporary) {
    create_like_temporary = false;
    if (const char* defined = table_as_defined(tree)) return defined;
  }
  if (nesting > 0 && nesting <= kMaxNesting) {
    const char* with_bound =
        statement_with_stored_partition_bound(tree, executing[nesting - 1].query_string, statement);
    if (with_bound != nullptr) statement = with_bound;
  }
  // A large object that existed before the chain began is in the base only
  // when the base dump includes large objects.
  if (collected.large_objects != NIL)
    statement = statement_guarded_by_large_objects(statement, collected.large_objects);
  return statement;
}

// pg_scribe's own objects, the members of extension scribe, are neither in
// base.sql (pg_dump leaves the extension out) nor on the server a backup is
// restored to: a GRANT, REVOKE, COMMENT or ALTER on them (the README's
// non-superuser setup grants EXECUTE on them) must not be replayed, or the
// replay stops there. A command touching other objects too is replayed.
bool is_own_object(Oid scribe_extension, Oid classid, Oid objid) {
  return OidIsValid(objid) && getExtensionOfObject(classid, objid) == scribe_extension;
}

bool grant_touches_only_own_objects(GrantStmt* stmt, Oid scribe_extension) {
  // ALL ... IN SCHEMA replays fine: the restored schema has none of them.
  if (stmt->targtype != ACL_TARGET_OBJECT || stmt->objects == NIL) return false;
  ListCell* cell;
  foreach (cell, stmt->objects) {
    Node* object = static_cast<Node*>(lfirst(cell));
    switch (stmt->objtype) {
      case OBJECT_FUNCTION:
      case OBJECT_PROCEDURE:
      case OBJECT_ROUTINE:
        if (!IsA(object, ObjectWithArgs) ||
            !is_own_object(scribe_extension, ProcedureRelationId,
                           LookupFuncWithArgs(stmt->objtype, reinterpret_cast<ObjectWithArgs*>(object), true)))
          return false;
        break;
      case OBJECT_TABLE:
      case OBJECT_SEQUENCE:
        if (!IsA(object, RangeVar) ||
            !is_own_object(scribe_extension, RelationRelationId,
                           RangeVarGetRelid(reinterpret_cast<RangeVar*>(object), NoLock, true)))
          return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool command_touches_only_own_objects(Node* tree) {
  const Oid scribe_extension = get_extension_oid("scribe", true);
  if (!OidIsValid(scribe_extension)) return false;
  if (IsA(tree, GrantStmt)) return grant_touches_only_own_objects(reinterpret_cast<GrantStmt*>(tree), scribe_extension);
  // Other commands list their objects; the extension itself counts too
  // (COMMENT ON EXTENSION scribe, ALTER EXTENSION scribe UPDATE).
  bool isnull;
  const bool all_own = query_bool(
      "SELECT bool_and(c.classid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND c.objid = x.oid "
      "                OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = c.classid "
      "                             AND d.objid = c.objid AND d.deptype = 'e' "
      "                             AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass "
      "                             AND d.refobjid = x.oid)) "
      "FROM pg_catalog.pg_event_trigger_ddl_commands() c, "
      "     (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'scribe') x "
      "WHERE c.classid IS NOT NULL",
      &isnull);
  return !isnull && all_own;
}

void capture(FunctionCallInfo fcinfo) {
  if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("scribe.capture_ddl() must be called by an event trigger")));
  if (!loaded_at_server_start)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("pg_scribe DDL capture needs the scribe library loaded at server start"),
                    errdetail("Without it the exact text of DDL statements cannot be captured, and the backup would "
                              "miss schema changes."),
                    errhint("Add 'scribe' to shared_preload_libraries in postgresql.conf and restart the server.")));
  // The statements of an extension's script are replayed as CREATE EXTENSION.
  if (creating_extension) return;

  auto* trigger = reinterpret_cast<EventTriggerData*>(fcinfo->context);
  Node* tree = trigger->parsetree;
  // REINDEX fires event triggers since PostgreSQL 17. The ProcessUtility
  // hook captures it on every version, and only the forms that change what a
  // dump holds (TABLESPACE): here it would be written a second time, and a
  // plain REINDEX once.
  if (IsA(tree, ReindexStmt)) return;
  if (strcmp(trigger->event, "ddl_command_start") == 0) {
    if (ddl_in_progress++ > 0) return;
    drop_seen = false;
    list_free(identity_candidates);
    identity_candidates = NIL;
    remember_tables_of_dropped_indexes(tree);
    drop_of_permanent_only = nullptr;
    drop_targets_temporary = drop_targets_all_temporary(tree);
    create_like_temporary = create_table_likes_temporary(tree);
    if (is_create_table_as(tree)) emit_create_table_as(reinterpret_cast<CreateTableAsStmt*>(tree));
    return;
  }
  if (strcmp(trigger->event, "sql_drop") == 0) {
    if (ddl_in_progress > 1) return;
    bool isnull;
    // What is dropped with an original object (the rules and triggers of a
    // temporary view, which have no schema of their own) goes with it.
    drop_all_temporary = query_bool(
        "SELECT bool_and(is_temporary OR NOT original) FROM pg_catalog.pg_event_trigger_dropped_objects()", &isnull);
    drop_seen = !isnull;
    // Columns dropped by a cascade (DROP TYPE ... CASCADE) may be a key's.
    remember_identity_candidates_from(
        "SELECT DISTINCT objid FROM pg_catalog.pg_event_trigger_dropped_objects() "
        "WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND objsubid <> 0");
    drop_of_permanent_only = drop_seen && !drop_all_temporary ? drop_of_permanent_relations_only(tree) : nullptr;
    return;
  }
  if (strcmp(trigger->event, "ddl_command_end") != 0) return;
  if (ddl_in_progress > 0) --ddl_in_progress;
  if (ddl_in_progress > 0) return;  // part of an enclosing command
  // CREATE TABLE AS was written at the start.
  if (!is_create_table_as(tree)) {
    const CollectedObjects collected = inspect_collected_commands();
    const bool skip =
        command_touches_only_temporary_objects(collected) || (!drop_seen && command_touches_only_own_objects(tree));
    drop_seen = false;
    drop_targets_temporary = false;
    if (!skip) {
      const std::string_view statement = current_statement_text();
      refuse_text_read_otherwise_on_replay(statement);
      if (drop_of_permanent_only != nullptr) {
        emit_ddl(drop_of_permanent_only, !runs_outside_transaction(tree));
      } else {
        // Replayable into a database of any name (the parser ignores the
        // qualifiers it accepted, so the text means the same here). This
        // runs inside call_pg: the C++ string goes into palloc'd memory
        // (through call_pg, so a failed palloc unwinds it) before emit_ddl
        // may longjmp.
        char* replayable = nullptr;
        std::size_t replayable_len = 0;
        {
          const std::string text = without_database_qualifiers(replayable_statement(tree, statement, collected));
          call_pg([&] { replayable = pnstrdup(text.data(), text.size()); });
          replayable_len = text.size();
        }
        emit_ddl(std::string_view(replayable, replayable_len), !runs_outside_transaction(tree));
        pfree(replayable);
      }
    }
    drop_of_permanent_only = nullptr;
  }
  // The tables the command created or altered (an index's: its table).
  remember_identity_candidates_from(
      "SELECT DISTINCT coalesce(i.indrelid, d.objid) FROM pg_catalog.pg_event_trigger_ddl_commands() d "
      "LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = d.objid "
      "WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass");
  check_replica_identity_of_candidates(sets_replica_identity(tree));
}

}  // namespace

bool auto_replica_identity_enabled() { return auto_replica_identity; }
bool capture_active_in_database() {
  return loaded_at_server_start && !creating_extension && OidIsValid(get_extension_oid("scribe", true));
}

void emit_statement_as(std::string_view statement, const char* role) { emit_ddl_as(statement, true, role); }

void install_hooks(bool at_server_start) {
  loaded_at_server_start = at_server_start;
  DefineCustomBoolVariable(
      "scribe.auto_replica_identity", "Gives REPLICA IDENTITY FULL to tables left without a usable replica identity.",
      "A table created without a primary key, or one that loses its key or identity index, gets REPLICA IDENTITY "
      "FULL in the same transaction, so that its UPDATE and DELETE can be replayed. Off: their UPDATE and DELETE "
      "are not backed up (reported in scribe.status and in the backup).",
      &auto_replica_identity, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  previous_process_utility = ProcessUtility_hook;
  ProcessUtility_hook = [](PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                           ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* query_env,
                           DestReceiver* dest, QueryCompletion* qc) {
    run_entry([&] { process_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc); });
  };
}

}  // namespace scribe::capture

namespace scribe::capture {
namespace {

// The event trigger's function: capture() is PostgreSQL-style code that
// raises with ereport, run through call_pg.
Datum capture_ddl(FunctionCallInfo fcinfo) {
  call_pg([&] { capture(fcinfo); });
  PG_RETURN_NULL();
}

Datum assert_preloaded(FunctionCallInfo) {
  call_pg([] {
    if (!loaded_at_server_start)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("the scribe library must be loaded at server start"),
                      errhint("Add 'scribe' to shared_preload_libraries in postgresql.conf, restart the server, "
                              "and run CREATE EXTENSION scribe again.")));
  });
  PG_RETURN_VOID();
}

}  // namespace
}  // namespace scribe::capture

SCRIBE_SQL_FUNCTION(scribe_capture_ddl, scribe::capture::capture_ddl)

SCRIBE_SQL_FUNCTION(scribe_assert_preloaded, scribe::capture::assert_preloaded)
