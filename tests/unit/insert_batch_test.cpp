#include <gtest/gtest.h>

#include <string>

#include "scribe/core/insert_batch.hpp"

namespace {

using scribe::InsertBatcher;
using scribe::single_row_insert_head;

TEST(InsertBatchHead, RecognisesWhatWal2sqlWrites) {
  const std::string s = "INSERT INTO public.t (id, a, \"B c\") VALUES (1, 'x', NULL);";
  EXPECT_EQ(single_row_insert_head(s), std::string("INSERT INTO public.t (id, a, \"B c\") VALUES ").size());
  const std::string identity = "INSERT INTO s.t (id) OVERRIDING SYSTEM VALUE VALUES (7);";
  EXPECT_EQ(single_row_insert_head(identity), identity.size() - std::string("(7);").size());
  EXPECT_GT(single_row_insert_head("INSERT INTO \"we\"\"ird\".\"x VALUES (\" (\"a\") VALUES ('v)'' ; -- $$');"), 0u);
}

TEST(InsertBatchHead, LeavesEverythingElseAlone) {
  for (const char* s : {
           "INSERT INTO public.t DEFAULT VALUES;",
           "INSERT INTO t (a) VALUES (1);",                        // not schema-qualified
           "INSERT INTO public.t (a) VALUES (1), (2);",            // two rows
           "INSERT INTO public.t (a) VALUES (1) RETURNING a;",     // a clause after the row
           "INSERT INTO public.t (a) VALUES (1) ON CONFLICT DO NOTHING;",
           "INSERT INTO public.t (a) SELECT 1;",
           "INSERT INTO public.t (a) VALUES ($$x$$);",             // not what wal2sql writes
           "INSERT INTO public.t (a) VALUES (1 -- c\n);",
           "INSERT INTO public.t (a) VALUES ('unterminated);",
           "INSERT INTO public.t (A) VALUES (1);",                 // upper case is always quoted
           "UPDATE ONLY public.t SET a = 1 WHERE id = 1;",
           "insert into public.t (a) values (1);",
       })
    EXPECT_EQ(single_row_insert_head(s), 0u) << s;
}

TEST(InsertBatcher, MergesRunsOfOneTableAndColumnList) {
  InsertBatcher b;
  std::string out;
  b.add("INSERT INTO public.t (a, b) VALUES (1, 'x');", out);
  b.add("INSERT INTO public.t (a, b) VALUES (2, 'y)'';');", out);
  b.add("INSERT INTO public.u (a) VALUES (3);", out);
  b.add("UPDATE ONLY public.u SET a = 4 WHERE a = 3;", out);
  b.add("INSERT INTO public.u (a) VALUES (5);", out);
  b.flush(out);
  EXPECT_EQ(out,
            "INSERT INTO public.t (a, b) VALUES (1, 'x'),\n(2, 'y)'';');\n"
            "INSERT INTO public.u (a) VALUES (3);\n"
            "UPDATE ONLY public.u SET a = 4 WHERE a = 3;\n"
            "INSERT INTO public.u (a) VALUES (5);\n");
  EXPECT_EQ(b.rows_merged(), 1u);
}

TEST(InsertBatcher, StartsANewStatementAtTheRowLimit) {
  InsertBatcher b(2);
  std::string out;
  for (int i = 0; i < 5; i++) b.add("INSERT INTO public.t (a) VALUES (" + std::to_string(i) + ");", out);
  b.flush(out);
  EXPECT_EQ(out,
            "INSERT INTO public.t (a) VALUES (0),\n(1);\n"
            "INSERT INTO public.t (a) VALUES (2),\n(3);\n"
            "INSERT INTO public.t (a) VALUES (4);\n");
}

TEST(InsertBatcher, DifferentColumnListsAreNotMerged) {
  InsertBatcher b;
  std::string out;
  b.add("INSERT INTO public.t (a) VALUES (1);", out);
  b.add("INSERT INTO public.t (a, b) VALUES (1, 2);", out);
  b.flush(out);
  EXPECT_EQ(out, "INSERT INTO public.t (a) VALUES (1);\nINSERT INTO public.t (a, b) VALUES (1, 2);\n");
}

TEST(InsertBatcher, ResetForgetsTheOpenStatement) {
  InsertBatcher b;
  std::string out;
  b.add("INSERT INTO public.t (a) VALUES (1);", out);
  out.clear();
  b.reset();
  b.add("INSERT INTO public.t (a) VALUES (2);", out);
  b.flush(out);
  EXPECT_EQ(out, "INSERT INTO public.t (a) VALUES (2);\n");
}

}  // namespace
