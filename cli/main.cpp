// pg_scribe: the command-line client of the scribe extension.
#include <cstdio>
#include <cstring>
#include <exception>

#include "actions.hpp"
#include "connection.hpp"
#include "options.hpp"
#include "report.hpp"
#include "script_runner.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/sqlstate.hpp"

#ifndef PG_SCRIBE_VERSION
#error "PG_SCRIBE_VERSION is set by cli/Makefile from scribe.control"
#endif

namespace pgscribe {
namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The exit code of the seed CLI spec for an error the server reported.
int exit_code_for(const DbError& e, Action action) {
  const std::string& state = e.sqlstate();
  const std::string message = e.what();
  if (e.connection_lost() || starts_with(state, "08") || starts_with(state, "57P")) return kExitConnection;
  if (message.find("replication slot") != std::string::npos) return kExitSlot;
  if (state == scribe::sqlstate::kInsufficientPrivilege || state == scribe::sqlstate::kUndefinedFunction ||
      state == scribe::sqlstate::kInvalidSchemaName || state == scribe::sqlstate::kUndefinedTable)
    return kExitError;
  if (starts_with(state, "22") || state == scribe::sqlstate::kDuplicateObject) return kExitInvalid;
  // scribe.init() refuses a server or database that fails validation, or a
  // directory that is not empty, with 55000/55006 before creating anything.
  if (action == Action::kInit &&
      (state == scribe::sqlstate::kObjectNotInPrerequisiteState || state == scribe::sqlstate::kObjectInUse))
    return kExitInvalid;
  return kExitBackup;
}

std::string with_sqlstate(const std::string& message, const std::string& sqlstate) {
  return sqlstate.empty() ? message : message + " (SQLSTATE " + sqlstate + ")";
}

int run(const Options& o) {
  switch (o.action) {
    // A table, one action per line: kept as written.
    // clang-format off
    case Action::kInit: return run_init(o);
    case Action::kStart: return run_start(o);
    case Action::kStop: return run_stop(o);
    case Action::kRotateDiff: return run_rotate_diff(o);
    case Action::kNewChain: return run_new_chain(o);
    case Action::kTeardown: return run_teardown(o);
    case Action::kStatus: return run_status(o);
    case Action::kRestore: return run_restore(o);
    case Action::kVerify: return run_verify(o);
    case Action::kFsBackupStart: return run_fs_backup_start(o);
    case Action::kFsBackupStop: return run_fs_backup_stop(o);
    case Action::kNone: break;
  }
  // clang-format on
  return kExitInvalid;
}

}  // namespace
}  // namespace pgscribe

int main(int argc, char** argv) {
  using namespace pgscribe;
  init_report();
  Options options;
  try {
    options = parse_options(argc, argv);
  } catch (const UsageError& e) {
    log_error(e.what(), {}, e.hint());
    return kExitInvalid;
  }
  if (options.show_help) {
    print_help();
    return kExitOk;
  }
  if (options.show_version) {
    std::printf("pg_scribe %s\n", PG_SCRIBE_VERSION);
    return kExitOk;
  }
  set_verbose(options.verbose);
  try {
    return run(options);
  } catch (const UsageError& e) {
    log_error(e.what(), {}, e.hint());
    return kExitInvalid;
  } catch (const ConnectError& e) {
    log_error(std::string("could not connect to the server: ") + e.what());
    return kExitConnection;
  } catch (const DbError& e) {
    log_error(with_sqlstate(e.what(), e.sqlstate()), e.detail(), e.hint());
    return exit_code_for(e, options.action);
  } catch (const ApplyError& e) {
    log_error(with_sqlstate(e.what(), e.sqlstate()), e.detail(), e.hint());
    return kExitBackup;
  } catch (const ActionError& e) {
    log_error(e.what(), e.detail(), e.hint());
    return e.exit_code();
  } catch (const scribe::Error& e) {
    log_error(with_sqlstate(e.what(), e.sqlstate()), e.detail(), e.hint());
    return kExitBackup;
  } catch (const std::bad_alloc&) {
    log_error("out of memory");
    return kExitError;
  } catch (const std::exception& e) {
    log_error(e.what());
    return kExitError;
  }
}
