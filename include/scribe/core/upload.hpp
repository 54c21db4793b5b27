// Copies a backup directory's sealed files to an object-store repository,
// in order, each once: per chain the base, globals, metadata and diffs as
// the manifest lists them, then the manifest (so the store never holds a
// manifest naming an object it lacks), chains oldest first (a chain's last
// diff, sealed when the next chain took over, follows that chain's base:
// it is sealed after the base exists; a chain that nothing can close never
// holds back the next). What the store
// confirmed is recorded durably in <backup_dir>/uploads/ (one small file
// per chain), which makes the work restartable after any crash. active.sql
// is never uploaded: only sealed files are.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "scribe/core/s3.hpp"

namespace scribe {

inline constexpr std::string_view kUploadStateDirName = "uploads";

struct UploadOptions {
  bool remove_local = false;  // remove a base, globals or diff once the store confirmed it
};

struct UploadProgress {
  std::uint32_t files_waiting = 0;  // sealed files (and changed manifests) not in the store yet
  std::uint64_t bytes_waiting = 0;
  std::uint64_t files_uploaded = 0;  // by this call
  std::uint64_t bytes_uploaded = 0;
  std::string last_uploaded;  // object key
};

// One pass over the backup directory. `report` is called before the first
// upload and after each one. Throws scribe::Error at the first failure;
// what was confirmed before it stays recorded.
UploadProgress upload_backup_dir(s3::Client& client, const std::string& backup_dir, const UploadOptions& options,
                                 const std::function<void(const UploadProgress&)>& report);

}  // namespace scribe
