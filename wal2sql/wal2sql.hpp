// Shared declarations of the wal2sql output plugin.
//
// Everything here that touches the server is written so that an ereport()
// longjmp may cross it: the structures are plain data allocated in memory
// contexts, and the only C++ object with a destructor (DecoderOptions) lives
// in the plugin state and is destroyed by a memory-context reset callback.
#pragma once

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include "scribe/core/literal.hpp"
#include "scribe/core/options.hpp"
#include "scribe/core/replay_settings.hpp"
#include "scribe/pg/ddl_auth.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "access/htup.h"
#include "lib/stringinfo.h"
#include "replication/logical.h"
#include "replication/reorderbuffer.h"
#include "utils/hsearch.h"
#include "utils/rel.h"
}

namespace wal2sql {

// Appends to a StringInfo; the sink type of the core's append_* functions.
// Inline, because it runs for every piece of every statement: a piece that
// fits (the usual case: the buffer keeps its allocation from change to
// change) is one memcpy, and the strlen of a literal is folded at compile time.
struct StringInfoSink {
  StringInfo buf;
  void append(const char* data, std::size_t len) {
    if (static_cast<std::size_t>(buf->maxlen - buf->len) > len) {  // room for the bytes and the '\0'
      std::memcpy(buf->data + buf->len, data, len);
      buf->len += static_cast<int>(len);
      buf->data[buf->len] = '\0';
    } else {
      appendBinaryStringInfo(buf, data, static_cast<int>(len));
    }
  }
  void append(std::string_view text) { append(text.data(), text.size()); }
  void append(const char* text) { append(text, std::strlen(text)); }
  void push_back(char ch) { appendStringInfoCharMacro(buf, ch); }
};

// How a column's value becomes text: through its output function, or, for
// output functions whose text is trivially known, without the call and its
// palloc (the bytes are those the function would return).
enum class OutputPath : std::uint8_t {
  kOutputFunction,
  kInt2,  // int2out: pg_itoa
  kInt4,  // int4out: pg_ltoa
  kInt8,  // int8out: pg_lltoa
  kOid,   // oidout: "%u"
  kBool,  // boolout: "t" or "f"
  kText,  // textout, varcharout, bpcharout: the detoasted bytes up to the first '\0'
};

// What the plugin needs to know about one column, computed once per relation.
// The strings are views of NUL-terminated copies in the relation's context.
struct ColumnInfo {
  std::string_view name;           // quoted as needed
  std::string_view type_name;      // schema-qualified type name, for casts
  std::string_view eq_op;          // " OPERATOR(s.=) ", or empty (data() null): no equality, compare images
  std::string_view assign_prefix;  // "name = ", for UPDATE's SET list
  // A row filter's test of this column (when eq_op is set): match_prefix +
  // value + match_suffix, "name OPERATOR(s.=) " and "", or
  // "s.enum_eq(name, " and ")" (see equality_form_for in relcache.cpp).
  std::string_view match_prefix;
  std::string_view match_suffix;
  // Old values are compared as the domain's base type (the column type when
  // it is no domain): a cast to the domain would run its CHECKs, and one
  // added NOT VALID since the row was written rejects the value it holds.
  std::string_view compare_type_name;
  std::string_view image_expr;  // the column for record_image_eq: "name", or "name::base" for a domain
  scribe::ValueStyle compare_style;
  bool cast_in_comparison;  // the literal must be cast to the compared type before eq_op (reg* use oid's "=")
  bool equal_image;         // eq_op implies identical values (btree "equalimage"); false for
                            // float (-0 = 0), numeric (1.0 = 1.00), citext, nondeterministic collations
  FmgrInfo output_fn;
  OutputPath output_path;
  scribe::ValueStyle style;
  int16 typlen;
  bool typbyval;
  bool dropped;
  bool generated;        // stored generated column: never assigned
  bool identity_always;  // GENERATED ALWAYS AS IDENTITY
  bool key;              // part of the replica identity (all columns with FULL)
  bool not_null;
  // No input function accepts its values (pg_node_tree, ...): never compared,
  // written as NULL, and a comment in the diff says so.
  bool unreadable;
  // A domain with a CHECK added NOT VALID: rows may hold values it rejects,
  // so an UPDATE assigns the column only when its value changed.
  bool guard_assignment;
};

struct RelationInfo {
  Oid relid;  // hash key
  bool valid;
  bool wanted;  // not filtered out by options or the scribe schema
  MemoryContext context;
  std::string_view qualified_name;
  // Statement beginnings, built once: "INSERT INTO s.t (a, b) VALUES (" (or
  // the whole "INSERT INTO s.t DEFAULT VALUES;" when no column is written),
  // "UPDATE ONLY s.t SET ", "DELETE FROM ONLY s.t WHERE ".
  std::string_view insert_prefix;
  std::string_view update_prefix;
  std::string_view delete_prefix;
  bool insert_default_values;
  // User triggers that fire under session_replication_role = replica
  // (ENABLE ALWAYS, ENABLE REPLICA): their effects at the source are in the
  // stream already, so replay switches them off around the table's changes
  // and back on to their mode. Empty (data() null) when there are none.
  std::string_view triggers_off;  // "ALTER TABLE ONLY s.t DISABLE TRIGGER a, DISABLE TRIGGER b;"
  std::string_view triggers_on;   // "ALTER TABLE ONLY s.t ENABLE ALWAYS TRIGGER a, ENABLE REPLICA TRIGGER b;"
  char replident;                 // REPLICA_IDENTITY_* of pg_class.relreplident
  char relkind;
  bool has_key;  // some column identifies rows
  bool has_identity_always;
  bool has_unreadable;
  int natts;
  ColumnInfo* columns;
  // Deform buffers, reused by every change of this relation.
  Datum* new_values;
  bool* new_nulls;
  Datum* old_values;
  bool* old_nulls;
  bool* assign;  // columns an UPDATE sets
};

struct GlobalsTracker;

struct PluginState {
  scribe::DecoderOptions options;
  MemoryContext change_context;  // reset after every callback
  MemoryContext cache_context;
  HTAB* relations;
  // The entry of the last relation looked up: changes come in runs of one
  // table. Entries are never removed, and dynahash never moves them.
  Oid last_relid;
  RelationInfo* last_relation;
  bool settings_pinned;
  int guc_nest_level;  // > 0: pinned in a transaction, restored through the GUC stack
  const char* saved_settings[std::size(scribe::kDecoderSettings)];  // outside one: the values to set back
  scribe::pg::DdlKey ddl_key;                                       // authenticates scribe.ddl messages
  const char* output_encoding;                                      // for the replay prologue's client_encoding
  bool settings_written;
  bool xact_written;        // header and BEGIN of the current transaction are out
  GlobalsTracker* globals;  // option include_globals (globals.cpp)
  // Relations whose triggers the current transaction switched off, and the
  // statements that switch them on again (before the next DDL and COMMIT);
  // in ctx->context, which outlives the per-change context.
  Oid* triggers_off_relids;
  int triggers_off_count;
  int triggers_off_capacity;
  StringInfo triggers_to_restore;
};

// relcache.cpp
void relation_cache_init(PluginState* state);
void relation_cache_shutdown(PluginState* state);
RelationInfo* relation_info_for(PluginState* state, Relation rel);

// literal.cpp
void append_column_value(StringInfoSink& out, ColumnInfo* col, Datum value);
// The value as compare_type_name reads it (see ColumnInfo::compare_type_name).
void append_comparison_value(StringInfoSink& out, ColumnInfo* col, Datum value);
bool is_unchanged_toast(const ColumnInfo* col, Datum value, bool isnull);

// statements.cpp
void emit_insert(StringInfoSink& out, RelationInfo* info, HeapTuple newtuple, TupleDesc desc);
// Returns false when the update changes nothing and nothing was written.
bool emit_update(StringInfoSink& out, RelationInfo* info, HeapTuple oldtuple, HeapTuple newtuple, TupleDesc desc);
void emit_delete(StringInfoSink& out, RelationInfo* info, HeapTuple oldtuple, TupleDesc desc);
void emit_truncate(StringInfoSink& out, RelationInfo** infos, int ninfos, bool cascade, bool restart_seqs);

// globals.cpp
GlobalsTracker* globals_startup(LogicalDecodingContext* ctx, bool is_init, XLogRecPtr start_after_lsn);
// Removes the slot's kept state of global objects (a slot being created).
void globals_forget_slot(LogicalDecodingContext* ctx);
void globals_shutdown(GlobalsTracker* tracker);
void globals_note_commit(GlobalsTracker* tracker, TimestampTz commit_time);
TimestampTz globals_last_commit_time(const GlobalsTracker* tracker);
// The SQL that brings a target to the global state at this point of the
// stream (`lsn`), or empty when it is already there. `needs_transaction`:
// called outside a decoded transaction (a non-transactional message).
std::string globals_sync_sql(GlobalsTracker* tracker, XLogRecPtr lsn, bool needs_transaction);
// triggers.cpp
// Before a change of `info`: its replica-firing user triggers are switched
// off, once per transaction (and again after DDL). Writes nothing for a
// table without such triggers.
void append_triggers_off(StringInfoSink& out, PluginState* state, RelationInfo* info);
// The statements that switch back on what append_triggers_off switched off
// in this transaction, and forget them. Writes nothing when nothing is off.
void append_triggers_restore(StringInfoSink& out, PluginState* state);
bool triggers_restore_pending(const PluginState* state);
// Takes back the last append_triggers_off, whose output was not written.
void forget_last_triggers_off(PluginState* state, RelationInfo* info);
// Builds info->triggers_off and info->triggers_on from the relation's
// triggers as the historic catalog has them (in the relation's context).
void build_trigger_statements(RelationInfo* info, Relation rel);

}  // namespace wal2sql
