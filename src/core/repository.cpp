// See repository.hpp. One S3 client per bucket for the process, so the
// connection is reused across the many small requests of a restore.
#include "scribe/core/repository.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/s3.hpp"

namespace scribe::repository {

namespace {

struct RemotePath {
  s3::Client* client;
  std::string key;  // without a trailing slash
};

// Per thread: a client is one libcurl handle, which two threads must not
// use at once, and a restore reads from several (--jobs connections, the
// verification of the diffs beside the restore of the base).
std::map<std::string, std::unique_ptr<s3::Client>>& clients() {
  static thread_local std::map<std::string, std::unique_ptr<s3::Client>> by_bucket;
  return by_bucket;
}

RemotePath remote(const std::string& path) {
  const s3::Location location = s3::parse_s3_url(path);
  auto& client = clients()[location.bucket];
  if (!client)
    client = std::make_unique<s3::Client>(s3::settings_from_environment(), s3::Location{location.bucket, ""});
  return {client.get(), location.prefix};
}

}  // namespace

bool is_remote(const std::string& path) { return s3::is_s3_url(path); }

std::vector<std::string> list(const std::string& dir) {
  if (!is_remote(dir)) return list_directory(dir);
  const RemotePath r = remote(dir);
  const std::string prefix = r.key.empty() ? "" : r.key + "/";
  std::set<std::string> names;
  for (const s3::ObjectInfo& o : r.client->list(prefix)) {
    const std::string rest = o.key.substr(prefix.size());
    const std::size_t slash = rest.find('/');
    names.insert(slash == std::string::npos ? rest : rest.substr(0, slash));
  }
  return {names.begin(), names.end()};
}

bool is_directory(const std::string& path) {
  if (!is_remote(path)) return scribe::is_directory(path);
  return !list(path).empty();
}

bool exists(const std::string& path) {
  if (!is_remote(path)) return path_exists(path);
  const RemotePath r = remote(path);
  return r.client->head(r.key).has_value();
}

std::string read_small(const std::string& path, std::size_t max_bytes) {
  if (!is_remote(path)) return read_small_file(path, max_bytes);
  const RemotePath r = remote(path);
  // No HEAD first: a missing object is a 404 to the GET (58P01).
  return r.client->get_string(r.key, max_bytes);
}

void read(const std::string& path, const std::function<bool(const char*, std::size_t)>& chunk) {
  if (!is_remote(path)) {
    File file(path, File::Mode::kRead);
    std::unique_ptr<char[]> buffer(new char[1 << 20]);
    for (std::size_t n; (n = file.read_some(buffer.get(), 1 << 20)) > 0;)
      if (!chunk(buffer.get(), n)) return;
    return;
  }
  const RemotePath r = remote(path);
  // No HEAD first: a missing object is a 404 to the GET (58P01).
  struct Stop {};
  try {
    r.client->get(r.key, [&](const char* data, std::size_t n) {
      if (!chunk(data, n)) throw Stop{};
    });
  } catch (const Stop&) {
  }
}

void read_range(const std::string& path, std::uint64_t offset, std::uint64_t length,
                const std::function<void(const char*, std::size_t)>& chunk) {
  if (length == 0) return;
  if (!is_remote(path)) {
    File file(path, File::Mode::kRead);
    std::unique_ptr<char[]> buffer(new char[1 << 20]);
    std::uint64_t done = 0;
    while (done < length) {
      const ssize_t n =
          ::pread(file.fd(), buffer.get(), static_cast<std::size_t>(std::min<std::uint64_t>(1 << 20, length - done)),
                  static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_io_error("read", path, errno);
      if (n == 0) return;
      chunk(buffer.get(), static_cast<std::size_t>(n));
      done += static_cast<std::uint64_t>(n);
    }
    return;
  }
  const RemotePath r = remote(path);
  r.client->get(r.key, chunk, offset, length);
}

std::uint64_t remote_requests() {
  std::uint64_t n = 0;
  for (const auto& [bucket, client] : clients()) n += client->requests();
  return n;
}

}  // namespace scribe::repository
