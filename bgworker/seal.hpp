// What sealing needs from the database: the sequences' current values.
#pragma once

#include <string>

namespace scribe::engine {

// SQL that sets every sequence of the database to its current value, for the
// end of a sealed diff. Each statement finds its sequence by name and does
// nothing if it does not exist at that point of the replay (the stream may
// not have created it yet). Runs its own transaction.
std::string sequence_values_sql();

}  // namespace scribe::engine
