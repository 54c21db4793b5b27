// The backup directory's layout (DESIGN.md, "The backup directory"): names
// of chains and diffs, and the manifest that lists every sealed file of a
// chain with what restore and verify need to trust it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scribe {

inline constexpr std::string_view kActiveFileName = "active.sql";
inline constexpr std::string_view kManifestFileName = "manifest.json";
inline constexpr std::string_view kMetadataFileName = "metadata.json";
inline constexpr std::string_view kGlobalsFileName = "globals.sql";
inline constexpr std::string_view kOwnerFileName = "scribe.json";

// UTC time as YYYYMMDDTHHMMSSZ, the names of chains and diffs (sortable as text).
std::string utc_name_timestamp(std::int64_t unix_seconds);
std::optional<std::int64_t> parse_name_timestamp(std::string_view text);
// A name for "now" that sorts after `previous` (empty: none): two rotations
// within one second still get distinct, ordered names.
std::string next_name_timestamp(std::int64_t unix_seconds_now, std::string_view previous);

std::string chain_dir_name(std::string_view chain_id);  // chain-<ID>
// chain-<ID> -> <ID>; empty optional for other names.
std::optional<std::string> chain_id_from_dir_name(std::string_view name);
// diff-<TS>.sql followed by the compression suffix (".zst", ...).
std::string diff_file_name(std::string_view timestamp, std::string_view suffix);
bool is_diff_file_name(std::string_view name);

// The first line of every diff file, and the last line of a sealed one.
std::string diff_header_line(std::string_view chain_id, std::uint64_t start_lsn);
std::string diff_trailer_line(std::uint64_t end_lsn, std::uint64_t transactions);

struct StoredFile {
  std::string file;  // name inside the chain directory
  std::uint64_t bytes = 0;
  std::string sha256;       // of the bytes as stored (compressed if compressed)
  std::string compression;  // canonical spec, "none" when plain
};

struct SealedDiff {
  StoredFile stored;
  std::uint64_t start_lsn = 0;  // the stream range [start_lsn, end_lsn) this diff covers;
  std::uint64_t end_lsn = 0;    // a chain's diffs join end to start without gap
  std::uint64_t transactions = 0;
  std::uint64_t first_commit_lsn = 0;  // 0 when there is no transaction
  std::uint64_t last_commit_lsn = 0;
  std::string first_commit_time;  // ISO 8601 UTC, "" when there is no transaction
  std::string last_commit_time;
  std::string sealed_at;
};

struct Manifest {
  std::string chain_id;
  std::uint64_t system_identifier = 0;
  std::string database;
  std::string slot;
  std::uint64_t start_lsn = 0;  // where the slot's stream begins: the base's snapshot
  std::string compression;
  StoredFile base;
  StoredFile globals;
  std::vector<SealedDiff> diffs;
  // Set when a newer chain took over: this chain's stream ends at end_lsn.
  bool closed = false;
  std::uint64_t end_lsn = 0;
  std::string next_chain;

  // Where the next diff starts: the end of the last one, or the chain's start.
  std::uint64_t stream_position() const { return diffs.empty() ? start_lsn : diffs.back().end_lsn; }
  // The commit LSN of the last transaction in a sealed diff (0: none).
  std::uint64_t last_commit_lsn() const;
};

std::string manifest_to_json(const Manifest& manifest);
// Throws scribe::Error (XX001) naming what is wrong with the document.
Manifest parse_manifest(std::string_view json);

}  // namespace scribe
