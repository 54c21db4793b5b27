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
    detail::capture(captured, "53200", "out of memory");
  } catch (const std::exception& e) {
    failed = true;
    detail::capture(captured, "XX000", e.what());
  } catch (...) {
    failed = true;
    detail::capture(captured, "XX000", "unexpected C++ exception");
  }
  if (pg_error != nullptr) ReThrowError(pg_error);
  if (failed) detail::raise_captured(captured);
}

}  // namespace scribe::pg

// Defines the C entry point `name` of a SQL function whose C++ body is
// `impl(fcinfo)` (returning Datum): C++ exceptions become ereport(ERROR)
// through run_entry. `name` must be declared with C linkage
// (PG_FUNCTION_INFO_V1 in an extern "C" block).
#define SCRIBE_SQL_FUNCTION(name, impl)                              \
  Datum name(PG_FUNCTION_ARGS) {                                     \
    Datum scribe_result = 0;                                         \
    scribe::pg::run_entry([&] { scribe_result = impl(fcinfo); });    \
    return scribe_result;                                            \
  }
