#include <cstring>
#include <string_view>

#include "ddl_objects.hpp"

#include "scribe/pg/sql_scanner.hpp"

#include "scribe/pg/catalog_spi.hpp"
extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_language.h"
#include "catalog/pg_largeobject.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/keywords.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "parser/scanner.h"
#include "tcop/deparse_utility.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace scribe::capture {
namespace {

// Bounds the dependency walk of one object: past it, the object counts as
// permanent and its DDL is replayed, as before this walk existed.
constexpr int kMaxObjectsVisited = 4096;

bool address_seen(List* seen, Oid class_id, Oid object_id) {
  ListCell* cell;
  foreach (cell, seen) {
    auto* address = static_cast<ObjectAddress*>(lfirst(cell));
    if (address->classId == class_id && address->objectId == object_id) return true;
  }
  return false;
}

// Appends (class_id, object_id) to both lists unless already seen.
void enqueue_address(List** pending, List** seen, Oid class_id, Oid object_id) {
  if (address_seen(*seen, class_id, object_id)) return;
  auto* address = static_cast<ObjectAddress*>(palloc(sizeof(ObjectAddress)));
  address->classId = class_id;
  address->objectId = object_id;
  address->objectSubId = 0;
  *seen = lappend(*seen, address);
  *pending = lappend(*pending, address);
}

// True when the object lives in a temporary schema or depends, directly or
// through other objects, on one that does: PostgreSQL drops it with the
// session (the temporary schema is dropped with CASCADE), and nothing that
// names it can replay elsewhere. A trigger, rule or policy has no schema
// of its own but depends on its table; a statistics object may live in a
// permanent schema and still be on a temporary table. Namespaced objects
// depend on their schema in pg_depend, so one walk covers both.
bool object_is_temporary(Oid class_id, Oid object_id) {
  if (!OidIsValid(class_id) || !OidIsValid(object_id)) return false;
  List* pending = NIL;
  List* seen = NIL;
  enqueue_address(&pending, &seen, class_id, object_id);
  Relation depend = table_open(DependRelationId, AccessShareLock);
  bool temporary = false;
  int visited = 0;
  while (pending != NIL && !temporary && visited++ < kMaxObjectsVisited) {
    auto* current = static_cast<ObjectAddress*>(linitial(pending));
    pending = list_delete_first(pending);
    if (current->classId == NamespaceRelationId) {
      temporary = isAnyTempNamespace(current->objectId);
      continue;
    }
    ScanKeyData key[2];
    ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(current->classId));
    ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(current->objectId));
    SysScanDesc scan = systable_beginscan(depend, DependDependerIndexId, true, nullptr, 2, key);
    HeapTuple tuple;
    while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
      auto* dep = reinterpret_cast<Form_pg_depend>(GETSTRUCT(tuple));
      // Membership of an extension says nothing about where the object lives.
      if (dep->deptype == DEPENDENCY_EXTENSION || dep->deptype == DEPENDENCY_AUTO_EXTENSION) continue;
      enqueue_address(&pending, &seen, dep->refclassid, dep->refobjid);
    }
    systable_endscan(scan);
  }
  table_close(depend, AccessShareLock);
  list_free_deep(seen);
  list_free(pending);
  return temporary;
}

// The catalog of the objects a GRANT or REVOKE lists, where an object of
// that kind can be temporary or is a large object; InvalidOid otherwise
// (databases, tablespaces, ... are never temporary).
Oid catalog_of_granted(ObjectType type) {
  switch (type) {
    case OBJECT_TABLE:
    case OBJECT_SEQUENCE:
      return RelationRelationId;
    case OBJECT_FUNCTION:
    case OBJECT_PROCEDURE:
    case OBJECT_ROUTINE:
      return ProcedureRelationId;
    case OBJECT_TYPE:
    case OBJECT_DOMAIN:
      return TypeRelationId;
    case OBJECT_SCHEMA:
      return NamespaceRelationId;
    case OBJECT_LARGEOBJECT:
      return LargeObjectRelationId;
    default:
      return InvalidOid;
  }
}

struct Inspection {
  bool any;
  bool all_temporary;
  List* large_objects;
  MemoryContext result_context;  // where large_objects is allocated
};

void inspect_address(Inspection* inspection, Oid class_id, Oid object_id) {
  inspection->any = true;
  if (class_id == LargeObjectRelationId) {
    MemoryContext old = MemoryContextSwitchTo(inspection->result_context);
    inspection->large_objects = list_append_unique_oid(inspection->large_objects, object_id);
    MemoryContextSwitchTo(old);
  }
  if (inspection->all_temporary && !object_is_temporary(class_id, object_id)) inspection->all_temporary = false;
}

void inspect_command(Inspection* inspection, const CollectedCommand* command) {
  switch (command->type) {
    case SCT_Simple:
      inspect_address(inspection, command->d.simple.address.classId, command->d.simple.address.objectId);
      break;
    case SCT_AlterTable:
      inspect_address(inspection, command->d.alterTable.classId, command->d.alterTable.objectId);
      break;
    case SCT_Grant: {
      const InternalGrant* grant = command->d.grant.istmt;
      const Oid catalog = catalog_of_granted(grant->objtype);
      ListCell* cell;
      foreach (cell, grant->objects) inspect_address(inspection, catalog, lfirst_oid(cell));
      if (grant->objects == NIL) inspect_address(inspection, InvalidOid, InvalidOid);
      break;
    }
    case SCT_AlterOpFamily:
      inspect_address(inspection, command->d.opfam.address.classId, command->d.opfam.address.objectId);
      break;
    case SCT_CreateOpClass:
      inspect_address(inspection, command->d.createopc.address.classId, command->d.createopc.address.objectId);
      break;
    case SCT_AlterTSConfig:
      inspect_address(inspection, command->d.atscfg.address.classId, command->d.atscfg.address.objectId);
      break;
    case SCT_AlterDefaultPrivileges:
      inspect_address(inspection, InvalidOid, InvalidOid);
      break;
  }
}

// True when a literal in a partition bound of this type could be read
// otherwise at replay: its input function is not immutable (date and time
// types read 'now', and read '01/02/2020' by DateStyle).
bool partition_key_input_is_not_immutable(Oid partition) {
  const Oid parent = get_partition_parent(partition, true);
  Relation parent_rel = relation_open(parent, AccessShareLock);
  PartitionKey key = RelationGetPartitionKey(parent_rel);
  bool not_immutable = false;
  for (int i = 0; key != nullptr && i < key->partnatts && !not_immutable; i++) {
    Oid input;
    Oid io_param;
    getTypeInputInfo(key->parttypid[i], &input, &io_param);
    not_immutable = func_volatile(input) != PROVOLATILE_IMMUTABLE;
  }
  relation_close(parent_rel, AccessShareLock);
  return not_immutable;
}

bool is_minvalue_or_maxvalue(Node* datum) {
  if (!IsA(datum, ColumnRef)) return false;
  auto* ref = reinterpret_cast<ColumnRef*>(datum);
  if (list_length(ref->fields) != 1 || !IsA(linitial(ref->fields), String)) return false;
  const char* name = strVal(linitial(ref->fields));
  return strcmp(name, "minvalue") == 0 || strcmp(name, "maxvalue") == 0;
}

bool all_plain_constants(List* datums) {
  ListCell* cell;
  foreach (cell, datums) {
    Node* datum = static_cast<Node*>(lfirst(cell));
    if (!IsA(datum, A_Const) && !is_minvalue_or_maxvalue(datum)) return false;
  }
  return true;
}

// Length of `FROM (...) TO (...)` or `IN (...)` at the start of `text`: up
// to the close of its `groups`-th parenthesized list, found by the SQL
// scanner (a parenthesis inside a string or comment is not one); -1 when
// not found.
int bound_clause_length(const char* text, int groups) {
  core_yy_extra_type extra;
  core_yyscan_t scanner = scribe::pg::begin_sql_scan(text, &extra);
  int depth = 0;
  int closed = 0;
  int length = -1;
  for (;;) {
    core_YYSTYPE value;
    YYLTYPE location;
    const int token = core_yylex(&value, &location, scanner);
    if (token == 0) break;
    if (token == '(') {
      depth++;
    } else if (token == ')' && --depth == 0 && ++closed == groups) {
      length = location + 1;
      break;
    }
  }
  scanner_finish(scanner);
  return length;
}

// The partition's bound as stored, `FROM (...) TO (...)` or `IN (...)`,
// its values written so that any session reads them back the same.
char* stored_bound_clause(Oid partition) {
  const int nest_level = NewGUCNestLevel();
  auto set = [](const char* name, const char* value) {
    (void)set_config_option(name, value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  };
  set("datestyle", "ISO");
  set("intervalstyle", "postgres");
  set("extra_float_digits", "3");
  set("bytea_output", "hex");
  set("standard_conforming_strings", "on");
  HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(partition));
  if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for relation %u", partition);
  bool isnull;
  const Datum bound = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_relpartbound, &isnull);
  char* rendered = nullptr;
  if (!isnull) rendered = TextDatumGetCString(DirectFunctionCall2(pg_get_expr, bound, ObjectIdGetDatum(partition)));
  ReleaseSysCache(tuple);
  AtEOXact_GUC(false, nest_level);
  constexpr std::string_view kPrefix = "FOR VALUES ";
  if (rendered == nullptr || strncmp(rendered, kPrefix.data(), kPrefix.size()) != 0) return nullptr;
  return rendered + kPrefix.size();
}

}  // namespace

CollectedObjects inspect_collected_commands() {
  Inspection inspection{false, true, NIL, CurrentMemoryContext};
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "pg_scribe: SPI_connect failed");
  if (scribe::pg::spi_execute_catalog("SELECT command FROM pg_catalog.pg_event_trigger_ddl_commands()", true, 0) !=
      SPI_OK_SELECT)
    elog(ERROR, "pg_scribe: pg_event_trigger_ddl_commands() failed");
  for (uint64 row = 0; row < SPI_processed; row++) {
    bool isnull;
    // A pg_ddl_command is a pointer to the collected command, valid until
    // the event trigger returns.
    const Datum command = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull);
    if (!isnull) inspect_command(&inspection, reinterpret_cast<const CollectedCommand*>(DatumGetPointer(command)));
  }
  SPI_finish();
  CollectedObjects result;
  result.any = inspection.any;
  result.all_temporary = inspection.any && inspection.all_temporary;
  result.large_objects = inspection.large_objects;
  return result;
}

namespace {

// The identities of the invalid indexes the current DROP INDEX names: left
// behind by a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed
// after its first transaction, never captured (the command failed) and not
// in pg_dump's output, so no replay has them. In TopMemoryContext: DROP
// INDEX CONCURRENTLY ends in another transaction than it started.
List* invalid_indexes_dropped = NIL;

// Notes the invalid indexes among those a DROP INDEX names; true if it
// names nothing else.
bool drop_names_only_invalid_indexes(DropStmt* stmt) {
  list_free_deep(invalid_indexes_dropped);
  invalid_indexes_dropped = NIL;
  if (stmt->removeType != OBJECT_INDEX || stmt->objects == NIL) return false;
  int valid = 0;
  ListCell* cell;
  foreach (cell, stmt->objects) {
    const Oid index = RangeVarGetRelid(makeRangeVarFromNameList(static_cast<List*>(lfirst(cell))), NoLock, true);
    HeapTuple tuple = OidIsValid(index) ? SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index)) : nullptr;
    if (tuple == nullptr || !HeapTupleIsValid(tuple)) {
      ++valid;  // not found: DROP ... IF EXISTS, or not an index; left as it is
      continue;
    }
    const bool is_valid = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple))->indisvalid;
    ReleaseSysCache(tuple);
    if (is_valid) {
      ++valid;
      continue;
    }
    const ObjectAddress address = {RelationRelationId, index, 0};
    char* identity = getObjectIdentity(&address, true);
    if (identity == nullptr) {
      ++valid;
      continue;
    }
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    invalid_indexes_dropped = lappend(invalid_indexes_dropped, pstrdup(identity));
    MemoryContextSwitchTo(old);
  }
  return valid == 0;
}

bool is_invalid_index_dropped(const char* identity) {
  ListCell* cell;
  foreach (cell, invalid_indexes_dropped)
    if (strcmp(static_cast<const char*>(lfirst(cell)), identity) == 0) return true;
  return false;
}

}  // namespace

bool drop_targets_all_temporary(Node* tree) {
  if (!IsA(tree, DropStmt)) return false;
  auto* stmt = reinterpret_cast<DropStmt*>(tree);
  // Invalid indexes exist at no replay: a DROP of only those is not replayed
  // (nor one of temporary objects); with others it replays as the DROP of
  // the others (drop_of_permanent_relations_only).
  if (drop_names_only_invalid_indexes(stmt)) return true;
  switch (stmt->removeType) {
    // Relations: their sql_drop entries say whether they are temporary.
    case OBJECT_TABLE:
    case OBJECT_SEQUENCE:
    case OBJECT_VIEW:
    case OBJECT_MATVIEW:
    case OBJECT_INDEX:
    case OBJECT_FOREIGN_TABLE:
      return false;
    default:
      break;
  }
  if (stmt->objects == NIL) return false;
  ListCell* cell;
  foreach (cell, stmt->objects) {
    Relation relation = nullptr;
    // The lock RemoveObjects takes next for the same object.
    const ObjectAddress address =
        get_object_address(stmt->removeType, static_cast<Node*>(lfirst(cell)), &relation, AccessExclusiveLock, true);
    if (relation != nullptr) table_close(relation, NoLock);
    if (!object_is_temporary(address.classId, address.objectId)) return false;
  }
  return true;
}

char* drop_of_permanent_relations_only(Node* tree) {
  if (!IsA(tree, DropStmt)) return nullptr;
  auto* stmt = reinterpret_cast<DropStmt*>(tree);
  const char* keyword = nullptr;
  switch (stmt->removeType) {
    case OBJECT_TABLE:
      keyword = "TABLE";
      break;
    case OBJECT_SEQUENCE:
      keyword = "SEQUENCE";
      break;
    case OBJECT_VIEW:
      keyword = "VIEW";
      break;
    case OBJECT_MATVIEW:
      keyword = "MATERIALIZED VIEW";
      break;
    case OBJECT_INDEX:
      keyword = "INDEX";
      break;
    case OBJECT_FOREIGN_TABLE:
      keyword = "FOREIGN TABLE";
      break;
    default:
      return nullptr;
  }
  if (list_length(stmt->objects) < 2) return nullptr;
  MemoryContext result_context = TopTransactionContext;
  char* result = nullptr;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "pg_scribe: SPI_connect failed");
  // object_identity is schema-qualified and quoted.
  if (scribe::pg::spi_execute_catalog(
          "SELECT object_identity, is_temporary FROM pg_catalog.pg_event_trigger_dropped_objects() "
          "WHERE original",
          true, 0) != SPI_OK_SELECT)
    elog(ERROR, "pg_scribe: pg_event_trigger_dropped_objects() failed");
  // object_identity is schema-qualified and quoted.
  bool some_left_out = false;
  StringInfoData kept;
  initStringInfo(&kept);
  for (uint64 i = 0; i < SPI_processed; i++) {
    const char* identity = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
    bool isnull;
    const bool temporary = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
    if (identity == nullptr || (!isnull && temporary) || is_invalid_index_dropped(identity)) {
      some_left_out = true;
      continue;
    }
    appendStringInfo(&kept, "%s%s", kept.len > 0 ? ", " : "", identity);
  }
  if (some_left_out && kept.len > 0)
    result = MemoryContextStrdup(
        result_context, psprintf("DROP %s %s%s", keyword, kept.data, stmt->behavior == DROP_CASCADE ? " CASCADE" : ""));
  SPI_finish();
  return result;
}

char* statement_with_stored_partition_bound(Node* tree, const char* query_string, std::string_view statement) {
  PartitionBoundSpec* bound = nullptr;
  RangeVar* partition = nullptr;
  if (IsA(tree, CreateStmt) || IsA(tree, CreateForeignTableStmt)) {
    // A CreateForeignTableStmt starts with its CreateStmt.
    bound = reinterpret_cast<CreateStmt*>(tree)->partbound;
    partition = reinterpret_cast<CreateStmt*>(tree)->relation;
  } else if (IsA(tree, AlterTableStmt)) {
    auto* stmt = reinterpret_cast<AlterTableStmt*>(tree);
    if (list_length(stmt->cmds) == 1) {
      auto* cmd = static_cast<AlterTableCmd*>(linitial(stmt->cmds));
      if (cmd->subtype == AT_AttachPartition && cmd->def != nullptr && IsA(cmd->def, PartitionCmd)) {
        bound = reinterpret_cast<PartitionCmd*>(cmd->def)->bound;
        partition = reinterpret_cast<PartitionCmd*>(cmd->def)->name;
      }
    }
  }
  if (bound == nullptr || bound->is_default || bound->location < 0 || partition == nullptr) return nullptr;
  if (bound->strategy != PARTITION_STRATEGY_LIST && bound->strategy != PARTITION_STRATEGY_RANGE) return nullptr;
  const Oid relid = RangeVarGetRelid(partition, NoLock, true);
  if (!OidIsValid(relid) || !get_rel_relispartition(relid)) return nullptr;
  if (all_plain_constants(bound->listdatums) && all_plain_constants(bound->lowerdatums) &&
      all_plain_constants(bound->upperdatums) && !partition_key_input_is_not_immutable(relid))
    return nullptr;

  const char* bound_text = query_string + bound->location;
  if (bound_text < statement.data() || bound_text >= statement.data() + statement.size()) return nullptr;
  const std::size_t offset = static_cast<std::size_t>(bound_text - statement.data());
  const int length = bound_clause_length(bound_text, bound->strategy == PARTITION_STRATEGY_RANGE ? 2 : 1);
  if (length < 0 || offset + static_cast<std::size_t>(length) > statement.size()) return nullptr;
  const char* stored = stored_bound_clause(relid);
  if (stored == nullptr) return nullptr;
  StringInfoData out;
  initStringInfo(&out);
  appendBinaryStringInfo(&out, statement.data(), static_cast<int>(offset));
  appendStringInfoString(&out, stored);
  appendBinaryStringInfo(&out, statement.data() + offset + length,
                         static_cast<int>(statement.size() - offset - length));
  return out.data;
}

namespace {

// The definition of a plain table as the catalog has it, in the session's
// search_path (the captured statement replays under the same one, so names
// format_type and pg_get_expr leave unqualified resolve the same way).
// 18 keeps NOT NULL as named constraints (contype 'n'), which LIKE copies
// under the source's names: a valid one is written in its column, where an
// identity or a later primary key cannot have made another first (18 refuses
// a second not-null constraint on a column); a NOT VALID one after the table.
constexpr const char* kTableDefinitionQuery = R"SQL(
SELECT 'CREATE TABLE ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) || ' ('
       || coalesce((
         SELECT pg_catalog.string_agg(
                  pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
                  || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                          THEN ' COLLATE ' || pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                          ELSE '' END
                  || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY'
                                        WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
                  || CASE WHEN a.attgenerated = 's'
                          THEN ' GENERATED ALWAYS AS (' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) || ') STORED'
                          WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid)
                          ELSE '' END
                  || coalesce((SELECT ' CONSTRAINT ' || pg_catalog.quote_ident(nn.conname) || ' NOT NULL'
                                 FROM pg_catalog.pg_constraint nn
                                WHERE nn.conrelid = a.attrelid AND nn.contype = 'n' AND nn.conkey = ARRAY[a.attnum]
                                  AND nn.convalidated),
                              CASE WHEN a.attnotnull AND NOT EXISTS (
                                          SELECT 1 FROM pg_catalog.pg_constraint nn
                                           WHERE nn.conrelid = a.attrelid AND nn.contype = 'n'
                                             AND nn.conkey = ARRAY[a.attnum])
                                   THEN ' NOT NULL' ELSE '' END),
                  ', ' ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
           LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
           LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
           LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
       || ')'
       || coalesce((
         SELECT pg_catalog.string_agg(E';
' || 'ALTER TABLE ' || pg_catalog.quote_ident(n.nspname) || '.'
                                      || pg_catalog.quote_ident(c.relname) || ' ADD CONSTRAINT '
                                      || pg_catalog.quote_ident(k.conname) || ' '
                                      || pg_catalog.pg_get_constraintdef(k.oid), '' ORDER BY k.conname)
           FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND NOT (k.contype = 'n' AND k.convalidated)), '')
       || coalesce((
         SELECT pg_catalog.string_agg(E';
' || pg_catalog.pg_get_indexdef(i.indexrelid), '' ORDER BY i.indexrelid)
           FROM pg_catalog.pg_index i
          WHERE i.indrelid = c.oid
            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid
                                                                      AND k.conrelid = c.oid)), '')
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = $1
)SQL";

}  // namespace

bool create_table_likes_temporary(Node* tree) {
  if (!IsA(tree, CreateStmt)) return false;
  auto* stmt = reinterpret_cast<CreateStmt*>(tree);
  ListCell* cell;
  foreach (cell, stmt->tableElts) {
    Node* element = static_cast<Node*>(lfirst(cell));
    if (!IsA(element, TableLikeClause)) continue;
    const Oid source = RangeVarGetRelid(reinterpret_cast<TableLikeClause*>(element)->relation, NoLock, true);
    if (OidIsValid(source) && get_rel_persistence(source) == RELPERSISTENCE_TEMP) return true;
  }
  return false;
}

char* table_as_defined(Node* tree) {
  if (!IsA(tree, CreateStmt)) return nullptr;
  auto* stmt = reinterpret_cast<CreateStmt*>(tree);
  const Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  if (!OidIsValid(relid) || get_rel_persistence(relid) == RELPERSISTENCE_TEMP) return nullptr;
  char* result = nullptr;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "pg_scribe: SPI_connect failed");
  Oid argtypes[1] = {OIDOID};
  Datum values[1] = {ObjectIdGetDatum(relid)};
  if (scribe::pg::spi_execute_catalog_with_args(kTableDefinitionQuery, 1, argtypes, values, nullptr, false, 1) !=
          SPI_OK_SELECT ||
      SPI_processed != 1)
    elog(ERROR, "pg_scribe: could not read the definition of table %u", relid);
  const char* definition = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
  if (definition != nullptr) result = MemoryContextStrdup(TopTransactionContext, definition);
  SPI_finish();
  return result;
}

char* statement_guarded_by_large_objects(std::string_view statement, List* large_objects) {
  StringInfoData ids;
  initStringInfo(&ids);
  ListCell* cell;
  foreach (cell, large_objects) appendStringInfo(&ids, "%s%u", ids.len > 0 ? ", " : "", lfirst_oid(cell));
  char* text = pnstrdup(statement.data(), statement.size());
  StringInfoData body;
  initStringInfo(&body);
  appendStringInfo(&body,
                   "BEGIN IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_largeobject_metadata WHERE oid IN (%s)) "
                   "= %d THEN EXECUTE %s; ELSE RAISE WARNING 'pg_scribe: statement skipped: a large object it names "
                   "is not in this database' USING DETAIL = %s; END IF; END",
                   ids.data, list_length(large_objects), quote_literal_cstr(text), quote_literal_cstr(text));
  StringInfoData out;
  initStringInfo(&out);
  appendStringInfo(&out, "DO %s", quote_literal_cstr(body.data));
  pfree(ids.data);
  pfree(body.data);
  pfree(text);
  return out.data;
}

std::string_view explained_statement_text(std::string_view explain) {
  char* text = pnstrdup(explain.data(), explain.size());
  core_yy_extra_type extra;
  core_yyscan_t scanner = scribe::pg::begin_sql_scan(text, &extra);
  core_YYSTYPE value;
  YYLTYPE location = -1;
  int token = core_yylex(&value, &location, scanner);  // EXPLAIN
  token = core_yylex(&value, &location, scanner);
  if (token == '(') {
    for (int depth = 1; depth > 0 && token != 0;) {
      token = core_yylex(&value, &location, scanner);
      if (token == '(') depth++;
      if (token == ')') depth--;
    }
    token = core_yylex(&value, &location, scanner);
  } else {
    const int analyze = scribe::pg::keyword_token("analyze"), analyse = scribe::pg::keyword_token("analyse"),
              verbose = scribe::pg::keyword_token("verbose");
    while (token == analyze || token == analyse || token == verbose) token = core_yylex(&value, &location, scanner);
  }
  scanner_finish(scanner);
  pfree(text);
  if (token == 0 || location < 0) return explain;
  return explain.substr(static_cast<std::size_t>(location));
}

CreateTableAsStmt* created_by_explain_analyze(Node* utility) {
  if (utility == nullptr || !IsA(utility, ExplainStmt)) return nullptr;
  auto* explain = reinterpret_cast<ExplainStmt*>(utility);
  bool analyze = false;
  ListCell* cell;
  foreach (cell, explain->options) {
    auto* option = static_cast<DefElem*>(lfirst(cell));
    if (strcmp(option->defname, "analyze") == 0) analyze = defGetBoolean(option);
  }
  if (!analyze) return nullptr;
  Node* query = explain->query;
  if (query != nullptr && IsA(query, Query) && reinterpret_cast<Query*>(query)->commandType == CMD_UTILITY)
    query = reinterpret_cast<Query*>(query)->utilityStmt;
  if (query == nullptr || !IsA(query, CreateTableAsStmt)) return nullptr;
  return reinterpret_cast<CreateTableAsStmt*>(query);
}

char* cluster_as_alter_table(Node* utility) {
  if (utility == nullptr || !IsA(utility, ClusterStmt)) return nullptr;
  auto* stmt = reinterpret_cast<ClusterStmt*>(utility);
  if (stmt->relation == nullptr || stmt->indexname == nullptr) return nullptr;
  const Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  if (!OidIsValid(relid)) return nullptr;
  const Oid nsp = get_rel_namespace(relid);
  const char kind = get_rel_relkind(relid);
  if (isAnyTempNamespace(nsp) || (kind != RELKIND_RELATION && kind != RELKIND_MATVIEW)) return nullptr;
  // The index lives in its table's schema; a partitioned table's index is
  // not marked clustered.
  const Oid index = get_relname_relid(stmt->indexname, nsp);
  if (!OidIsValid(index) || !get_index_isclustered(index)) return nullptr;
  const char* schema = get_namespace_name(nsp);
  StringInfoData out;
  initStringInfo(&out);
  appendStringInfo(&out, "ALTER %s %s CLUSTER ON %s", kind == RELKIND_MATVIEW ? "MATERIALIZED VIEW" : "TABLE",
                   quote_qualified_identifier(schema, get_rel_name(relid)), quote_identifier(stmt->indexname));
  return out.data;
}

ReindexReplay reindex_replay(Node* utility) {
  if (utility == nullptr || !IsA(utility, ReindexStmt)) return ReindexReplay::kNone;
  auto* stmt = reinterpret_cast<ReindexStmt*>(utility);
  bool tablespace = false;
  bool concurrently = false;
  ListCell* cell;
  foreach (cell, stmt->params) {
    auto* option = static_cast<DefElem*>(lfirst(cell));
    if (strcmp(option->defname, "tablespace") == 0) tablespace = true;
    if (strcmp(option->defname, "concurrently") == 0) concurrently = defGetBoolean(option);
  }
  if (!tablespace) return ReindexReplay::kNone;
  switch (stmt->kind) {
    case REINDEX_OBJECT_INDEX:
    case REINDEX_OBJECT_TABLE: {
      const Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
      if (!OidIsValid(relid) || isAnyTempNamespace(get_rel_namespace(relid))) return ReindexReplay::kNone;
      const char kind = get_rel_relkind(relid);
      // PostgreSQL runs these in transactions of their own.
      const bool partitioned = kind == RELKIND_PARTITIONED_TABLE || kind == RELKIND_PARTITIONED_INDEX;
      return concurrently || partitioned ? ReindexReplay::kOutsideTransaction : ReindexReplay::kInTransaction;
    }
    case REINDEX_OBJECT_SCHEMA: {
      const Oid nsp = get_namespace_oid(stmt->name, true);
      if (!OidIsValid(nsp) || isAnyTempNamespace(nsp)) return ReindexReplay::kNone;
      return ReindexReplay::kOutsideTransaction;
    }
    default:
      return ReindexReplay::kNotReplayable;
  }
}

}  // namespace scribe::capture
