// Tables holding values that no input function accepts (pg_node_tree, ...):
// pg_dump writes their rows, but the COPY of them fails on restore.
#pragma once

#include <string>
#include <vector>

namespace scribe::engine {

// pg_dump arguments that leave out the rows of such tables (the schema
// stays), with a WARNING naming them. Runs SPI; may throw.
std::vector<std::string> unreadable_table_data_exclusions();

}  // namespace scribe::engine
