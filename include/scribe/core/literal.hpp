// How a column value, already turned into text by its type's output
// function, is written as an SQL literal.
#pragma once

#include <cstdint>
#include <string_view>

#include "scribe/core/quote.hpp"

namespace scribe {

enum class ValueStyle : std::uint8_t {
  kNumber,     // int2/int4/int8/numeric: bare when a plain decimal, quoted otherwise (NaN, Infinity)
  kBoolean,    // bool: true / false
  kText,       // any built-in type: a quoted literal, typed by the column it is assigned or compared to
  kTypedText,  // a type outside pg_catalog: quoted literal cast to its schema-qualified name
};

// -?digits(.digits)? : safe to write bare in any expression context.
inline bool is_plain_number(std::string_view text) noexcept {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  const std::size_t int_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == int_start) return false;
  if (i == text.size()) return true;
  if (text[i] != '.') return false;
  const std::size_t frac_start = ++i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  return i > frac_start && i == text.size();
}

// `text` is the output-function text of a non-NULL value; `type_name` the
// quoted, schema-qualified type name used by kTypedText.
template <class Sink>
void append_value(Sink& out, ValueStyle style, std::string_view text, std::string_view type_name) {
  switch (style) {
    case ValueStyle::kNumber:
      if (is_plain_number(text)) {
        out.append(text.data(), text.size());
        return;
      }
      break;
    case ValueStyle::kBoolean:
      if (text == "t") {
        out.append("true", 4);
        return;
      }
      if (text == "f") {
        out.append("false", 5);
        return;
      }
      break;
    case ValueStyle::kText:
      break;
    case ValueStyle::kTypedText:
      append_literal(out, text);
      out.append("::", 2);
      out.append(type_name.data(), type_name.size());
      return;
  }
  append_literal(out, text);
}

}  // namespace scribe
