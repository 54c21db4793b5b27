// INSERT, UPDATE, DELETE and TRUNCATE statements for decoded changes.
//
// Rows are identified by the replica identity: the key columns for DEFAULT
// and USING INDEX; for FULL, every column of the old row, through
// "ctid = (SELECT ctid ... LIMIT 1)" so that exactly one of several
// identical rows is changed, as on the source.
#include "wal2sql.hpp"

#include "scribe/core/quote.hpp"
#include "scribe/core/unreadable_types.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "utils/datum.h"
}

namespace wal2sql {
namespace {

// The value with an explicit cast to the type it is compared as, as a ROW()
// for record_image_eq needs. "::" binds tighter than a unary minus: a bare
// negative number is put in parentheses, or -2147483648::integer would read
// as -(2147483648::integer), out of range (so would the minimum of every
// integer type).
void append_typed_value(StringInfoSink& out, ColumnInfo* col, Datum value) {
  const int start = out.buf->len;
  append_comparison_value(out, col, value);
  if (col->compare_style == scribe::ValueStyle::kTypedText) return;
  if (out.buf->data[start] == '-') {
    appendStringInfoChar(out.buf, ')');
    enlargeStringInfo(out.buf, 1);
    memmove(out.buf->data + start + 1, out.buf->data + start, out.buf->len - start + 1);
    out.buf->data[start] = '(';
    out.buf->len++;
  }
  out.append("::");
  out.append(col->compare_type_name);
}

void append_column_condition(StringInfoSink& out, ColumnInfo* col, Datum value, bool isnull) {
  if (isnull) {
    out.append(col->name);
    out.append(" IS NULL");
  } else if (!col->eq_op.empty()) {
    out.append(col->match_prefix);
    if (col->cast_in_comparison)
      append_typed_value(out, col, value);
    else
      append_comparison_value(out, col, value);
    out.append(col->match_suffix);
  } else {
    // No equality operator (json, xml, point, ...): compare the stored
    // images, which is exact for every type. (Not "ROW(a) *= ROW(b)": the
    // parser splits a comparison of two ROW()s into column comparisons.)
    out.append("pg_catalog.record_image_eq(ROW(");
    out.append(col->image_expr);
    out.append("), ROW(");
    append_typed_value(out, col, value);
    out.append("))");
  }
}

// With FULL, "=" may match rows that are equal but not identical (-0 and 0,
// 1.0 and 1.00, 'a' and 'A' under citext). Among the matches, the row whose
// values are identical is taken first; "=" alone still decides, so a value
// whose text does not read back bit for bit cannot make the change miss.
void append_exact_match_preference(StringInfoSink& out, RelationInfo* info, Datum* values, bool* nulls) {
  bool any = false;
  for (int i = 0; i < info->natts; i++) {
    ColumnInfo* col = &info->columns[i];
    if (col->dropped || !col->key || nulls[i] || col->eq_op.empty() || col->equal_image || col->unreadable) continue;
    out.append(any ? ", " : " ORDER BY pg_catalog.record_image_eq(ROW(");
    out.append(col->image_expr);
    any = true;
  }
  if (!any) return;
  out.append("), ROW(");
  any = false;
  for (int i = 0; i < info->natts; i++) {
    ColumnInfo* col = &info->columns[i];
    if (col->dropped || !col->key || nulls[i] || col->eq_op.empty() || col->equal_image || col->unreadable) continue;
    if (any) out.append(", ");
    any = true;
    append_typed_value(out, col, values[i]);
  }
  out.append(")) DESC");
}

// "col is distinct from value", without IS DISTINCT FROM: that resolves
// "=" by name (see equality_form_for in relcache.cpp).
void append_differs(StringInfoSink& out, ColumnInfo* col, Datum value, bool isnull) {
  out.append("(");
  out.append(col->name);
  if (isnull) {
    out.append(" IS NOT NULL)");
    return;
  }
  out.append(" IS NULL OR NOT (");
  append_column_condition(out, col, value, false);
  out.append("))");
}

void append_row_filter(StringInfoSink& out, RelationInfo* info, Datum* values, bool* nulls) {
  const bool full = info->replident == REPLICA_IDENTITY_FULL;
  if (full) {
    out.append("ctid OPERATOR(pg_catalog.=) (SELECT ctid FROM ONLY ");
    out.append(info->qualified_name);
    out.append(" WHERE ");
  }
  bool first = true;
  for (int i = 0; i < info->natts; i++) {
    ColumnInfo* col = &info->columns[i];
    // The restored column holds NULL in every row (see emit_insert).
    if (col->dropped || !col->key || col->unreadable) continue;
    if (!first) out.append(" AND ");
    first = false;
    append_column_condition(out, col, values[i], nulls[i]);
  }
  if (first) out.append("true");
  if (full) {
    append_exact_match_preference(out, info, values, nulls);
    out.append(" LIMIT 1)");
  }
}

// A change that the replica identity cannot pin to a row (NOTHING, or
// DEFAULT without a primary key, with scribe.auto_replica_identity off).
// No statement can apply it, and a failing one would stop every restore
// here (DESIGN.md invariant 8): the diff says what was lost instead, and
// scribe.status lists the table.
void emit_unidentifiable(StringInfoSink& out, RelationInfo* info, const char* command) {
  out.append("-- wal2sql: ");
  out.append(command);  // UPDATE or DELETE
  out.append(" on ");
  scribe::append_comment_text(out, info->qualified_name);
  out.append(" not recorded: the table has no usable replica identity");
}

// The comment before a change whose value of `col` no input function accepts.
void append_unreadable_note(StringInfoSink& out, RelationInfo* info, const ColumnInfo* col, const char* what) {
  out.append("-- wal2sql: ");
  scribe::append_comment_text(out, info->qualified_name);
  out.push_back('.');
  scribe::append_comment_text(out, col->name);
  out.append(" (");
  scribe::append_comment_text(out, col->type_name);
  out.append("): no input function accepts its values; ");
  out.append(what);
}

bool same_value(const ColumnInfo* col, Datum a, bool a_null, Datum b, bool b_null) {
  if (a_null || b_null) return a_null == b_null;
  return datumIsEqual(a, b, col->typbyval, col->typlen);
}

void append_alter_identity(StringInfoSink& out, RelationInfo* info, const ColumnInfo* col, const char* kind) {
  out.append("ALTER TABLE ");
  out.append(info->qualified_name);
  out.append(" ALTER COLUMN ");
  out.append(col->name);
  out.append(" SET GENERATED ");
  out.append(kind);
  out.append(";\n");
}

// A GENERATED ALWAYS identity column outside the replica identity: the WAL
// has its new value but not its old one, so whether this UPDATE changed it
// (SET col = DEFAULT) is decided on replay. The usual case, unchanged, costs
// one lookup by key; a changed value is set with the identity relaxed.
void append_identity_guard(StringInfoSink& out, RelationInfo* info, ColumnInfo* col, Datum new_value, Datum* key_values,
                           bool* key_nulls) {
  StringInfoData body_buf;
  initStringInfo(&body_buf);
  StringInfoSink body{&body_buf};
  body.append("BEGIN IF EXISTS (SELECT FROM ONLY ");
  body.append(info->qualified_name);
  body.append(" WHERE ");
  append_row_filter(body, info, key_values, key_nulls);
  body.append(" AND ");
  append_differs(body, col, new_value, false);
  body.append(") THEN ");
  append_alter_identity(body, info, col, "BY DEFAULT");
  body.append("UPDATE ONLY ");
  body.append(info->qualified_name);
  body.append(" SET ");
  body.append(col->name);
  body.append(" = ");
  append_column_value(body, col, new_value);
  body.append(" WHERE ");
  append_row_filter(body, info, key_values, key_nulls);
  body.append(";\n");
  append_alter_identity(body, info, col, "ALWAYS");
  body.append("END IF; END");
  out.append("DO ");
  scribe::append_dollar_quoted(out, std::string_view(body_buf.data, body_buf.len));
  out.push_back(';');
  pfree(body_buf.data);
}

}  // namespace

namespace {

// A value no input function accepts is written as NULL; in a NOT NULL
// column the row cannot be written at all and is left out. Either way a
// comment says so, and the restored column is NULL in every row.
// Returns false when the row is left out (only the comments were written).
bool note_unreadable_values(StringInfoSink& out, RelationInfo* info) {
  bool writable = true;
  for (int i = 0; i < info->natts; i++) {
    ColumnInfo* col = &info->columns[i];
    if (col->dropped || col->generated || !col->unreadable || info->new_nulls[i]) continue;
    append_unreadable_note(out, info, col, col->not_null ? "the row is not restored" : "restored as NULL");
    out.push_back('\n');
    writable &= !col->not_null;
  }
  return writable;
}

}  // namespace

void emit_insert(StringInfoSink& out, RelationInfo* info, HeapTuple newtuple, TupleDesc desc) {
  if (info->insert_default_values) {
    out.append(info->insert_prefix);
    return;
  }
  heap_deform_tuple(newtuple, desc, info->new_values, info->new_nulls);
  if (info->has_unreadable && !note_unreadable_values(out, info)) {
    --out.buf->len;  // the last comment's newline
    out.buf->data[out.buf->len] = '\0';
    return;
  }
  out.append(info->insert_prefix);
  bool any = false;
  for (int i = 0; i < info->natts; i++) {
    ColumnInfo* col = &info->columns[i];
    if (col->dropped || col->generated) continue;
    if (any) out.append(", ");
    any = true;
    if (info->new_nulls[i] || col->unreadable)
      out.append("NULL");
    else
      append_column_value(out, col, info->new_values[i]);
  }
  out.append(");");
}

namespace {

// SET col = v for a column whose old value is unknown, applied only where
// the row's value differs: assigning the unchanged value again would run a
// domain CHECK added NOT VALID since, which that value may fail.
void append_assignment_guard(StringInfoSink& out, RelationInfo* info, ColumnInfo* col, Datum new_value, bool new_null,
                             Datum* key_values, bool* key_nulls) {
  out.append(info->update_prefix);
  out.append(col->assign_prefix);
  if (new_null)
    out.append("NULL");
  else
    append_column_value(out, col, new_value);
  out.append(" WHERE ");
  append_row_filter(out, info, key_values, key_nulls);
  out.append(" AND ");
  append_differs(out, col, new_value, new_null);
  out.push_back(';');
}

}  // namespace

bool emit_update(StringInfoSink& out, RelationInfo* info, HeapTuple oldtuple, HeapTuple newtuple, TupleDesc desc) {
  const bool full = info->replident == REPLICA_IDENTITY_FULL;
  if (!info->has_key || (full && oldtuple == nullptr)) {
    emit_unidentifiable(out, info, "UPDATE");
    return true;
  }
  heap_deform_tuple(newtuple, desc, info->new_values, info->new_nulls);
  if (oldtuple != nullptr) heap_deform_tuple(oldtuple, desc, info->old_values, info->old_nulls);

  // Pass 1: which columns change. With FULL every old value is known; with a
  // key, only the key's (and only when the key changed or was toasted).
  bool* assign = info->assign;
  memset(assign, 0, sizeof(bool) * info->natts);
  bool any = false, identity_override = false, any_guard = false;
  Datum* key_values = oldtuple != nullptr ? info->old_values : info->new_values;
  bool* key_nulls = oldtuple != nullptr ? info->old_nulls : info->new_nulls;
  for (int i = 0; i < info->natts; i++) {
    ColumnInfo* col = &info->columns[i];
    if (col->dropped || col->generated) continue;
    if (is_unchanged_toast(col, info->new_values[i], info->new_nulls[i])) continue;
    const bool old_known = oldtuple != nullptr && col->key;
    if (col->unreadable) {
      // Never assigned: the restored column stays NULL (see emit_insert).
      if (!info->new_nulls[i] &&
          !(old_known && same_value(col, info->old_values[i], info->old_nulls[i], info->new_values[i], false))) {
        if (any_guard) out.push_back('\n');
        append_unreadable_note(out, info, col, "its value is not restored");
        any_guard = true;
      }
      continue;
    }
    if (old_known && same_value(col, info->old_values[i], info->old_nulls[i], info->new_values[i], info->new_nulls[i]))
      continue;
    if (col->key && oldtuple == nullptr) continue;  // the key did not change
    if (col->guard_assignment && !old_known) {
      if (any_guard) out.push_back('\n');
      append_assignment_guard(out, info, col, info->new_values[i], info->new_nulls[i], key_values, key_nulls);
      any_guard = true;
      continue;
    }
    if (col->identity_always) {
      // Only DEFAULT may be assigned to such a column; a value we know
      // changed is set with the identity relaxed for the statement. One we
      // cannot compare is checked on replay (append_identity_guard).
      if (!old_known) {
        if (!info->new_nulls[i]) {
          if (any_guard) out.push_back('\n');
          append_identity_guard(out, info, col, info->new_values[i], key_values, key_nulls);
          any_guard = true;
        }
        continue;
      }
      identity_override = true;
    }
    assign[i] = true;
    any = true;
  }
  if (!any) {
    // A guard alone is a whole statement; the rest of the row is unchanged.
    return any_guard;
  }
  if (any_guard) out.push_back('\n');

  if (identity_override)
    for (int i = 0; i < info->natts; i++)
      if (assign[i] && info->columns[i].identity_always)
        append_alter_identity(out, info, &info->columns[i], "BY DEFAULT");

  // ONLY: rows of inheritance children are changes of their own.
  out.append(info->update_prefix);
  bool first = true;
  for (int i = 0; i < info->natts; i++) {
    if (!assign[i]) continue;
    ColumnInfo* col = &info->columns[i];
    if (!first) out.append(", ");
    first = false;
    out.append(col->assign_prefix);
    if (info->new_nulls[i])
      out.append("NULL");
    else
      append_column_value(out, col, info->new_values[i]);
  }
  out.append(" WHERE ");
  if (oldtuple != nullptr)
    append_row_filter(out, info, info->old_values, info->old_nulls);
  else
    append_row_filter(out, info, info->new_values, info->new_nulls);
  out.push_back(';');

  if (identity_override)
    for (int i = 0; i < info->natts; i++)
      if (assign[i] && info->columns[i].identity_always) {
        out.push_back('\n');
        append_alter_identity(out, info, &info->columns[i], "ALWAYS");
        --out.buf->len;  // no newline after the last statement
        out.buf->data[out.buf->len] = '\0';
      }
  return true;
}

void emit_delete(StringInfoSink& out, RelationInfo* info, HeapTuple oldtuple, TupleDesc desc) {
  if (!info->has_key || oldtuple == nullptr) {
    emit_unidentifiable(out, info, "DELETE");
    return;
  }
  heap_deform_tuple(oldtuple, desc, info->old_values, info->old_nulls);
  out.append(info->delete_prefix);
  append_row_filter(out, info, info->old_values, info->old_nulls);
  out.push_back(';');
}

}  // namespace wal2sql

namespace wal2sql {

void emit_truncate(StringInfoSink& out, RelationInfo** infos, int ninfos, bool cascade, bool restart_seqs) {
  // The WAL lists every relation the TRUNCATE reached (cascaded ones and
  // partitions included), so each is named with ONLY, except partitioned
  // tables, which refuse it and have no rows of their own.
  out.append("TRUNCATE ");
  for (int i = 0; i < ninfos; i++) {
    if (i > 0) out.append(", ");
    if (infos[i]->relkind != RELKIND_PARTITIONED_TABLE) out.append("ONLY ");
    out.append(infos[i]->qualified_name);
  }
  if (restart_seqs) out.append(" RESTART IDENTITY");
  if (cascade) out.append(" CASCADE");
  out.push_back(';');
}

}  // namespace wal2sql
