// The C++/PostgreSQL error boundary, one mechanism per direction
// (DESIGN.md, "C++ inside PostgreSQL"):
//
//  - call_pg(f): C++ calling PostgreSQL. An ereport(ERROR) inside f is caught
//    with PG_TRY and rethrown as a PgError after PG_END_TRY, so it unwinds the
//    C++ frames above properly. The longjmp only crosses f itself, which must
//    therefore keep nothing with a destructor alive.
//  - run_entry(f): PostgreSQL calling C++ (every extern "C" entry point).
//    Any exception is caught, its facts are copied into plain buffers, and
//    only after the catch block is left is the error raised with ereport (or
//    the original PostgreSQL error rethrown, SQLSTATE and all).
//
#pragma once

#include <exception>
#include <new>

#include "scribe/core/error.hpp"
#include "scribe/pg/postgres.hpp"

namespace scribe::pg {

// scribe::sqlstate's names (include/scribe/core/sqlstate.hpp) are the
// values of PostgreSQL's ERRCODE_* macros of the same names.
constexpr int packed_sqlstate(const char (&code)[6]) {
  return MAKE_SQLSTATE(code[0], code[1], code[2], code[3], code[4]);
}
#define SCRIBE_SAME_SQLSTATE(name, errcode) \
  static_assert(packed_sqlstate(scribe::sqlstate::name) == (errcode), #name " is not " #errcode)
SCRIBE_SAME_SQLSTATE(kConnectionFailure, ERRCODE_CONNECTION_FAILURE);
SCRIBE_SAME_SQLSTATE(kFeatureNotSupported, ERRCODE_FEATURE_NOT_SUPPORTED);
SCRIBE_SAME_SQLSTATE(kNullValueNotAllowed, ERRCODE_NULL_VALUE_NOT_ALLOWED);
SCRIBE_SAME_SQLSTATE(kCharacterNotInRepertoire, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE);
SCRIBE_SAME_SQLSTATE(kInvalidParameterValue, ERRCODE_INVALID_PARAMETER_VALUE);
SCRIBE_SAME_SQLSTATE(kInvalidTextRepresentation, ERRCODE_INVALID_TEXT_REPRESENTATION);
SCRIBE_SAME_SQLSTATE(kActiveSqlTransaction, ERRCODE_ACTIVE_SQL_TRANSACTION);
SCRIBE_SAME_SQLSTATE(kReadOnlySqlTransaction, ERRCODE_READ_ONLY_SQL_TRANSACTION);
SCRIBE_SAME_SQLSTATE(kInvalidSchemaName, ERRCODE_INVALID_SCHEMA_NAME);
SCRIBE_SAME_SQLSTATE(kInsufficientPrivilege, ERRCODE_INSUFFICIENT_PRIVILEGE);
SCRIBE_SAME_SQLSTATE(kSyntaxError, ERRCODE_SYNTAX_ERROR);
SCRIBE_SAME_SQLSTATE(kDuplicateObject, ERRCODE_DUPLICATE_OBJECT);
SCRIBE_SAME_SQLSTATE(kUndefinedFunction, ERRCODE_UNDEFINED_FUNCTION);
SCRIBE_SAME_SQLSTATE(kUndefinedTable, ERRCODE_UNDEFINED_TABLE);
SCRIBE_SAME_SQLSTATE(kDiskFull, ERRCODE_DISK_FULL);
SCRIBE_SAME_SQLSTATE(kOutOfMemory, ERRCODE_OUT_OF_MEMORY);
SCRIBE_SAME_SQLSTATE(kConfigurationLimitExceeded, ERRCODE_CONFIGURATION_LIMIT_EXCEEDED);
SCRIBE_SAME_SQLSTATE(kProgramLimitExceeded, ERRCODE_PROGRAM_LIMIT_EXCEEDED);
SCRIBE_SAME_SQLSTATE(kObjectNotInPrerequisiteState, ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE);
SCRIBE_SAME_SQLSTATE(kObjectInUse, ERRCODE_OBJECT_IN_USE);
SCRIBE_SAME_SQLSTATE(kQueryCanceled, ERRCODE_QUERY_CANCELED);
SCRIBE_SAME_SQLSTATE(kAdminShutdown, ERRCODE_ADMIN_SHUTDOWN);
SCRIBE_SAME_SQLSTATE(kSystemError, ERRCODE_SYSTEM_ERROR);
SCRIBE_SAME_SQLSTATE(kIoError, ERRCODE_IO_ERROR);
SCRIBE_SAME_SQLSTATE(kInternalError, ERRCODE_INTERNAL_ERROR);
SCRIBE_SAME_SQLSTATE(kDataCorrupted, ERRCODE_DATA_CORRUPTED);
#undef SCRIBE_SAME_SQLSTATE

class PgError final : public std::exception {
 public:
  explicit PgError(ErrorData* edata) noexcept : edata_(edata) {}
  const char* what() const noexcept override {
    return edata_ != nullptr && edata_->message != nullptr ? edata_->message : "PostgreSQL error";
  }
  ErrorData* edata() const noexcept { return edata_; }

 private:
  ErrorData* edata_;
};

template <class F>
void call_pg(F&& f) {
  MemoryContext caller_context = CurrentMemoryContext;
  ErrorData* volatile edata = nullptr;  // set after the longjmp
  // A C++ exception must not leave a PG_TRY block (PG_exception_stack would
  // keep pointing at this frame), so one thrown by f is held and rethrown
  // after PG_END_TRY.
  std::exception_ptr cpp_error;
  PG_TRY();
  {
    try {
      f();
    } catch (...) {
      cpp_error = std::current_exception();
    }
  }
  PG_CATCH();
  {
    // CopyErrorData must not run in ErrorContext, which FlushErrorState resets.
    MemoryContextSwitchTo(caller_context);
    edata = CopyErrorData();
    FlushErrorState();
  }
  PG_END_TRY();
  if (edata != nullptr) throw PgError(edata);
  if (cpp_error) std::rethrow_exception(cpp_error);
}

namespace detail {

// Left uninitialized until an error is captured: run_entry wraps every
// decoded change, and clearing 3 kB there cost more than the change's SQL.
struct CapturedError {
  char sqlstate[6];
  char message[1024];
  char detail[1024];
  char hint[1024];
};

inline void copy_text(char* dst, std::size_t size, const char* src) noexcept {
  std::size_t i = 0;
  for (; src != nullptr && src[i] != '\0' && i + 1 < size; ++i) dst[i] = src[i];
  dst[i] = '\0';
}

inline void capture(CapturedError& e, const char* sqlstate, const char* message, const char* detail = nullptr,
                    const char* hint = nullptr) noexcept {
  copy_text(e.sqlstate, sizeof e.sqlstate, sqlstate);
  copy_text(e.message, sizeof e.message, message);
  copy_text(e.detail, sizeof e.detail, detail);
  copy_text(e.hint, sizeof e.hint, hint);
}

[[noreturn]] inline void raise_captured(const CapturedError& e) {
  ereport(ERROR, (errcode(MAKE_SQLSTATE(e.sqlstate[0], e.sqlstate[1], e.sqlstate[2], e.sqlstate[3], e.sqlstate[4])),
                  errmsg_internal("%s", e.message), e.detail[0] != '\0' ? errdetail_internal("%s", e.detail) : 0,
                  e.hint[0] != '\0' ? errhint("%s", e.hint) : 0));
  pg_unreachable();
}

}  // namespace detail

template <class F>
void run_entry(F&& f) {
  ErrorData* pg_error = nullptr;
  bool failed = false;
  detail::CapturedError captured;
  try {
    f();
  } catch (const PgError& e) {
    pg_error = e.edata();
  } catch (const scribe::Error& e) {
    failed = true;
    detail::capture(captured, e.sqlstate(), e.what(), e.detail().c_str(), e.hint().c_str());
  } catch (const std::bad_alloc&) {
    failed = true;
    detail::capture(captured, sqlstate::kOutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    failed = true;
    detail::capture(captured, sqlstate::kInternalError, e.what());
  } catch (...) {
    failed = true;
    detail::capture(captured, sqlstate::kInternalError, "unexpected C++ exception");
  }
  if (pg_error != nullptr) ReThrowError(pg_error);
  if (failed) detail::raise_captured(captured);
}

}  // namespace scribe::pg

// Defines the C entry point `name` of a SQL function whose C++ body is
// `impl(fcinfo)` (returning Datum): C++ exceptions become ereport(ERROR)
// through run_entry. `name` must be declared with C linkage
// (PG_FUNCTION_INFO_V1 in an extern "C" block).
#define SCRIBE_SQL_FUNCTION(name, impl)                           \
  Datum name(PG_FUNCTION_ARGS) {                                  \
    Datum scribe_result = 0;                                      \
    scribe::pg::run_entry([&] { scribe_result = impl(fcinfo); }); \
    return scribe_result;                                         \
  }
