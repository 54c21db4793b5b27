// Shared declarations of the wal2sql output plugin.
//
// Everything here that touches the server is written so that an ereport()
// longjmp may cross it: the structures are plain data allocated in memory
// contexts, and the only C++ object with a destructor (DecoderOptions) lives
// in the plugin state and is destroyed by a memory-context reset callback.
#pragma once

#include <iterator>

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
struct StringInfoSink {
  StringInfo buf;
  void append(const char* data, std::size_t len) { appendBinaryStringInfo(buf, data, static_cast<int>(len)); }
  void push_back(char ch) { appendStringInfoCharMacro(buf, ch); }
  void append(const char* text) { appendStringInfoString(buf, text); }
};

// What the plugin needs to know about one column, computed once per relation.
struct ColumnInfo {
  const char* name;         // quoted as needed
  const char* type_name;    // schema-qualified type name, for casts
  const char* eq_op;        // " = ", " OPERATOR(s.=) ", or nullptr: no equality, compare images
  bool cast_in_comparison;  // the literal must be cast to the column type before eq_op (reg* use oid's "=")
  bool equal_image;         // eq_op implies identical values (btree "equalimage"); false for
                            // float (-0 = 0), numeric (1.0 = 1.00), citext, nondeterministic collations
  FmgrInfo output_fn;
  scribe::ValueStyle style;
  int16 typlen;
  bool typbyval;
  bool dropped;
  bool generated;        // stored generated column: never assigned
  bool identity_always;  // GENERATED ALWAYS AS IDENTITY
  bool key;              // part of the replica identity (all columns with FULL)
};

struct RelationInfo {
  Oid relid;  // hash key
  bool valid;
  bool wanted;  // not filtered out by options or the scribe schema
  MemoryContext context;
  const char* qualified_name;
  char replident;  // REPLICA_IDENTITY_* of pg_class.relreplident
  char relkind;
  bool has_key;  // some column identifies rows
  bool has_identity_always;
  int natts;
  ColumnInfo* columns;
  // Deform buffers, reused by every change of this relation.
  Datum* new_values;
  bool* new_nulls;
  Datum* old_values;
  bool* old_nulls;
  bool* assign;  // columns an UPDATE sets
};

struct PluginState {
  scribe::DecoderOptions options;
  MemoryContext change_context;  // reset after every callback
  MemoryContext cache_context;
  HTAB* relations;
  bool settings_pinned;
  int guc_nest_level;  // > 0: pinned in a transaction, restored through the GUC stack
  const char* saved_settings[std::size(scribe::kDecoderSettings)];  // outside one: the values to set back
  scribe::pg::DdlKey ddl_key;                                       // authenticates scribe.ddl messages
  const char* output_encoding;                                      // for the replay prologue's client_encoding
  bool settings_written;
  bool xact_written;  // header and BEGIN of the current transaction are out
};

// relcache.cpp
void relation_cache_init(PluginState* state);
void relation_cache_shutdown(PluginState* state);
RelationInfo* relation_info_for(PluginState* state, Relation rel);

// literal.cpp
void append_column_value(StringInfoSink& out, ColumnInfo* col, Datum value);
bool is_unchanged_toast(const ColumnInfo* col, Datum value, bool isnull);

// statements.cpp
void emit_insert(StringInfoSink& out, RelationInfo* info, HeapTuple newtuple, TupleDesc desc);
// Returns false when the update changes nothing and nothing was written.
bool emit_update(StringInfoSink& out, RelationInfo* info, HeapTuple oldtuple, HeapTuple newtuple, TupleDesc desc);
void emit_delete(StringInfoSink& out, RelationInfo* info, HeapTuple oldtuple, TupleDesc desc);
void emit_truncate(StringInfoSink& out, RelationInfo** infos, int ninfos, bool cascade, bool restart_seqs);

}  // namespace wal2sql
