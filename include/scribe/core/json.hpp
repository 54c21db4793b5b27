// Minimal JSON for pg_scribe's own small metadata files (manifest.json,
// scribe.json, metadata.json): a strict RFC 8259 parser into a value tree
// and a pretty-printing writer. Not meant for large or streaming documents.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace scribe {

class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;  // null

  static JsonValue make_bool(bool b);
  static JsonValue make_int(std::int64_t n);
  static JsonValue make_uint(std::uint64_t n);
  // `text` must be a valid JSON number; throws scribe::Error (22P02) if not.
  static JsonValue make_number(std::string_view text);
  static JsonValue make_string(std::string s);
  static JsonValue make_array(std::vector<JsonValue> elements = {});
  // Members keep the given order; throws scribe::Error (22P02) on a duplicate key.
  static JsonValue make_object(std::vector<Member> members = {});

  Kind kind() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == Kind::kNull; }
  bool is_bool() const noexcept { return kind_ == Kind::kBool; }
  bool is_number() const noexcept { return kind_ == Kind::kNumber; }
  bool is_string() const noexcept { return kind_ == Kind::kString; }
  bool is_array() const noexcept { return kind_ == Kind::kArray; }
  bool is_object() const noexcept { return kind_ == Kind::kObject; }

  // All accessors throw scribe::Error (XX001) when the value has another
  // type, or for the numeric ones, when the number does not fit: metadata
  // of an unexpected shape means a damaged or foreign file.
  bool as_bool() const;
  // Integer accessors accept only numbers written without fraction or
  // exponent, so that values stay exact up to the full 64-bit range.
  std::int64_t as_int() const;
  std::uint64_t as_uint() const;
  double as_double() const;
  // The number exactly as written in the document.
  const std::string& number_text() const;
  const std::string& as_string() const;
  const std::vector<JsonValue>& as_array() const;
  const std::vector<Member>& as_object() const;

  // Object member lookup (linear; objects here are small). find() returns
  // null when the key is absent; it throws if this is not an object.
  const JsonValue* find(std::string_view key) const;
  const JsonValue& at(std::string_view key) const;
  const std::string& string_at(std::string_view key) const;
  std::uint64_t uint_at(std::string_view key) const;

  // Structural equality; numbers compare by their text, so 1 != 1.0.
  friend bool operator==(const JsonValue& a, const JsonValue& b);
  friend bool operator!=(const JsonValue& a, const JsonValue& b) { return !(a == b); }

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  std::string text_;  // string contents, or number text
  std::vector<JsonValue> elements_;
  std::vector<Member> members_;
};

// Containers nested deeper than this are rejected, bounding the parser's recursion.
inline constexpr int kJsonMaxDepth = 64;

// Parses one JSON document (surrounding whitespace allowed). `source` names
// the document in the message, "invalid JSON in <source>", e.g.
// "file \"manifest.json\"". Throws scribe::Error (22P02), with the byte
// offset in the detail, for input that is not strict RFC 8259 JSON, nests
// deeper than kJsonMaxDepth, repeats an object key or has a \u escape that
// is a lone surrogate. Other bytes in strings, even invalid UTF-8, are kept.
JsonValue parse_json(std::string_view text, std::string_view source = {});

// Appends pretty-printed JSON (2-space indent, one member or element per
// line) to an internal string, inserting commas itself. The document ends
// with a newline once its top-level value is complete. Misuse (a value
// without a key inside an object, unbalanced end_*, a second top-level value)
// throws scribe::Error (XX000).
class JsonWriter {
 public:
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view k);

  void value(std::string_view s);
  void value(const std::string& s) { value(std::string_view(s)); }
  void value(const char* s);  // nullptr writes null
  void value(std::int64_t n);
  void value(std::uint64_t n);
  void value(bool b);
  void value(const JsonValue& v);
  // Other integer types (int, unsigned, ...) would be ambiguous between the
  // overloads above; route them by signedness.
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
                                 !std::is_same_v<T, std::int64_t> && !std::is_same_v<T, std::uint64_t>,
                             int> = 0>
  void value(T n) {
    if constexpr (std::is_signed_v<T>)
      value(static_cast<std::int64_t>(n));
    else
      value(static_cast<std::uint64_t>(n));
  }
  void null_value();

  // True once the top-level value is complete.
  bool done() const noexcept { return done_; }
  const std::string& str() const noexcept { return out_; }

 private:
  struct Frame {
    bool object;
    bool empty = true;
  };
  void before_value();
  void after_value();
  void newline_indent();
  void append_scalar(std::string_view text);

  std::string out_;
  std::vector<Frame> stack_;
  bool have_key_ = false;
  bool done_ = false;
};

// The JSON string literal for `s` (with quotes), escaped as JsonWriter does.
std::string json_quote(std::string_view s);

}  // namespace scribe
