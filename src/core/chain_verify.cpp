#include "scribe/core/chain_verify.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "scribe/core/compression.hpp"
#include "scribe/core/diff_scan.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/digest.hpp"
#include "scribe/core/repository.hpp"

namespace scribe {

bool VerifyReport::ok() const {
  return std::none_of(problems.begin(), problems.end(),
                      [](const VerifyProblem& p) { return p.severity == Severity::kError; });
}

namespace {

constexpr std::size_t kReadChunk = 1 << 20;
constexpr std::uint64_t kProgressStep = 4 << 20;
constexpr std::size_t kManifestMaxBytes = 64 << 20;
constexpr std::size_t kTailKeep = 256;  // enough for the trailer line, which is under 100 bytes
constexpr std::string_view kHeaderPrefix = "-- pg_scribe diff ";
constexpr std::string_view kTrailerPrefix = "-- pg_scribe sealed ";

// An exception thrown by on_progress, carried past the handlers that turn
// every other failure into a problem.
struct ProgressAbort {
  std::exception_ptr error;
};

// Text from a file, the manifest or a directory listing, safe to print:
// bytes outside printable ASCII escaped, long text cut.
std::string shown(std::string_view text, std::size_t max = 80) {
  std::string out;
  for (const char ch : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += ch;
    } else {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    }
  }
  return out;
}

// An exception as a problem message: what() and the detail, in the style
// of the other messages (lower case, no trailing period).
std::string describe(const std::exception& e) {
  std::string text = e.what();
  if (const auto* error = dynamic_cast<const Error*>(&e); error != nullptr && !error->detail().empty()) {
    std::string detail = error->detail();
    while (!detail.empty() && detail.back() == '.') detail.pop_back();
    if (!detail.empty() && detail[0] >= 'A' && detail[0] <= 'Z') detail[0] = static_cast<char>(detail[0] - 'A' + 'a');
    text += " (" + detail + ")";
  }
  while (!text.empty() && text.back() == '.') text.pop_back();
  return shown(text, 400);
}

std::string lower_case(std::string text) {
  for (char& ch : text)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return text;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string transactions_text(std::uint64_t n) {
  return fmt::format("{} {}", n, n == 1 ? "transaction" : "transactions");
}

std::string_view diff_timestamp(std::string_view diff_name) { return diff_name.substr(5, 16); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// What the scan of one diff's decompressed content finds, and the commit
// LSN order, which runs on across the files of the chain.
class DiffContent {
 public:
  DiffContent(bool have_previous, std::uint64_t previous_commit)
      : have_previous_(have_previous), previous_commit_(previous_commit) {
    scanner_.set_meta_command_callback([this](std::uint64_t start, std::uint64_t) {
      if (!meta_command_) meta_command_ = start;
    });
  }
  DiffContent(const DiffContent&) = delete;
  DiffContent& operator=(const DiffContent&) = delete;

  void feed(const char* data, std::size_t len) {
    if (head_.size() < kHeaderPrefix.size()) head_.append(data, std::min(len, kHeaderPrefix.size() - head_.size()));
    if (len >= kTailKeep) {
      tail_.assign(data + len - kTailKeep, kTailKeep);
    } else {
      tail_.append(data, len);
      if (tail_.size() > kTailKeep) tail_.erase(0, tail_.size() - kTailKeep);
    }
    scanner_.feed(data, len);
  }

  DiffScanner& scanner() { return scanner_; }
  const std::string& head() const { return head_; }

  // The last line of the content starts with the trailer's prefix.
  bool ends_with_trailer() const {
    if (tail_.size() < 2 || tail_.back() != '\n') return false;
    const std::size_t newline = tail_.rfind('\n', tail_.size() - 2);
    std::size_t start = 0;
    if (newline != std::string::npos)
      start = newline + 1;
    else if (scanner_.bytes_fed() > tail_.size())
      return false;  // a last line longer than the tail: not the trailer
    return tail_.compare(start, kTrailerPrefix.size(), kTrailerPrefix) == 0;
  }

  bool have_previous() const { return have_previous_; }
  std::uint64_t previous_commit() const { return previous_commit_; }
  std::uint64_t first_commit_lsn() const { return first_commit_lsn_; }
  std::uint64_t last_commit_lsn() const { return last_commit_lsn_; }
  const std::string& first_commit_time() const { return first_commit_time_; }
  const std::string& last_commit_time() const { return last_commit_time_; }
  const std::string& header_problem() const { return header_problem_; }
  const std::string& order_problem() const { return order_problem_; }
  const std::optional<std::uint64_t>& meta_command() const { return meta_command_; }

 private:
  void note(const DiffTransaction& txn) {
    if (count_ == 0) {
      first_commit_lsn_ = txn.commit_lsn;
      first_commit_time_ = txn.commit_time;
    }
    last_commit_lsn_ = txn.commit_lsn;
    last_commit_time_ = txn.commit_time;
    count_++;
    if (txn.commit_lsn == 0) {
      if (header_problem_.empty())
        header_problem_ = fmt::format("transaction at offset {} has no scribe header line", txn.begin_offset);
      return;
    }
    if (have_previous_ && txn.commit_lsn <= previous_commit_ && order_problem_.empty())
      order_problem_ =
          fmt::format("commit lsn {} (xid {}) does not follow the previous commit at {}{}", lsn_text(txn.commit_lsn),
                      txn.xid, lsn_text(previous_commit_), count_ == 1 ? " in an earlier diff" : "");
    have_previous_ = true;
    previous_commit_ = txn.commit_lsn;
  }

  DiffScanner scanner_{[this](const DiffTransaction& txn) { note(txn); }};
  std::optional<std::uint64_t> meta_command_;
  std::string head_;
  std::string tail_;
  bool have_previous_;
  std::uint64_t previous_commit_;
  std::uint64_t count_ = 0;
  std::uint64_t first_commit_lsn_ = 0;
  std::uint64_t last_commit_lsn_ = 0;
  std::string first_commit_time_;
  std::string last_commit_time_;
  std::string header_problem_;
  std::string order_problem_;
};

// What every stored file's content (decompressed) must not hold, and, for
// the base and globals, the closing line pg_dump and pg_dumpall write last:
// without it the dump was cut short, even at a statement boundary.
class ContentWatch {
 public:
  explicit ContentWatch(std::string_view closing_line) : closing_line_(closing_line) {}

  void feed(const char* data, std::size_t len) {
    if (!nul_) {
      if (const void* hit = std::memchr(data, 0, len))
        nul_ = seen_ + static_cast<std::uint64_t>(static_cast<const char*>(hit) - data);
    }
    seen_ += len;
    if (closing_line_.empty()) return;
    if (len >= kTailKeep) {
      tail_.assign(data + len - kTailKeep, kTailKeep);
    } else {
      tail_.append(data, len);
      if (tail_.size() > kTailKeep) tail_.erase(0, tail_.size() - kTailKeep);
    }
  }

  const std::optional<std::uint64_t>& nul() const { return nul_; }
  bool closed() const {
    return closing_line_.empty() || tail_.find("\n" + std::string(closing_line_) + "\n") != std::string::npos;
  }
  std::string_view closing_line() const { return closing_line_; }

 private:
  std::string_view closing_line_;
  std::uint64_t seen_ = 0;
  std::optional<std::uint64_t> nul_;
  std::string tail_;
};

class Verifier {
 public:
  Verifier(const std::string& chain_dir, const VerifyOptions& options, VerifyReport& report)
      : dir_(chain_dir), options_(options), report_(report) {}

  void run() {
    if (load_manifest()) check_chain();
    if (options_.on_progress && (!progress_called_ || progress_reported_ != report_.bytes_checked)) report_progress();
  }

 private:
  void check_chain() {
    const Manifest& m = report_.manifest;
    if (options_.include_base) check_guarded(m.base, nullptr, kDumpClosingLine);
    if (options_.include_globals) check_guarded(m.globals, nullptr, kDumpAllClosingLine);
    const std::size_t count = std::min(options_.diff_limit, m.diffs.size());
    for (std::size_t i = 0; i < count; i++) {
      check_sequence(i);
      check_guarded(m.diffs[i].stored, &m.diffs[i]);
    }
    if (!options_.check_directory) return;
    check_other_files(count);
    if (m.closed && count == m.diffs.size() && m.stream_position() != m.end_lsn)
      error("", "the chain was closed at " + lsn_text(m.end_lsn) + " but its stream ends at " +
                    lsn_text(m.stream_position()));
  }

  void error(const std::string& file, std::string message) {
    report_.problems.push_back({Severity::kError, file, std::move(message)});
  }
  void warning(const std::string& file, std::string message) {
    report_.problems.push_back({Severity::kWarning, file, std::move(message)});
  }
  void add_problems(std::vector<VerifyProblem> problems) {
    for (VerifyProblem& p : problems) report_.problems.push_back(std::move(p));
  }

  void report_progress() {
    progress_called_ = true;
    progress_reported_ = report_.bytes_checked;
    try {
      options_.on_progress(report_.bytes_checked);
    } catch (...) {
      throw ProgressAbort{std::current_exception()};
    }
  }

  // Reads a file of the chain in chunks, handing each to `consume` (which
  // returns false to stop early). Reports why a file cannot be read and
  // returns false then. `counted`: a stored file, in bytes_checked and
  // the progress reports.
  template <class Consume>
  bool read_file(const std::string& name, bool counted, Consume consume) {
    const std::string path = join_path(dir_, name);
    if (repository::is_remote(dir_)) return read_remote_file(path, name, counted, consume);
    int fd;
    // O_NONBLOCK: a FIFO in place of a file must not hang the open.
    do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT)
        error(name, "file is missing");
      else
        error(name, std::string("could not open the file: ") + std::strerror(err));
      return false;
    }
    Fd file(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      error(name, std::string("could not stat the file: ") + std::strerror(errno));
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      error(name, "not a regular file");
      return false;
    }
    if (!buffer_) buffer_.reset(new char[kReadChunk]);
    std::uint64_t done = 0;
    for (;;) {
      const ssize_t n = ::read(fd, buffer_.get(), kReadChunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        error(name, fmt::format("could not read the file after {} bytes: {}", done, std::strerror(errno)));
        return false;
      }
      if (n == 0) break;
      done += static_cast<std::uint64_t>(n);
      if (counted) report_.bytes_checked += static_cast<std::uint64_t>(n);
      if (!consume(buffer_.get(), static_cast<std::size_t>(n))) break;
      if (counted && options_.on_progress && report_.bytes_checked - progress_reported_ >= kProgressStep)
        report_progress();
    }
    return true;
  }

  // read_file for a chain in an object store: streamed, never staged.
  template <class Consume>
  bool read_remote_file(const std::string& path, const std::string& name, bool counted, Consume consume) {
    std::uint64_t done = 0;
    try {
      repository::read(path, [&](const char* data, std::size_t n) {
        done += n;
        if (counted) report_.bytes_checked += n;
        if (!consume(data, n)) return false;
        if (counted && options_.on_progress && report_.bytes_checked - progress_reported_ >= kProgressStep)
          report_progress();
        return true;
      });
    } catch (const ProgressAbort&) {
      throw;
    } catch (const Error& e) {
      if (std::string(e.sqlstate()) == "58P01")
        error(name, "file is missing");
      else
        error(name, "could not read the object after " + std::to_string(done) + " bytes: " + describe(e));
      return false;
    }
    return true;
  }

  // Step 1: the manifest, and that it belongs to this directory.
  bool load_manifest() {
    if (repository::is_remote(dir_)) return load_manifest_text(dir_.substr(dir_.rfind('/') + 1));
    struct stat st;
    if (::stat(dir_.c_str(), &st) != 0) {
      const int err = errno;
      error("", err == ENOENT ? std::string("chain directory does not exist")
                              : std::string("could not stat the chain directory: ") + std::strerror(err));
      return false;
    }
    if (!S_ISDIR(st.st_mode)) {
      error("", "the chain path is not a directory");
      return false;
    }
    std::string base_name = dir_;
    if (char* resolved = ::realpath(dir_.c_str(), nullptr)) {
      base_name = resolved;
      std::free(resolved);
    }
    while (base_name.size() > 1 && base_name.back() == '/') base_name.pop_back();
    if (const std::size_t slash = base_name.rfind('/'); slash != std::string::npos) base_name.erase(0, slash + 1);
    return load_manifest_text(base_name);
  }

  // The manifest, and that it names the chain of the directory `base_name`.
  bool load_manifest_text(const std::string& base_name) {
    const std::optional<std::string> dir_id = chain_id_from_dir_name(base_name);
    if (dir_id) report_.chain_id = *dir_id;
    const std::string name(kManifestFileName);
    std::string text;
    bool too_large = false;
    if (!read_file(name, false, [&](const char* data, std::size_t n) {
          if (text.size() + n > kManifestMaxBytes) {
            too_large = true;
            return false;
          }
          text.append(data, n);
          return true;
        }))
      return false;
    if (too_large) {
      error(name, fmt::format("file is too large for a manifest (over {} bytes)", kManifestMaxBytes));
      return false;
    }
    try {
      report_.manifest = parse_manifest(text);
    } catch (const std::exception& e) {
      error(name, describe(e));
      return false;
    }
    report_.manifest_ok = true;
    report_.chain_id = report_.manifest.chain_id;
    if (!dir_id || *dir_id != report_.manifest.chain_id) {
      error(name, "manifest is for chain " + shown(report_.manifest.chain_id) + " but the directory is named " +
                      shown(base_name));
      return false;
    }
    return true;
  }

  // Step 3: where diff i sits in the stream, by the manifest alone.
  void check_sequence(std::size_t i) {
    const Manifest& m = report_.manifest;
    const SealedDiff& d = m.diffs[i];
    const std::string& name = d.stored.file;
    if (i == 0) {
      if (d.start_lsn != m.start_lsn)
        error(name, std::string(d.start_lsn > m.start_lsn ? "gap" : "overlap") +
                        " at the start of the stream: diff starts at " + lsn_text(d.start_lsn) +
                        " but the chain starts at " + lsn_text(m.start_lsn));
    } else {
      const SealedDiff& previous = m.diffs[i - 1];
      if (d.start_lsn != previous.end_lsn)
        error(name, std::string(d.start_lsn > previous.end_lsn ? "gap" : "overlap") +
                        " in the stream: diff starts at " + lsn_text(d.start_lsn) + " but the previous one ended at " +
                        lsn_text(previous.end_lsn));
      if (name == previous.stored.file)
        error(name, "listed twice in the manifest");
      else if (diff_timestamp(name) <= diff_timestamp(previous.stored.file))
        error(name, "diffs out of order: listed after " + shown(previous.stored.file) +
                        " but its name does not sort after it");
    }
    if (d.start_lsn > d.end_lsn)
      error(name,
            "diff ends before it starts: start_lsn " + lsn_text(d.start_lsn) + ", end_lsn " + lsn_text(d.end_lsn));
  }

  void check_guarded(const StoredFile& f, const SealedDiff* diff, std::string_view closing_line = {}) {
    try {
      check_file(f, diff, closing_line);
    } catch (const std::exception& e) {
      error(f.file, "could not check the file: " + describe(e));
    }
  }

  // Steps 2 and 4: size, checksum and (for diffs) content, in one pass.
  void check_file(const StoredFile& f, const SealedDiff* diff, std::string_view closing_line) {
    const CompressionMethod method = method_for_file_name(f.file);
    StoredFileCheck check(f, closing_line, options_.check_content);
    add_problems(check.take_problems());

    std::unique_ptr<DiffContent> content;
    std::unique_ptr<Decompressor> decompressor;
    bool decoding = options_.check_content && (diff != nullptr || method != CompressionMethod::kNone);
    if (decoding) {
      if (diff != nullptr) content = std::make_unique<DiffContent>(have_commit_, last_commit_);
      DiffContent* sink = content.get();
      decompressor = make_decompressor(method, [sink, &check](const char* data, std::size_t n) {
        check.content(data, n);
        if (sink != nullptr) sink->feed(data, n);
      });
    }
    // A plain base or globals file: its content is the bytes as stored.
    const bool content_as_stored = options_.check_content && !decompressor;
    const bool read = read_file(f.file, true, [&](const char* data, std::size_t n) {
      check.stored(data, n);
      if (content_as_stored) check.content(data, n);
      if (decoding) {
        try {
          decompressor->write(data, n);
        } catch (const std::exception& e) {
          decoding = false;
          check.content_failed(describe(e));
        }
      }
      return true;
    });
    if (!read) return;
    report_.files_checked++;
    if (decoding) {
      try {
        decompressor->finish();
      } catch (const std::exception& e) {
        decoding = false;
        check.content_failed(describe(e));
      }
    }
    check.finish();
    add_problems(check.take_problems());
    if (content) {
      // The commit order runs on from what this file held, even if only in part.
      if (decoding) check_diff_content(*diff, *content);
      have_commit_ = content->have_previous();
      last_commit_ = content->previous_commit();
    }
  }

  void check_diff_content(const SealedDiff& d, DiffContent& content) {
    const std::string& name = d.stored.file;
    DiffScanner& scanner = content.scanner();
    scanner.finish();
    report_.transactions_checked += scanner.transactions();
    const DiffFileInfo& info = scanner.info();
    const Manifest& m = report_.manifest;

    if (!info.has_start) {
      error(name, "no diff header: the file does not start with \"" + std::string(kHeaderPrefix) + "chain=...\"");
    } else {
      if (content.head() != kHeaderPrefix) error(name, "the diff header is not the first line of the file");
      if (info.chain_id != m.chain_id)
        error(name, "header names chain " + shown(info.chain_id) + ", not " + shown(m.chain_id));
      if (info.start_lsn != d.start_lsn)
        error(name,
              "header says start_lsn " + lsn_text(info.start_lsn) + " but the manifest says " + lsn_text(d.start_lsn));
    }

    const bool whole = !scanner.in_transaction() && scanner.at_clean_end();
    if (scanner.in_transaction())
      error(name, fmt::format("incomplete transaction at the end of the file (after offset {})", scanner.clean_end()));
    else if (!scanner.at_clean_end())
      error(name,
            fmt::format("the file ends inside a statement, quote or comment (after offset {})", scanner.clean_end()));

    if (!info.sealed) {
      error(name, "not sealed: the file has no trailer line");
    } else {
      if (whole && !content.ends_with_trailer()) error(name, "the trailer is not the last line of the file");
      if (info.end_lsn != d.end_lsn)
        error(name, "trailer says end_lsn " + lsn_text(info.end_lsn) + " but the manifest says " + lsn_text(d.end_lsn));
      if (info.sealed_transactions != d.transactions)
        error(name, fmt::format("trailer says {} but the manifest says {}", transactions_text(info.sealed_transactions),
                                d.transactions));
    }

    if (content.meta_command())
      error(name, fmt::format("a psql meta-command line at offset {}: pg_scribe never writes one (psql would run it)",
                              *content.meta_command()));
    if (const auto& at = scanner.backslash_in_statement())
      error(name, fmt::format("a backslash inside a statement at offset {}: psql would run it as a meta-command; "
                              "pg_scribe never writes one",
                              *at));
    if (!content.header_problem().empty()) error(name, content.header_problem());
    if (!content.order_problem().empty()) error(name, content.order_problem());
    if (scanner.transactions() != d.transactions) {
      // The first and last commits then differ too: one problem is enough.
      error(name, fmt::format("the file holds {} but the manifest says {}", transactions_text(scanner.transactions()),
                              d.transactions));
      return;
    }
    if (content.first_commit_lsn() != d.first_commit_lsn)
      error(name, "first commit lsn is " + lsn_text(content.first_commit_lsn()) + " but the manifest says " +
                      lsn_text(d.first_commit_lsn));
    if (content.last_commit_lsn() != d.last_commit_lsn)
      error(name, "last commit lsn is " + lsn_text(content.last_commit_lsn()) + " but the manifest says " +
                      lsn_text(d.last_commit_lsn));
    if (content.first_commit_time() != d.first_commit_time)
      error(name, "first commit time is \"" + shown(content.first_commit_time()) + "\" but the manifest says \"" +
                      shown(d.first_commit_time) + "\"");
    if (content.last_commit_time() != d.last_commit_time)
      error(name, "last commit time is \"" + shown(content.last_commit_time()) + "\" but the manifest says \"" +
                      shown(d.last_commit_time) + "\"");
  }

  // A diff the worker sealed while this verification ran is in the
  // manifest on disk by now (verify may run beside a live worker).
  bool listed_in_current_manifest(const std::string& file) {
    try {
      const Manifest now = parse_manifest(repository::read_small(join_path(dir_, std::string(kManifestFileName))));
      if (now.chain_id != report_.manifest.chain_id) return false;
      return std::any_of(now.diffs.begin(), now.diffs.end(),
                         [&](const SealedDiff& d) { return d.stored.file == file; });
    } catch (const std::exception&) {
      return false;
    }
  }

  // Step 5: files on disk that the manifest does not know.
  void check_other_files(std::size_t checked_diffs) {
    const Manifest& m = report_.manifest;
    std::vector<std::string> names;
    try {
      names = repository::list(dir_);
    } catch (const std::exception& e) {
      error("", "could not list the chain directory: " + describe(e));
      return;
    }
    std::set<std::string> known = {std::string(kManifestFileName), std::string(kMetadataFileName), m.base.file,
                                   m.globals.file};
    for (const SealedDiff& d : m.diffs) known.insert(d.stored.file);
    // With a diff limit, an unknown diff after the last one checked does
    // not touch what is checked: a warning.
    const bool limited = checked_diffs < m.diffs.size();
    const std::string last_checked =
        checked_diffs == 0 ? std::string() : std::string(diff_timestamp(m.diffs[checked_diffs - 1].stored.file));
    for (const std::string& name : names) {
      if (known.count(name) != 0) continue;
      if (name == kActiveFileName) {
        if (m.closed) warning(name, "active file in a closed chain (it ended at " + lsn_text(m.end_lsn) + ")");
        continue;
      }
      if (ends_with(name, ".tmp")) {
        warning(name, "temporary file left by an interrupted write");
      } else if (is_diff_file_name(name)) {
        if (listed_in_current_manifest(name)) continue;
        if (limited && std::string(diff_timestamp(name)) > last_checked)
          warning(name, "not in the manifest (it sorts after the diffs checked)");
        else
          error(name, "not in the manifest");
      } else {
        warning(name, "not part of the chain");
      }
    }
  }

  const std::string& dir_;
  const VerifyOptions& options_;
  VerifyReport& report_;
  std::unique_ptr<char[]> buffer_;
  bool progress_called_ = false;
  std::uint64_t progress_reported_ = 0;
  bool have_commit_ = false;  // the commit LSN order across the diffs
  std::uint64_t last_commit_ = 0;
};

}  // namespace

struct StoredFileCheck::State {
  State(const StoredFile& f, std::string_view closing_line, bool check_content)
      : file(f), method(method_for_file_name(f.file)), watch(closing_line), check_content(check_content) {}

  StoredFile file;
  CompressionMethod method;
  Sha256 hash;
  std::uint64_t size = 0;
  ContentWatch watch;
  bool check_content;
  bool content_ok = true;
  std::string content_problem;  // reported after size and checksum, the plainer facts
  std::vector<VerifyProblem> problems;

  void error(std::string message) { problems.push_back({Severity::kError, file.file, std::move(message)}); }

  void check_compression_field() {
    CompressionSpec spec;
    try {
      spec = parse_compression_spec(file.compression);
    } catch (const std::exception&) {
      error("the manifest gives an unknown compression \"" + shown(file.compression) + "\"");
      return;
    }
    if (spec.method == method) return;
    if (method == CompressionMethod::kNone)
      error("compression mismatch: the file name has no compression suffix but the manifest says " +
            shown(file.compression));
    else
      error(std::string("compression mismatch: the file name ends in ") + file_suffix(method) +
            " but the manifest says " + shown(file.compression));
  }
};

StoredFileCheck::StoredFileCheck(const StoredFile& file, std::string_view closing_line, bool check_content)
    : state_(std::make_unique<State>(file, closing_line, check_content)) {
  state_->check_compression_field();
}

StoredFileCheck::~StoredFileCheck() = default;

void StoredFileCheck::stored(const char* data, std::size_t n) {
  state_->hash.update(data, n);
  state_->size += n;
}

void StoredFileCheck::content(const char* data, std::size_t n) {
  if (state_->check_content && state_->content_ok) state_->watch.feed(data, n);
}

void StoredFileCheck::content_failed(std::string problem) {
  if (!state_->content_ok) return;
  state_->content_ok = false;
  state_->content_problem = std::move(problem);
}

void StoredFileCheck::finish() {
  State& s = *state_;
  if (s.size != s.file.bytes) {
    s.error(fmt::format("size mismatch: manifest says {} bytes, file has {}", s.file.bytes, s.size));
  } else {
    const std::string found = s.hash.hex();
    if (found != lower_case(s.file.sha256))
      s.error("checksum mismatch: expected " + shown(s.file.sha256) + ", found " + found);
  }
  if (!s.content_problem.empty()) s.error(s.content_problem);
  if (!s.check_content) return;
  if (s.watch.nul())
    s.error(
        fmt::format("a NUL byte at offset {} of its content: no SQL text holds one (a client would cut the "
                    "text there)",
                    *s.watch.nul()));
  if (s.content_ok && !s.watch.closed())
    s.error("the dump is cut short: its last lines do not hold \"" + std::string(s.watch.closing_line()) + "\"");
}

std::uint64_t StoredFileCheck::stored_bytes() const { return state_->size; }

std::vector<VerifyProblem> StoredFileCheck::take_problems() {
  std::vector<VerifyProblem> out;
  out.swap(state_->problems);
  return out;
}

VerifyReport verify_chain(const std::string& chain_dir, const VerifyOptions& options) {
  VerifyReport report;
  try {
    Verifier(chain_dir, options, report).run();
  } catch (ProgressAbort& abort) {
    std::rethrow_exception(abort.error);
  } catch (const std::exception& e) {
    report.problems.push_back({Severity::kError, "", "verification failed: " + describe(e)});
  }
  return report;
}

}  // namespace scribe
