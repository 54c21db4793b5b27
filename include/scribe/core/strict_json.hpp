// pg_scribe's own small metadata files (manifest.json, metadata.json,
// scribe.json, the fs_backup records) through nlohmann/json, with the
// strictness a manifest needs on top: duplicate keys and nesting deeper than
// kJsonMaxDepth rejected, typed member access that names what is wrong.
//
// Strings are bytes: a value that is not valid UTF-8 (a database name or a
// label in a LATIN1 database) is kept byte for byte. The writer stores each
// byte of an invalid sequence as the code point U+10FF00 + byte (the last
// private-use code points of plane 16), so the file stays valid UTF-8 JSON;
// the reader maps them back, and also accepts the raw bytes that files
// written before nlohmann (whose writer copied bytes as they were) hold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace scribe {

// Objects keep their members in the order written.
using Json = nlohmann::ordered_json;

// Containers nested deeper than this are rejected.
inline constexpr int kJsonMaxDepth = 64;

// Parses one RFC 8259 document (surrounding whitespace allowed; no
// comments). `source` names the document in the message, "invalid JSON in
// <source>", e.g. "file \"manifest.json\"". Throws scribe::Error (22P02), with
// the position in the detail, for anything else, a repeated object key or
// nesting deeper than kJsonMaxDepth.
Json parse_json(std::string_view text, std::string_view source = {});

// Pretty-printed (2-space indent, one member or element per line), ending
// with a newline.
std::string write_json(const Json& value);

// Typed access to an object's members. Each throws scribe::Error (XX001)
// when `object` is not an object, the key is absent, or the member has
// another type (or for numbers, does not fit): metadata of an unexpected
// shape means a damaged or foreign file.
const Json& json_at(const Json& object, std::string_view key);
const std::string& json_string_at(const Json& object, std::string_view key);
std::uint64_t json_uint_at(const Json& object, std::string_view key);
std::int64_t json_int_at(const Json& object, std::string_view key);
bool json_bool_at(const Json& object, std::string_view key);
// The member if `object` is an object that has it, else null.
const Json* json_find(const Json& object, std::string_view key);
// `value` as a string, or scribe::Error (XX001).
const std::string& json_string(const Json& value);

}  // namespace scribe
