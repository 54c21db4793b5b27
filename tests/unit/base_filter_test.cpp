#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scribe/core/base_filter.hpp"

namespace {

std::string filtered(const std::string& in, std::size_t chunk, const std::vector<std::string>& own = {}) {
  std::string out;
  scribe::BaseDumpFilter f([&](const char* d, std::size_t n) { out.append(d, n); }, own);
  for (std::size_t i = 0; i < in.size(); i += chunk) f.write(in.data() + i, std::min(chunk, in.size() - i));
  f.finish();
  return out;
}

constexpr std::size_t kChunks[] = {1, 2, 7, 64, 100000};

constexpr const char kHead[] =
    "SET client_encoding = 'UTF8';\n\n--\n-- Name: scribe; Type: SCHEMA; Schema: -; Owner: postgres\n--\n\n"
    "CREATE SCHEMA scribe;\n\n\n"
    "--\n-- Name: scribe; Type: EXTENSION; Schema: -; Owner: -\n--\n\n"
    "CREATE EXTENSION IF NOT EXISTS scribe WITH SCHEMA scribe;\n\n\n"
    "--\n-- Name: EXTENSION scribe; Type: COMMENT; Schema: -; Owner: \n--\n\n"
    "COMMENT ON EXTENSION scribe IS 'continuous plain-SQL backup';\n\n\n";
// A table whose rows look like the lines and headers the filter removes.
constexpr const char kTail[] =
    "--\n-- Name: t; Type: TABLE; Schema: public; Owner: postgres\n--\n\nCREATE TABLE public.t (v text);\n\n"
    "--\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\n"
    "COPY public.t (v) FROM stdin;\n-- Name: scribe; Type: EXTENSION; Schema: -; Owner: -\n"
    "CREATE EXTENSION IF NOT EXISTS scribe WITH SCHEMA scribe;\nCOMMENT ON EXTENSION scribe IS 'x';\n\\.\n\n\n";

const std::string kMemberAcl =
    scribe::dump_entry_header("FUNCTION status_rows(OUT state text)", "ACL", "scribe", "postgres");

TEST(BaseDumpFilter, LeavesOutTheScribeExtensionAndItsComment) {
  const std::string in = std::string(kHead) + kTail;
  for (std::size_t chunk : kChunks) {
    const std::string out = filtered(in, chunk);
    EXPECT_EQ(out.find("CREATE EXTENSION IF NOT EXISTS scribe WITH SCHEMA scribe;\n\n\n"), std::string::npos);
    EXPECT_EQ(out.find("COMMENT ON EXTENSION scribe IS 'continuous"), std::string::npos);
    EXPECT_NE(out.find("CREATE SCHEMA scribe;"), std::string::npos);
    EXPECT_NE(out.find("-- pg_scribe: this entry of pg_scribe's own is left out"), std::string::npos);
    // The table, its data lines included, pass through byte for byte.
    EXPECT_EQ(out.substr(out.size() - std::string(kTail).size()), kTail) << chunk;
  }
}

TEST(BaseDumpFilter, OtherExtensionsStay) {
  const std::string in =
      "--\n-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -\n--\n\n"
      "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;\n";
  for (std::size_t chunk : kChunks) EXPECT_EQ(filtered(in, chunk), in);
}

// Entries after the data (ACLs come last in a plain dump) are filtered too,
// and only those whose header is exactly one of the given lines.
TEST(BaseDumpFilter, LeavesOutGrantsOnMembersAnywhere) {
  const std::string keep_acl =
      "--\n-- Name: TABLE t; Type: ACL; Schema: public; Owner: postgres\n--\n\nGRANT SELECT ON TABLE public.t TO "
      "mon;\n\n\n";
  const std::string in = std::string(kTail) + "--\n" + kMemberAcl +
                         "\n--\n\nGRANT ALL ON FUNCTION scribe.status_rows(OUT state text) TO mon;\n\n\n" + keep_acl +
                         "--\n-- PostgreSQL database dump complete\n--\n\n";
  for (std::size_t chunk : kChunks) {
    const std::string out = filtered(in, chunk, {kMemberAcl});
    EXPECT_EQ(out.find("GRANT ALL ON FUNCTION scribe.status_rows"), std::string::npos) << chunk;
    EXPECT_NE(out.find(keep_acl), std::string::npos) << chunk;
    EXPECT_NE(out.find("dump complete"), std::string::npos) << chunk;
    EXPECT_EQ(out.substr(0, std::string(kTail).size()), kTail) << chunk;
    // Without the member's header line, nothing is left out.
    EXPECT_EQ(filtered(in, chunk), in) << chunk;
  }
}

// A header-looking line inside a function body, a string or COPY data is
// data: it neither starts an entry nor ends one that is being left out.
TEST(BaseDumpFilter, HeadersInsideValuesAreData) {
  const std::string fake = "-- Name: scribe; Type: EXTENSION; Schema: -; Owner: -\n";
  const std::string in =
      "--\n-- Name: f(); Type: FUNCTION; Schema: public; Owner: bob\n--\n\n"
      "CREATE FUNCTION public.f() RETURNS text\n    LANGUAGE sql\n    AS $_$\n" +
      fake + "SELECT 'x'\n$_$;\n\nCOMMENT ON FUNCTION public.f() IS '\n" + fake + "';\n\n\n" + "--\n" + kMemberAcl +
      "\n--\n\nGRANT ALL ON FUNCTION scribe.status_rows(OUT state text) TO mon;\n" + "SELECT $$\n" +
      "-- Name: TABLE t; Type: ACL; Schema: public; Owner: postgres\n$$;\n\n--\n-- Name: g(); Type: FUNCTION; Schema: "
      "public; Owner: bob\n--\n\nCREATE FUNCTION public.g() RETURNS int LANGUAGE sql AS 'SELECT 1';\n";
  for (std::size_t chunk : kChunks) {
    const std::string out = filtered(in, chunk, {kMemberAcl});
    EXPECT_EQ(out.substr(0, in.find("--\n" + kMemberAcl)), in.substr(0, in.find("--\n" + kMemberAcl))) << chunk;
    EXPECT_EQ(out.find("GRANT ALL ON FUNCTION scribe"), std::string::npos) << chunk;
    // The dollar-quoted "header" belonged to the dropped entry.
    EXPECT_EQ(out.find("SELECT $$"), std::string::npos) << chunk;
    EXPECT_NE(out.find("CREATE FUNCTION public.g()"), std::string::npos) << chunk;
  }
}

// A user's object can be named like one of the headers: pg_dump's line for
// it then differs from the member's (its own type, schema and owner follow).
TEST(BaseDumpFilter, NamesLikeHeadersDoNotMatch) {
  const std::string in =
      "--\n-- Name: scribe; Type: EXTENSION; Schema: -; Owner: -; Type: TABLE; Schema: public; "
      "Owner: bob\n--\n\nCREATE TABLE public.\"scribe; Type: EXTENSION; Schema: -; Owner: -\" (a "
      "int);\n";
  for (std::size_t chunk : kChunks) EXPECT_EQ(filtered(in, chunk), in);
}

// A header longer than the filter looks at is some other entry's: it ends
// the entry being left out.
TEST(BaseDumpFilter, LongHeaderEndsTheEntry) {
  const std::string long_header = "-- Name: " + std::string(100000, 'x') + "; Type: TABLE; Schema: public; Owner: bob";
  const std::string in = "--\n" + kMemberAcl + "\n--\n\nGRANT ALL ON FUNCTION scribe.f() TO mon;\n\n--\n" +
                         long_header + "\n--\n\nCREATE TABLE public.x (a int);\n";
  for (std::size_t chunk : {1u, 64u, 200000u}) {
    const std::string out = filtered(in, chunk, {kMemberAcl});
    EXPECT_EQ(out.find("GRANT ALL"), std::string::npos);
    EXPECT_NE(out.find(long_header + "\n--\n\nCREATE TABLE public.x (a int);\n"), std::string::npos);
  }
}

TEST(BaseDumpFilter, HeaderLineFormat) {
  EXPECT_EQ(scribe::dump_entry_header("TABLE status", "ACL", "scribe", "postgres"),
            "-- Name: TABLE status; Type: ACL; Schema: scribe; Owner: postgres");
  EXPECT_EQ(scribe::dump_entry_header("EVENT TRIGGER a\nb", "SECURITY LABEL", "", "x\ry"),
            "-- Name: EVENT TRIGGER a b; Type: SECURITY LABEL; Schema: -; Owner: x y");
}

}  // namespace
