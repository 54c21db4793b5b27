// See repository_read.hpp.
#include "repository_read.hpp"

#include "actions.hpp"
#include "report.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/chain_verify.hpp"
#include "scribe/core/compression.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/repository.hpp"

namespace pgscribe {

std::function<void(const char*, std::size_t)> checked_sink(const std::function<void(const char*, std::size_t)>& sink,
                                                           scribe::StoredFileCheck* check) {
  if (check == nullptr) return sink;
  return [&sink, check](const char* data, std::size_t n) {
    check->content(data, n);
    sink(data, n);
  };
}

bool decompress_remote_file(const std::string& path, const std::string& name,
                            const std::function<void(const char*, std::size_t)>& sink,
                            const std::function<bool(std::size_t)>& after_block, scribe::StoredFileCheck* check) {
  auto decompressor = scribe::make_decompressor(scribe::method_for_file_name(name), checked_sink(sink, check));
  bool whole = true;
  try {
    scribe::repository::read(path, [&](const char* data, std::size_t n) {
      if (check != nullptr) check->stored(data, n);
      decompressor->write(data, n);
      if (after_block && !after_block(n)) whole = false;
      return whole;
    });
  } catch (const scribe::Error& e) {
    if (std::string(e.sqlstate()).rfind("58", 0) == 0)
      throw ActionError(kExitBackup, "could not read " + name + ": " + e.what(), path);
    throw;
  }
  if (!whole) return false;
  decompressor->finish();
  return true;
}

scribe::Manifest load_chain_manifest(const std::string& chain_dir) {
  if (!scribe::repository::is_remote(chain_dir)) return scribe::load_manifest(chain_dir);
  return scribe::parse_manifest(
      scribe::repository::read_small(scribe::join_path(chain_dir, std::string(scribe::kManifestFileName))));
}

std::string read_chain_file(const std::string& path, std::size_t max_bytes) {
  return scribe::repository::read_small(path, max_bytes);
}

bool chain_file_exists(const std::string& path) { return scribe::repository::exists(path); }

}  // namespace pgscribe
