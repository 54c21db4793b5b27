// User triggers and rules during replay (DESIGN.md invariant 9: user
// triggers do not fire again). Replay runs with session_replication_role = replica, which
// keeps ordinary (ENABLE ORIGIN) triggers and foreign-key checks quiet, but
// triggers set ENABLE ALWAYS or ENABLE REPLICA fire there: an audit trigger
// would insert its row a second time beside the one the stream replays.
// So before a transaction's first change of such a table the stream
// switches them off, and switches them back on to their mode before the
// next captured DDL (which may change them) and before COMMIT: the
// restored schema keeps every trigger's state, and tables without such
// triggers cost nothing. Internal triggers (foreign keys, deferred unique
// checks) are not user triggers and are left alone; a partition's clone of
// its parent's trigger has its own pg_trigger row and is named on the
// partition, where the change happens.
#include "wal2sql.hpp"

#include "scribe/core/quote.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_rewrite.h"
#include "commands/trigger.h"
#include "rewrite/prs2lock.h"
#include "rewrite/rewriteDefine.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/reltrigger.h"
}

namespace wal2sql {

namespace {

bool fires_at_replay(const Trigger& trigger) {
  return !trigger.tgisinternal &&
         (trigger.tgenabled == TRIGGER_FIRES_ALWAYS || trigger.tgenabled == TRIGGER_FIRES_ON_REPLICA);
}

bool already_off(const PluginState* state, Oid relid) {
  for (int i = 0; i < state->triggers_off_count; i++)
    if (state->triggers_off_relids[i] == relid) return true;
  return false;
}

}  // namespace

void build_trigger_statements(RelationInfo* info, Relation rel) {
  info->triggers_off = std::string_view();
  info->triggers_on = std::string_view();
  const TriggerDesc* desc = rel->trigdesc;
  if (desc == nullptr && rel->rd_rules == nullptr) return;
  StringInfoData off, on;
  initStringInfo(&off);
  initStringInfo(&on);
  StringInfoSink off_out{&off}, on_out{&on};
  // One clause per trigger or rule: "DISABLE TRIGGER x" off, "ENABLE
  // ALWAYS TRIGGER x" on.
  const auto add = [&](const char* kind, const char* name, bool always) {
    const bool first = off.len == 0;
    if (first) {
      off_out.append("ALTER TABLE ONLY ");
      off_out.append(info->qualified_name);
      on_out.append("ALTER TABLE ONLY ");
      on_out.append(info->qualified_name);
    }
    off_out.append(first ? " DISABLE " : ", DISABLE ");
    off_out.append(kind);
    scribe::append_identifier(off_out, name);
    on_out.append(first ? " " : ", ");
    on_out.append(always ? "ENABLE ALWAYS " : "ENABLE REPLICA ");
    on_out.append(kind);
    scribe::append_identifier(on_out, name);
  };
  if (desc != nullptr) {
    for (int i = 0; i < desc->numtriggers; i++) {
      const Trigger& trigger = desc->triggers[i];
      if (fires_at_replay(trigger)) add("TRIGGER ", trigger.tgname, trigger.tgenabled == TRIGGER_FIRES_ALWAYS);
    }
  }
  // Rules fire by session_replication_role as triggers do: a DO ALSO rule
  // set ENABLE ALWAYS would write its rows a second time beside the ones
  // the stream replays (and, in psql, run its functions as the restorer).
  // Their names are in pg_rewrite, not in the relation's rule lock.
  if (rel->rd_rules != nullptr) {
    Relation rewrite = table_open(RewriteRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_rewrite_ev_class, BTEqualStrategyNumber, F_OIDEQ,
                ObjectIdGetDatum(RelationGetRelid(rel)));
    SysScanDesc scan = systable_beginscan(rewrite, RewriteRelRulenameIndexId, true, nullptr, 1, &key);
    HeapTuple tuple;
    while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
      const auto* rule = reinterpret_cast<Form_pg_rewrite>(GETSTRUCT(tuple));
      if (rule->ev_type == '1') continue;  // ON SELECT: a view's, never on a change
      if (rule->ev_enabled == RULE_FIRES_ALWAYS || rule->ev_enabled == RULE_FIRES_ON_REPLICA)
        add("RULE ", NameStr(rule->rulename), rule->ev_enabled == RULE_FIRES_ALWAYS);
    }
    systable_endscan(scan);
    table_close(rewrite, AccessShareLock);
  }
  if (off.len == 0) return;
  off_out.push_back(';');
  on_out.push_back(';');
  info->triggers_off = std::string_view(off.data, static_cast<std::size_t>(off.len));
  info->triggers_on = std::string_view(on.data, static_cast<std::size_t>(on.len));
}

void append_triggers_off(StringInfoSink& out, PluginState* state, RelationInfo* info) {
  if (info->triggers_off.data() == nullptr || already_off(state, info->relid)) return;
  // Allocated for the whole decoding session: the per-change context is
  // reset after this callback.
  MemoryContext old = MemoryContextSwitchTo(state->cache_context);
  if (state->triggers_off_count == state->triggers_off_capacity) {
    const int capacity = state->triggers_off_capacity == 0 ? 8 : 2 * state->triggers_off_capacity;
    state->triggers_off_relids = state->triggers_off_relids == nullptr
                                     ? static_cast<Oid*>(palloc(sizeof(Oid) * capacity))
                                     : static_cast<Oid*>(repalloc(state->triggers_off_relids, sizeof(Oid) * capacity));
    state->triggers_off_capacity = capacity;
  }
  if (state->triggers_to_restore == nullptr) state->triggers_to_restore = makeStringInfo();
  MemoryContextSwitchTo(old);
  state->triggers_off_relids[state->triggers_off_count++] = info->relid;
  // The text to switch them on again is copied now: the relation's entry
  // may be rebuilt before COMMIT.
  appendBinaryStringInfo(state->triggers_to_restore, info->triggers_on.data(),
                         static_cast<int>(info->triggers_on.size()));
  appendStringInfoChar(state->triggers_to_restore, '\n');
  out.append(info->triggers_off);
  out.push_back('\n');
}

void forget_last_triggers_off(PluginState* state, RelationInfo* info) {
  state->triggers_off_count--;
  state->triggers_to_restore->len -= static_cast<int>(info->triggers_on.size()) + 1;
  state->triggers_to_restore->data[state->triggers_to_restore->len] = '\0';
}

bool triggers_restore_pending(const PluginState* state) { return state->triggers_off_count > 0; }

void append_triggers_restore(StringInfoSink& out, PluginState* state) {
  if (state->triggers_off_count == 0) return;
  StringInfo text = state->triggers_to_restore;
  // Without the last newline: the caller writes it as one output line.
  out.append(text->data, static_cast<std::size_t>(text->len - 1));
  resetStringInfo(text);
  state->triggers_off_count = 0;
}

}  // namespace wal2sql
