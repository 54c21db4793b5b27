// Where a restore, a verification or a status report reads chains from: a
// backup directory, or an object-store repository (s3://bucket/prefix,
// settings from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY; see s3.hpp). Paths are built the same way for
// both (join_path(repo, "chain-X") / "base.sql"), so the readers only ask
// these functions and never whether the bytes come from a disk or a store.
// Remote files are streamed: nothing is staged on disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace scribe::repository {

bool is_remote(const std::string& path);
// Names directly inside `dir` (files and directories), sorted.
std::vector<std::string> list(const std::string& dir);
bool is_directory(const std::string& path);
bool exists(const std::string& path);
// A whole small file (manifest, metadata); refuses anything over max_bytes.
std::string read_small(const std::string& path, std::size_t max_bytes = 64u << 20);
// The file's bytes as stored, in chunks, in order; `chunk` returns false
// to stop early. Throws scribe::Error: 58P01 when the file is missing,
// 58030 when it cannot be read.
void read(const std::string& path, const std::function<bool(const char*, std::size_t)>& chunk);
// `length` bytes from `offset` of a file as stored (a ranged GET remotely).
void read_range(const std::string& path, std::uint64_t offset, std::uint64_t length,
                const std::function<void(const char*, std::size_t)>& chunk);
// Requests made to object stores so far by this thread (each thread has
// its own clients).
std::uint64_t remote_requests();

}  // namespace scribe::repository
