#include "scribe/core/replay_statements.hpp"

#include <gtest/gtest.h>

#include <string>

#include "scribe/core/quote.hpp"

namespace {

std::string qualified(std::string_view schema, std::string_view table) {
  std::string out;
  scribe::append_qualified_name(out, schema, table);
  return out;
}

TEST(ReplayStatements, ReadsTheTableOfEachRowChangeShape) {
  EXPECT_EQ(scribe::dml_target_table("INSERT INTO public.t (a) VALUES (1);"), "public.t");
  EXPECT_EQ(scribe::dml_target_table("INSERT INTO s.t DEFAULT VALUES;"), "s.t");
  EXPECT_EQ(scribe::dml_target_table("UPDATE ONLY s.t SET a = 1 WHERE k = 2;"), "s.t");
  EXPECT_EQ(scribe::dml_target_table("DELETE FROM ONLY s.t WHERE k = 2;"), "s.t");
}

TEST(ReplayStatements, ReadsQuotedNamesWhole) {
  // Names that hold what a careless reader would stop at.
  for (const std::string& name : {std::string("a b"), std::string("x\" ; INSERT INTO public.t"), std::string("s.t"),
                                  std::string("Upper"), std::string("select"), std::string("é\"\"")}) {
    const std::string table = qualified(name, name);
    EXPECT_EQ(scribe::dml_target_table("INSERT INTO " + table + " (a) VALUES (1);"), table) << name;
    EXPECT_EQ(scribe::dml_target_table("DELETE FROM ONLY " + table + " WHERE k = 1;"), table) << name;
  }
}

TEST(ReplayStatements, ReadsTheTableOfPgDumpsCopy) {
  EXPECT_EQ(scribe::copy_target_table("COPY public.t (a, b) FROM stdin;"), "public.t");
  EXPECT_EQ(scribe::copy_target_table("COPY s.t FROM stdin;"), "s.t");
  for (const std::string& name : {std::string("a b"), std::string("x\" (a) FROM stdin; COPY public.t"),
                                  std::string("Upper"), std::string("é\"\"")}) {
    const std::string table = qualified(name, name);
    EXPECT_EQ(scribe::copy_target_table("COPY " + table + " (a) FROM stdin;"), table) << name;
  }
  // Anything else (options, another format, a query, no schema): not read.
  EXPECT_EQ(scribe::copy_target_table("COPY s.t (a) FROM stdin WITH (FORMAT csv);"), "");
  EXPECT_EQ(scribe::copy_target_table("COPY t (a) FROM stdin;"), "");
  EXPECT_EQ(scribe::copy_target_table("copy s.t (a) FROM stdin;"), "");
  EXPECT_EQ(scribe::copy_target_table("COPY s.t (a) TO stdout;"), "");
  EXPECT_EQ(scribe::copy_target_table("COPY \"s.t (a) FROM stdin;"), "");
}

TEST(ReplayStatements, OtherShapesAreNotRowChangesItCanRead) {
  EXPECT_EQ(scribe::dml_target_table("insert into s.t values (1);"), "");
  EXPECT_EQ(scribe::dml_target_table("INSERT INTO t (a) VALUES (1);"), "");      // unqualified
  EXPECT_EQ(scribe::dml_target_table("INSERT INTO \"s.t (a) VALUES (1);"), "");  // unterminated quote
  EXPECT_EQ(scribe::dml_target_table("UPDATE s.t SET a = 1;"), "");
  EXPECT_EQ(scribe::dml_target_table("TRUNCATE ONLY s.t;"), "");
  EXPECT_TRUE(scribe::looks_like_dml("insert into s.t values (1);"));
  EXPECT_TRUE(scribe::looks_like_dml("Merge INTO s.t USING x ON true WHEN MATCHED THEN DELETE;"));
  EXPECT_FALSE(scribe::looks_like_dml("INSERTS;"));
  EXPECT_FALSE(scribe::looks_like_dml("COMMIT;"));
}

TEST(ReplayStatements, SetRole) {
  std::string role;
  ASSERT_TRUE(scribe::parse_set_role("SET ROLE app;", role));
  EXPECT_EQ(role, "app");
  ASSERT_TRUE(scribe::parse_set_role("SET ROLE \"R\"\"ô le; x\";", role));
  EXPECT_EQ(role, "R\"ô le; x");
  EXPECT_FALSE(scribe::parse_set_role("SET ROLE app; SELECT 1;", role));
  EXPECT_FALSE(scribe::parse_set_role("RESET ROLE;", role));
  EXPECT_FALSE(scribe::parse_set_role("SET ROLE \"app;", role));
}

TEST(ReplayStatements, TriggerSwitches) {
  EXPECT_TRUE(scribe::is_trigger_switch("ALTER TABLE ONLY public.t DISABLE TRIGGER a;"));
  EXPECT_TRUE(scribe::is_trigger_switch(
      "ALTER TABLE ONLY public.t DISABLE TRIGGER \"Replica \"\"r\"\"\", DISABLE TRIGGER always;"));
  EXPECT_TRUE(
      scribe::is_trigger_switch("ALTER TABLE ONLY \"a b\".t ENABLE REPLICA TRIGGER \"B b\", ENABLE ALWAYS TRIGGER a;"));
  EXPECT_FALSE(scribe::is_trigger_switch("ALTER TABLE ONLY public.t DISABLE TRIGGER a, ADD COLUMN b int;"));
  EXPECT_FALSE(scribe::is_trigger_switch("ALTER TABLE ONLY public.t ENABLE TRIGGER a;"));
  EXPECT_TRUE(scribe::is_trigger_switch("ALTER TABLE ONLY public.t DISABLE TRIGGER a, DISABLE RULE \"r 1\";"));
  EXPECT_TRUE(scribe::is_trigger_switch("ALTER TABLE ONLY public.t ENABLE ALWAYS RULE r, ENABLE REPLICA RULE q;"));
  EXPECT_FALSE(scribe::is_trigger_switch("ALTER TABLE ONLY public.t ENABLE RULE r;"));
  EXPECT_FALSE(scribe::is_trigger_switch("ALTER TABLE ONLY public.t DISABLE RULE r, DROP COLUMN b;"));
  EXPECT_FALSE(scribe::is_trigger_switch("ALTER TABLE public.t DISABLE TRIGGER a;"));
  EXPECT_FALSE(scribe::is_trigger_switch("ALTER TABLE ONLY public.t DISABLE TRIGGER a"));
}

}  // namespace
