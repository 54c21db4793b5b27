#include <gtest/gtest.h>

#include <string>

#include "scribe/core/replay_settings.hpp"

namespace {

TEST(ReplaySettings, PinsEverySettingThatChangesInput) {
  std::string out;
  scribe::append_replay_settings(out, "UTF8");
  for (const char* expected :
       {"SET client_encoding = 'UTF8';\n", "SET standard_conforming_strings = on;\n", "SET DateStyle = 'ISO, YMD';\n",
        "SET IntervalStyle = 'postgres';\n", "SET TimeZone = 'UTC';\n", "SET extra_float_digits = 3;\n",
        "SET lc_monetary = 'C';\n", "SET xmloption = content;\n", "SET array_nulls = on;\n",
        "SET session_replication_role = replica;\n", "SET check_function_bodies = false;\n"})
    EXPECT_NE(out.find(expected), std::string::npos) << expected;
  // search_path last: pg_catalog first, the session's default, pg_temp last.
  EXPECT_NE(out.find(std::string(scribe::kReplaySearchPath) + "\n"), std::string::npos);
  EXPECT_EQ(out.back(), '\n');
}

TEST(ReplaySettings, DecoderPinsMatchReplayForms) {
  // Every output setting the decoder pins has its replay counterpart.
  std::string out;
  scribe::append_replay_settings(out, "UTF8");
  for (const auto& pin : scribe::kDecoderSettings) {
    if (std::string(pin.name) == "bytea_output") continue;  // input accepts both forms
    if (std::string(pin.name) == "search_path") continue;   // set by kReplaySearchPath
    EXPECT_NE(out.find(std::string("SET ") + pin.name), std::string::npos) << pin.name;
  }
}

TEST(ReplaySettings, EncodingCannotEndTheLiteral) {
  std::string out;
  scribe::append_replay_settings(out, "UTF8'; DROP TABLE t; --");
  EXPECT_NE(out.find("SET client_encoding = 'UTF8DROPTABLEt';"), std::string::npos);
}

}  // namespace
