// See upload.hpp. The order of the work is the order a restore needs:
// nothing in the store refers to an object that is not there yet.
#include "scribe/core/upload.hpp"

#include <map>
#include <optional>
#include <vector>

#include "scribe/core/chain.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/digest.hpp"

namespace scribe {

namespace {

struct PendingFile {
  std::string name;  // inside the chain directory
  std::string sha256;
  std::uint64_t bytes = 0;
  bool removable = false;  // the worker never needs it again locally
};

// <sha256> <bytes> <name> per line: what the store confirmed.
class UploadRecord {
 public:
  UploadRecord(const std::string& backup_dir, const std::string& scope)
      : dir_(join_path(backup_dir, std::string(kUploadStateDirName))), path_(join_path(dir_, scope + ".txt")) {
    if (!path_exists(path_)) return;
    const std::string text = read_small_file(path_, 16u << 20);
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(pos, end - pos);
      pos = end + 1;
      const std::size_t a = line.find(' ');
      const std::size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
      if (b == std::string::npos) continue;
      entries_[line.substr(b + 1)] = line.substr(0, b);  // "<sha256> <bytes>"
    }
  }
  bool confirmed(const std::string& name, const std::string& sha256) const {
    const auto it = entries_.find(name);
    return it != entries_.end() && it->second.compare(0, it->second.find(' '), sha256) == 0;
  }
  void record(const std::string& name, const std::string& sha256, std::uint64_t bytes) {
    entries_[name] = sha256 + " " + std::to_string(bytes);
    if (!is_directory(dir_)) make_directory(dir_);
    std::string text;
    for (const auto& [n, value] : entries_) text += value + " " + n + "\n";
    write_file_atomically(path_, text);
  }

 private:
  std::string dir_;
  std::string path_;
  std::map<std::string, std::string> entries_;  // name -> "<sha256> <bytes>"
};

std::string file_sha256(const std::string& path, std::uint64_t* bytes) {
  File file(path, File::Mode::kRead);
  Sha256 hash;
  std::vector<char> buf(1 << 16);
  *bytes = 0;
  for (std::size_t n; (n = file.read_some(buf.data(), buf.size())) > 0;) {
    hash.update(buf.data(), n);
    *bytes += n;
  }
  return hash.hex();
}

struct ChainWork {
  std::string dir_name;
  std::string dir;
  std::vector<PendingFile> files;  // in upload order, the manifest last
  std::string manifest_bytes;      // the manifest as read, uploaded as read
};

// The files of a chain in upload order; nothing when its manifest is not
// written yet (a base still being dumped).
std::optional<ChainWork> chain_work(const std::string& backup_dir, const std::string& dir_name) {
  ChainWork work;
  work.dir_name = dir_name;
  work.dir = join_path(backup_dir, dir_name);
  const std::string manifest_path = join_path(work.dir, std::string(kManifestFileName));
  if (!path_exists(manifest_path)) return std::nullopt;
  work.manifest_bytes = read_small_file(manifest_path);
  const Manifest manifest = parse_manifest(work.manifest_bytes);
  work.files.push_back({manifest.base.file, manifest.base.sha256, manifest.base.bytes, true});
  if (!manifest.globals.file.empty())
    work.files.push_back({manifest.globals.file, manifest.globals.sha256, manifest.globals.bytes, true});
  const std::string metadata = join_path(work.dir, std::string(kMetadataFileName));
  if (path_exists(metadata)) {
    PendingFile m{std::string(kMetadataFileName), "", 0, false};
    m.sha256 = file_sha256(metadata, &m.bytes);
    work.files.push_back(m);
  }
  for (const SealedDiff& d : manifest.diffs)
    work.files.push_back({d.stored.file, d.stored.sha256, d.stored.bytes, true});
  work.files.push_back(
      {std::string(kManifestFileName), sha256_hex(work.manifest_bytes), work.manifest_bytes.size(), false});
  return work;
}

}  // namespace

UploadProgress upload_backup_dir(s3::Client& client, const std::string& backup_dir, const UploadOptions& options,
                                 const std::function<void(const UploadProgress&)>& report) {
  UploadProgress progress;
  // The owner file first: it says which cluster and database the repository holds.
  const std::string owner_path = join_path(backup_dir, std::string(kOwnerFileName));
  UploadRecord top(backup_dir, "top");
  std::optional<PendingFile> owner;
  if (path_exists(owner_path)) {
    PendingFile f{std::string(kOwnerFileName), "", 0, false};
    f.sha256 = file_sha256(owner_path, &f.bytes);
    if (!top.confirmed(f.name, f.sha256)) owner = f;
  }

  std::vector<ChainWork> chains;
  for (const std::string& name : list_directory(backup_dir)) {
    if (!chain_id_from_dir_name(name) || !is_directory(join_path(backup_dir, name))) continue;
    std::optional<ChainWork> work = chain_work(backup_dir, name);
    if (!work) break;  // a chain being created: later ones wait for it
    chains.push_back(std::move(*work));
  }
  std::vector<UploadRecord> records;
  for (const ChainWork& c : chains) records.emplace_back(backup_dir, c.dir_name);

  if (owner) {
    progress.files_waiting++;
    progress.bytes_waiting += owner->bytes;
  }
  for (std::size_t i = 0; i < chains.size(); i++)
    for (const PendingFile& f : chains[i].files)
      if (!records[i].confirmed(f.name, f.sha256)) {
        progress.files_waiting++;
        progress.bytes_waiting += f.bytes;
      }
  if (report) report(progress);

  auto done = [&](const std::string& key, std::uint64_t bytes) {
    progress.files_waiting--;
    progress.bytes_waiting -= bytes;
    progress.files_uploaded++;
    progress.bytes_uploaded += bytes;
    progress.last_uploaded = key;
    if (report) report(progress);
  };

  if (owner) {
    const std::string key = client.location().key(owner->name);
    client.put_file(key, owner_path, owner->sha256);
    top.record(owner->name, owner->sha256, owner->bytes);
    done(key, owner->bytes);
  }
  for (std::size_t i = 0; i < chains.size(); i++) {
    const ChainWork& chain = chains[i];
    UploadRecord& record = records[i];
    for (const PendingFile& f : chain.files) {
      const std::string path = join_path(chain.dir, f.name);
      const std::string key = client.location().key(chain.dir_name + "/" + f.name);
      if (record.confirmed(f.name, f.sha256)) {
        if (options.remove_local && f.removable && path_exists(path)) remove_file(path);
        continue;
      }
      if (f.name == kManifestFileName) {
        // As read above: the worker may have written a newer one since,
        // which the next pass uploads once the files it adds are there.
        const auto there = client.head(key);
        if (!there || there->sha256 != f.sha256) client.put_bytes(key, chain.manifest_bytes);
      } else {
        if (!path_exists(path))
          throw Error("58P01", "file \"" + path + "\" is missing, so it cannot be uploaded",
                      "The manifest lists it and the repository " + client.location().url() + " does not have it.",
                      "Restore the file from another copy, or start a new chain with scribe.new_chain().");
        client.put_file(key, path, f.sha256);
      }
      record.record(f.name, f.sha256, f.bytes);
      if (options.remove_local && f.removable) remove_file(path);
      done(key, f.bytes);
    }
  }
  return progress;
}

}  // namespace scribe
