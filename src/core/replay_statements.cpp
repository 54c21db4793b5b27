#include "scribe/core/replay_statements.hpp"

#include <cctype>

namespace scribe {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

bool skip_identifier(std::string_view text, std::size_t& pos, std::string* name) {
  if (pos >= text.size()) return false;
  if (text[pos] == '"') {
    for (std::size_t i = pos + 1; i < text.size(); i++) {
      if (text[i] != '"') {
        if (name != nullptr) name->push_back(text[i]);
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '"') {
        if (name != nullptr) name->push_back('"');
        i++;
        continue;
      }
      pos = i + 1;
      return true;
    }
    return false;
  }
  const std::size_t start = pos;
  while (pos < text.size() && ((text[pos] >= 'a' && text[pos] <= 'z') || (text[pos] >= '0' && text[pos] <= '9') ||
                               text[pos] == '_' || text[pos] == '$'))
    pos++;
  if (name != nullptr) name->append(text.substr(start, pos - start));
  return pos > start;
}

std::string_view dml_target_table(std::string_view statement) {
  std::size_t pos;
  if (starts_with(statement, "INSERT INTO "))
    pos = 12;
  else if (starts_with(statement, "UPDATE ONLY "))
    pos = 12;
  else if (starts_with(statement, "DELETE FROM ONLY "))
    pos = 17;
  else
    return {};
  const std::size_t start = pos;
  if (!skip_identifier(statement, pos) || pos >= statement.size() || statement[pos] != '.') return {};
  pos++;
  if (!skip_identifier(statement, pos) || pos >= statement.size() || statement[pos] != ' ') return {};
  return statement.substr(start, pos - start);
}

std::string_view copy_target_table(std::string_view statement) {
  constexpr std::string_view kEnd = " FROM stdin;";
  if (!starts_with(statement, "COPY ") || statement.size() < kEnd.size() ||
      statement.substr(statement.size() - kEnd.size()) != kEnd)
    return {};
  std::size_t pos = 5;
  const std::size_t start = pos;
  if (!skip_identifier(statement, pos) || pos >= statement.size() || statement[pos] != '.') return {};
  pos++;
  if (!skip_identifier(statement, pos) || pos >= statement.size() || statement[pos] != ' ') return {};
  return statement.substr(start, pos - start);
}

bool parse_set_role(std::string_view statement, std::string& role) {
  if (!starts_with(statement, "SET ROLE ")) return false;
  std::size_t pos = 9;
  role.clear();
  if (!skip_identifier(statement, pos, &role)) return false;
  return statement.substr(pos) == ";";
}

bool looks_like_dml(std::string_view statement) {
  std::string word;
  for (char ch : statement) {
    if (!std::isalpha(static_cast<unsigned char>(ch))) break;
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  return word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "MERGE";
}

bool is_trigger_switch(std::string_view statement) {
  if (!starts_with(statement, "ALTER TABLE ONLY ")) return false;
  std::size_t pos = 17;
  if (!skip_identifier(statement, pos) || pos >= statement.size() || statement[pos] != '.') return false;
  pos++;
  if (!skip_identifier(statement, pos)) return false;
  // Then " DISABLE TRIGGER|RULE x" or " ENABLE ALWAYS|REPLICA TRIGGER|RULE
  // x", comma-separated, and ';'.
  for (;;) {
    const std::string_view rest = statement.substr(pos);
    std::size_t skip = 0;
    for (std::string_view clause : {" DISABLE TRIGGER ", " ENABLE ALWAYS TRIGGER ", " ENABLE REPLICA TRIGGER ",
                                    " DISABLE RULE ", " ENABLE ALWAYS RULE ", " ENABLE REPLICA RULE "})
      if (starts_with(rest, clause)) skip = clause.size();
    if (skip == 0) return false;
    pos += skip;
    if (!skip_identifier(statement, pos) || pos >= statement.size()) return false;
    if (statement.substr(pos) == ";") return true;
    if (statement[pos] != ',') return false;
    pos++;
  }
}

}  // namespace scribe
