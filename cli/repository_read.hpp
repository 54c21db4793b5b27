// The client's reads of a repository that may be an object store
// (--repo s3://bucket/prefix): what actions.cpp and restore.cpp call where
// they used to open paths. See scribe/core/repository.hpp.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "scribe/core/chain.hpp"

namespace scribe {
class StoredFileCheck;
}

namespace pgscribe {

// decompress_file (actions.hpp) for a file in an object store: streamed
// from the store through the decompressor, never staged on disk.
bool decompress_remote_file(const std::string& path, const std::string& name,
                            const std::function<void(const char*, std::size_t)>& sink,
                            const std::function<bool(std::size_t)>& after_block, scribe::StoredFileCheck* check);
// `sink`, showing `check` (if any) the content on its way.
std::function<void(const char*, std::size_t)> checked_sink(const std::function<void(const char*, std::size_t)>& sink,
                                                           scribe::StoredFileCheck* check);
// The manifest of the chain at `chain_dir` (a directory or a store prefix).
scribe::Manifest load_chain_manifest(const std::string& chain_dir);
// The metadata.json (or any small file) of a chain, wherever it is.
std::string read_chain_file(const std::string& path, std::size_t max_bytes);
bool chain_file_exists(const std::string& path);

}  // namespace pgscribe
