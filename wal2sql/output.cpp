// wal2sql: a logical decoding output plugin that writes each committed
// transaction as a replayable SQL script (DESIGN.md, "Differential file
// format"). The callbacks are thin extern "C" wrappers: run_entry turns any
// C++ exception into ereport, call_pg turns any ereport into an exception.
#include <cstring>
#include <new>

#include "wal2sql.hpp"

#include "scribe/core/ddl_message.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/globals.hpp"
#include "scribe/core/quote.hpp"
#include "scribe/core/replay_settings.hpp"
#include "scribe/pg/ddl_auth.hpp"
#include "scribe/pg/guard.hpp"

extern "C" {
#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "replication/walsender.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks* cb);
}

#include "scribe/pg/compat.hpp"

namespace wal2sql {
namespace {

using scribe::pg::call_pg;
using scribe::pg::run_entry;

using scribe::pg::change_tuple;

TimestampTz commit_time_of(ReorderBufferTXN* txn) { return txn->xact_time.commit_time; }

PluginState* state_of(LogicalDecodingContext* ctx) { return static_cast<PluginState*>(ctx->output_plugin_private); }

// The state holds a C++ object; it is destroyed with the decoding context,
// on success and on error alike.
void destroy_state(void* arg) {
  auto* state = static_cast<PluginState*>(arg);
  relation_cache_shutdown(state);
  globals_shutdown(state->globals);
  state->globals = nullptr;
  state->~PluginState();
}

// Output settings under which every type prints a text that reads back
// exactly, restored at shutdown. In a transaction (the SQL functions) the
// GUC stack does it and also undoes them on error; outside one (a
// walsender's START_REPLICATION, whose connection may run SQL afterwards
// with replication=database) the previous values are saved and set back.
void pin_output_settings(LogicalDecodingContext* ctx, PluginState* state) {
  if (IsTransactionState()) state->guc_nest_level = NewGUCNestLevel();
  const GucAction action = state->guc_nest_level > 0 ? GUC_ACTION_SAVE : GUC_ACTION_SET;
  for (std::size_t i = 0; i < std::size(scribe::kDecoderSettings); i++) {
    const scribe::SettingPin& pin = scribe::kDecoderSettings[i];
    if (action == GUC_ACTION_SET)
      state->saved_settings[i] = MemoryContextStrdup(ctx->context, GetConfigOption(pin.name, false, false));
    (void)set_config_option(pin.name, pin.value, PGC_USERSET, PGC_S_SESSION, action, true, 0, false);
  }
  state->settings_pinned = true;
}

void restore_output_settings(PluginState* state) {
  if (!state->settings_pinned) return;
  state->settings_pinned = false;
  if (state->guc_nest_level > 0) {
    AtEOXact_GUC(true, state->guc_nest_level);
    state->guc_nest_level = 0;
    return;
  }
  for (std::size_t i = 0; i < std::size(scribe::kDecoderSettings); i++)
    if (state->saved_settings[i] != nullptr)
      (void)set_config_option(scribe::kDecoderSettings[i].name, state->saved_settings[i], PGC_USERSET, PGC_S_SESSION,
                              GUC_ACTION_SET, true, 0, false);
}

// Transactions the consumer already has (option start_after_lsn).
bool already_written(const PluginState* state, const ReorderBufferTXN* txn) {
  return state->options.start_after_lsn != 0 && txn->final_lsn <= state->options.start_after_lsn;
}

// Replay settings (once per session), header comment and BEGIN.
bool xact_start_pending(PluginState* state) {
  const scribe::DecoderOptions& o = state->options;
  return !state->xact_written &&
         ((o.include_settings && !state->settings_written) || o.include_header || o.include_transaction);
}

// The encoding the consumer receives the text in, decided at startup. The SQL functions run in
// a transaction for a connected client, which gets their text result
// converted to its client_encoding; START_REPLICATION (no transaction) and
// background workers pass the database's bytes through unchanged.
// (pg_logical_slot_get_binary_changes, whose bytea is not converted, cannot
// be told apart here: use include_settings = off with it.)
const char* output_encoding_name() {
  const bool sql_function_client = IsTransactionState() && whereToSendOutput == DestRemote;
  return sql_function_client ? pg_get_client_encoding_name() : GetDatabaseEncodingName();
}

void append_xact_start(StringInfoSink& out, PluginState* state, ReorderBufferTXN* txn) {
  const scribe::DecoderOptions& o = state->options;
  if (o.include_settings && !state->settings_written) scribe::append_replay_settings(out, state->output_encoding);
  if (o.include_header) {
    char lsn[scribe::kLsnTextSize];
    char commit[scribe::kTimestampTextSize];
    scribe::format_lsn(txn->final_lsn, lsn);
    scribe::format_utc_timestamp(commit_time_of(txn), commit);
    appendStringInfo(out.buf, "-- scribe xid=%u lsn=%s commit=%s\n", txn->xid, lsn, commit);
  }
  if (o.include_transaction) out.append("BEGIN;\n");
}

void mark_xact_started(PluginState* state) {
  if (state->options.include_settings) state->settings_written = true;
  state->xact_written = true;
}

// Each statement is one write. The first one of a transaction carries the
// transaction's start, so that (with skip_empty_xacts) a transaction whose
// changes all turn out to write nothing leaves no trace. `emit` returns
// false when it wrote nothing.
template <class Emit>
void write_statement(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, Emit emit) {
  PluginState* state = state_of(ctx);
  OutputPluginPrepareWrite(ctx, true);
  StringInfoSink out{ctx->out};
  // The prepared buffer need not start empty: a walsender puts its message
  // header there, pg_scribe's worker the statements it has not written yet.
  const int start = out.buf->len;
  const bool starting = xact_start_pending(state);
  if (starting) append_xact_start(out, state, txn);
  if (!emit(out)) {
    // Not sent: take back what was prepared.
    out.buf->len = start;
    out.buf->data[start] = '\0';
    return;
  }
  OutputPluginWrite(ctx, true);
  mark_xact_started(state);
}

// Writes, at this point of the transaction, the SQL that brings a target's
// roles and database properties to what the source had here (globals.cpp).
// Called before each statement and at the commit, outside call_pg: it
// builds C++ strings.
void sync_globals(LogicalDecodingContext* ctx, ReorderBufferTXN* txn) {
  PluginState* state = state_of(ctx);
  if (state->globals == nullptr) return;
  const std::string sql = globals_sync_sql(state->globals, txn->final_lsn, false);
  if (sql.empty()) return;
  call_pg([&] {
    OutputPluginPrepareWrite(ctx, true);
    StringInfoSink out{ctx->out};
    if (xact_start_pending(state)) append_xact_start(out, state, txn);
    out.append(sql);
    OutputPluginWrite(ctx, true);
  });
  mark_xact_started(state);
}

// A sync message (scribe::globals::kSyncMessagePrefix), decoded outside any
// transaction: the global state of this point, as a transaction of its own
// (no xid; the time of the last commit decoded, so that commit times stay
// in order for a restore to a point in time).
void sync_globals_at_message(LogicalDecodingContext* ctx, XLogRecPtr message_lsn) {
  PluginState* state = state_of(ctx);
  if (state->globals == nullptr) return;
  const scribe::DecoderOptions& o = state->options;
  // The block's place is one byte before the record's end (message_lsn):
  // inside the record. Its header, the state file (globals.cpp) and the
  // skip after a restart all use it. The end itself is where the next
  // record starts, which may be a commit: two headers with one LSN would
  // not be in strict commit order (pg_scribe --verify refuses that).
  const XLogRecPtr block_lsn = message_lsn - 1;
  if (o.start_after_lsn != 0 && block_lsn <= o.start_after_lsn) return;
  const std::string sql = globals_sync_sql(state->globals, block_lsn, true);
  if (sql.empty()) return;
  call_pg([&] {
    OutputPluginPrepareWrite(ctx, true);
    StringInfoSink out{ctx->out};
    if (o.include_settings && !state->settings_written) {
      scribe::append_replay_settings(out, state->output_encoding);
      state->settings_written = true;
    }
    if (o.include_header) {
      char lsn[scribe::kLsnTextSize];
      char commit[scribe::kTimestampTextSize];
      scribe::format_lsn(block_lsn, lsn);
      scribe::format_utc_timestamp(globals_last_commit_time(state->globals), commit);
      appendStringInfo(out.buf, "-- scribe xid=0 lsn=%s commit=%s\n", lsn, commit);
    }
    if (o.include_transaction) out.append("BEGIN;\n");
    out.append(sql);
    if (o.include_transaction) out.append("\nCOMMIT;");
    OutputPluginWrite(ctx, true);
  });
}

// Runs one callback's work in the per-change memory context and frees it.
template <class Work>
void in_change_context(PluginState* state, Work work) {
  call_pg([&] {
    MemoryContext old = MemoryContextSwitchTo(state->change_context);
    work();
    MemoryContextSwitchTo(old);
    MemoryContextReset(state->change_context);
  });
}

void startup(LogicalDecodingContext* ctx, OutputPluginOptions* opt, bool is_init) {
  PluginState* state = nullptr;
  MemoryContextCallback* cleanup = nullptr;
  call_pg([&] {
    state = static_cast<PluginState*>(MemoryContextAllocZero(ctx->context, sizeof(PluginState)));
    cleanup = static_cast<MemoryContextCallback*>(MemoryContextAllocZero(ctx->context, sizeof(MemoryContextCallback)));
  });
  new (state) PluginState();
  cleanup->func = destroy_state;
  cleanup->arg = state;
  MemoryContextRegisterResetCallback(ctx->context, cleanup);
  ctx->output_plugin_private = state;

  ListCell* cell;
  foreach (cell, ctx->output_plugin_options) {
    auto* elem = static_cast<DefElem*>(lfirst(cell));
    const char* value = elem->arg != nullptr && IsA(elem->arg, String) ? strVal(elem->arg) : nullptr;
    scribe::set_decoder_option(state->options, elem->defname, value);
  }
  // A new slot starts with no baseline of global objects, whatever a
  // dropped slot of the same name left (slots are created without plugin
  // options, so include_globals cannot be asked for here).
  if (is_init) globals_forget_slot(ctx);
  if (state->options.include_globals) state->globals = globals_startup(ctx, is_init, state->options.start_after_lsn);

  opt->output_type = OUTPUT_PLUGIN_TEXTUAL_OUTPUT;
  opt->receive_rewrites = false;
  call_pg([&] {
    state->change_context = AllocSetContextCreate(ctx->context, "wal2sql change", ALLOCSET_DEFAULT_SIZES);
    MemoryContext old = MemoryContextSwitchTo(ctx->context);
    relation_cache_init(state);
    MemoryContextSwitchTo(old);
    // Creating a slot decodes nothing: leave the session's settings alone.
    // The key exists from the moment a wal2sql slot does.
    scribe::pg::load_or_create_ddl_key(&state->ddl_key);
    if (!is_init) pin_output_settings(ctx, state);
    state->output_encoding = output_encoding_name();
  });
}

void shutdown(LogicalDecodingContext* ctx) {
  PluginState* state = state_of(ctx);
  if (state == nullptr) return;
  call_pg([&] { restore_output_settings(state); });
}

// Triggers switched off in this transaction are switched on again, as one
// write of their own (before captured DDL, which may change them, and
// before COMMIT).
void write_triggers_restore(LogicalDecodingContext* ctx, PluginState* state) {
  if (!triggers_restore_pending(state)) return;
  call_pg([&] {
    OutputPluginPrepareWrite(ctx, true);
    StringInfoSink out{ctx->out};
    append_triggers_restore(out, state);
    OutputPluginWrite(ctx, true);
  });
}

void begin_txn(LogicalDecodingContext* ctx, ReorderBufferTXN* txn) {
  PluginState* state = state_of(ctx);
  state->xact_written = false;
  state->triggers_off_count = 0;
  if (state->triggers_to_restore != nullptr) resetStringInfo(state->triggers_to_restore);
  if (already_written(state, txn)) return;
  if (state->options.skip_empty_xacts || !xact_start_pending(state)) return;
  call_pg([&] {
    OutputPluginPrepareWrite(ctx, true);
    StringInfoSink out{ctx->out};
    append_xact_start(out, state, txn);
    if (out.buf->len > 0 && out.buf->data[out.buf->len - 1] == '\n') out.buf->data[--out.buf->len] = '\0';
    OutputPluginWrite(ctx, true);
    mark_xact_started(state);
  });
}

void commit_txn(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, XLogRecPtr commit_lsn) {
  (void)commit_lsn;
  PluginState* state = state_of(ctx);
  if (state->globals != nullptr && !already_written(state, txn)) {
    // The transaction's own changes of global objects, up to its end.
    sync_globals(ctx, txn);
    globals_note_commit(state->globals, commit_time_of(txn));
  }
  if (!state->xact_written) return;
  write_triggers_restore(ctx, state);
  if (!state->options.include_transaction) return;
  call_pg([&] {
    OutputPluginPrepareWrite(ctx, true);
    appendStringInfoString(ctx->out, "COMMIT;");
    OutputPluginWrite(ctx, true);
  });
}

void change(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, Relation relation, ReorderBufferChange* change) {
  PluginState* state = state_of(ctx);
  if (already_written(state, txn)) return;
  sync_globals(ctx, txn);
  in_change_context(state, [&] {
    RelationInfo* info = relation_info_for(state, relation);
    if (!info->wanted) return;
    TupleDesc desc = RelationGetDescr(relation);
    HeapTuple newtuple = change_tuple(change->data.tp.newtuple);
    HeapTuple oldtuple = change_tuple(change->data.tp.oldtuple);
    write_statement(ctx, txn, [&](StringInfoSink& out) {
      // The triggers go off in the same write as the change, so that an
      // UPDATE that writes nothing takes them back too.
      const int start = out.buf->len;
      append_triggers_off(out, state, info);
      const bool triggers_went_off = out.buf->len != start;
      bool written = true;
      switch (change->action) {
        case REORDER_BUFFER_CHANGE_INSERT:
          emit_insert(out, info, newtuple, desc);
          break;
        case REORDER_BUFFER_CHANGE_UPDATE:
          written = emit_update(out, info, oldtuple, newtuple, desc);
          break;
        case REORDER_BUFFER_CHANGE_DELETE:
          emit_delete(out, info, oldtuple, desc);
          break;
        default:
          elog(ERROR, "wal2sql: unexpected change type %d", static_cast<int>(change->action));
      }
      if (!written && triggers_went_off) forget_last_triggers_off(state, info);
      return written;
    });
  });
}

void truncate(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, int nrelations, Relation relations[],
              ReorderBufferChange* change) {
  PluginState* state = state_of(ctx);
  if (already_written(state, txn)) return;
  sync_globals(ctx, txn);
  in_change_context(state, [&] {
    auto** infos = static_cast<RelationInfo**>(palloc(sizeof(RelationInfo*) * nrelations));
    int ninfos = 0;
    for (int i = 0; i < nrelations; i++) {
      RelationInfo* info = relation_info_for(state, relations[i]);
      if (info->wanted) infos[ninfos++] = info;
    }
    if (ninfos == 0) return;
    write_statement(ctx, txn, [&](StringInfoSink& out) {
      for (int i = 0; i < ninfos; i++) append_triggers_off(out, state, infos[i]);
      emit_truncate(out, infos, ninfos, change->data.truncate.cascade, change->data.truncate.restart_seqs);
      return true;
    });
  });
}

// Transactional messages with our prefix carry captured DDL, already SQL;
// they are written at their place in the transaction, but only when their
// HMAC proves pg_scribe wrote them: any role can emit a logical message,
// and the stream is replayed by a superuser. Other prefixes are not ours.
void message(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, XLogRecPtr message_lsn, bool transactional,
             const char* prefix, Size message_size, const char* message) {
  if (!transactional && scribe::globals::kSyncMessagePrefix == prefix) sync_globals_at_message(ctx, message_lsn);
  if (!transactional || scribe::kDdlMessagePrefix != prefix) return;
  PluginState* state = state_of(ctx);
  if (already_written(state, txn)) return;
  sync_globals(ctx, txn);
  in_change_context(state, [&] {
    const std::optional<scribe::SignedDdl> signed_ddl =
        scribe::parse_signed_ddl(std::string_view(message, message_size));
    bool authentic = false;
    if (signed_ddl) {
      char expected[scribe::kDdlMacHexLength];
      scribe::pg::sign_ddl(state->ddl_key, txn->xid, signed_ddl->body.data(), signed_ddl->body.size(), expected);
      authentic = scribe::constant_time_equal(signed_ddl->mac_hex, std::string_view(expected, sizeof expected));
    }
    const std::optional<scribe::DdlContext> ddl =
        authentic ? scribe::parse_ddl_body(signed_ddl->body) : std::optional<scribe::DdlContext>();
    if (!ddl)
      ereport(WARNING, (errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
                        errmsg("wal2sql: ignored a \"%s\" message that pg_scribe did not write", prefix),
                        errdetail("Transaction %u, message at %X/%X.", txn->xid,
                                  // LSN_FORMAT_ARGS uses a C-only builtin
                                  static_cast<uint32>(message_lsn >> 32), static_cast<uint32>(message_lsn)),
                        errhint("Any role may call pg_logical_emit_message(); only DDL signed with the key in "
                                "\"%s\" is replayed.",
                                scribe::pg::kDdlKeyPath)));
    if (ddl) write_triggers_restore(ctx, state);
    write_statement(ctx, txn, [&](StringInfoSink& out) {
      if (!ddl) {
        out.append("-- wal2sql: an unauthenticated scribe.ddl message was ignored here");
        return true;
      }
      scribe::append_ddl_replay(out, *ddl, state->options.include_transaction);
      return true;
    });
  });
}

}  // namespace
}  // namespace wal2sql

extern "C" {

static void wal2sql_startup(LogicalDecodingContext* ctx, OutputPluginOptions* opt, bool is_init) {
  scribe::pg::run_entry([&] { wal2sql::startup(ctx, opt, is_init); });
}
static void wal2sql_shutdown(LogicalDecodingContext* ctx) {
  scribe::pg::run_entry([&] { wal2sql::shutdown(ctx); });
}
static void wal2sql_begin(LogicalDecodingContext* ctx, ReorderBufferTXN* txn) {
  scribe::pg::run_entry([&] { wal2sql::begin_txn(ctx, txn); });
}
static void wal2sql_commit(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, XLogRecPtr commit_lsn) {
  scribe::pg::run_entry([&] { wal2sql::commit_txn(ctx, txn, commit_lsn); });
}
static void wal2sql_change(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, Relation rel,
                           ReorderBufferChange* change) {
  scribe::pg::run_entry([&] { wal2sql::change(ctx, txn, rel, change); });
}
static void wal2sql_truncate(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, int nrelations, Relation relations[],
                             ReorderBufferChange* change) {
  scribe::pg::run_entry([&] { wal2sql::truncate(ctx, txn, nrelations, relations, change); });
}
static void wal2sql_message(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, XLogRecPtr message_lsn,
                            bool transactional, const char* prefix, Size message_size, const char* message) {
  scribe::pg::run_entry([&] { wal2sql::message(ctx, txn, message_lsn, transactional, prefix, message_size, message); });
}

void _PG_output_plugin_init(OutputPluginCallbacks* cb) {
  cb->startup_cb = wal2sql_startup;
  cb->shutdown_cb = wal2sql_shutdown;
  cb->begin_cb = wal2sql_begin;
  cb->commit_cb = wal2sql_commit;
  cb->change_cb = wal2sql_change;
  cb->truncate_cb = wal2sql_truncate;
  cb->message_cb = wal2sql_message;
}

}  // extern "C"
