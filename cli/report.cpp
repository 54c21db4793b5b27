#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "scribe/core/format.hpp"

namespace pgscribe {

namespace {

bool g_color = false;
bool g_verbose = false;

// PostgreSQL's default colours (src/common/logging.c): error bold red,
// warning bold magenta, note bold cyan.
constexpr const char* kErrorColor = "01;31";
constexpr const char* kWarningColor = "01;35";
constexpr const char* kNoteColor = "01;36";
constexpr const char* kProgram = "pg_scribe";

void emit(const char* level, const char* color, const std::string& text) {
  if (g_color)
    std::fprintf(stderr, "%s: \033[%sm%s:\033[0m %s\n", kProgram, color, level, text.c_str());
  else
    std::fprintf(stderr, "%s: %s: %s\n", kProgram, level, text.c_str());
}

void emit_with_details(const char* level, const char* color, const std::string& message, const std::string& detail,
                       const std::string& hint) {
  emit(level, color, message);
  if (!detail.empty()) emit("detail", kNoteColor, detail);
  if (!hint.empty()) emit("hint", kNoteColor, hint);
}

}  // namespace

void init_report() {
  // As PostgreSQL's client programs: colour only when PG_COLOR asks for it.
  const char* pg_color = std::getenv("PG_COLOR");
  if (pg_color == nullptr) return;
  const char* term = std::getenv("TERM");
  if (std::strcmp(pg_color, "always") == 0 || (std::strcmp(pg_color, "auto") == 0 && isatty(STDERR_FILENO) &&
                                               term != nullptr && std::strcmp(term, "dumb") != 0))
    g_color = true;
}

void set_verbose(bool on) { g_verbose = on; }
bool verbose() { return g_verbose; }

void log_error(const std::string& message, const std::string& detail, const std::string& hint) {
  emit_with_details("error", kErrorColor, message, detail, hint);
}

void log_warning(const std::string& message, const std::string& detail, const std::string& hint) {
  emit_with_details("warning", kWarningColor, message, detail, hint);
}

void log_line(const std::string& text) { std::fprintf(stderr, "%s\n", text.c_str()); }

void log_done(const std::string& text) {
  if (g_color)
    std::fprintf(stderr, "\033[32m✓\033[0m %s\n", text.c_str());
  else
    std::fprintf(stderr, "✓ %s\n", text.c_str());
}

void log_verbose(const std::string& text) {
  if (g_verbose) std::fprintf(stderr, "%s: %s\n", kProgram, text.c_str());
}

Progress::Progress(std::string what, std::uint64_t total_bytes)
    : what_(std::move(what)), total_(total_bytes), enabled_(isatty(STDERR_FILENO) != 0), start_(Clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t bytes_done, std::uint64_t transactions) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (shown_ && now - last_draw_ < std::chrono::milliseconds(250)) return;
  last_draw_ = now;
  shown_ = true;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(bytes_done) / elapsed : 0;
  std::string line = what_ + ": " + scribe::size_text(bytes_done);
  if (total_ > 0) {
    line += fmt::format(
        " of {} ({}%)", scribe::size_text(total_),
        static_cast<int>(100.0 * static_cast<double>(std::min(bytes_done, total_)) / static_cast<double>(total_)));
  }
  if (transactions > 0) line += ", " + scribe::count_text(transactions) + " transactions";
  line += ", " + scribe::size_text(static_cast<std::uint64_t>(rate)) + "/s";
  if (total_ > bytes_done && rate > 0)
    line += ", ETA " + scribe::duration_text(static_cast<double>(total_ - bytes_done) / rate);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace pgscribe
