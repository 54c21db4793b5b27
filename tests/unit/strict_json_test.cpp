#include <gtest/gtest.h>

#include <random>
#include <string>

#include "scribe/core/error.hpp"
#include "scribe/core/strict_json.hpp"

namespace {

using scribe::Json;
using scribe::json_string;
using scribe::parse_json;
using scribe::write_json;

// The detail of the scribe::Error thrown by parse_json, or "" if it succeeded.
std::string parse_error(std::string_view text) {
  try {
    parse_json(text);
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "22P02");
    EXPECT_STREQ(e.what(), "invalid JSON");
    EXPECT_NE(e.detail(), "");
    return e.detail();
  }
  return "";
}

TEST(StrictJson, Scalars) {
  EXPECT_TRUE(parse_json("null").is_null());
  EXPECT_TRUE(parse_json(" true ").get<bool>());
  EXPECT_FALSE(parse_json("\n\tfalse\r\n").get<bool>());
  EXPECT_EQ(json_string(parse_json("\"hi\"")), "hi");
  EXPECT_EQ(parse_json("-12").get<std::int64_t>(), -12);
  EXPECT_DOUBLE_EQ(parse_json("1.5e3").get<double>(), 1500.0);
}

TEST(StrictJson, IntegersKeepTheFull64BitRange) {
  const Json v = parse_json(
      R"({"umax": 18446744073709551615, "imax": 9223372036854775807, "imin": -9223372036854775808,
          "over": 18446744073709551616, "iover": 9223372036854775808, "neg": -1, "frac": 1.0, "exp": 1e3})");
  EXPECT_EQ(scribe::json_uint_at(v, "umax"), 18446744073709551615ull);
  EXPECT_EQ(scribe::json_int_at(v, "imax"), INT64_MAX);
  EXPECT_EQ(scribe::json_int_at(v, "imin"), INT64_MIN);
  EXPECT_THROW(scribe::json_uint_at(v, "over"), scribe::Error);
  EXPECT_THROW(scribe::json_int_at(v, "iover"), scribe::Error);
  EXPECT_THROW(scribe::json_uint_at(v, "neg"), scribe::Error);
  EXPECT_THROW(scribe::json_uint_at(v, "frac"), scribe::Error);
  EXPECT_THROW(scribe::json_int_at(v, "exp"), scribe::Error);
  // Out of the range of a double: refused as a whole.
  EXPECT_NE(parse_error("1e400"), "");
}

TEST(StrictJson, ObjectsKeepOrder) {
  const Json v = parse_json(R"({"z": 1, "a": [true, null, "x"], "m": {"n": {}}, "e": []})");
  ASSERT_TRUE(v.is_object());
  std::vector<std::string> keys;
  for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "a", "m", "e"}));
  EXPECT_EQ(scribe::json_uint_at(v, "z"), 1u);
  ASSERT_NE(scribe::json_find(v, "a"), nullptr);
  EXPECT_EQ(json_string(scribe::json_at(v, "a")[2]), "x");
  EXPECT_TRUE(scribe::json_at(scribe::json_at(v, "m"), "n").empty());
  EXPECT_EQ(scribe::json_find(v, "missing"), nullptr);
  EXPECT_EQ(write_json(v),
            "{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null,\n    \"x\"\n  ],\n"
            "  \"m\": {\n    \"n\": {}\n  },\n  \"e\": []\n}\n");
}

TEST(StrictJson, AccessorErrors) {
  const Json v = parse_json(R"({"name": "base", "size": "12", "neg": -3, "on": true})");
  EXPECT_EQ(scribe::json_string_at(v, "name"), "base");
  EXPECT_TRUE(scribe::json_bool_at(v, "on"));
  try {
    scribe::json_string_at(v, "nope");
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "XX001");
    EXPECT_STREQ(e.what(), "JSON object has no key \"nope\"");
  }
  try {
    scribe::json_uint_at(v, "size");
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "XX001");
    EXPECT_STREQ(e.what(), "JSON key \"size\" has the wrong type");
    EXPECT_EQ(e.detail(), "Expected number, found string.");
  }
  try {
    scribe::json_uint_at(v, "neg");
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.what(), "JSON key \"neg\" is not a valid unsigned 64-bit integer");
  }
  EXPECT_THROW(scribe::json_bool_at(v, "name"), scribe::Error);
  EXPECT_THROW(scribe::json_int_at(v, "name"), scribe::Error);
  EXPECT_THROW(scribe::json_at(parse_json("[]"), "x"), scribe::Error);
  EXPECT_EQ(scribe::json_find(parse_json("[]"), "x"), nullptr);
  EXPECT_THROW(json_string(parse_json("1")), scribe::Error);
}

TEST(StrictJson, StringEscapes) {
  EXPECT_EQ(json_string(parse_json(R"("a\"b\\c\/d\b\f\n\r\t")")), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(json_string(parse_json(R"("\u0041\u00e9\u20AC")")), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(json_string(parse_json(R"("\ud83d\ude00")")), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(json_string(parse_json(R"("\u0000")")), std::string(1, '\0'));
}

// Strings are bytes: a LATIN1 database name is kept whether the file holds
// it raw (written before nlohmann) or as U+10FF80 + byte (written now).
TEST(StrictJson, BytesThatAreNotUtf8) {
  EXPECT_EQ(json_string(parse_json("\"\xC3\xA9\xFF\"")), "\xC3\xA9\xFF");
  const std::string latin1 = "caf\xE9 \xFF\x80 \xC3";
  const std::string text = write_json(Json{{"database", latin1}});
  EXPECT_EQ(text, "{\n  \"database\": \"caf\xF4\x8F\xBF\xA9 \xF4\x8F\xBF\xBF\xF4\x8F\xBE\x80 \xF4\x8F\xBF\x83\"\n}\n");
  EXPECT_EQ(scribe::json_string_at(parse_json(text), "database"), latin1);
  EXPECT_EQ(scribe::json_string_at(parse_json("{\"database\": \"" + latin1 + "\"}"), "database"), latin1);
  // Valid UTF-8 is written as it is.
  EXPECT_EQ(write_json(Json("\xC3\xA9\xE2\x82\xAC")), "\"\xC3\xA9\xE2\x82\xAC\"\n");
}

TEST(StrictJson, MalformedInput) {
  // Truncated documents.
  for (const char* t : {"", "   ", "{", "[", "[1,", "{\"a\"", "{\"a\":", "{\"a\":1", "\"abc", "\"\\", "\"\\u12", "tru",
                        "-", "1.", "1e", "1e+", "[1, 2"})
    EXPECT_NE(parse_error(t), "") << t;
  // Trailing garbage.
  for (const char* t : {"1 2", "{} x", "[]]", "nullx", "truefalse", "\"a\"\"b\"", "01", "1.5.2", "-01"})
    EXPECT_NE(parse_error(t), "") << t;
  // Bad escapes and raw control characters.
  for (const char* t : {R"("\x")", R"("\u12G4")", R"("\U0041")", R"("\')", "\"a\nb\"", "\"\t\"", R"("\ud800")",
                        R"("\ud800x")", R"("\ud800\u0041")", R"("\udc00")", R"("\ud800\n")", "\"a\x01\""})
    EXPECT_NE(parse_error(t), "") << t;
  // Grammar: trailing commas, comments, bad keys, bad numbers.
  for (const char* t : {"[1,]",  "{\"a\":1,}", "[,1]",      "{,}",      "// c\n1",   "/* c */ 1", "[1 /* c */]",
                        "{a:1}", "{'a':1}",    "{\"a\" 1}", "{1:2}",    "[1;2]",     "+1",        ".5",
                        "1.e3",  "0x10",       "NaN",       "Infinity", "-Infinity", "TRUE",      "[\"a\" \"b\"]"})
    EXPECT_NE(parse_error(t), "") << t;
  // The position is in the detail.
  EXPECT_EQ(
      parse_error("[1,]"),
      "Parse error at line 1, column 4: syntax error while parsing value - unexpected ']'; expected '[', '{', or a "
      "literal.");
}

TEST(StrictJson, DuplicateKeysRejected) {
  EXPECT_EQ(parse_error("{\"a\":1,\"a\":2}"), "Duplicate key \"a\" in an object.");
  EXPECT_EQ(parse_error(R"({"x": {"k": 1, "k": 2}})"), "Duplicate key \"k\" in an object.");
  // The same key in different objects is fine.
  EXPECT_NO_THROW(parse_json(R"({"k": {"k": 1}, "j": [{"k": 1}, {"k": 2}]})"));
}

TEST(StrictJson, DepthLimit) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_NO_THROW(parse_json(nested(scribe::kJsonMaxDepth)));
  EXPECT_EQ(parse_error(nested(scribe::kJsonMaxDepth + 1)), "Nesting exceeds the maximum depth of 64.");
  std::string objects;
  for (int i = 0; i < 65; ++i) objects += "{\"a\":";
  EXPECT_NE(parse_error(objects), "");
  // Very deep input fails cleanly, early.
  EXPECT_EQ(parse_error(std::string(1000000, '[')), "Nesting exceeds the maximum depth of 64.");
}

TEST(StrictJson, SourceInMessage) {
  try {
    parse_json("{", "file \"manifest.json\"");
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.what(), "invalid JSON in file \"manifest.json\"");
    EXPECT_EQ(e.detail().rfind("Parse error at line 1, column 2: ", 0), 0u) << e.detail();
  }
}

TEST(StrictJson, WriterPrettyPrints) {
  const Json doc = {{"name", "base \"1\""},
                    {"size", std::uint64_t{18446744073709551615ull}},
                    {"delta", std::int64_t{-5}},
                    {"n", 3},
                    {"ok", true},
                    {"none", nullptr},
                    {"files", {"a", Json::object(), Json::array()}},
                    {"empty", Json::object()},
                    {"escapes", "q\" b\\ \x01\x1f\n\t/ \xC3\xA9 \x7f"}};
  EXPECT_EQ(write_json(doc),
            "{\n"
            "  \"name\": \"base \\\"1\\\"\",\n"
            "  \"size\": 18446744073709551615,\n"
            "  \"delta\": -5,\n"
            "  \"n\": 3,\n"
            "  \"ok\": true,\n"
            "  \"none\": null,\n"
            "  \"files\": [\n"
            "    \"a\",\n"
            "    {},\n"
            "    []\n"
            "  ],\n"
            "  \"empty\": {},\n"
            "  \"escapes\": \"q\\\" b\\\\ \\u0001\\u001f\\n\\t/ \xC3\xA9 \x7f\"\n"
            "}\n");
  EXPECT_EQ(scribe::json_uint_at(parse_json(write_json(doc)), "size"), 18446744073709551615ull);
  EXPECT_EQ(parse_json(write_json(doc)), doc);
}

TEST(StrictJson, RoundTrips) {
  const char* docs[] = {
      "null",
      "[]",
      "{}",
      R"({"a": [1, -2, 3.5e-7, 18446744073709551615, -9223372036854775808], "b": {"c": [[], [{}], "\u0001\"\\"]}})",
      R"(["\ud83d\ude00", "é", "tab\tnew\nline", true, false, null, 0, -0, 1E+2])",
  };
  for (const char* doc : docs) {
    const Json v = parse_json(doc);
    const std::string text = write_json(v);
    const Json again = parse_json(text);
    EXPECT_EQ(again, v) << doc;
    EXPECT_EQ(write_json(again), text) << doc;  // writing is deterministic
  }
  EXPECT_NE(parse_json(R"({"a":1,"b":2})"), parse_json(R"({"b":2,"a":1})"));
}

TEST(StrictJson, FuzzOnlyThrowsScribeErrors) {
  std::mt19937 rng(20240601);
  const std::string alphabet = "{}[]\":,\\u0123456789abcdefABCDEF.eE+-tfnrl \n\t\x01\xff";
  const std::string seeds[] = {R"({"a": [1, 2.5e3, "x\u00e9\ud83d\ude00", true, null], "b": {"c": -0}})", "[[[[]]]]"};
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    switch (i % 3) {
      case 0: {  // random bytes
        input.resize(rng() % 64);
        for (char& c : input) c = static_cast<char>(rng());
        break;
      }
      case 1: {  // random JSON-ish characters
        input.resize(rng() % 64);
        for (char& c : input) c = alphabet[rng() % alphabet.size()];
        break;
      }
      default: {  // mutated or truncated valid documents
        input = seeds[rng() % 2];
        for (int m = rng() % 4; m >= 0; --m) input[rng() % input.size()] = static_cast<char>(rng());
        input.resize(rng() % (input.size() + 1));
        break;
      }
    }
    try {
      const Json v = parse_json(input);
      ++parsed;
      EXPECT_EQ(parse_json(write_json(v)), v);
    } catch (const scribe::Error& e) {
      EXPECT_STREQ(e.sqlstate(), "22P02");
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
