// Messages to stderr in the style of PostgreSQL's client programs
// ("pg_scribe: error: ...", "pg_scribe: detail: ...", "pg_scribe: hint: ..."),
// coloured when PG_COLOR says so, and a progress line for long work that
// shows only on a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace pgscribe {

void init_report();
void set_verbose(bool on);
bool verbose();

void log_error(const std::string& message, const std::string& detail = {}, const std::string& hint = {});
void log_warning(const std::string& message, const std::string& detail = {}, const std::string& hint = {});
// A line of the action's own output (stderr, as the seed CLI prints it).
void log_line(const std::string& text);
// "✓ text": a step done.
void log_done(const std::string& text);
void log_verbose(const std::string& text);

// "bytes done of total, transactions, rate, ETA", redrawn in place at most
// a few times a second, only when stderr is a terminal.
class Progress {
 public:
  Progress(std::string what, std::uint64_t total_bytes);
  ~Progress();
  void update(std::uint64_t bytes_done, std::uint64_t transactions);
  void finish();  // clears the line

 private:
  using Clock = std::chrono::steady_clock;
  std::string what_;
  std::uint64_t total_;
  bool enabled_;
  bool shown_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace pgscribe
