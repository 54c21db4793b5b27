#include "scribe/core/fileio.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scribe/core/error.hpp"

namespace scribe {

void throw_io_error(const std::string& action, const std::string& path, int err) {
  const bool full = err == ENOSPC || err == EDQUOT;
  std::string hint;
  if (full) hint = "Free space on the file system that holds the backup directory; nothing is lost meanwhile.";
  if (err == EACCES || err == EPERM || err == EROFS)
    hint = "The server's operating-system user must be able to write there.";
  throw Error(full ? sqlstate::kDiskFull : sqlstate::kIoError,
              "could not " + action + " \"" + path + "\": " + std::strerror(err), {}, hint);
}

File::File(const std::string& path, Mode mode, int permissions) : path_(path) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case Mode::kRead:
      flags |= O_RDONLY;
      break;
    case Mode::kAppend:
      flags |= O_WRONLY | O_APPEND;
      break;
    case Mode::kCreateNew:
      flags |= O_WRONLY | O_CREAT | O_EXCL;
      break;
    case Mode::kTruncate:
      flags |= O_WRONLY | O_CREAT | O_TRUNC;
      break;
  }
  do fd_ = ::open(path.c_str(), flags, permissions);
  while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) throw_io_error(mode == Mode::kRead ? "open file" : "open file for writing", path, errno);
}

File::File(File&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

void File::write_all(const char* data, std::size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd_, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("write to file", path_, errno);
    }
    if (n == 0) throw_io_error("write to file", path_, ENOSPC);
    data += n;
    len -= static_cast<std::size_t>(n);
  }
}

std::size_t File::read_some(char* buf, std::size_t len) {
  for (;;) {
    const ssize_t n = ::read(fd_, buf, len);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw_io_error("read file", path_, errno);
  }
}

void File::sync_data() {
  if (::fdatasync(fd_) != 0) throw_io_error("fdatasync file", path_, errno);
}

void File::sync() {
  if (::fsync(fd_) != 0) throw_io_error("fsync file", path_, errno);
}

std::uint64_t File::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) throw_io_error("stat file", path_, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

void File::truncate(std::uint64_t length) {
  if (::ftruncate(fd_, static_cast<off_t>(length)) != 0) throw_io_error("truncate file", path_, errno);
}

void File::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_io_error("close file", path_, errno);
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> list_directory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) throw_io_error("open directory", path, errno);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
      names.emplace_back(entry->d_name);
    errno = 0;
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) throw_io_error("read directory", path, err);
  std::sort(names.begin(), names.end());
  return names;
}

void make_directory(const std::string& path, int permissions) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(permissions)) != 0) throw_io_error("create directory", path, errno);
}

void fsync_directory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_io_error("open directory", path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_io_error("fsync directory", path, err);
}

void fsync_file(const std::string& path) {
  File file(path, File::Mode::kRead);
  file.sync();
}

std::string parent_directory(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

void rename_durably(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) throw_io_error("rename file to \"" + to + "\"", from, errno);
  fsync_directory(parent_directory(to));
}

void remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_io_error("remove file", path, errno);
}

void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw_io_error("stat", path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    for (const std::string& name : list_directory(path)) remove_tree(join_path(path, name));
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) throw_io_error("remove directory", path, errno);
    return;
  }
  remove_file(path);
}

std::string read_small_file(const std::string& path, std::size_t max_bytes) {
  File file(path, File::Mode::kRead);
  std::string content;
  char buf[65536];
  for (;;) {
    const std::size_t n = file.read_some(buf, sizeof buf);
    if (n == 0) break;
    if (content.size() + n > max_bytes)
      throw Error(sqlstate::kProgramLimitExceeded, "file \"" + path + "\" is too large",
                  "It is over " + std::to_string(max_bytes) + " bytes.");
    content.append(buf, n);
  }
  return content;
}

void write_file_atomically(const std::string& path, std::string_view content) {
  const std::string temporary = path + ".tmp";
  {
    File file(temporary, File::Mode::kTruncate);
    file.write_all(content);
    file.sync();
    file.close();
  }
  rename_durably(temporary, path);
}

}  // namespace scribe
