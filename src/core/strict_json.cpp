#include "scribe/core/strict_json.hpp"

#include <cctype>
#include <limits>
#include <set>
#include <vector>

#include "scribe/core/error.hpp"

namespace scribe {

namespace {

constexpr char kInvalidText[] = "22P02";
constexpr char kDataCorrupted[] = "XX001";
// Each byte of an invalid UTF-8 sequence is stored as this + byte.
constexpr std::uint32_t kByteCodePoint = 0x10FF00;

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

// Valid UTF-8 as it is; each byte of an invalid sequence as kByteCodePoint + byte.
std::string bytes_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (const std::size_t n = utf8_sequence(s, i); n > 0) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    const std::uint32_t cp = kByteCodePoint + static_cast<unsigned char>(s[i++]);
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// The inverse of bytes_to_utf8 on valid UTF-8. The bytes it maps are 0x80 to
// 0xFF (ASCII is always valid): U+10FF80..U+10FFFF, F4 8F BE..BF 80..BF.
std::string utf8_to_bytes(const std::string& s) {
  if (s.find('\xF4') == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    if (b(i) == 0xF4 && i + 3 < s.size() && b(i + 1) == 0x8F && b(i + 2) >= 0xBE && b(i + 2) <= 0xBF) {
      const std::uint32_t cp = (0x4u << 18) | (0x0Fu << 12) | ((b(i + 2) & 0x3Fu) << 6) | (b(i + 3) & 0x3Fu);
      out += static_cast<char>(cp - kByteCodePoint);
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A copy of `value` with `map` applied to every string and key.
template <class Map>
Json map_strings(const Json& value, Map map) {
  switch (value.type()) {
    case Json::value_t::string:
      return Json(map(value.get_ref<const std::string&>()));
    case Json::value_t::array: {
      Json out = Json::array();
      for (const Json& e : value) out.push_back(map_strings(e, map));
      return out;
    }
    case Json::value_t::object: {
      Json out = Json::object();
      for (auto it = value.begin(); it != value.end(); ++it) out[map(it.key())] = map_strings(it.value(), map);
      return out;
    }
    default:
      return value;
  }
}

bool has_non_ascii(std::string_view s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

std::string excerpt(std::string_view s) {
  constexpr std::size_t kMax = 60;
  return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
}

const char* type_name(const Json& v) {
  if (v.is_number()) return "number";
  return v.type_name();
}

[[noreturn]] void wrong_type(std::string_view key, const char* expected, const Json& found) {
  throw Error(kDataCorrupted, "JSON key \"" + excerpt(key) + "\" has the wrong type",
              std::string("Expected ") + expected + ", found " + type_name(found) + ".");
}

}  // namespace

Json parse_json(std::string_view text, std::string_view source) {
  const std::string message = source.empty() ? std::string("invalid JSON") : "invalid JSON in " + std::string(source);
  // The keys seen so far in each open object, innermost last.
  std::vector<std::set<std::string>> keys;
  const auto check = [&](int depth, nlohmann::json::parse_event_t event, Json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        // depth counts the containers around this one.
        if (depth + 1 > kJsonMaxDepth)
          throw Error(kInvalidText, message,
                      "Nesting exceeds the maximum depth of " + std::to_string(kJsonMaxDepth) + ".");
        if (event == Event::object_start) keys.emplace_back();
        break;
      case Event::object_end:
        keys.pop_back();
        break;
      case Event::key:
        if (!keys.back().insert(parsed.get<std::string>()).second)
          throw Error(kInvalidText, message,
                      "Duplicate key \"" + excerpt(parsed.get_ref<const std::string&>()) + "\" in an object.");
        break;
      default:
        break;
    }
    return true;
  };
  const bool mapped = has_non_ascii(text);
  Json doc;
  try {
    if (mapped) {
      const std::string utf8 = bytes_to_utf8(text);
      doc = Json::parse(utf8, check);
    } else {
      doc = Json::parse(text, check);
    }
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 4: ...".
    std::string what = e.what();
    if (const std::size_t at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
    // Its line and column count the bytes nlohmann parsed: past an invalid
    // UTF-8 byte, each counts as its 4-byte replacement.
    if (!what.empty()) what[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(what[0])));
    throw Error(kInvalidText, message, what + ".");
  } catch (const nlohmann::json::exception& e) {
    throw Error(kInvalidText, message, e.what());
  }
  return mapped ? map_strings(doc, utf8_to_bytes) : doc;
}

std::string write_json(const Json& value) {
  // Escapes control characters, '"' and '\\'; other UTF-8 as it is.
  std::string out = map_strings(value, [](const std::string& s) { return bytes_to_utf8(s); }).dump(2);
  out += '\n';
  return out;
}

const Json* json_find(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const Json& json_at(const Json& object, std::string_view key) {
  if (!object.is_object())
    throw Error(kDataCorrupted, "JSON value is not an object", std::string("Found ") + type_name(object) + ".");
  const auto it = object.find(key);
  if (it == object.end()) throw Error(kDataCorrupted, "JSON object has no key \"" + excerpt(key) + "\"");
  return *it;
}

const std::string& json_string_at(const Json& object, std::string_view key) {
  const Json& v = json_at(object, key);
  if (!v.is_string()) wrong_type(key, "string", v);
  return v.get_ref<const std::string&>();
}

std::uint64_t json_uint_at(const Json& object, std::string_view key) {
  const Json& v = json_at(object, key);
  if (!v.is_number()) wrong_type(key, "number", v);
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  throw Error(kDataCorrupted, "JSON key \"" + excerpt(key) + "\" is not a valid unsigned 64-bit integer",
              "Found " + v.dump() + ".");
}

std::int64_t json_int_at(const Json& object, std::string_view key) {
  const Json& v = json_at(object, key);
  if (!v.is_number()) wrong_type(key, "number", v);
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<std::int64_t>();
  if (v.is_number_unsigned() && v.get<std::uint64_t>() <= std::numeric_limits<std::int64_t>::max())
    return static_cast<std::int64_t>(v.get<std::uint64_t>());
  throw Error(kDataCorrupted, "JSON key \"" + excerpt(key) + "\" is not a valid 64-bit integer",
              "Found " + v.dump() + ".");
}

bool json_bool_at(const Json& object, std::string_view key) {
  const Json& v = json_at(object, key);
  if (!v.is_boolean()) wrong_type(key, "boolean", v);
  return v.get<bool>();
}

const std::string& json_string(const Json& value) {
  if (!value.is_string())
    throw Error(kDataCorrupted, "JSON value has the wrong type",
                std::string("Expected string, found ") + type_name(value) + ".");
  return value.get_ref<const std::string&>();
}

}  // namespace scribe
