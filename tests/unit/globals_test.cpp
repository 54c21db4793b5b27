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
  s.tablespaces[1663] = "pg_default";
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

TEST(GlobalsSql, TablespaceChangesAreReportedNotReplayed) {
  const State before = sample();
  State after = before;
  after.tablespaces[99999] = "zz_space_name";
  const std::string sql = scribe::globals::sync_sql(&before, after, is_search_path);
  EXPECT_EQ(sql.rfind("-- pg_scribe: tablespaces changed", 0), 0u);
  EXPECT_EQ(sql.find("zz_space_name"), std::string::npos);  // names are not written: comments are not quoted
}

}  // namespace
