#include "scribe/core/options.hpp"

#include <cctype>
#include <string>

#include "scribe/core/error.hpp"
#include "scribe/core/format.hpp"

namespace scribe {
namespace {

bool equals_prefix_ci(std::string_view text, std::string_view word, std::size_t min_len) {
  if (text.size() < min_len || text.size() > word.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
  return true;
}

constexpr const char kValidOptions[] =
    "Valid options are include_transaction, include_header, skip_empty_xacts, include_settings, "
    "include_globals, add_tables, filter_tables and start_after_lsn.";

}  // namespace

std::optional<bool> parse_bool(std::string_view text) noexcept {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (equals_prefix_ci(text, "true", 1) || equals_prefix_ci(text, "yes", 1) || equals_prefix_ci(text, "on", 2) ||
      text == "1")
    return true;
  if (equals_prefix_ci(text, "false", 1) || equals_prefix_ci(text, "no", 1) || equals_prefix_ci(text, "off", 2) ||
      text == "0")
    return false;
  return std::nullopt;
}

void set_decoder_option(DecoderOptions& options, std::string_view raw_name, const char* value) {
  std::string name(raw_name);
  for (char& ch : name)
    if (ch == '-') ch = '_';

  bool* flag = nullptr;
  if (name == "include_transaction")
    flag = &options.include_transaction;
  else if (name == "include_header")
    flag = &options.include_header;
  else if (name == "skip_empty_xacts")
    flag = &options.skip_empty_xacts;
  else if (name == "include_settings")
    flag = &options.include_settings;
  else if (name == "include_globals")
    flag = &options.include_globals;

  if (flag != nullptr) {
    if (value == nullptr) {
      *flag = true;
      return;
    }
    const std::optional<bool> parsed = parse_bool(value);
    if (!parsed)
      throw Error(sqlstate::kInvalidParameterValue,
                  "invalid value for option \"" + std::string(raw_name) + "\": \"" + value + "\"", {},
                  "Use a boolean: on, off, true, false, 1 or 0.");
    *flag = *parsed;
    return;
  }

  if (name == "add_tables" || name == "filter_tables") {
    TableFilter parsed = value != nullptr ? TableFilter::parse(value, raw_name) : TableFilter();
    // An empty list would read as "all tables" for add_tables: refuse it.
    if (parsed.empty())
      throw Error(sqlstate::kInvalidParameterValue,
                  "option \"" + std::string(raw_name) + "\" needs at least one table pattern", {},
                  "Give a comma-separated list such as 'public.orders,audit.*'.");
    TableFilter& target = name == "add_tables" ? options.add_tables : options.filter_tables;
    target = std::move(parsed);
    return;
  }

  if (name == "start_after_lsn") {
    const std::optional<std::uint64_t> lsn = value != nullptr ? parse_lsn(value) : std::nullopt;
    if (!lsn)
      throw Error(sqlstate::kInvalidParameterValue,
                  "invalid value for option \"" + std::string(raw_name) + "\": \"" + (value ? value : "") + "\"", {},
                  "Give the commit LSN of the last transaction already written, such as '0/3A1F2B8'.");
    options.start_after_lsn = *lsn;
    return;
  }

  throw Error(sqlstate::kInvalidParameterValue, "unrecognized wal2sql option \"" + std::string(raw_name) + "\"", {},
              kValidOptions);
}

}  // namespace scribe
