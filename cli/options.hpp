// The command line of pg_scribe (the seed CLI spec): one action flag,
// PostgreSQL's connection options, and the options of each action.
#pragma once

#include <stdexcept>
#include <string>

#include "connection.hpp"

namespace pgscribe {

enum class Action {
  kNone,
  kInit,
  kStart,
  kStop,
  kRotateDiff,
  kNewChain,
  kRestore,
  kVerify,
  kStatus,
  kTeardown,
  kFsBackupStart,
  kFsBackupStop,
};

const char* action_flag(Action action);  // "--init", ...

struct Options {
  Action action = Action::kNone;
  ConnectionOptions connection;
  bool verbose = false;
  bool show_help = false;
  bool show_version = false;

  std::string backup_dir;
  std::string slot;  // empty: pg_scribe
  std::string compress;
  bool force = false;
  std::string repository;  // --init: s3://bucket/prefix

  // --restore
  bool create = false;
  std::string chain_id;
  std::string up_to;
  bool include_active = false;
  bool no_sync_sequences = false;
  bool allow_non_empty = false;
  bool unconfined = false;     // --restore: owners' code runs with the restorer's rights
  bool fire_triggers = false;  // --restore: replica-firing triggers fire on replay
  bool no_globals = false;
  int jobs = 1;  // --restore: connections restoring the base in parallel

  // --teardown
  bool keep_slot = false;

  // --fs-backup-start, --fs-backup-stop
  std::string label;
  bool fast = false;
  std::string timeout;  // seconds, checked to be a number >= 0; empty: the server's default
  std::string backup_label_file;
  std::string tablespace_map_file;
  std::string wal_list_file;
  bool no_wait_for_archive = false;
};

// Invalid arguments (exit code 5).
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message, std::string hint = "Try \"pg_scribe --help\" for more information.")
      : std::runtime_error(message), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

// Parses argv; throws UsageError. Checks what each action requires.
Options parse_options(int argc, char** argv);

void print_help();

}  // namespace pgscribe
