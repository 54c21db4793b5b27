// A libpq connection with PostgreSQL's client conventions: -d may be a
// connection string, PG* variables and .pgpass apply, -w never prompts, -W
// prompts first, and otherwise a password is asked for only when the server
// wants one. Errors become DbError with the SQLSTATE the server sent.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgscribe {

struct ConnectionOptions {
  std::string dbname;  // may be a connection string
  std::string host;
  std::string port;
  std::string username;
  enum class Password { kIfNeeded, kNever, kPrompt } password = Password::kIfNeeded;
};

class DbError : public std::runtime_error {
 public:
  DbError(std::string message, std::string sqlstate, std::string detail = {}, std::string hint = {},
          bool connection_lost = false)
      : std::runtime_error(std::move(message)),
        sqlstate_(std::move(sqlstate)),
        detail_(std::move(detail)),
        hint_(std::move(hint)),
        connection_lost_(connection_lost) {}
  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }
  bool connection_lost() const { return connection_lost_; }

 private:
  std::string sqlstate_, detail_, hint_;
  bool connection_lost_;
};

// A failure to connect at all (exit code 2).
class ConnectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class Rows {
 public:
  explicit Rows(ResultPtr result) : result_(std::move(result)) {}
  int count() const { return PQntuples(result_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string get(int row, int col) const { return PQgetvalue(result_.get(), row, col); }
  std::string get(int row, const char* column) const;
  bool is_null(int row, const char* column) const;
  std::string command_tuples() const { return PQcmdTuples(result_.get()); }

 private:
  int column(const char* name) const;
  ResultPtr result_;
};

// Throws DbError for the error result `result` (taking its fields).
[[noreturn]] void throw_result_error(PGconn* conn, const PGresult* result);

class Connection {
 public:
  // `dbname_override`, when not empty, replaces the database of `options`
  // (keeping host, port and user): restore connects to a maintenance
  // database to create its target.
  Connection(const ConnectionOptions& options, const std::string& dbname_override = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* get() const { return conn_; }
  std::string database() const { return PQdb(conn_); }

  // One statement (or several without parameters); throws DbError.
  Rows exec(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  std::string quote_identifier(const std::string& name) const;
  std::string quote_literal(const std::string& value) const;

  // The password used, if one was prompted for, to reuse on a second connection.
  const std::string& prompted_password() const { return password_; }

 private:
  PGconn* conn_ = nullptr;
  std::string password_;
};

// pg_scribe's own catalog queries on a connection whose search_path is not
// its own (the replay's, set by the files it applies): while this lives,
// search_path is pg_catalog, pg_temp, so that no operator, function or
// type a role of the backup created on the path can stand in for
// pg_catalog's (an exact match anywhere on the path wins over pg_catalog's
// coerced one: oid = regclass, real < integer; the CVE-2018-1058 class).
// The path in effect before is put back when it goes.
class CatalogSearchPath {
 public:
  explicit CatalogSearchPath(Connection& conn);
  ~CatalogSearchPath();
  CatalogSearchPath(const CatalogSearchPath&) = delete;
  CatalogSearchPath& operator=(const CatalogSearchPath&) = delete;

 private:
  Connection& conn_;
  std::string saved_;
};

std::string prompt_password(const char* prompt);

}  // namespace pgscribe
