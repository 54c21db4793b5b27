// The actions of pg_scribe. Each returns the process exit code; errors are
// thrown (DbError, ConnectError, UsageError, scribe::Error, ActionError) and
// reported by main().
#pragma once

#include <stdexcept>
#include <functional>
#include <string>
#include <vector>

#include "options.hpp"

namespace scribe {
class StoredFileCheck;
}

namespace pgscribe {

// Exit codes of the seed CLI spec.
enum ExitCode {
  kExitOk = 0,
  kExitError = 1,
  kExitConnection = 2,
  kExitSlot = 3,
  kExitBackup = 4,
  kExitInvalid = 5,
  kExitWarnings = 10,
};

// A failure with its own exit code and message.
class ActionError : public std::runtime_error {
 public:
  ActionError(int exit_code, const std::string& message, std::string detail = {}, std::string hint = {})
      : std::runtime_error(message), exit_code_(exit_code), detail_(std::move(detail)), hint_(std::move(hint)) {}
  int exit_code() const { return exit_code_; }
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }

 private:
  int exit_code_;
  std::string detail_, hint_;
};

int run_init(const Options& options);
int run_start(const Options& options);
int run_stop(const Options& options);
int run_rotate_diff(const Options& options);
int run_new_chain(const Options& options);
int run_teardown(const Options& options);
int run_status(const Options& options);
int run_restore(const Options& options);
int run_verify(const Options& options);
int run_fs_backup_start(const Options& options);
int run_fs_backup_stop(const Options& options);

// Reads the backup file `path` (`name` in messages) block by block through
// the decompressor its name calls for, into `sink`. After each block,
// `after_block` (when given) is told how many bytes were read; returning
// false stops there (the rest is not read). Returns false when stopped.
// `check` (when given) sees every block as stored and the content as
// decompressed: the file is checked against the manifest in this same read
// (complete only when this returns true). Throws ActionError (4) when the
// file cannot be opened or read, or is not a regular file.
bool decompress_file(const std::string& path, const std::string& name,
                     const std::function<void(const char*, std::size_t)>& sink,
                     const std::function<bool(std::size_t)>& after_block = {},
                     scribe::StoredFileCheck* check = nullptr);

// The chains of a backup directory, oldest first (by their id).
std::vector<std::string> list_chain_ids(const std::string& backup_dir);
// The chain --chain-id names (ID or chain-ID), or the latest; throws ActionError (4).
std::string pick_chain(const std::string& backup_dir, const std::string& requested);

}  // namespace pgscribe
