#include "scribe/core/chain_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include "scribe/core/diff_scan.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fault.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/replay_settings.hpp"
#include "scribe/core/digest.hpp"

namespace scribe {
namespace {

constexpr std::size_t kReadChunk = 1 << 20;

const std::string kActive(kActiveFileName);

template <class Consume>
void read_file_in_chunks(const std::string& path, Consume consume) {
  File file(path, File::Mode::kRead);
  std::unique_ptr<char[]> buf(new char[kReadChunk]);
  for (;;) {
    const std::size_t n = file.read_some(buf.get(), kReadChunk);
    if (n == 0) break;
    consume(buf.get(), n);
  }
}

void note_transaction(SealedDiff& diff, const DiffTransaction& txn) {
  if (diff.transactions == 0) {
    diff.first_commit_lsn = txn.commit_lsn;
    diff.first_commit_time = txn.commit_time;
  }
  diff.last_commit_lsn = txn.commit_lsn;
  diff.last_commit_time = txn.commit_time;
  diff.transactions++;
}

}  // namespace

void create_active_file(const std::string& chain_dir, const std::string& chain_id, std::uint64_t start_lsn,
                        const std::string& encoding) {
  std::string text = diff_header_line(chain_id, start_lsn);
  append_replay_settings(text, encoding);
  const std::string path = join_path(chain_dir, kActive);
  const std::string temporary = path + ".tmp";
  File file(temporary, File::Mode::kTruncate);
  file.write_all(text);
  file.sync();
  file.close();
  rename_durably(temporary, path);
}

ActiveFileState recover_active_file(const std::string& chain_dir, const std::string& chain_id,
                                    std::uint64_t fallback_start_lsn, const std::string& encoding) {
  const std::string path = join_path(chain_dir, kActive);
  DiffScanner scanner;
  read_file_in_chunks(path, [&](const char* data, std::size_t n) { scanner.feed(data, n); });
  scanner.finish();
  ActiveFileState state;
  const DiffFileInfo& info = scanner.info();
  if (scanner.transactions() == 0 && (!info.has_start || info.chain_id != chain_id)) {
    // Torn inside its header or prologue: nothing of value, start it again.
    const std::uint64_t start = info.has_start && info.chain_id == chain_id ? info.start_lsn : fallback_start_lsn;
    state.torn_bytes = scanner.bytes_fed();
    create_active_file(chain_dir, chain_id, start, encoding);
    state.start_lsn = start;
    state.size = File(path, File::Mode::kRead).size();
    return state;
  }
  if (!info.has_start || info.chain_id != chain_id)
    throw Error(sqlstate::kDataCorrupted, "file \"" + path + "\" does not belong to chain " + chain_id,
                "Its first line is not \"" + diff_header_line(chain_id, 0).substr(0, 40) + "...\".",
                "Move the file away and start a new chain with scribe.new_chain().");
  if (info.sealed && scanner.transactions() == 0) {
    // A crash between the trailer's fsync and the rename in
    // seal_active_file(), with nothing but the prologue before it: start
    // the file again (the next rotation seals the same, empty, range).
    state.torn_bytes = scanner.bytes_fed();
    state.unsealed = true;
    create_active_file(chain_dir, chain_id, info.start_lsn, encoding);
    state.start_lsn = info.start_lsn;
    state.size = File(path, File::Mode::kRead).size();
    return state;
  }
  state.start_lsn = info.start_lsn;
  state.transactions = scanner.transactions();
  state.last_commit_lsn = scanner.last_transaction() ? scanner.last_transaction()->commit_lsn : 0;
  state.size = scanner.clean_end();
  if (info.sealed) {
    // The same crash after whole transactions: the trailer (sequence values
    // and the "sealed" line) follows the last one. Take it off, as a failed
    // rename does: active.sql goes on, the next rotation seals it again.
    state.size = scanner.last_transaction()->end_offset;
    state.unsealed = true;
  }
  state.torn_bytes = scanner.bytes_fed() - state.size;
  if (state.torn_bytes > 0) {
    File file(path, File::Mode::kAppend);
    file.truncate(state.size);
    file.sync();
  }
  return state;
}

SealedDiff seal_active_file(const SealRequest& request) {
  const std::string active_path = join_path(request.chain_dir, kActive);
  const char* suffix = file_suffix(request.compression.method);
  const std::string final_name = diff_file_name(request.file_timestamp, suffix);
  const std::string final_path = join_path(request.chain_dir, final_name);
  if (path_exists(final_path))
    throw Error(sqlstate::kIoError, "diff file \"" + final_path + "\" already exists", {}, "Try the rotation again.");

  SealedDiff diff;
  diff.stored.file = final_name;
  diff.stored.compression = to_string(request.compression);
  diff.end_lsn = request.end_lsn;
  diff.sealed_at = request.sealed_at;

  DiffScanner scanner([&](const DiffTransaction& txn) { note_transaction(diff, txn); });
  Sha256 hash;
  std::uint64_t stored_bytes = 0;
  const bool compressed = request.compression.method != CompressionMethod::kNone;

  if (!compressed) {
    // Hash and scan the file as it is, then append the trailer in place:
    // one read, and a failure before the rename only needs a truncate.
    File active(active_path, File::Mode::kAppend);
    const std::uint64_t original_size = active.size();
    read_file_in_chunks(active_path, [&](const char* data, std::size_t n) {
      scanner.feed(data, n);
      hash.update(data, n);
    });
    scanner.finish();
    if (!scanner.at_clean_end() || scanner.in_transaction())
      throw Error(sqlstate::kInternalError, "active.sql does not end with a whole transaction", {},
                  "This is a bug; please report it.");
    const std::string tail = request.sequences_sql + diff_trailer_line(request.end_lsn, scanner.transactions());
    // Until the rename, a failure takes the trailer off again: active.sql
    // goes on as it was.
    auto restore_active = [&] {
      try {
        File again(active_path, File::Mode::kAppend);
        again.truncate(original_size);
        again.sync();
      } catch (...) {
      }
    };
    try {
      active.write_all(tail);
      active.sync();
      active.close();
    } catch (...) {
      restore_active();
      throw;
    }
    hash.update(tail.data(), tail.size());
    stored_bytes = original_size + tail.size();
    fault_point("seal_before_rename");
    if (::rename(active_path.c_str(), final_path.c_str()) != 0) {
      const int err = errno;
      restore_active();
      throw_io_error("rename file to \"" + final_path + "\"", active_path, err);
    }
    fsync_directory(request.chain_dir);
  } else {
    const std::string temporary = final_path + ".tmp";
    try {
      File out(temporary, File::Mode::kTruncate);
      auto compressor = make_compressor(request.compression, [&](const char* data, std::size_t n) {
        out.write_all(data, n);
        hash.update(data, n);
        stored_bytes += n;
      });
      read_file_in_chunks(active_path, [&](const char* data, std::size_t n) {
        scanner.feed(data, n);
        compressor->write(data, n);
      });
      scanner.finish();
      if (!scanner.at_clean_end() || scanner.in_transaction())
        throw Error(sqlstate::kInternalError, "active.sql does not end with a whole transaction", {},
                    "This is a bug; please report it.");
      const std::string tail = request.sequences_sql + diff_trailer_line(request.end_lsn, scanner.transactions());
      compressor->write(tail.data(), tail.size());
      compressor->finish();
      out.sync();
      out.close();
    } catch (...) {
      try {
        remove_file(temporary);
      } catch (...) {
      }
      throw;
    }
    fault_point("seal_before_rename");
    rename_durably(temporary, final_path);
    // A crash here leaves both; reconcile_chain removes active.sql because a
    // sealed diff with the same start exists.
    remove_file(active_path);
    fsync_directory(request.chain_dir);
  }
  diff.start_lsn = scanner.info().start_lsn;
  diff.stored.bytes = stored_bytes;
  diff.stored.sha256 = hash.hex();
  return diff;
}

SealedDiff describe_sealed_diff(const std::string& chain_dir, const std::string& file_name,
                                const std::string& sealed_at) {
  const std::string path = join_path(chain_dir, file_name);
  SealedDiff diff;
  diff.stored.file = file_name;
  diff.sealed_at = sealed_at;
  DiffScanner scanner([&](const DiffTransaction& txn) { note_transaction(diff, txn); });
  Sha256 hash;
  const CompressionMethod method = method_for_file_name(file_name);
  auto decompressor = make_decompressor(method, [&](const char* data, std::size_t n) { scanner.feed(data, n); });
  read_file_in_chunks(path, [&](const char* data, std::size_t n) {
    hash.update(data, n);
    diff.stored.bytes += n;
    decompressor->write(data, n);
  });
  decompressor->finish();
  scanner.finish();
  const DiffFileInfo& info = scanner.info();
  if (!info.has_start || !info.sealed || scanner.in_transaction() || !scanner.at_clean_end())
    throw Error(sqlstate::kDataCorrupted, "diff file \"" + path + "\" is not whole",
                "A sealed diff starts with its chain header and ends with the sealed trailer.",
                "Move the file away; the transactions it held are lost to this chain: start a new chain.");
  diff.stored.sha256 = hash.hex();
  diff.stored.compression = method == CompressionMethod::kNone ? "none" : method_name(method);
  diff.start_lsn = info.start_lsn;
  diff.end_lsn = info.end_lsn;
  return diff;
}

void save_manifest(const std::string& chain_dir, const Manifest& manifest) {
  write_file_atomically(join_path(chain_dir, std::string(kManifestFileName)), manifest_to_json(manifest));
}

Manifest load_manifest(const std::string& chain_dir) {
  return parse_manifest(read_small_file(join_path(chain_dir, std::string(kManifestFileName))));
}

bool reconcile_chain(const std::string& chain_dir, Manifest& manifest, const std::string& now_iso) {
  bool changed = false;
  std::vector<std::string> orphans;
  for (const std::string& name : list_directory(chain_dir)) {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
      remove_file(join_path(chain_dir, name));
      changed = true;
      continue;
    }
    if (!is_diff_file_name(name)) continue;
    const bool listed = std::any_of(manifest.diffs.begin(), manifest.diffs.end(),
                                    [&](const SealedDiff& d) { return d.stored.file == name; });
    if (!listed) orphans.push_back(name);
  }
  // An uncompressed name and a compressed one of the same diff: the
  // compressed file was completed (it is renamed into place only then).
  for (auto it = orphans.begin(); it != orphans.end();) {
    const std::string plain = *it;
    const bool has_compressed = plain.size() > 4 && plain.compare(plain.size() - 4, 4, ".sql") == 0 &&
                                std::any_of(orphans.begin(), orphans.end(), [&](const std::string& other) {
                                  return other != plain && other.rfind(plain, 0) == 0;
                                });
    if (has_compressed) {
      remove_file(join_path(chain_dir, plain));
      it = orphans.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  std::sort(orphans.begin(), orphans.end());
  for (const std::string& name : orphans) {
    SealedDiff diff = describe_sealed_diff(chain_dir, name, now_iso);
    if (diff.start_lsn != manifest.stream_position())
      throw Error(sqlstate::kDataCorrupted,
                  "diff file \"" + join_path(chain_dir, name) + "\" does not continue the chain",
                  "The chain's stream is at the position the manifest records; the file starts elsewhere.",
                  "Move the file away and start a new chain with scribe.new_chain().");
    manifest.diffs.push_back(std::move(diff));
    changed = true;
  }
  const std::string active_path = join_path(chain_dir, kActive);
  if (path_exists(active_path) && !manifest.diffs.empty()) {
    // active.sql that a sealed diff already holds: its compression finished.
    DiffScanner scanner;
    char buf[4096];
    File file(active_path, File::Mode::kRead);
    const std::size_t n = file.read_some(buf, sizeof buf);
    scanner.feed(buf, n);
    if (scanner.info().has_start && scanner.info().start_lsn == manifest.diffs.back().start_lsn &&
        manifest.diffs.back().end_lsn != manifest.diffs.back().start_lsn) {
      remove_file(active_path);
      fsync_directory(chain_dir);
      changed = true;
    }
  }
  if (changed) save_manifest(chain_dir, manifest);
  return changed;
}

}  // namespace scribe
