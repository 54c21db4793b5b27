// What a captured DDL command touched, and the rewrites its text needs to
// replay to the state the source committed: temporary objects (not
// replayed), large objects (replayed only where they exist), partition
// bounds written as expressions (replayed as the bound stored), and the
// utility statements that change the schema without firing an event
// trigger (EXPLAIN ANALYZE CREATE TABLE AS, CLUSTER ... USING).
//
// Every function here calls PostgreSQL and may ereport: call them inside
// call_pg, with no C++ object alive in between. Results are palloc'd.
#pragma once

#include <string_view>

#include "scribe/pg/postgres.hpp"

extern "C" {
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
}

namespace scribe::capture {

// What pg_event_trigger_ddl_commands() lists for the command ending now.
struct CollectedObjects {
  bool any = false;            // at least one object was listed
  bool all_temporary = false;  // every one lives in, or depends on, a temporary schema
  List* large_objects = NIL;   // OIDs of large objects it granted on, commented, altered
};

// At ddl_command_end only (pg_event_trigger_ddl_commands() refuses other events).
CollectedObjects inspect_collected_commands();

// At ddl_command_start of a DROP of objects that are not relations
// (triggers, rules, policies, statistics, functions, types, ...): true when
// every object it names exists and is temporary. Their sql_drop entry says
// is_temporary = false when they have no schema (a trigger on a temporary
// table), and they are gone from pg_depend by then.
bool drop_targets_all_temporary(Node* tree);

// At sql_drop of `DROP TABLE|VIEW|... a, b` that names temporary and
// permanent relations: the same DROP of the permanent ones only (by their
// qualified identities, allocated in TopTransactionContext), since the
// temporary ones are not at the replay; nullptr otherwise.
char* drop_of_permanent_relations_only(Node* tree);

// CREATE TABLE ... PARTITION OF ... FOR VALUES and ALTER TABLE ... ATTACH
// PARTITION ... FOR VALUES: when the bound could evaluate otherwise at
// replay (an expression, or a literal whose type's input function is not
// immutable, like 'now' for a timestamp), `statement` with the bound
// replaced by the one stored in the catalog; nullptr when no rewrite is
// needed. `query_string` is the text the tree's locations point into, and
// `statement` a part of it.
char* statement_with_stored_partition_bound(Node* tree, const char* query_string, std::string_view statement);

// CREATE TABLE t (LIKE tmp ...) where tmp is temporary: the replay has no
// tmp, and t keeps no link to it. At ddl_command_start (the command's
// parse analysis rewrites the LIKE clauses of the tree in place).
bool create_table_likes_temporary(Node* tree);
// At ddl_command_end of a CREATE TABLE: the table's definition as the
// catalog has it (columns with their types, collations, defaults, identity,
// generated expressions and NOT NULL; its constraints and other indexes),
// to replay instead of the text; nullptr if the table is temporary.
char* table_as_defined(Node* tree);

// `statement`, run only if every large object in `large_objects` exists:
// one from before the chain is in the replayed database only if the base
// has it, and a statement that names a missing one must not stop a replay.
char* statement_guarded_by_large_objects(std::string_view statement, List* large_objects);

// The text of the statement that `EXPLAIN [options] <statement>` explains.
std::string_view explained_statement_text(std::string_view explain);

// EXPLAIN ANALYZE of CREATE TABLE AS / SELECT INTO / CREATE MATERIALIZED
// VIEW: the statement it runs (it creates the relation), or nullptr.
CreateTableAsStmt* created_by_explain_analyze(Node* utility);

// CLUSTER t USING idx: the equivalent `ALTER TABLE t CLUSTER ON idx` (what
// it changes in the catalog; the rewrite itself leaves content as it is),
// built from the catalog after it ran; nullptr when there is nothing to
// replay (no USING, a temporary or partitioned table).
char* cluster_as_alter_table(Node* utility);

// REINDEX (TABLESPACE ...) moves the indexes it rebuilds, which pg_dump
// writes and no event trigger reports: it is replayed as written, inside
// the replay's transaction or (CONCURRENTLY, a schema, a partitioned table
// or index) outside it. REINDEX DATABASE and SYSTEM name the source
// database and cannot be replayed into another one.
enum class ReindexReplay { kNone, kInTransaction, kOutsideTransaction, kNotReplayable };
ReindexReplay reindex_replay(Node* utility);

}  // namespace scribe::capture
