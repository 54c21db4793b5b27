#include "scribe/core/json.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "scribe/core/error.hpp"

namespace scribe {
namespace {

constexpr const char kInvalidText[] = "22P02";    // invalid_text_representation
constexpr const char kDataCorrupted[] = "XX001";  // data_corrupted

const char* kind_name(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::kNull:
      return "null";
    case JsonValue::Kind::kBool:
      return "boolean";
    case JsonValue::Kind::kNumber:
      return "number";
    case JsonValue::Kind::kString:
      return "string";
    case JsonValue::Kind::kArray:
      return "array";
    case JsonValue::Kind::kObject:
      return "object";
  }
  return "unknown";
}

// Hostile documents can hold megabyte-long numbers or keys; keep messages short.
std::string excerpt(std::string_view s) {
  constexpr std::size_t kMax = 40;
  if (s.size() <= kMax) return std::string(s);
  return std::string(s.substr(0, kMax)) + "...";
}

[[noreturn]] void throw_wrong_kind(JsonValue::Kind expected, JsonValue::Kind found) {
  throw Error(kDataCorrupted, "unexpected JSON value type",
              std::string("Expected ") + kind_name(expected) + ", found " + kind_name(found) + ".");
}

// Scans the RFC 8259 number starting at `pos`. On success returns true and
// sets `end` past it; otherwise sets `end` to the offending byte.
bool scan_number(std::string_view text, std::size_t pos, std::size_t& end) {
  std::size_t i = pos;
  auto digit = [&]() { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  auto digits = [&]() {
    if (!digit()) return false;
    while (digit()) ++i;
    return true;
  };
  if (i < text.size() && text[i] == '-') ++i;
  bool ok = true;
  if (i < text.size() && text[i] == '0')
    ++i;  // no leading zeros: "01" ends after the 0
  else
    ok = digits();
  if (ok && i < text.size() && text[i] == '.') {
    ++i;
    ok = digits();
  }
  if (ok && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    ok = digits();
  }
  end = i;
  return ok;
}

bool is_integer_text(const std::string& text) { return text.find_first_of(".eE") == std::string::npos; }

template <typename T>
bool parse_integer(const std::string& text, T& out) {
  if (!is_integer_text(text)) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

// Index of a repeated key, or npos. Sorting indices keeps this O(n log n)
// so a hostile object with many keys cannot make parsing quadratic.
std::size_t find_duplicate_key(const std::vector<JsonValue::Member>& members) {
  if (members.size() < 2) return std::string::npos;
  std::vector<std::size_t> order(members.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return members[a].first < members[b].first; });
  for (std::size_t i = 1; i < order.size(); ++i)
    if (members[order[i - 1]].first == members[order[i]].first) return order[i];
  return std::string::npos;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  JsonValue parse_document() {
    JsonValue v = parse_value(0);
    skip_ws();
    if (pos_ < text_.size()) fail_unexpected("after the end of the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what, std::size_t offset) const {
    throw Error(kInvalidText, source_.empty() ? std::string("invalid JSON") : "invalid JSON in " + std::string(source_),
                what + " at byte offset " + std::to_string(offset) + ".");
  }

  [[noreturn]] void fail_unexpected(const char* context) const {
    if (pos_ >= text_.size()) fail("Unexpected end of input", pos_);
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    std::string shown;
    if (c > 0x20 && c < 0x7F) {
      shown = std::string("character \"") + static_cast<char>(c) + "\"";
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      shown = std::string("byte 0x") + kHex[c >> 4] + kHex[c & 0xF];
    }
    fail("Unexpected " + shown + (*context ? std::string(" ") + context : std::string()), pos_);
  }

  void skip_ws() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  JsonValue parse_value(int depth) {
    skip_ws();
    if (pos_ >= text_.size()) fail_unexpected("");
    switch (text_[pos_]) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return JsonValue::make_string(parse_string());
      case 't':
        return parse_literal("true", JsonValue::make_bool(true));
      case 'f':
        return parse_literal("false", JsonValue::make_bool(false));
      case 'n':
        return parse_literal("null", JsonValue());
      default: {
        std::size_t end = 0;
        bool ok = scan_number(text_, pos_, end);
        if (!ok) {
          bool started = end > pos_;
          pos_ = end;
          fail_unexpected(started ? "in number" : "");
        }
        std::string_view number = text_.substr(pos_, end - pos_);
        pos_ = end;
        return JsonValue::make_number(number);
      }
    }
  }

  JsonValue parse_literal(std::string_view word, JsonValue v) {
    if (text_.substr(pos_, word.size()) != word) {
      // Report the first byte that differs.
      std::size_t i = 0;
      while (pos_ < text_.size() && i < word.size() && text_[pos_] == word[i]) ++pos_, ++i;
      fail_unexpected("");
    }
    pos_ += word.size();
    return v;
  }

  void check_depth(int depth) const {
    if (depth > kJsonMaxDepth) fail("Nesting exceeds the maximum depth of " + std::to_string(kJsonMaxDepth), pos_);
  }

  JsonValue parse_array(int depth) {
    check_depth(depth);
    ++pos_;  // '['
    std::vector<JsonValue> elements;
    skip_ws();
    if (consume(']')) return JsonValue::make_array(std::move(elements));
    for (;;) {
      elements.push_back(parse_value(depth));
      skip_ws();
      if (consume(']')) break;
      if (!consume(',')) fail_unexpected("where \",\" or \"]\" was expected");
    }
    return JsonValue::make_array(std::move(elements));
  }

  JsonValue parse_object(int depth) {
    check_depth(depth);
    std::size_t start = pos_;
    ++pos_;  // '{'
    std::vector<JsonValue::Member> members;
    skip_ws();
    if (!consume('}')) {
      for (;;) {
        skip_ws();
        if (pos_ >= text_.size() || text_[pos_] != '"') fail_unexpected("where an object key was expected");
        std::string key = parse_string();
        skip_ws();
        if (!consume(':')) fail_unexpected("where \":\" was expected");
        members.emplace_back(std::move(key), parse_value(depth));
        skip_ws();
        if (consume('}')) break;
        if (!consume(',')) fail_unexpected("where \",\" or \"}\" was expected");
      }
    }
    std::size_t dup = find_duplicate_key(members);
    if (dup != std::string::npos)
      fail("Duplicate key \"" + excerpt(members[dup].first) + "\" in the object starting", start);
    return JsonValue::make_object(std::move(members));
  }

  std::uint32_t parse_hex4() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      if (pos_ >= text_.size()) fail_unexpected("");
      char c = text_[pos_];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        fail_unexpected("in \\u escape");
    }
    return v;
  }

  // Called at the opening quote; leaves pos_ after the closing one.
  std::string parse_string() {
    ++pos_;
    std::string out;
    for (;;) {
      std::size_t run = pos_;
      while (pos_ < text_.size()) {
        unsigned char c = static_cast<unsigned char>(text_[pos_]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++pos_;
      }
      out.append(text_.data() + run, pos_ - run);
      if (pos_ >= text_.size()) fail("Unterminated string", pos_);
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c != '\\') fail_unexpected("in string (control characters must be escaped)");
      std::size_t escape_start = pos_;
      ++pos_;
      if (pos_ >= text_.size()) fail("Unterminated string", pos_);
      switch (text_[pos_++]) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = parse_hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("Unpaired low surrogate in \\u escape", escape_start);
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") fail("Unpaired high surrogate in \\u escape", escape_start);
            pos_ += 2;
            std::uint32_t low = parse_hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("Unpaired high surrogate in \\u escape", escape_start);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail_unexpected("in escape sequence");
      }
    }
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

}  // namespace

JsonValue JsonValue::make_bool(bool b) {
  JsonValue v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::make_int(std::int64_t n) {
  JsonValue v;
  v.kind_ = Kind::kNumber;
  v.text_ = std::to_string(n);
  return v;
}

JsonValue JsonValue::make_uint(std::uint64_t n) {
  JsonValue v;
  v.kind_ = Kind::kNumber;
  v.text_ = std::to_string(n);
  return v;
}

JsonValue JsonValue::make_number(std::string_view text) {
  std::size_t end = 0;
  if (!scan_number(text, 0, end) || end != text.size())
    throw Error(kInvalidText, "invalid JSON number \"" + excerpt(text) + "\"");
  JsonValue v;
  v.kind_ = Kind::kNumber;
  v.text_ = std::string(text);
  return v;
}

JsonValue JsonValue::make_string(std::string s) {
  JsonValue v;
  v.kind_ = Kind::kString;
  v.text_ = std::move(s);
  return v;
}

JsonValue JsonValue::make_array(std::vector<JsonValue> elements) {
  JsonValue v;
  v.kind_ = Kind::kArray;
  v.elements_ = std::move(elements);
  return v;
}

JsonValue JsonValue::make_object(std::vector<Member> members) {
  std::size_t dup = find_duplicate_key(members);
  if (dup != std::string::npos)
    throw Error(kInvalidText, "duplicate JSON object key \"" + excerpt(members[dup].first) + "\"");
  JsonValue v;
  v.kind_ = Kind::kObject;
  v.members_ = std::move(members);
  return v;
}

bool JsonValue::as_bool() const {
  if (kind_ != Kind::kBool) throw_wrong_kind(Kind::kBool, kind_);
  return bool_;
}

std::int64_t JsonValue::as_int() const {
  if (kind_ != Kind::kNumber) throw_wrong_kind(Kind::kNumber, kind_);
  std::int64_t n = 0;
  if (!parse_integer(text_, n))
    throw Error(kDataCorrupted, "JSON number \"" + excerpt(text_) + "\" is not a valid 64-bit integer");
  return n;
}

std::uint64_t JsonValue::as_uint() const {
  if (kind_ != Kind::kNumber) throw_wrong_kind(Kind::kNumber, kind_);
  std::uint64_t n = 0;
  if (!parse_integer(text_, n))
    throw Error(kDataCorrupted, "JSON number \"" + excerpt(text_) + "\" is not a valid unsigned 64-bit integer");
  return n;
}

double JsonValue::as_double() const {
  if (kind_ != Kind::kNumber) throw_wrong_kind(Kind::kNumber, kind_);
  // from_chars, unlike strtod, ignores the locale. Like PostgreSQL's float8in,
  // underflow is an error too, not a silent zero.
  double d = 0;
  const char* end = text_.data() + text_.size();
  auto [ptr, ec] = std::from_chars(text_.data(), end, d);
  if (ec != std::errc() || ptr != end)
    throw Error(kDataCorrupted, "JSON number \"" + excerpt(text_) + "\" is out of range for type double precision");
  return d;
}

const std::string& JsonValue::number_text() const {
  if (kind_ != Kind::kNumber) throw_wrong_kind(Kind::kNumber, kind_);
  return text_;
}

const std::string& JsonValue::as_string() const {
  if (kind_ != Kind::kString) throw_wrong_kind(Kind::kString, kind_);
  return text_;
}

const std::vector<JsonValue>& JsonValue::as_array() const {
  if (kind_ != Kind::kArray) throw_wrong_kind(Kind::kArray, kind_);
  return elements_;
}

const std::vector<JsonValue::Member>& JsonValue::as_object() const {
  if (kind_ != Kind::kObject) throw_wrong_kind(Kind::kObject, kind_);
  return members_;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const Member& m : as_object())
    if (m.first == key) return &m.second;
  return nullptr;
}

const JsonValue& JsonValue::at(std::string_view key) const {
  const JsonValue* v = find(key);
  if (v == nullptr) throw Error(kDataCorrupted, "JSON object has no key \"" + excerpt(key) + "\"");
  return *v;
}

const std::string& JsonValue::string_at(std::string_view key) const {
  const JsonValue& v = at(key);
  if (!v.is_string())
    throw Error(kDataCorrupted, "JSON key \"" + excerpt(key) + "\" has the wrong type",
                std::string("Expected string, found ") + kind_name(v.kind_) + ".");
  return v.text_;
}

std::uint64_t JsonValue::uint_at(std::string_view key) const {
  const JsonValue& v = at(key);
  if (!v.is_number())
    throw Error(kDataCorrupted, "JSON key \"" + excerpt(key) + "\" has the wrong type",
                std::string("Expected number, found ") + kind_name(v.kind_) + ".");
  std::uint64_t n = 0;
  if (!parse_integer(v.text_, n))
    throw Error(kDataCorrupted, "JSON key \"" + excerpt(key) + "\" is not a valid unsigned 64-bit integer",
                "Found " + excerpt(v.text_) + ".");
  return n;
}

bool operator==(const JsonValue& a, const JsonValue& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case JsonValue::Kind::kNull:
      return true;
    case JsonValue::Kind::kBool:
      return a.bool_ == b.bool_;
    case JsonValue::Kind::kNumber:
    case JsonValue::Kind::kString:
      return a.text_ == b.text_;
    case JsonValue::Kind::kArray:
      return a.elements_ == b.elements_;
    case JsonValue::Kind::kObject:
      return a.members_ == b.members_;
  }
  return false;
}

JsonValue parse_json(std::string_view text, std::string_view source) { return Parser(text, source).parse_document(); }

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_escaped(out, s);
  return out;
}

void JsonWriter::newline_indent() {
  out_ += '\n';
  out_.append(2 * stack_.size(), ' ');
}

void JsonWriter::before_value() {
  if (done_) throw Error(sqlstate::kInternalError, "JSON writer: document is already complete");
  if (stack_.empty()) return;
  Frame& top = stack_.back();
  if (top.object) {
    if (!have_key_) throw Error(sqlstate::kInternalError, "JSON writer: object member written without a key");
    have_key_ = false;
    return;
  }
  if (!top.empty) out_ += ',';
  top.empty = false;
  newline_indent();
}

void JsonWriter::after_value() {
  if (stack_.empty()) {
    done_ = true;
    out_ += '\n';
  }
}

void JsonWriter::append_scalar(std::string_view text) {
  before_value();
  out_ += text;
  after_value();
}

void JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  stack_.push_back(Frame{true});
}

void JsonWriter::end_object() {
  if (stack_.empty() || !stack_.back().object || have_key_)
    throw Error(sqlstate::kInternalError, "JSON writer: end_object without a matching begin_object");
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) newline_indent();
  out_ += '}';
  after_value();
}

void JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  stack_.push_back(Frame{false});
}

void JsonWriter::end_array() {
  if (stack_.empty() || stack_.back().object)
    throw Error(sqlstate::kInternalError, "JSON writer: end_array without a matching begin_array");
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) newline_indent();
  out_ += ']';
  after_value();
}

void JsonWriter::key(std::string_view k) {
  if (done_ || stack_.empty() || !stack_.back().object || have_key_)
    throw Error(sqlstate::kInternalError, "JSON writer: key outside an object");
  Frame& top = stack_.back();
  if (!top.empty) out_ += ',';
  top.empty = false;
  newline_indent();
  append_escaped(out_, k);
  out_ += ": ";
  have_key_ = true;
}

void JsonWriter::value(std::string_view s) {
  before_value();
  append_escaped(out_, s);
  after_value();
}

void JsonWriter::value(const char* s) {
  if (s == nullptr)
    null_value();
  else
    value(std::string_view(s));
}

void JsonWriter::value(std::int64_t n) { append_scalar(std::to_string(n)); }

void JsonWriter::value(std::uint64_t n) { append_scalar(std::to_string(n)); }

void JsonWriter::value(bool b) { append_scalar(b ? "true" : "false"); }

void JsonWriter::null_value() { append_scalar("null"); }

void JsonWriter::value(const JsonValue& v) {
  switch (v.kind()) {
    case JsonValue::Kind::kNull:
      null_value();
      break;
    case JsonValue::Kind::kBool:
      value(v.as_bool());
      break;
    case JsonValue::Kind::kNumber:
      append_scalar(v.number_text());
      break;
    case JsonValue::Kind::kString:
      value(std::string_view(v.as_string()));
      break;
    case JsonValue::Kind::kArray:
      begin_array();
      for (const JsonValue& e : v.as_array()) value(e);
      end_array();
      break;
    case JsonValue::Kind::kObject:
      begin_object();
      for (const JsonValue::Member& m : v.as_object()) {
        key(m.first);
        value(m.second);
      }
      end_object();
      break;
  }
}

}  // namespace scribe
