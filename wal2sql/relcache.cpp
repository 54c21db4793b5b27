// Per-relation metadata, computed once and reused by every change of the
// relation: quoted names, output functions, value styles, identity columns.
// Entries are invalidated by relcache and syscache callbacks (as pgoutput
// does) and rebuilt on next use.
#include "wal2sql.hpp"

#include "scribe/core/quote.hpp"
#include "scribe/core/unreadable_types.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_constraint.h"
#include "utils/rel.h"
#include "access/nbtree.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "commands/defrem.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "nodes/bitmapset.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/fmgrprotos.h"
}

namespace wal2sql {
namespace {

// The callbacks cannot be unregistered and outlive any one decoding
// session, so they reach the live cache through this pointer, which is
// null between sessions.
HTAB* live_relations = nullptr;
bool callbacks_registered = false;

void invalidate_relation(Datum, Oid relid) {
  if (live_relations == nullptr) return;
  HASH_SEQ_STATUS seq;
  if (OidIsValid(relid)) {
    auto* entry = static_cast<RelationInfo*>(hash_search(live_relations, &relid, HASH_FIND, nullptr));
    if (entry != nullptr) entry->valid = false;
    return;
  }
  hash_seq_init(&seq, live_relations);
  while (auto* entry = static_cast<RelationInfo*>(hash_seq_search(&seq))) entry->valid = false;
}

// Type and schema renames change the names we print without touching the
// relcache of the tables that use them.
void invalidate_all(Datum, int, uint32) { invalidate_relation(0, InvalidOid); }

char* copy_cstring(MemoryContext cxt, StringInfo buf) { return MemoryContextStrdup(cxt, buf->data); }

// A NUL-terminated copy in the current memory context, with its length.
std::string_view copy_text(StringInfo buf) {
  return std::string_view(pnstrdup(buf->data, buf->len), static_cast<std::size_t>(buf->len));
}

// Which output path gives a column's text (see OutputPath): by output
// function, so domains over these types take it too.
OutputPath output_path_for(Oid output_fn) {
  switch (output_fn) {
    case F_INT2OUT:
      return OutputPath::kInt2;
    case F_INT4OUT:
      return OutputPath::kInt4;
    case F_INT8OUT:
      return OutputPath::kInt8;
    case F_OIDOUT:
      return OutputPath::kOid;
    case F_BOOLOUT:
      return OutputPath::kBool;
    case F_TEXTOUT:
    case F_VARCHAROUT:
    case F_BPCHAROUT:
      return OutputPath::kText;
    default:
      return OutputPath::kOutputFunction;
  }
}

// How a row filter compares a column with a value: `prefix` + value +
// `suffix`, or nullptr when the type has no default equality operator
// (json, xml, point). Nothing in it depends on search_path or on casts that
// roles create (DESIGN.md invariant 9; issue 16, 3a):
// - an operator is named with its schema, OPERATOR(pg_catalog.=): the
//   replay's search_path holds the owners' schemas for their code (see
//   kReplaySearchPath), and an owner's "=" there must not capture ours;
// - an operator declared on a polymorphic type (enum, array, range,
//   multirange, composite: anyenum = anyenum ...) is resolved among
//   candidates, and an implicit cast that the owner of the column's type
//   creates (to text, say) adds another one: "operator is not unique"
//   would stop every restore. Its function, called by qualified name, has
//   no rival. (Such comparisons cannot use an index; keys of these types
//   are rare, and correctness comes first.)
// *cast_literal is set when an untyped literal would be read as the
// operator's input type by a different input function than the column's
// (regclass and friends compare with oid's "=": 'public.t' is no oid).
struct EqualityForm {
  const char* op;    // the operator as written, " OPERATOR(s.=) "
  const char* call;  // "s.function(" when the operator's function is called instead, else nullptr
};

bool equality_form_for(MemoryContext cxt, Oid typid, bool* cast_literal, EqualityForm* form_out) {
  *cast_literal = false;
  TypeCacheEntry* tce = lookup_type_cache(typid, TYPECACHE_EQ_OPR);
  if (!OidIsValid(tce->eq_opr)) return false;
  HeapTuple tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(tce->eq_opr));
  if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for operator %u", tce->eq_opr);
  auto* form = reinterpret_cast<Form_pg_operator>(GETSTRUCT(tup));
  const Oid base = getBaseType(typid);
  if (form->oprleft != base) {
    char base_category, operand_category;
    bool preferred;
    get_type_category_preferred(base, &base_category, &preferred);
    get_type_category_preferred(form->oprleft, &operand_category, &preferred);
    // varchar, bpchar, name compared as text read the literal the same way.
    *cast_literal = !(base_category == TYPCATEGORY_STRING && operand_category == TYPCATEGORY_STRING);
  }
  StringInfoData buf;
  initStringInfo(&buf);
  StringInfoSink out{&buf};
  out.append(" OPERATOR(");
  scribe::append_identifier(out, get_namespace_name(form->oprnamespace));
  out.push_back('.');
  out.append(NameStr(form->oprname));  // operator names are symbols, never quoted
  out.append(") ");
  form_out->op = copy_cstring(cxt, &buf);
  form_out->call = nullptr;
  if (get_typtype(form->oprleft) == TYPTYPE_PSEUDO || get_typtype(form->oprright) == TYPTYPE_PSEUDO) {
    const Oid fn = form->oprcode;
    resetStringInfo(&buf);
    scribe::append_identifier(out, get_namespace_name(get_func_namespace(fn)));
    out.push_back('.');
    scribe::append_identifier(out, get_func_name(fn));
    out.push_back('(');
    form_out->call = copy_cstring(cxt, &buf);
  }
  pfree(buf.data);
  ReleaseSysCache(tup);
  return true;
}

// Whether the type's btree equality implies identical values, as the
// opfamily's "equalimage" support function (used for deduplication) says.
// Without one, PostgreSQL assumes it does not, and so do we.
bool equality_is_image_equality(Oid typid, Oid collation) {
  const Oid opclass = GetDefaultOpClass(typid, BTREE_AM_OID);
  if (!OidIsValid(opclass)) return false;
  const Oid opcintype = get_opclass_input_type(opclass);
  const Oid proc = get_opfamily_proc(get_opclass_family(opclass), opcintype, opcintype, BTEQUALIMAGE_PROC);
  if (!OidIsValid(proc)) return false;
  return DatumGetBool(OidFunctionCall1Coll(proc, collation, ObjectIdGetDatum(opcintype)));
}

scribe::ValueStyle value_style_for(Oid typid) {
  HeapTuple tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
  if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for type %u", typid);
  const Oid type_namespace = reinterpret_cast<Form_pg_type>(GETSTRUCT(tup))->typnamespace;
  ReleaseSysCache(tup);
  // Enums, domains, composites and extension types: cast to the qualified
  // name, so the literal means the same type wherever it is compared.
  if (type_namespace != PG_CATALOG_NAMESPACE) return scribe::ValueStyle::kTypedText;
  switch (typid) {
    case INT2OID:
    case INT4OID:
    case INT8OID:
    case NUMERICOID:
      return scribe::ValueStyle::kNumber;
    case BOOLOID:
      return scribe::ValueStyle::kBoolean;
    default:
      return scribe::ValueStyle::kText;
  }
}

// Whether no input function accepts the type's values: a base type whose
// input function always fails, a pseudo-type, or a type built on one
// (domain, array, composite, range).
bool type_is_unreadable(Oid typid, int depth = 0) {
  if (depth > 16) return false;
  HeapTuple tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
  if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for type %u", typid);
  auto* form = reinterpret_cast<Form_pg_type>(GETSTRUCT(tup));
  const char typtype = form->typtype;
  const Oid input = form->typinput, basetype = form->typbasetype, elem = form->typelem, typrelid = form->typrelid;
  const bool true_array = IsTrueArrayType(form);
  ReleaseSysCache(tup);
  switch (typtype) {
    case TYPTYPE_PSEUDO:
      return true;
    case TYPTYPE_DOMAIN:
      return type_is_unreadable(basetype, depth + 1);
    case TYPTYPE_RANGE:
      return type_is_unreadable(get_range_subtype(typid), depth + 1);
    case TYPTYPE_MULTIRANGE:
      return type_is_unreadable(get_multirange_range(typid), depth + 1);
    case TYPTYPE_COMPOSITE: {
      if (!OidIsValid(typrelid)) return false;
      Relation rel = RelationIdGetRelation(typrelid);
      if (!RelationIsValid(rel)) return false;
      bool unreadable = false;
      TupleDesc desc = RelationGetDescr(rel);
      for (int i = 0; i < desc->natts && !unreadable; i++)
        if (!TupleDescAttr(desc, i)->attisdropped)
          unreadable = type_is_unreadable(TupleDescAttr(desc, i)->atttypid, depth + 1);
      RelationClose(rel);
      return unreadable;
    }
    default:
      break;
  }
  if (true_array) return type_is_unreadable(elem, depth + 1);
  return get_func_namespace(input) == PG_CATALOG_NAMESPACE &&
         scribe::is_unreadable_type_input_function(get_func_name(input));
}

// Whether the domain (or one it is based on) has a CHECK constraint that
// was added NOT VALID: existing rows may hold values it rejects.
bool domain_has_unvalidated_check(Oid typid) {
  bool found = false;
  while (!found && get_typtype(typid) == TYPTYPE_DOMAIN) {
    Relation constraints = table_open(ConstraintRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(typid));
    SysScanDesc scan = systable_beginscan(constraints, ConstraintTypidIndexId, true, nullptr, 1, &key);
    while (HeapTuple tup = systable_getnext(scan))
      if (!reinterpret_cast<Form_pg_constraint>(GETSTRUCT(tup))->convalidated) found = true;
    systable_endscan(scan);
    table_close(constraints, AccessShareLock);
    HeapTuple tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
    if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for type %u", typid);
    typid = reinterpret_cast<Form_pg_type>(GETSTRUCT(tup))->typbasetype;
    ReleaseSysCache(tup);
  }
  return found;
}

void build_statement_prefixes(RelationInfo* info, StringInfo buf) {
  StringInfoSink out{buf};
  resetStringInfo(buf);
  out.append("INSERT INTO ");
  out.append(info->qualified_name);
  bool any = false;
  for (int i = 0; i < info->natts; i++) {
    const ColumnInfo* col = &info->columns[i];
    if (col->dropped || col->generated) continue;
    out.append(any ? ", " : " (");
    out.append(col->name);
    any = true;
  }
  info->insert_default_values = !any;
  if (!any)
    out.append(" DEFAULT VALUES;");
  else
    out.append(info->has_identity_always ? ") OVERRIDING SYSTEM VALUE VALUES (" : ") VALUES (");
  info->insert_prefix = copy_text(buf);

  resetStringInfo(buf);
  out.append("UPDATE ONLY ");
  out.append(info->qualified_name);
  out.append(" SET ");
  info->update_prefix = copy_text(buf);

  resetStringInfo(buf);
  out.append("DELETE FROM ONLY ");
  out.append(info->qualified_name);
  out.append(" WHERE ");
  info->delete_prefix = copy_text(buf);
}

void build_relation_info(PluginState* state, RelationInfo* info, Relation rel) {
  if (info->context != nullptr) MemoryContextDelete(info->context);
  info->context = AllocSetContextCreate(state->cache_context, "wal2sql relation", ALLOCSET_SMALL_SIZES);
  MemoryContext cxt = info->context;
  MemoryContext old = MemoryContextSwitchTo(cxt);

  const char* schema = get_namespace_name(RelationGetNamespace(rel));
  const char* relname = RelationGetRelationName(rel);
  // A materialized view's rows are computed again on replay by its
  // captured CREATE / REFRESH statement; its decoded rows would double them.
  info->wanted = rel->rd_rel->relkind != RELKIND_MATVIEW && state->options.table_wanted(schema, relname);

  StringInfoData buf;
  initStringInfo(&buf);
  StringInfoSink out{&buf};
  scribe::append_qualified_name(out, schema, relname);
  info->qualified_name = copy_text(&buf);

  info->replident = rel->rd_rel->relreplident;
  info->relkind = rel->rd_rel->relkind;
  TupleDesc desc = RelationGetDescr(rel);
  info->natts = desc->natts;
  info->columns = static_cast<ColumnInfo*>(palloc0(sizeof(ColumnInfo) * Max(desc->natts, 1)));
  info->new_values = static_cast<Datum*>(palloc(sizeof(Datum) * Max(desc->natts, 1)));
  info->new_nulls = static_cast<bool*>(palloc(sizeof(bool) * Max(desc->natts, 1)));
  info->old_values = static_cast<Datum*>(palloc(sizeof(Datum) * Max(desc->natts, 1)));
  info->old_nulls = static_cast<bool*>(palloc(sizeof(bool) * Max(desc->natts, 1)));
  info->assign = static_cast<bool*>(palloc(sizeof(bool) * Max(desc->natts, 1)));

  // With DEFAULT and USING INDEX, the key is the identity index's columns;
  // with NOTHING (or DEFAULT and no primary key) no column identifies a row.
  Bitmapset* key_attrs = nullptr;
  const bool full = info->replident == REPLICA_IDENTITY_FULL;
  if (!full) key_attrs = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_IDENTITY_KEY);

  info->has_key = false;
  info->has_identity_always = false;
  info->has_unreadable = false;
  for (int i = 0; i < desc->natts; i++) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    ColumnInfo* col = &info->columns[i];
    col->dropped = att->attisdropped;
    if (col->dropped) continue;

    resetStringInfo(&buf);
    scribe::append_identifier(out, NameStr(att->attname));
    col->name = copy_text(&buf);
    out.append(" = ");
    col->assign_prefix = copy_text(&buf);
    // Without a typmod: "character" and "bit" alone mean length 1 and would
    // cut values; bpchar and "bit" (typmod -1 given) keep them whole.
    col->type_name = format_type_extended(att->atttypid, -1, FORMAT_TYPE_FORCE_QUALIFY | FORMAT_TYPE_TYPEMOD_GIVEN);
    col->style = value_style_for(att->atttypid);
    const Oid compare_type = getBaseType(att->atttypid);
    if (compare_type == att->atttypid) {
      col->compare_type_name = col->type_name;
      col->compare_style = col->style;
      col->image_expr = col->name;
    } else {
      col->compare_type_name =
          format_type_extended(compare_type, -1, FORMAT_TYPE_FORCE_QUALIFY | FORMAT_TYPE_TYPEMOD_GIVEN);
      col->compare_style = value_style_for(compare_type);
      resetStringInfo(&buf);
      out.append(col->name);
      out.append("::");
      out.append(col->compare_type_name);
      col->image_expr = copy_text(&buf);
      col->guard_assignment = domain_has_unvalidated_check(att->atttypid);
    }
    col->not_null = att->attnotnull;
    col->unreadable = type_is_unreadable(att->atttypid);
    info->has_unreadable |= col->unreadable;
    EqualityForm eq;
    const bool has_eq = equality_form_for(cxt, att->atttypid, &col->cast_in_comparison, &eq);
    if (has_eq) {
      col->eq_op = eq.op;
      resetStringInfo(&buf);
      if (eq.call != nullptr) {
        out.append(eq.call);
        out.append(col->name);
        out.append(", ");
        col->match_suffix = ")";
      } else {
        out.append(col->name);
        out.append(col->eq_op);
      }
      col->match_prefix = copy_text(&buf);
    }
    col->equal_image = has_eq && equality_is_image_equality(att->atttypid, att->attcollation);
    col->typlen = att->attlen;
    col->typbyval = att->attbyval;
    col->generated = att->attgenerated == ATTRIBUTE_GENERATED_STORED;
    col->identity_always = att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS;
    col->key = full || bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber, key_attrs);
    info->has_key |= col->key;
    info->has_identity_always |= col->identity_always;

    Oid output_fn;
    bool is_varlena;
    getTypeOutputInfo(att->atttypid, &output_fn, &is_varlena);
    fmgr_info_cxt(output_fn, &col->output_fn, cxt);
    col->output_path = output_path_for(output_fn);
  }
  bms_free(key_attrs);
  build_statement_prefixes(info, &buf);
  build_trigger_statements(info, rel);
  MemoryContextSwitchTo(old);
  info->valid = true;
}

}  // namespace

void relation_cache_init(PluginState* state) {
  state->cache_context = AllocSetContextCreate(CurrentMemoryContext, "wal2sql relation cache", ALLOCSET_DEFAULT_SIZES);
  HASHCTL ctl;
  memset(&ctl, 0, sizeof ctl);
  ctl.keysize = sizeof(Oid);
  ctl.entrysize = sizeof(RelationInfo);
  ctl.hcxt = state->cache_context;
  state->relations = hash_create("wal2sql relations", 128, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  live_relations = state->relations;
  if (!callbacks_registered) {
    CacheRegisterRelcacheCallback(invalidate_relation, 0);
    CacheRegisterSyscacheCallback(TYPEOID, invalidate_all, 0);
    CacheRegisterSyscacheCallback(NAMESPACEOID, invalidate_all, 0);
    callbacks_registered = true;
  }
}

void relation_cache_shutdown(PluginState* state) {
  if (live_relations == state->relations) live_relations = nullptr;
  state->relations = nullptr;
}

RelationInfo* relation_info_for(PluginState* state, Relation rel) {
  Oid relid = RelationGetRelid(rel);
  RelationInfo* info = state->last_relation;
  if (info == nullptr || state->last_relid != relid) {
    bool found;
    info = static_cast<RelationInfo*>(hash_search(state->relations, &relid, HASH_ENTER, &found));
    if (!found) {
      info->valid = false;
      info->context = nullptr;
    }
    state->last_relid = relid;
    state->last_relation = info;
  }
  // A relation whose shape changed inside the decoded transaction gets an
  // invalidation too; the attribute count check is a cheap second guard.
  if (!info->valid || info->natts != RelationGetDescr(rel)->natts) build_relation_info(state, info, rel);
  return info;
}

}  // namespace wal2sql
