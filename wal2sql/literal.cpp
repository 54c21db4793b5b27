// Column values as SQL literals. The text comes from the type's own output
// function, run under the output settings pinned at startup, so it reads
// back to the identical value under the replay settings (replay_settings.hpp).
#include <cstring>

#include "wal2sql.hpp"

#if PG_VERSION_NUM >= 160000
extern "C" {
#include "varatt.h"
}
#endif

namespace wal2sql {

bool is_unchanged_toast(const ColumnInfo* col, Datum value, bool isnull) {
  // An UPDATE that did not touch a TOASTed column logs only the pointer;
  // the value itself is not in the WAL.
  return !isnull && col->typlen == -1 && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(value));
}

void append_column_value(StringInfoSink& out, ColumnInfo* col, Datum value) {
  const char* text = OutputFunctionCall(&col->output_fn, value);
  scribe::append_value(out, col->style, std::string_view(text, std::strlen(text)), col->type_name);
}

}  // namespace wal2sql
