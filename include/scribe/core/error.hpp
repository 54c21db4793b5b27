// Errors raised by the pure core. They carry what ereport needs (SQLSTATE,
// message, detail, hint) so the server-facing wrappers can report them in
// PostgreSQL's style without the core depending on server headers.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "scribe/core/sqlstate.hpp"

namespace scribe {

class Error : public std::runtime_error {
 public:
  Error(const char* sqlstate, std::string message, std::string detail = {}, std::string hint = {})
      : std::runtime_error(std::move(message)), detail_(std::move(detail)), hint_(std::move(hint)) {
    // Copied, not pointed to: the code may live in a buffer that is gone
    // before the exception is caught (the worker's answer to a request).
    const char* code = sqlstate != nullptr && sqlstate[0] != '\0' ? sqlstate : sqlstate::kInternalError;
    for (std::size_t i = 0; i + 1 < sizeof sqlstate_ && code[i] != '\0'; i++) sqlstate_[i] = code[i];
  }

  const char* sqlstate() const noexcept { return sqlstate_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  char sqlstate_[6] = {};
  std::string detail_;
  std::string hint_;
};

}  // namespace scribe
