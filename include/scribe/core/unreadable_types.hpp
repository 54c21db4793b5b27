// Values that cannot be written back, and text that goes into SQL comments.
#pragma once

#include <cstddef>
#include <string_view>

namespace scribe {

// The input functions of pg_catalog's types that reject every text: the
// output of pg_node_tree (pg_class.relpartbound, pg_attrdef.adbin, ...),
// the extended statistics types, BRIN's summary types and the GiST storage
// type of tsvector can be read (SELECT * FROM pg_class) and stored in a
// table (CREATE TABLE ... AS), but never written from SQL again; pseudo-types
// (anyarray: pg_statistic's stavalues) are recognised by their typtype.
inline constexpr std::string_view kUnreadableTypeInputFunctions[] = {
    "pg_node_tree_in", "pg_ndistinct_in",       "pg_dependencies_in",
    "pg_mcv_list_in",  "brin_bloom_summary_in", "brin_minmax_multi_summary_in",
    "gtsvectorin",     "pg_ddl_command_in",
};

inline bool is_unreadable_type_input_function(std::string_view name) noexcept {
  for (const std::string_view f : kUnreadableTypeInputFunctions)
    if (f == name) return true;
  return false;
}

// Text for a "-- " comment: a line break (or any other control character)
// in a name would end the comment and make the rest of the name SQL.
template <class Sink>
void append_comment_text(Sink& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch < 0x20 || ch == 0x7f) {
      out.append(text.data() + start, i - start);
      out.push_back('?');
      start = i + 1;
    }
  }
  out.append(text.data() + start, text.size() - start);
}

}  // namespace scribe
