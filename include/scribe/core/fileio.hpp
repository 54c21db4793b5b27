// Files and directories the way a backup must treat them: every write
// checked, durability explicit (fdatasync of files, fsync of the directory
// after a rename), errors as scribe::Error with the SQLSTATE PostgreSQL
// uses for the same condition (53100 disk full, 58030 other I/O errors).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scribe {

class File {
 public:
  enum class Mode { kRead, kAppend, kCreateNew, kTruncate };
  File() = default;
  File(const std::string& path, Mode mode, int permissions = 0600);
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  bool is_open() const noexcept { return fd_ >= 0; }
  const std::string& path() const noexcept { return path_; }
  int fd() const noexcept { return fd_; }

  void write_all(const char* data, std::size_t len);
  void write_all(std::string_view text) { write_all(text.data(), text.size()); }
  // Reads up to len bytes; 0 at end of file.
  std::size_t read_some(char* buf, std::size_t len);
  void sync_data();  // fdatasync
  void sync();       // fsync
  std::uint64_t size() const;
  void truncate(std::uint64_t length);
  void close();  // reports a failing close; the destructor ignores it

 private:
  int fd_ = -1;
  std::string path_;
};

[[noreturn]] void throw_io_error(const std::string& action, const std::string& path, int err);

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
// Names in a directory, without "." and "..", sorted.
std::vector<std::string> list_directory(const std::string& path);
void make_directory(const std::string& path, int permissions = 0700);
void fsync_directory(const std::string& path);
void fsync_file(const std::string& path);
void rename_durably(const std::string& from, const std::string& to);  // rename, fsync of the directory
void remove_file(const std::string& path);                            // missing is fine
void remove_tree(const std::string& path);                            // missing is fine; symlinks not followed
// Whole small file (JSON documents); refuses anything over max_bytes.
std::string read_small_file(const std::string& path, std::size_t max_bytes = 64u << 20);
// Write to a temporary name, fsync, rename over `path`, fsync the directory:
// readers see the old content or the new one, never a mix.
void write_file_atomically(const std::string& path, std::string_view content);

std::string parent_directory(const std::string& path);
std::string join_path(const std::string& dir, const std::string& name);

}  // namespace scribe
