#include "scribe/core/table_filter.hpp"

#include "scribe/core/error.hpp"

namespace scribe {
namespace {

struct Part {
  std::string text;
  bool wildcard = false;  // the part was a single unescaped '*'
};

[[noreturn]] void bad_entry(std::string_view option_name, std::string_view entry, const char* why) {
  throw Error(sqlstate::kInvalidParameterValue,
              "invalid table pattern \"" + std::string(entry) + "\" in option \"" + std::string(option_name) + "\"",
              why,
              "Write patterns as schema.table, *.table or schema.*, separated by commas; "
              "escape a literal comma, period, asterisk or backslash with a backslash.");
}

Part finish_part(std::string_view option_name, std::string_view entry, std::string& text, bool saw_unescaped_star,
                 bool saw_other) {
  Part part;
  if (saw_unescaped_star) {
    if (saw_other) bad_entry(option_name, entry, "An asterisk stands alone for a whole schema or table name.");
    part.wildcard = true;
  } else if (text.empty()) {
    bad_entry(option_name, entry, "Schema and table names cannot be empty.");
  }
  part.text = std::move(text);
  text.clear();
  return part;
}

}  // namespace

TableFilter TableFilter::parse(std::string_view spec, std::string_view option_name) {
  TableFilter filter;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    // Find the end of this entry: the next unescaped comma.
    std::size_t end = pos;
    while (end < spec.size() && spec[end] != ',') end += (spec[end] == '\\' && end + 1 < spec.size()) ? 2 : 1;
    std::string_view entry = spec.substr(pos, end - pos);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ' && !(entry.size() >= 2 && entry[entry.size() - 2] == '\\'))
      entry.remove_suffix(1);
    pos = end + 1;
    if (entry.empty()) continue;

    Part parts[2];
    int nparts = 0;
    std::string text;
    bool star = false, other = false;
    for (std::size_t i = 0; i < entry.size(); ++i) {
      const char ch = entry[i];
      if (ch == '\\') {
        if (i + 1 == entry.size()) bad_entry(option_name, entry, "A backslash must be followed by a character.");
        text.push_back(entry[++i]);
        other = true;
      } else if (ch == '.') {
        if (nparts == 1) bad_entry(option_name, entry, "A pattern has exactly one unescaped period.");
        parts[nparts++] = finish_part(option_name, entry, text, star, other);
        star = other = false;
      } else if (ch == '*') {
        star = true;
      } else {
        text.push_back(ch);
        other = true;
      }
    }
    if (nparts != 1) bad_entry(option_name, entry, "A pattern has exactly one unescaped period.");
    parts[1] = finish_part(option_name, entry, text, star, other);

    Pattern p;
    p.any_schema = parts[0].wildcard;
    p.schema = std::move(parts[0].text);
    p.any_table = parts[1].wildcard;
    p.table = std::move(parts[1].text);
    filter.patterns_.push_back(std::move(p));
  }
  return filter;
}

bool TableFilter::matches(std::string_view schema, std::string_view table) const noexcept {
  for (const Pattern& p : patterns_) {
    if ((p.any_schema || p.schema == schema) && (p.any_table || p.table == table)) return true;
  }
  return false;
}

}  // namespace scribe
