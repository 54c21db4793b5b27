// What scribe.init() checks before it creates anything: the server's
// settings, tables whose changes could not be replayed, what a backup
// cannot hold (the seed CLI's phase 1).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../scribe/ddl_capture.hpp"
#include "scribe/core/error.hpp"
#include "api_internal.hpp"

#include "scribe/pg/catalog_spi.hpp"
extern "C" {
#include "executor/spi.h"
#include "replication/slot.h"
#include "utils/guc.h"
}

namespace scribe::engine::api {

namespace {

std::vector<std::vector<std::string>> spi_rows(const char* query, int columns) {
  // The cells are copied out of SPI's memory (SPI_finish frees it) into
  // plain palloc'd arrays; the C++ rows are built after call_pg, where no
  // longjmp can skip their destructors.
  char** cells = nullptr;
  uint64 count = 0;
  call_pg([&] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    if (scribe::pg::spi_execute_catalog(query, true, 0) != SPI_OK_SELECT)
      elog(ERROR, "pg_scribe could not run: %s", query);
    count = SPI_processed;
    cells = static_cast<char**>(SPI_palloc(sizeof(char*) * std::max<uint64>(count * columns, 1)));
    for (uint64 i = 0; i < count; i++)
      for (int c = 1; c <= columns; c++) {
        const char* v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c);
        char* copy = static_cast<char*>(SPI_palloc(v != nullptr ? std::strlen(v) + 1 : 1));
        std::strcpy(copy, v != nullptr ? v : "");
        cells[i * columns + (c - 1)] = copy;
      }
    SPI_finish();
  });
  std::vector<std::vector<std::string>> rows;
  for (uint64 i = 0; i < count; i++) rows.emplace_back(cells + i * columns, cells + (i + 1) * columns);
  call_pg([&] {
    for (uint64 i = 0; i < count * columns; i++) pfree(cells[i]);
    pfree(cells);
  });
  return rows;
}

// Tables whose UPDATE and DELETE cannot be identified on replay: what
// RelationGetReplicaIndex() finds (a deferrable primary key is no identity).
constexpr const char kReplicaIdentityQuery[] =
    "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname),"
    "       CASE c.relreplident WHEN 'n' THEN 'REPLICA IDENTITY NOTHING'"
    "            WHEN 'i' THEN 'its REPLICA IDENTITY index is missing' ELSE 'no primary key' END,"
    "       c.oid::pg_catalog.text"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND c.relpersistence = 'p'"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'scribe') AND n.nspname !~ '^pg_toast'"
    "   AND (c.relreplident = 'n'"
    "        OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
    "                                                  WHERE i.indrelid = c.oid AND i.indisprimary"
    "                                                    AND i.indimmediate AND i.indisvalid))"
    "        OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
    "                                                  WHERE i.indrelid = c.oid AND i.indisreplident)))"
    " ORDER BY 1";

constexpr const char kUnloggedQuery[] =
    "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'u' ORDER BY 1";

// Inheritance children that a plain SQL dump restores with another column
// order: pg_dump's CREATE TABLE ... INHERITS puts the inherited columns
// first, in their parents' order, then the child's own; a child whose
// columns are in another order (its parent gained a column after it was
// created, or it was attached by ALTER TABLE ... INHERIT) comes back
// reordered. Only pg_upgrade's binary mode keeps the order. The rows are the
// same; ROW(t.*) and SELECT * differ. Each column's rank is where such a
// CREATE puts it (parent by inhseqno, then the parent's attnum; own columns
// last); a child qualifies when two columns are out of rank order.
constexpr const char kInheritedOrderQuery[] =
    "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND NOT c.relispartition"
    "   AND EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)"
    "   AND EXISTS ("
    "     WITH cols AS ("
    "       SELECT a.attnum, COALESCE((SELECT pg_catalog.min(i.inhseqno::pg_catalog.int8 * 100000 + pa.attnum)"
    "                                    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa"
    "                                      ON pa.attrelid = i.inhparent"
    "                                   WHERE i.inhrelid = c.oid AND pa.attname = a.attname"
    "                                     AND NOT pa.attisdropped),"
    "                                  1000000000000 + a.attnum) AS rank"
    "         FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)"
    "     SELECT FROM cols x, cols y WHERE x.attnum < y.attnum AND x.rank > y.rank)"
    " ORDER BY 1";

constexpr const char kLargeObjectsQuery[] = "SELECT count(*)::text FROM pg_catalog.pg_largeobject_metadata";

}  // namespace

// Fills `without_identity` with the tables init gives REPLICA IDENTITY FULL
// (scribe.auto_replica_identity on).
void validate_server(bool force, std::vector<Oid>& without_identity) {
  std::vector<std::string> problems;
  std::vector<std::string> fixes;
  bool logical = false;
  int slots_free = 0, senders = 0;
  std::string plugins;
  {
    LWLockGuard lock(ReplicationSlotControlLock, LW_SHARED);
    for (int i = 0; i < max_replication_slots; i++)
      if (!ReplicationSlotCtl->replication_slots[i].in_use) slots_free++;
  }
  call_pg([&] {
    logical = XLogLogicalInfoActive();
    senders = max_wal_senders;
    const char* opl = GetConfigOption("output_plugin_libraries", true, false);
    plugins = opl != nullptr ? opl : "*";
  });
  if (!logical) {
    problems.push_back("wal_level is not logical");
    fixes.push_back("set wal_level = logical in postgresql.conf and restart");
  }
  if (slots_free == 0) {
    problems.push_back("no free replication slot (max_replication_slots)");
    fixes.push_back("raise max_replication_slots (each backup needs one, two during scribe.new_chain())");
  }
  if (senders < 1) {
    problems.push_back("max_wal_senders is 0");
    fixes.push_back(
        "set max_wal_senders to at least 2 and restart (the slot is created over a replication "
        "connection)");
  }
  if (plugins != "*" && plugins.find("wal2sql") == std::string::npos) {
    problems.push_back("wal2sql is not in output_plugin_libraries");
    fixes.push_back("set output_plugin_libraries = '" + plugins + ", wal2sql' in postgresql.conf and reload");
  }
  if (!problems.empty())
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "the server is not configured for pg_scribe: " + list_text(problems), {},
                "To fix: " + list_text(fixes) + ".");

  const auto offenders = spi_rows(kReplicaIdentityQuery, 3);
  if (!offenders.empty()) {
    std::string detail = "These tables cannot have their UPDATE and DELETE replayed:";
    std::string hint = "Add a primary key, or run:";
    for (std::size_t i = 0; i < offenders.size(); i++) {
      if (i < 50) {
        detail += "\n  " + offenders[i][0] + " (" + offenders[i][1] + ")";
        hint += "\n  ALTER TABLE " + offenders[i][0] + " REPLICA IDENTITY FULL;";
      }
    }
    if (offenders.size() > 50) detail += "\n  ... and " + std::to_string(offenders.size() - 50) + " more";
    // As for tables created later: FULL, set by init (give_full_identity).
    if (scribe::capture::auto_replica_identity_enabled()) {
      for (const auto& row : offenders) without_identity.push_back(static_cast<Oid>(std::stoul(row[2])));
      return;
    }
    if (!force)
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  std::to_string(offenders.size()) + " table(s) have no usable replica identity", detail,
                  hint +
                      "\nOr SET scribe.auto_replica_identity = on (the default), and scribe.init() gives them "
                      "REPLICA IDENTITY FULL; or call scribe.init(..., force => true): their UPDATE and DELETE "
                      "are then not backed up (a comment in the backup marks each).");
    ereport(WARNING, (errmsg("%zu table(s) have no usable replica identity: their UPDATE and DELETE are not backed up",
                             offenders.size()),
                      errdetail_internal("%s", detail.c_str()), errhint("%s", hint.c_str())));
  }
  std::vector<std::string> unlogged;
  for (const auto& row : spi_rows(kUnloggedQuery, 1)) unlogged.push_back(row[0]);
  if (!unlogged.empty())
    ereport(WARNING, (errmsg("unlogged tables are not backed up: %s", list_text(unlogged).c_str()),
                      errdetail("Their changes are not in the WAL; the base dump holds their definition only."),
                      errhint("ALTER TABLE ... SET LOGGED to back them up.")));
  std::vector<std::string> reordered;
  for (const auto& row : spi_rows(kInheritedOrderQuery, 1)) reordered.push_back(row[0]);
  if (!reordered.empty())
    ereport(
        WARNING,
        (errmsg("a restore gives these inheritance children another column order: %s", list_text(reordered).c_str()),
         errdetail("Their parents gained columns after they were created, or they were attached with ALTER "
                   "TABLE ... INHERIT; a plain SQL dump (pg_dump, and the base of every chain) creates a child "
                   "with its inherited columns first, in the parents' order. Rows are the same; SELECT * and "
                   "ROW(t.*) list the columns in another order."),
         errhint("Name the columns in queries and INSERTs on these tables.")));
  const auto large_objects = spi_rows(kLargeObjectsQuery, 1);
  if (!large_objects.empty() && large_objects[0][0] != "0")
    ereport(WARNING, (errmsg("the database has %s large objects; changes to large objects are not backed up",
                             large_objects[0][0].c_str()),
                      errdetail("Logical decoding does not see large objects; the base dump holds them as they are "
                                "now."),
                      errhint("Store the data in bytea columns, or back large objects up separately.")));
}

}  // namespace scribe::engine::api
