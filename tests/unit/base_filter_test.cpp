#include <gtest/gtest.h>

#include <string>

#include "scribe/core/base_filter.hpp"

namespace {

std::string filtered(const std::string& in, std::size_t chunk) {
  std::string out;
  scribe::BaseDumpFilter f([&](const char* d, std::size_t n) { out.append(d, n); });
  for (std::size_t i = 0; i < in.size(); i += chunk) f.write(in.data() + i, std::min(chunk, in.size() - i));
  f.finish();
  return out;
}

constexpr const char kHead[] =
    "SET client_encoding = 'UTF8';\n\n--\n-- Name: scribe; Type: SCHEMA; Schema: -; Owner: postgres\n--\n\n"
    "--\n-- Name: scribe; Type: EXTENSION; Schema: -; Owner: -\n--\n\n"
    "CREATE EXTENSION IF NOT EXISTS scribe WITH SCHEMA scribe;\n\n\n"
    "--\n-- Name: EXTENSION scribe; Type: COMMENT; Schema: -; Owner: \n--\n\n"
    "COMMENT ON EXTENSION scribe IS 'continuous plain-SQL backup';\n\n\n";
// A table whose rows look like the lines the filter removes.
constexpr const char kTail[] =
    "--\n-- Name: t; Type: TABLE; Schema: public; Owner: postgres\n--\n\nCREATE TABLE public.t (v text);\n\n"
    "COPY public.t (v) FROM stdin;\n-- Name: scribe; Type: EXTENSION; Schema: -; Owner: -\n"
    "CREATE EXTENSION IF NOT EXISTS scribe WITH SCHEMA scribe;\nCOMMENT ON EXTENSION scribe IS 'x';\n\\.\n";

TEST(BaseDumpFilter, LeavesOutOnlyTheScribeExtension) {
  const std::string in = std::string(kHead) + kTail;
  for (std::size_t chunk : {1u, 7u, 64u, 100000u}) {
    const std::string out = filtered(in, chunk);
    EXPECT_EQ(out.find("CREATE EXTENSION IF NOT EXISTS scribe WITH SCHEMA scribe;\n\n\n"), std::string::npos);
    EXPECT_EQ(out.find("COMMENT ON EXTENSION scribe IS 'continuous"), std::string::npos);
    EXPECT_NE(out.find("-- pg_scribe: CREATE EXTENSION scribe is left out"), std::string::npos);
    // Everything from the first other entry on passes through byte for byte.
    EXPECT_EQ(out.substr(out.size() - std::string(kTail).size()), kTail) << chunk;
  }
}

TEST(BaseDumpFilter, OtherExtensionsStay) {
  const std::string in =
      "--\n-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -\n--\n\n"
      "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;\n";
  EXPECT_EQ(filtered(in, 3), in);
}

}  // namespace
