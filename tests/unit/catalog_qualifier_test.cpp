#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scribe/core/catalog_qualifier.hpp"

namespace {

using scribe::NameChain;

const auto kSchemas = [](std::string_view name) { return name == "app" || name == "public" || name == "srcdb"; };

NameChain chain(std::vector<std::string> parts, std::vector<std::size_t> offsets, bool paren = false) {
  return NameChain{std::move(parts), std::move(offsets), paren};
}

TEST(CatalogQualifier, ThreeNamesWithASchemaSecond) {
  EXPECT_TRUE(scribe::is_catalog_qualified(chain({"srcdb", "app", "t"}, {0, 6, 10}), "srcdb", kSchemas));
  // Another first name: the parser would have refused it as a catalog.
  EXPECT_FALSE(scribe::is_catalog_qualified(chain({"other", "app", "t"}, {0, 6, 10}), "srcdb", kSchemas));
  // Two names: schema.object.
  EXPECT_FALSE(scribe::is_catalog_qualified(chain({"srcdb", "app"}, {0, 6}), "srcdb", kSchemas));
}

// A schema named like the database: srcdb.t.c is schema.table.column.
TEST(CatalogQualifier, ColumnReferencesStay) {
  EXPECT_FALSE(scribe::is_catalog_qualified(chain({"srcdb", "t", "c"}, {0, 6, 8}), "srcdb", kSchemas));
  // ... unless a '(' follows: a function or a table's column list.
  EXPECT_TRUE(scribe::is_catalog_qualified(chain({"srcdb", "fns", "f"}, {0, 6, 10}, true), "srcdb", kSchemas));
  // Four names: catalog.schema.table.column.
  EXPECT_TRUE(scribe::is_catalog_qualified(chain({"srcdb", "x", "t", "c"}, {0, 6, 8, 10}), "srcdb", kSchemas));
}

TEST(CatalogQualifier, RemovesQualifierDotAndBlanks) {
  const std::string text = "ALTER TABLE srcdb . app.t ADD CHECK (srcdb.app.t.c > 0 AND srcdb.t.c > 0)";
  const std::vector<NameChain> chains = {
      chain({"srcdb", "app", "t"}, {12, 20, 24}),
      chain({"srcdb", "app", "t", "c"}, {37, 43, 47, 49}),
      chain({"srcdb", "t", "c"}, {59, 65, 67}),
  };
  EXPECT_EQ(scribe::without_catalog_qualifiers(text, chains, "srcdb", kSchemas),
            "ALTER TABLE app.t ADD CHECK (app.t.c > 0 AND srcdb.t.c > 0)");
  EXPECT_EQ(scribe::without_catalog_qualifiers(text, {}, "srcdb", kSchemas), text);
}

TEST(CatalogQualifier, BadOffsetsChangeNothing) {
  const std::string text = "DROP TABLE srcdb.app.t";
  EXPECT_EQ(
      scribe::without_catalog_qualifiers(text, {chain({"srcdb", "app", "t"}, {11, 999, 1000})}, "srcdb", kSchemas),
      text);
  EXPECT_EQ(scribe::without_catalog_qualifiers(text, {chain({"srcdb", "app", "t"}, {11})}, "srcdb", kSchemas), text);
}

}  // namespace
