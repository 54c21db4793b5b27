// Column values as SQL literals. The text comes from the type's own output
// function, run under the output settings pinned at startup, so it reads
// back to the identical value under the replay settings (replay_settings.hpp).
#include <cstring>

#include "wal2sql.hpp"

extern "C" {
#include "fmgr.h"
#include "utils/builtins.h"
}

#include "scribe/pg/compat.hpp"

namespace wal2sql {

bool is_unchanged_toast(const ColumnInfo* col, Datum value, bool isnull) {
  // An UPDATE that did not touch a TOASTed column logs only the pointer;
  // the value itself is not in the WAL.
  return !isnull && col->typlen == -1 && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(value));
}

namespace {

// The text of a non-NULL value: what the column's output function returns.
// The paths other than kOutputFunction produce exactly the bytes of the
// built-in function they stand for (see OutputPath), in `scratch` or in the
// value itself, without the call and its palloc.
std::string_view value_text(ColumnInfo* col, Datum value, char (&scratch)[MAXINT8LEN + 1]) {
  switch (col->output_path) {
    case OutputPath::kInt2:
      return std::string_view(scratch, static_cast<std::size_t>(pg_itoa(DatumGetInt16(value), scratch)));
    case OutputPath::kInt4:
      return std::string_view(scratch, static_cast<std::size_t>(pg_ltoa(DatumGetInt32(value), scratch)));
    case OutputPath::kInt8:
      return std::string_view(scratch, static_cast<std::size_t>(pg_lltoa(DatumGetInt64(value), scratch)));
    case OutputPath::kOid:
      return std::string_view(scratch, static_cast<std::size_t>(pg_ultoa_n(DatumGetObjectId(value), scratch)));
    case OutputPath::kBool:
      return DatumGetBool(value) ? std::string_view("t", 1) : std::string_view("f", 1);
    case OutputPath::kText: {
      // text_to_cstring's bytes; a C string ends at a '\0', which text
      // input never admits, but the output function's text would end there.
      const auto* detoasted = pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(value)));
      const char* data = VARDATA_ANY(detoasted);
      return std::string_view(data, strnlen(data, VARSIZE_ANY_EXHDR(detoasted)));
    }
    case OutputPath::kOutputFunction:
      break;
  }
  const char* text = OutputFunctionCall(&col->output_fn, value);
  return std::string_view(text, std::strlen(text));
}

}  // namespace

void append_column_value(StringInfoSink& out, ColumnInfo* col, Datum value) {
  char scratch[MAXINT8LEN + 1];
  scribe::append_value(out, col->style, value_text(col, value, scratch), col->type_name);
}

void append_comparison_value(StringInfoSink& out, ColumnInfo* col, Datum value) {
  char scratch[MAXINT8LEN + 1];
  scribe::append_value(out, col->compare_style, value_text(col, value, scratch), col->compare_type_name);
}

}  // namespace wal2sql
