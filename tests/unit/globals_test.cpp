#include <gtest/gtest.h>

#include <string>

#include "scribe/core/globals.hpp"

namespace {

using scribe::globals::State;

State sample() {
  State s;
  auto& r = s.roles[16384];
  r.name = "app\towner\n'x\\";
  r.login = true;
  r.password = "SCRAM-SHA-256$4096:abc";
  r.valid_until = "2031-01-01 00:00:00+00";
  r.comment = "c";
  s.roles[16385].name = "writer";
  s.memberships[{16385, 16384}] = {10, true};
  s.settings[{16384, true}] = {"search_path=a, \"b c\"", "work_mem=8MB"};
  s.settings[{0, true}] = {"statement_timeout=1min"};
  s.database.owner = 16384;
  s.database.connection_limit = 5;
  s.database.comment = "the app's";
  s.database.acl = {{0, 16384, "Tc"}, {16385, 16384, "C*c"}};
  s.tablespaces[1663] = {"pg_default", 10, std::nullopt};
  return s;
}

bool is_search_path(std::string_view name) { return name == "search_path"; }

TEST(GlobalsState, SerializesAndParsesBack) {
  const State s = sample();
  const std::optional<State> back = scribe::globals::parse_state(scribe::globals::serialize_state(s));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(*back == s);
}

TEST(GlobalsState, RejectsDamagedText) {
  std::string text = scribe::globals::serialize_state(sample());
  EXPECT_FALSE(scribe::globals::parse_state(text.substr(0, text.size() - 4)).has_value());
  EXPECT_FALSE(scribe::globals::parse_state("scribe-globals 1\nR\tx\nend\n").has_value());
  EXPECT_FALSE(scribe::globals::parse_state("").has_value());
}

TEST(GlobalsSql, NothingWhenNothingChanged) {
  const State s = sample();
  EXPECT_EQ(scribe::globals::sync_sql(&s, s, is_search_path), "");
}

TEST(GlobalsSql, FullStateWhenUnknownIsOneDoBlockThatNeverDrops) {
  const std::string sql = scribe::globals::sync_sql(nullptr, sample(), is_search_path);
  EXPECT_EQ(sql.find("DROP ROLE"), std::string::npos);
  EXPECT_NE(sql.find("DO E'"), std::string::npos);  // a backslash in a name: E'' form, setting-independent
  EXPECT_NE(sql.find("current_database()"), std::string::npos);
  EXPECT_NE(sql.find("WITH GRANT OPTION"), std::string::npos);
  // The list setting is written element by element.
  EXPECT_NE(sql.find("SET search_path TO ''''a'''', ''''b c''''"), std::string::npos) << sql;
  // Exactly one statement for psql: the only ';' outside the quoted body ends it.
  EXPECT_EQ(sql.back(), ';');
}

TEST(GlobalsSql, RenameAndDropInOrder) {
  const State before = sample();
  State after = before;
  after.roles[16385].name = "author";
  after.roles.erase(16384);
  after.memberships.clear();
  after.settings.erase({16384, true});
  after.database.owner = 16385;
  after.database.acl = {{0, 16385, "Tc"}};
  const std::string sql = scribe::globals::sync_sql(&before, after, is_search_path);
  const auto rename = sql.find("RENAME TO author"), owner = sql.find("OWNER TO author"), drop = sql.find("DROP ROLE");
  ASSERT_NE(rename, std::string::npos);
  ASSERT_NE(owner, std::string::npos);
  ASSERT_NE(drop, std::string::npos);
  EXPECT_LT(rename, owner);
  EXPECT_LT(owner, drop);  // the database changes owner before the old owner goes
}

TEST(GlobalsSql, DropFreesANameFirst) {
  State before;
  before.roles[1].name = "r";
  State after;
  after.roles[2].name = "r";
  const std::string sql = scribe::globals::sync_sql(&before, after, is_search_path);
  EXPECT_LT(sql.find("DROP ROLE"), sql.find("CREATE ROLE"));
}

// Created and dropped outside the replay's transaction (neither can run in
// one), in place when the source's was; renamed and given away in the block.
TEST(GlobalsSql, TablespacesReplayOutsideTheTransaction) {
  State before = sample();
  before.tablespaces[40000] = {"old name", 16384, std::string("/srv/ts")};
  before.tablespaces[40001] = {"gone", 16384, std::string("/srv/gone")};
  State after = before;
  after.tablespaces[40000].name = "new name";
  after.tablespaces.erase(40001);
  after.tablespaces[40002] = {"in place", 16385, std::string()};
  after.tablespaces[40003] = {"it's", 16385, std::string("/srv/it's")};
  const std::string sql = scribe::globals::sync_sql(&before, after, is_search_path);
  const std::size_t end = sql.find("END;\n");
  ASSERT_NE(end, std::string::npos) << sql;
  EXPECT_NE(sql.find("ALTER TABLESPACE \"old name\" RENAME TO \"new name\""), std::string::npos) << sql;
  EXPECT_LT(sql.find("RENAME TO"), end);
  EXPECT_NE(sql.find("SET allow_in_place_tablespaces = on;\nCREATE TABLESPACE \"in place\" OWNER writer LOCATION '';\n"
                     "RESET allow_in_place_tablespaces;\n"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("CREATE TABLESPACE \"it's\" OWNER"), std::string::npos) << sql;
  EXPECT_NE(sql.find("LOCATION '/srv/it''s';"), std::string::npos) << sql;
  EXPECT_NE(sql.find("DROP TABLESPACE IF EXISTS gone;\n"), std::string::npos) << sql;
  EXPECT_GT(sql.find("CREATE TABLESPACE"), end);
  EXPECT_EQ(sql.substr(sql.size() - 18), "START TRANSACTION;");
  // Round trip through the state file.
  const auto back = scribe::globals::parse_state(scribe::globals::serialize_state(after));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(*back == after);
}

// One whose location could not be read (dropped since) is only reported;
// comments carry no names (they are not quoted).
TEST(GlobalsSql, UnreadableTablespaceIsReported) {
  const State before = sample();
  State after = before;
  after.tablespaces[99999] = {"zz_space_name", 16384, std::nullopt};
  const std::string sql = scribe::globals::sync_sql(&before, after, is_search_path);
  EXPECT_EQ(sql.rfind("-- pg_scribe: a tablespace was created", 0), 0u) << sql;
  EXPECT_EQ(sql.find("zz_space_name"), std::string::npos);
}

}  // namespace
