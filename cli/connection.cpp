#include "connection.hpp"

#include "report.hpp"
#include "scribe/core/sqlstate.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace pgscribe {

namespace {

std::string field(const PGresult* result, int code) {
  const char* value = result != nullptr ? PQresultErrorField(result, code) : nullptr;
  return value != nullptr ? value : "";
}

std::string trim_message(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string g_password;  // kept for the second connection of one run (restore --create)

}  // namespace

std::string prompt_password(const char* prompt) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  FILE* in = tty != nullptr ? tty : stdin;
  FILE* out = tty != nullptr ? tty : stderr;
  std::fputs(prompt, out);
  std::fflush(out);
  termios saved{};
  const bool is_tty = tcgetattr(fileno(in), &saved) == 0;
  if (is_tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(in), TCSAFLUSH, &quiet);
  }
  std::string password;
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n') password.push_back(static_cast<char>(c));
  if (is_tty) {
    tcsetattr(fileno(in), TCSAFLUSH, &saved);
    std::fputs("\n", out);
  }
  if (tty != nullptr) std::fclose(tty);
  return password;
}

[[noreturn]] void throw_result_error(PGconn* conn, const PGresult* result) {
  std::string message = field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = trim_message(conn != nullptr ? PQerrorMessage(conn) : "unknown error");
  const bool lost = conn != nullptr && PQstatus(conn) == CONNECTION_BAD;
  std::string sqlstate = field(result, PG_DIAG_SQLSTATE);
  if (sqlstate.empty() && lost) sqlstate = scribe::sqlstate::kConnectionFailure;
  throw DbError(message, sqlstate, field(result, PG_DIAG_MESSAGE_DETAIL), field(result, PG_DIAG_MESSAGE_HINT), lost);
}

int Rows::column(const char* name) const {
  const int col = PQfnumber(result_.get(), name);
  if (col < 0) throw DbError(std::string("result has no column \"") + name + "\"", scribe::sqlstate::kInternalError);
  return col;
}

std::string Rows::get(int row, const char* name) const { return get(row, column(name)); }
bool Rows::is_null(int row, const char* name) const { return is_null(row, column(name)); }

Connection::Connection(const ConnectionOptions& options, const std::string& dbname_override) {
  const bool override_db = !dbname_override.empty();
  for (int attempt = 0; attempt < 2; attempt++) {
    std::vector<const char*> keys, values;
    auto add = [&](const char* key, const std::string& value) {
      if (value.empty()) return;
      keys.push_back(key);
      values.push_back(value.c_str());
    };
    // dbname first with expand_dbname: a connection string given to -d
    // sets what it names, and the options after it override the rest, as
    // in pg_dump.
    if (override_db) {
      if (!options.dbname.empty()) add("dbname", options.dbname);
    } else {
      add("dbname", options.dbname);
    }
    add("host", options.host);
    add("port", options.port);
    add("user", options.username);
    if (options.password == ConnectionOptions::Password::kPrompt && g_password.empty())
      g_password = prompt_password("Password: ");
    add("password", g_password);
    if (override_db) {
      // A second dbname after the expanded one replaces only the database.
      keys.push_back("dbname");
      values.push_back(dbname_override.c_str());
    }
    keys.push_back("fallback_application_name");
    values.push_back("pg_scribe");
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
    if (conn_ == nullptr) throw ConnectError("out of memory");
    if (PQstatus(conn_) == CONNECTION_OK) break;
    const bool retry = attempt == 0 && PQconnectionNeedsPassword(conn_) && g_password.empty() &&
                       options.password != ConnectionOptions::Password::kNever;
    if (!retry) {
      std::string message = trim_message(PQerrorMessage(conn_));
      PQfinish(conn_);
      conn_ = nullptr;
      throw ConnectError(message);
    }
    PQfinish(conn_);
    conn_ = nullptr;
    g_password = prompt_password("Password: ");
  }
  password_ = g_password;
  // Server WARNINGs (what init found, cleanups) are shown as ours; NOTICEs
  // only with -v.
  PQsetNoticeReceiver(
      conn_,
      [](void*, const PGresult* notice) {
        // Called from inside libpq (C): nothing may be thrown through it.
        try {
          const std::string severity = field(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
          const std::string message = field(notice, PG_DIAG_MESSAGE_PRIMARY);
          if (severity == "WARNING")
            log_warning(message, field(notice, PG_DIAG_MESSAGE_DETAIL), field(notice, PG_DIAG_MESSAGE_HINT));
          else
            log_verbose("server: " + message);
        } catch (...) {
        }
      },
      nullptr);
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Rows Connection::exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  PGresult* raw;
  if (params.empty()) {
    raw = PQexec(conn_, sql.c_str());
  } else {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    raw =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  }
  ResultPtr result(raw);
  const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
    throw_result_error(conn_, raw);
  return Rows(std::move(result));
}

namespace {

std::string escaped(PGconn* conn, char* quoted) {
  if (quoted == nullptr) throw DbError(trim_message(PQerrorMessage(conn)), scribe::sqlstate::kCharacterNotInRepertoire);
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

}  // namespace

std::string Connection::quote_identifier(const std::string& name) const {
  return escaped(conn_, PQescapeIdentifier(conn_, name.c_str(), name.size()));
}

std::string Connection::quote_literal(const std::string& value) const {
  return escaped(conn_, PQescapeLiteral(conn_, value.c_str(), value.size()));
}

CatalogSearchPath::CatalogSearchPath(Connection& conn) : conn_(conn) {
  saved_ = conn_.exec("SELECT pg_catalog.current_setting('search_path')").get(0, 0);
  conn_.exec("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false)");
}

CatalogSearchPath::~CatalogSearchPath() {
  // A failed transaction refuses this; its rollback puts the path back.
  try {
    conn_.exec("SELECT pg_catalog.set_config('search_path', $1, false)", {saved_});
  } catch (...) {
  }
}

}  // namespace pgscribe
