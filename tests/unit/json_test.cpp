#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "scribe/core/error.hpp"
#include "scribe/core/json.hpp"

namespace {

using scribe::JsonValue;
using scribe::JsonWriter;
using scribe::parse_json;

// The detail of the scribe::Error thrown by parse_json, or "" if it succeeded.
std::string parse_error(std::string_view text) {
  try {
    parse_json(text);
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "22P02");
    EXPECT_STREQ(e.what(), "invalid JSON");
    return e.detail();
  }
  return "";
}

std::string write(const JsonValue& v) {
  JsonWriter w;
  w.value(v);
  return w.str();
}

TEST(JsonParse, Scalars) {
  EXPECT_TRUE(parse_json("null").is_null());
  EXPECT_TRUE(parse_json(" true ").as_bool());
  EXPECT_FALSE(parse_json("\n\tfalse\r\n").as_bool());
  EXPECT_EQ(parse_json("\"hi\"").as_string(), "hi");
  EXPECT_EQ(parse_json("0").as_int(), 0);
  EXPECT_EQ(parse_json("-12").as_int(), -12);
  EXPECT_DOUBLE_EQ(parse_json("1.5e3").as_double(), 1500.0);
  EXPECT_DOUBLE_EQ(parse_json("-0.25").as_double(), -0.25);
  EXPECT_DOUBLE_EQ(parse_json("42").as_double(), 42.0);
  EXPECT_EQ(parse_json("1E+2").number_text(), "1E+2");
}

TEST(JsonParse, BigIntegersAreExact) {
  EXPECT_EQ(parse_json("18446744073709551615").as_uint(), 18446744073709551615ull);
  EXPECT_EQ(parse_json("9223372036854775807").as_int(), INT64_MAX);
  EXPECT_EQ(parse_json("-9223372036854775808").as_int(), INT64_MIN);
  EXPECT_THROW(parse_json("18446744073709551616").as_uint(), scribe::Error);
  EXPECT_THROW(parse_json("9223372036854775808").as_int(), scribe::Error);
  EXPECT_THROW(parse_json("-1").as_uint(), scribe::Error);
  EXPECT_THROW(parse_json("1.0").as_uint(), scribe::Error);
  EXPECT_THROW(parse_json("1e3").as_int(), scribe::Error);
  // Huge numbers parse (kept as text) but do not fit any accessor.
  std::string huge(5000, '9');
  JsonValue v = parse_json(huge);
  EXPECT_EQ(v.number_text(), huge);
  EXPECT_THROW(v.as_uint(), scribe::Error);
  EXPECT_THROW(v.as_double(), scribe::Error);
  EXPECT_THROW(parse_json("1e400").as_double(), scribe::Error);
  EXPECT_THROW(parse_json("1e-400").as_double(), scribe::Error);
  EXPECT_EQ(parse_json("0e-400").as_double(), 0.0);
  try {
    parse_json("1e400").as_double();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "XX001");
  }
}

TEST(JsonParse, ObjectsKeepOrderAndFind) {
  JsonValue v = parse_json(R"({"z": 1, "a": [true, null, "x"], "m": {"n": {}}, "e": []})");
  ASSERT_TRUE(v.is_object());
  const auto& members = v.as_object();
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].first, "z");
  EXPECT_EQ(members[1].first, "a");
  EXPECT_EQ(members[2].first, "m");
  EXPECT_EQ(members[3].first, "e");
  EXPECT_EQ(v.uint_at("z"), 1u);
  ASSERT_NE(v.find("a"), nullptr);
  EXPECT_EQ(v.find("a")->as_array().size(), 3u);
  EXPECT_EQ(v.find("a")->as_array()[2].as_string(), "x");
  EXPECT_TRUE(v.at("m").at("n").as_object().empty());
  EXPECT_TRUE(v.at("e").as_array().empty());
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(JsonParse, AccessorErrors) {
  JsonValue v = parse_json(R"({"name": "base", "size": "12", "neg": -3})");
  EXPECT_EQ(v.string_at("name"), "base");
  try {
    v.string_at("nope");
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "XX001");
    EXPECT_STREQ(e.what(), "JSON object has no key \"nope\"");
  }
  try {
    v.uint_at("size");
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "XX001");
    EXPECT_STREQ(e.what(), "JSON key \"size\" has the wrong type");
    EXPECT_EQ(e.detail(), "Expected number, found string.");
  }
  try {
    v.uint_at("neg");
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.what(), "JSON key \"neg\" is not a valid unsigned 64-bit integer");
  }
  try {
    v.as_array();
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "XX001");
    EXPECT_EQ(e.detail(), "Expected array, found object.");
  }
  EXPECT_THROW(v.at("name").as_bool(), scribe::Error);
  EXPECT_THROW(v.at("name").as_int(), scribe::Error);
  EXPECT_THROW(parse_json("[]").find("x"), scribe::Error);
  EXPECT_THROW(parse_json("1").as_string(), scribe::Error);
}

TEST(JsonParse, StringEscapes) {
  EXPECT_EQ(parse_json(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse_json(R"("\u0041\u00e9\u20AC")").as_string(), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parse_json(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(parse_json(R"("\u0000")").as_string(), std::string(1, '\0'));
  // Raw non-ASCII bytes, even invalid UTF-8, are kept as they are.
  EXPECT_EQ(parse_json("\"\xC3\xA9\xFF\"").as_string(), "\xC3\xA9\xFF");
}

TEST(JsonParse, MalformedInput) {
  // Truncated documents.
  for (const char* t : {"", "   ", "{", "[", "[1,", "{\"a\"", "{\"a\":", "{\"a\":1", "\"abc", "\"\\", "\"\\u12", "tru",
                        "-", "1.", "1e", "1e+", "[1, 2"})
    EXPECT_NE(parse_error(t), "") << t;
  EXPECT_EQ(parse_error("[1,"), "Unexpected end of input at byte offset 3.");
  EXPECT_EQ(parse_error("\"abc"), "Unterminated string at byte offset 4.");

  // Trailing garbage.
  for (const char* t : {"1 2", "{} x", "[]]", "nullx", "truefalse", "\"a\"\"b\"", "01", "1.5.2", "-01"})
    EXPECT_NE(parse_error(t), "") << t;
  EXPECT_EQ(parse_error("{} x"), "Unexpected character \"x\" after the end of the JSON value at byte offset 3.");

  // Bad escapes and raw control characters.
  for (const char* t : {R"("\x")", R"("\u12G4")", R"("\U0041")", R"("\')", "\"a\nb\"", "\"\t\"", R"("\ud800")",
                        R"("\ud800x")", R"("\ud800\u0041")", R"("\udc00")", R"("\ud800\n")"})
    EXPECT_NE(parse_error(t), "") << t;
  EXPECT_EQ(parse_error(R"("ab\q")"), "Unexpected character \"q\" in escape sequence at byte offset 4.");
  EXPECT_EQ(parse_error(R"(["\udc00"])"), "Unpaired low surrogate in \\u escape at byte offset 2.");
  EXPECT_EQ(parse_error("\"a\x01\""),
            "Unexpected byte 0x01 in string (control characters must be escaped) at byte offset 2.");

  // Grammar: trailing commas, comments, bad keys, bad numbers, duplicate keys.
  for (const char* t : {"[1,]",
                        "{\"a\":1,}",
                        "[,1]",
                        "{,}",
                        "// c\n1",
                        "/* c */ 1",
                        "[1 /* c */]",
                        "{a:1}",
                        "{'a':1}",
                        "{\"a\" 1}",
                        "{1:2}",
                        "[1;2]",
                        "+1",
                        ".5",
                        "1.e3",
                        "0x10",
                        "NaN",
                        "Infinity",
                        "-Infinity",
                        "TRUE",
                        "[\"a\" \"b\"]",
                        "{\"a\":1,\"a\":2}"})
    EXPECT_NE(parse_error(t), "") << t;
  EXPECT_EQ(parse_error("[1,]"), "Unexpected character \"]\" at byte offset 3.");
  EXPECT_EQ(parse_error("{\"a\":1,}"), "Unexpected character \"}\" where an object key was expected at byte offset 7.");
  EXPECT_EQ(parse_error("1.e3"), "Unexpected character \"e\" in number at byte offset 2.");
  EXPECT_EQ(parse_error(" {\"k\":1,\"k\":2}"), "Duplicate key \"k\" in the object starting at byte offset 1.");
}

TEST(JsonParse, DepthLimit) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_NO_THROW(parse_json(nested(scribe::kJsonMaxDepth)));
  EXPECT_EQ(parse_error(nested(scribe::kJsonMaxDepth + 1)),
            "Nesting exceeds the maximum depth of 64 at byte offset 64.");
  std::string objects;
  for (int i = 0; i < 65; ++i) objects += "{\"a\":";
  EXPECT_NE(parse_error(objects), "");
  // Very deep input must fail cleanly, not exhaust the stack.
  EXPECT_NE(parse_error(std::string(1000000, '[')), "");
}

TEST(JsonParse, SourceInMessage) {
  try {
    parse_json("{", "file \"manifest.json\"");
    FAIL();
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.what(), "invalid JSON in file \"manifest.json\"");
    EXPECT_EQ(e.detail(), "Unexpected end of input at byte offset 1.");
  }
}

TEST(JsonWriter, PrettyPrints) {
  JsonWriter w;
  w.begin_object();
  w.key("name");
  w.value("base \"1\"");
  w.key("size");
  w.value(std::uint64_t{18446744073709551615ull});
  w.key("delta");
  w.value(std::int64_t{-5});
  w.key("n");
  w.value(3);  // plain int
  w.key("ok");
  w.value(true);
  w.key("none");
  w.null_value();
  w.key("files");
  w.begin_array();
  w.value(std::string("a"));
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.end_array();
  w.key("empty");
  w.begin_object();
  w.end_object();
  w.end_object();
  EXPECT_TRUE(w.done());
  EXPECT_EQ(w.str(),
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
            "  \"empty\": {}\n"
            "}\n");
  EXPECT_EQ(parse_json(w.str()).uint_at("size"), 18446744073709551615ull);
}

TEST(JsonWriter, TopLevelScalarAndEscapes) {
  JsonWriter w;
  w.value(std::string_view("q\" b\\ \x01\x1f\n\t/ \xC3\xA9 \x7f"));
  EXPECT_EQ(w.str(), "\"q\\\" b\\\\ \\u0001\\u001f\\u000a\\u0009/ \xC3\xA9 \x7f\"\n");
  EXPECT_EQ(scribe::json_quote(std::string("a\0b", 3)), "\"a\\u0000b\"");
  JsonWriter n;
  n.value(static_cast<const char*>(nullptr));
  EXPECT_EQ(n.str(), "null\n");
}

TEST(JsonWriter, Misuse) {
  {
    JsonWriter w;
    w.begin_object();
    EXPECT_THROW(w.value(1), scribe::Error);  // no key
    EXPECT_THROW(w.end_array(), scribe::Error);
  }
  {
    JsonWriter w;
    w.begin_array();
    EXPECT_THROW(w.key("k"), scribe::Error);
    EXPECT_THROW(w.end_object(), scribe::Error);
  }
  {
    JsonWriter w;
    w.value(1);
    EXPECT_THROW(w.value(2), scribe::Error);  // second top-level value
    EXPECT_THROW(w.end_array(), scribe::Error);
  }
  {
    JsonWriter w;
    w.begin_object();
    w.key("k");
    EXPECT_THROW(w.key("l"), scribe::Error);
    EXPECT_THROW(w.end_object(), scribe::Error);  // key without value
  }
}

TEST(Json, RoundTrips) {
  const char* docs[] = {
      "null",
      "[]",
      "{}",
      R"({"a": [1, -2, 3.5e-7, 18446744073709551615, -9223372036854775808], "b": {"c": [[], [{}], "\u0001\"\\"]}})",
      R"(["\ud83d\ude00", "é", "tab\tnew\nline", true, false, null, 0, -0, 1E+2])",
  };
  for (const char* doc : docs) {
    JsonValue v = parse_json(doc);
    std::string text = write(v);
    JsonValue again = parse_json(text);
    EXPECT_EQ(again, v) << doc;
    EXPECT_EQ(write(again), text) << doc;  // writing is deterministic
  }
  EXPECT_NE(parse_json("1"), parse_json("1.0"));
  EXPECT_NE(parse_json(R"({"a":1,"b":2})"), parse_json(R"({"b":2,"a":1})"));
}

TEST(Json, BuiltValues) {
  JsonValue v = JsonValue::make_object(
      {{"id", JsonValue::make_uint(7)},
       {"lsn", JsonValue::make_string("0/16B3748")},
       {"ok", JsonValue::make_bool(true)},
       {"x", JsonValue::make_array({JsonValue(), JsonValue::make_int(-1), JsonValue::make_number("2.5")})}});
  EXPECT_EQ(parse_json(write(v)), v);
  EXPECT_THROW(JsonValue::make_number("1."), scribe::Error);
  EXPECT_THROW(JsonValue::make_number(""), scribe::Error);
  EXPECT_THROW(JsonValue::make_object({{"k", JsonValue()}, {"k", JsonValue()}}), scribe::Error);
}

TEST(Json, FuzzOnlyThrowsScribeErrors) {
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
      JsonValue v = parse_json(input);
      ++parsed;
      EXPECT_EQ(parse_json(write(v)), v);
    } catch (const scribe::Error& e) {
      EXPECT_STREQ(e.sqlstate(), "22P02");
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
