#include "parallel_base.hpp"
#include "scribe/core/repository.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "actions.hpp"
#include "confinement.hpp"
#include "scribe/core/compression.hpp"
#include "scribe/core/diff_scan.hpp"
#include "scribe/core/replay_statements.hpp"

namespace pgscribe {

namespace {

constexpr std::size_t kHeaderLineMax = 64 << 10;
constexpr std::size_t kReadBytes = 1 << 20;
// A file without entry headers keeps no more than this as its "prologue":
// it is then restored on one connection.
constexpr std::uint64_t kPrologueMax = 16 << 20;
// A table's data is loaded in pieces of about this much, so that one big
// table is loaded by all connections.
constexpr std::uint64_t kPieceBytes = 4 << 20;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == ';')) s.remove_suffix(1);
  return s;
}

// An entry header: "-- Name: N; Type: T; Schema: S; Owner: O" (or "-- Data
// for Name: ..."). `type` is T, or empty when it cannot be told for sure: a
// name may hold "; Type: " too, and then the entry keeps its place.
bool parse_header(std::string_view line, bool complete, bool& data_header, std::string& type) {
  if (starts_with(line, "-- Name: "))
    data_header = false;
  else if (starts_with(line, "-- Data for Name: "))
    data_header = true;
  else
    return false;
  type.clear();
  if (!complete) return true;
  const std::size_t at = line.find("; Type: ");
  if (at == std::string_view::npos || line.find("; Type: ", at + 1) != std::string_view::npos) return true;
  const std::size_t from = at + 8;
  const std::size_t to = line.find("; Schema: ", from);
  if (to == std::string_view::npos) return true;
  type.assign(line.substr(from, to - from));
  return true;
}

// The setting a top-level SET or RESET statement changes, as the key of the
// session state that later entries run in.
std::string set_key(std::string_view text, std::size_t skip) {
  std::string_view rest = text.substr(skip);
  if (starts_with(rest, "SESSION AUTHORIZATION")) return "SESSION AUTHORIZATION";
  std::size_t end = rest.find_first_of("=;");
  const std::size_t to = rest.find(" TO ");
  if (to != std::string_view::npos && to < end) end = to;
  return std::string(trim(rest.substr(0, end)));
}

struct Range {
  std::uint64_t start, end;
};

// Feeds `sink` the bytes of each range (sorted, disjoint) of the
// decompressed file, in order: a plain file is read at the ranges, a
// compressed one decompressed up to the end of the last.
void read_ranges(const std::string& path, const std::string& name, const std::vector<Range>& ranges,
                 const std::function<void(std::size_t, const char*, std::size_t)>& sink) {
  if (ranges.empty()) return;
  const bool remote = scribe::repository::is_remote(path);
  int fd = -1;
  if (!remote) {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw ActionError(kExitBackup, "could not open " + name + ": " + std::strerror(errno), path);
  }
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) close(fd);
    }
  } closer{fd};
  std::unique_ptr<char[]> buffer(new char[kReadBytes]);
  auto read_error = [&] {
    return ActionError(kExitBackup, "could not read " + name + ": " + std::strerror(errno), path);
  };
  const auto method = scribe::method_for_file_name(name);
  if (method == scribe::CompressionMethod::kNone && remote) {
    // Ranged GETs: each connection fetches only its own tables' bytes.
    for (std::size_t i = 0; i < ranges.size(); i++) {
      std::uint64_t got = 0;
      scribe::repository::read_range(path, ranges[i].start, ranges[i].end - ranges[i].start,
                                     [&](const char* data, std::size_t n) {
                                       sink(i, data, n);
                                       got += n;
                                     });
      if (got != ranges[i].end - ranges[i].start)
        throw ActionError(kExitBackup, "file " + name + " is shorter than when it was read", path);
    }
    return;
  }
  if (method == scribe::CompressionMethod::kNone) {
    for (std::size_t i = 0; i < ranges.size(); i++) {
      std::uint64_t at = ranges[i].start;
      while (at < ranges[i].end) {
        const ssize_t n =
            pread(fd, buffer.get(), static_cast<std::size_t>(std::min<std::uint64_t>(kReadBytes, ranges[i].end - at)),
                  static_cast<off_t>(at));
        if (n < 0) {
          if (errno == EINTR) continue;
          throw read_error();
        }
        if (n == 0) throw ActionError(kExitBackup, "file " + name + " is shorter than when it was read", path);
        sink(i, buffer.get(), static_cast<std::size_t>(n));
        at += static_cast<std::uint64_t>(n);
      }
    }
    return;
  }
  std::uint64_t pos = 0;
  std::size_t current = 0;
  auto decompressor = scribe::make_decompressor(method, [&](const char* data, std::size_t len) {
    while (len > 0 && current < ranges.size()) {
      const Range& r = ranges[current];
      if (r.end <= pos) {  // empty
        current++;
        continue;
      }
      if (pos + len <= r.start) break;
      if (pos < r.start) {
        const std::size_t skip = static_cast<std::size_t>(r.start - pos);
        data += skip;
        len -= skip;
        pos = r.start;
      }
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(len, r.end - pos));
      if (take > 0) sink(current, data, take);
      data += take;
      len -= take;
      pos += take;
      if (pos >= r.end) current++;
    }
    pos += len;
  });
  if (remote) {
    // Streamed from the store up to the end of the last range.
    bool whole = true;
    scribe::repository::read(path, [&](const char* data, std::size_t n) {
      decompressor->write(data, n);
      whole = current < ranges.size();
      return whole;
    });
    if (whole) decompressor->finish();
  }
  while (!remote && current < ranges.size()) {
    const ssize_t n = read(fd, buffer.get(), kReadBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw read_error();
    }
    if (n == 0) {
      decompressor->finish();
      break;
    }
    decompressor->write(buffer.get(), static_cast<std::size_t>(n));
  }
  if (current < ranges.size())
    throw ActionError(kExitBackup, "file " + name + " is shorter than when it was read", path);
}

// Adjacent entries read as one range.
std::vector<Range> merged_ranges(const std::vector<const BaseEntry*>& entries) {
  std::vector<Range> ranges;
  for (const BaseEntry* e : entries) {
    if (!ranges.empty() && ranges.back().end == e->start)
      ranges.back().end = e->end;
    else
      ranges.push_back({e->start, e->end});
  }
  return ranges;
}

struct Stopped {};  // another connection failed: this one stops too

// The connections of a parallel phase. The first failure is kept and the
// other connections' statements cancelled; what they then report is a
// consequence, not reported.
class Crew {
 public:
  static constexpr std::size_t kNobody = static_cast<std::size_t>(-1);

  explicit Crew(std::vector<Connection*> conns) : conns_(std::move(conns)) {
    for (Connection* c : conns_) cancels_.push_back(PQgetCancel(c->get()));
  }
  ~Crew() {
    for (PGcancel* c : cancels_)
      if (c != nullptr) PQfreeCancel(c);
  }
  std::size_t size() const { return conns_.size(); }
  bool stopping() const { return stop_.load(); }
  void check() const {
    if (stop_.load()) throw Stopped{};
  }

  // Runs work(i, connection i) on every connection at once, calling
  // `tick` on this thread meanwhile; rethrows the first failure. A `tick`
  // that throws is a failure too: the work stops on every connection.
  void run(const std::function<void(std::size_t, Connection&)>& work, const std::function<void()>& tick) {
    std::size_t finished = 0;  // under done_mutex
    std::mutex done_mutex;
    std::condition_variable done;
    std::vector<std::thread> threads;
    threads.reserve(conns_.size());
    for (std::size_t i = 0; i < conns_.size(); i++) {
      threads.emplace_back([this, i, &work, &finished, &done_mutex, &done] {
        try {
          work(i, *conns_[i]);
        } catch (const Stopped&) {
        } catch (...) {
          failed(i, std::current_exception());
        }
        std::lock_guard<std::mutex> lock(done_mutex);
        finished++;
        done.notify_one();
      });
    }
    {
      std::unique_lock<std::mutex> lock(done_mutex);
      while (finished < threads.size()) {
        if (done.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished == threads.size(); })) break;
        lock.unlock();
        try {
          tick();
        } catch (...) {
          failed(kNobody, std::current_exception());  // stops every connection
        }
        lock.lock();
      }
    }
    for (std::thread& t : threads) t.join();
    if (first_) std::rethrow_exception(first_);
  }

 private:
  void failed(std::size_t who, std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (first_) return;
    first_ = std::move(error);
    stop_ = true;
    for (std::size_t i = 0; i < cancels_.size(); i++) {
      if (i == who || cancels_[i] == nullptr) continue;
      char message[256];
      PQcancel(cancels_[i], message, sizeof message);
    }
  }

  std::vector<Connection*> conns_;
  std::vector<PGcancel*> cancels_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::exception_ptr first_;
};

// A name as pg_dump writes it at `pos` (identifiers joined by dots), into
// `out`; false if there is none.
bool read_name(std::string_view text, std::size_t& pos, std::string& out) {
  const std::size_t start = pos;
  while (scribe::skip_identifier(text, pos) && pos < text.size() && text[pos] == '.') pos++;
  if (pos == start || text[pos - 1] == '.') return false;
  out.assign(text.substr(start, pos - start));
  return true;
}

// The table an INDEX or CONSTRAINT entry builds an index of, as pg_dump
// writes it: "CREATE [UNIQUE] INDEX i ON [ONLY] s.t USING ..." or "ALTER
// TABLE [ONLY] s.t ADD CONSTRAINT ..."; empty if it cannot be told.
std::string index_table(std::string_view text) {
  std::string name;
  std::size_t pos = std::string_view::npos;
  for (const std::string_view head : {"\nCREATE INDEX ", "\nCREATE UNIQUE INDEX "}) {
    const std::size_t at = text.find(head);
    if (at != std::string_view::npos && at < pos) pos = at + head.size();
  }
  if (pos != std::string_view::npos) {
    if (!read_name(text, pos, name) || text.substr(pos, 4) != " ON ") return {};
    pos += 4;
  } else {
    pos = text.find("\nALTER TABLE ");
    if (pos == std::string_view::npos) return {};
    pos += 13;
  }
  if (text.substr(pos, 5) == "ONLY ") pos += 5;
  if (!read_name(text, pos, name)) return {};
  return name;
}

void add_stats(ApplyStats& total, const ApplyStats& s) {
  total.copies += s.copies;
  total.copy_rows += s.copy_rows;
  total.rows += s.rows;
  total.statements += s.statements;
  total.messages += s.messages;
}

void exec_or_throw(PGconn* conn, const char* sql) {
  ResultPtr r(PQexec(conn, sql));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw_result_error(conn, r.get());
}

}  // namespace

BaseLayout scan_base_layout(const std::string& path, const std::string& name, scribe::StoredFileCheck* check,
                            const std::function<void()>& interrupt) {
  BaseLayout layout;
  std::string window;
  std::uint64_t window_base = 0;
  std::uint64_t keep = 0;  // bytes before this are not needed any more
  DumpAclEntries acl_entries;
  std::map<std::string, std::string> sets;  // setting -> the last SET statement of it
  bool seen_header = false;
  bool too_long = false;  // no header in the first kPrologueMax bytes
  BaseEntry current;
  std::string type;
  bool data_header = false;
  int copies = 0, index_ddl = 0, others = 0, metas = 0;
  scribe::DiffScanner scanner;
  scanner.set_comment_line_limit(kHeaderLineMax);

  auto close_entry = [&](std::uint64_t end) {
    if (!seen_header) {
      if (!too_long) layout.prologue = window.substr(0, static_cast<std::size_t>(end - window_base));
      return;
    }
    current.end = end;
    current.kind = BaseEntryKind::kSerial;
    if (type == "TABLE DATA" && data_header && copies == 1 && index_ddl == 0 && others == 0 && metas == 0 &&
        current.cuts.size() >= 2) {
      current.kind = BaseEntryKind::kData;
      layout.data_entries++;
    } else if ((type == "INDEX" || type == "CONSTRAINT") && !data_header && copies == 0 && others == 0 && metas == 0 &&
               index_ddl > 0) {
      current.kind = BaseEntryKind::kIndex;
      current.text = window.substr(static_cast<std::size_t>(current.start - window_base),
                                   static_cast<std::size_t>(end - current.start));
    }
    layout.entries.push_back(std::move(current));
    current = BaseEntry{};
  };
  scanner.set_comment_line_callback([&](std::uint64_t start, std::uint64_t end, std::string_view line, bool complete) {
    acl_entries.comment_line(line);
    keep = end;
    bool is_data = false;
    std::string header_type;
    if (!parse_header(line, complete, is_data, header_type)) return;
    if (too_long) return;
    close_entry(start);
    seen_header = true;
    current.start = start;
    for (const auto& [key, statement] : sets) {
      current.sets.append(statement);
      current.sets.push_back('\n');
    }
    type = std::move(header_type);
    data_header = is_data;
    copies = index_ddl = others = metas = 0;
  });
  scanner.set_statement_callback([&](const scribe::DiffStatement& s) {
    const std::string_view text(window.data() + (s.start - window_base), s.end - s.start);
    keep = s.end;
    if (starts_with(text, "COPY ")) {
      scanner.begin_copy_data();
      // Only pg_dump's form (text format, no options): its data lines are
      // rows, which can be cut between.
      if (++copies == 1 && seen_header && type == "TABLE DATA" && !scribe::copy_target_table(text).empty())
        current.copy_statement.assign(text);
      return;
    }
    if (acl_entries.is_acl_statement(text)) {
      layout.acl_statements.append(text);
      layout.acl_statements.push_back('\n');
    }
    if (!seen_header) return;  // the prologue: every connection runs it
    if (starts_with(text, "SET ")) {
      sets[set_key(text, 4)] = std::string(text);
    } else if (starts_with(text, "RESET ")) {
      const std::string key = set_key(text, 6);
      if (key == "ALL")
        sets.clear();
      else
        sets.erase(key);
    }
    if (starts_with(text, "SET default_tablespace = ") || starts_with(text, "SET default_table_access_method = ")) {
      // pg_dump's settings for the entries that follow
    } else if (starts_with(text, "CREATE INDEX ") || starts_with(text, "CREATE UNIQUE INDEX ") ||
               starts_with(text, "ALTER TABLE ") || starts_with(text, "ALTER INDEX ")) {
      index_ddl++;
    } else {
      others++;
    }
  });
  scanner.set_copy_data_callback([&](std::uint64_t data_start, std::uint64_t data_end, std::uint64_t resume) {
    keep = resume;
    if (copies != 1 || current.copy_statement.empty()) return;
    while (!current.cuts.empty() && current.cuts.back() >= data_end) current.cuts.pop_back();
    current.cuts.insert(current.cuts.begin(), data_start);
    current.cuts.push_back(data_end);
  });
  scanner.set_meta_command_callback([&](std::uint64_t start, std::uint64_t end) {
    keep = end;
    // pg_dump's \restrict and \unrestrict: no restore runs them (the
    // runner skips them, refuses any other).
    const std::string_view line(window.data() + (start - window_base), end - start);
    if (seen_header && !starts_with(line, "\\restrict ") && !starts_with(line, "\\unrestrict ")) metas++;
  });

  auto scan = [&](const char* data, std::size_t len) {
    window.append(data, len);
    scanner.feed(data, len);
    if (!seen_header && !too_long && scanner.bytes_fed() > kPrologueMax) too_long = true;
    // A cut where a row starts, every kPieceBytes of a table's data.
    if (scanner.in_copy_data() && copies == 1 && !current.copy_statement.empty()) {
      const std::uint64_t line = scanner.copy_data_flushable_end();
      const std::uint64_t last = current.cuts.empty() ? scanner.copy_data_start() : current.cuts.back();
      if (line > last && line - last >= kPieceBytes) current.cuts.push_back(line);
    }
    // COPY data is skipped, not kept; the prologue and an index
    // entry are.
    std::uint64_t needed = scanner.in_copy_data() ? std::max(keep, scanner.copy_data_flushable_end()) : keep;
    if (!seen_header && !too_long) needed = 0;
    if (seen_header && (type == "INDEX" || type == "CONSTRAINT")) needed = std::min(needed, current.start);
    if (needed > window_base && needed - window_base >= (4u << 20)) {
      window.erase(0, static_cast<std::size_t>(needed - window_base));
      window_base = needed;
    }
  };
  decompress_file(
      path, name, scan,
      [&](std::size_t) {
        if (interrupt) interrupt();
        return true;
      },
      check);
  scanner.finish();
  layout.size = scanner.bytes_fed();
  if (too_long) {
    layout.entries.clear();
    layout.data_entries = 0;
    return layout;
  }
  close_entry(layout.size);
  return layout;
}

ApplyStats restore_base_parallel(Connection& conn, const BaseLayout& layout, const ParallelBaseOptions& o,
                                 Progress& progress) {
  // The phases (see the header).
  std::size_t last_data = 0;
  for (std::size_t i = 0; i < layout.entries.size(); i++)
    if (layout.entries[i].kind == BaseEntryKind::kData) last_data = i;
  std::vector<const BaseEntry*> first, data, indexes, rest;
  for (std::size_t i = 0; i < layout.entries.size(); i++) {
    const BaseEntry& e = layout.entries[i];
    if (e.kind == BaseEntryKind::kData)
      data.push_back(&e);
    else if (i < last_data)
      first.push_back(&e);
    else if (e.kind == BaseEntryKind::kIndex)
      indexes.push_back(&e);
    else
      rest.push_back(&e);
  }

  log_verbose("--jobs: " + std::to_string(first.size()) + " entries before the data, " + std::to_string(data.size()) +
              " tables' data and " + std::to_string(indexes.size()) + " indexes over " + std::to_string(o.jobs) +
              " connections, " + std::to_string(rest.size()) + " entries after them in file order");
  // All connections are opened, and confined, before anything is restored.
  std::vector<std::unique_ptr<Connection>> extra;
  std::vector<Connection*> conns = {&conn};
  for (int i = 1; i < o.jobs; i++) {
    extra.push_back(std::make_unique<Connection>(*o.connection));
    Connection& c = *extra.back();
    c.exec("SET synchronous_commit = off");
    std::string why;
    if (o.confined && !install_run_as(c.get(), why))
      throw ActionError(kExitInvalid,
                        "cannot confine the roles' code on connection " + std::to_string(i + 1) + " of --jobs: " + why);
    conns.push_back(&c);
  }

  using Clock = std::chrono::steady_clock;
  auto phase_start = Clock::now();
  std::string timings;
  auto phase_done = [&](const char* what) {
    const auto t = Clock::now();
    fmt::format_to(std::back_inserter(timings), "{}{} {:.3f} s", timings.empty() ? "" : ", ", what,
                   std::chrono::duration<double>(t - phase_start).count());
    phase_start = t;
  };
  std::atomic<std::uint64_t> fed{0};
  auto tick = [&] {
    // In bytes of the stored (maybe compressed) file, as the other files.
    const double part = layout.size == 0 ? 0
                                         : static_cast<double>(std::min<std::uint64_t>(fed.load(), layout.size)) /
                                               static_cast<double>(layout.size);
    const auto done = static_cast<std::uint64_t>(part * static_cast<double>(o.stored_bytes));
    progress.update(o.bytes_before + done, 0);
    if (o.interrupt) o.interrupt();
  };
  ApplyStats total;
  auto feed_entries = [&](ScriptRunner& runner, const std::vector<Range>& ranges) {
    read_ranges(o.path, o.name, ranges, [&](std::size_t, const char* data, std::size_t len) {
      runner.feed(data, len);
      fed += len;
      tick();
    });
  };

  // 1. The schema, on this connection.
  bool acls_early = false;
  std::string lent_revokes;  // the rights the owners' COPYs and indexes need, lent until the end
  {
    conn.exec("BEGIN");
    ScriptRunner runner(conn.get(), ScriptRunner::Kind::kDump, o.name);
    runner.set_confined(o.confined);
    runner.set_early_acls([&] { return layout.acl_statements; });
    runner.feed(layout.prologue.data(), layout.prologue.size());
    feed_entries(runner, merged_ranges(first));
    add_stats(total, runner.finish(false));
    // The owners' code that the COPYs run has the rights it had at the
    // source (see ScriptRunner::set_early_acls).
    if (o.confined) {
      acls_early = runner.run_early_acls();
      std::vector<std::string> tables;
      for (const BaseEntry* e : data) tables.emplace_back(scribe::copy_target_table(e->copy_statement));
      lent_revokes = runner.lend_copy_rights(tables);
    }
    conn.exec("COMMIT");
  }
  phase_done("schema");

  // 2 and 3. The data, in pieces, and the indexes: each connection takes
  // the next index whose table's data is all loaded, else the next piece
  // (largest first), each piece in a transaction of its own. So a table's
  // indexes are built while other tables' data is still loading, as
  // pg_restore --jobs schedules them. An index whose table cannot be told
  // waits for all the data. (Were a table told wrong, the index build would
  // only wait for the loads of that table to commit, as its lock does:
  // slower, never different.)
  {
    struct Piece {
      const BaseEntry* entry;
      Range range;
      std::size_t table;
    };
    std::map<std::string, std::size_t> table_ids;
    std::vector<Piece> pieces;
    for (const BaseEntry* e : data) {
      const std::size_t id =
          table_ids.emplace(std::string(scribe::copy_target_table(e->copy_statement)), table_ids.size()).first->second;
      for (std::size_t k = 0; k + 1 < e->cuts.size(); k++)
        if (e->cuts[k + 1] > e->cuts[k]) pieces.push_back({e, {e->cuts[k], e->cuts[k + 1]}, id});  // none: no rows
    }
    log_verbose("--jobs: " + std::to_string(data.size()) + " tables' data in " + std::to_string(pieces.size()) +
                " pieces");
    std::stable_sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) {
      return a.range.end - a.range.start > b.range.end - b.range.start;
    });
    std::vector<std::size_t> pieces_of(table_ids.size(), 0);
    for (const Piece& p : pieces) pieces_of[p.table]++;
    // Under `mutex`: what is ready, what waits, what is left.
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<const BaseEntry*> ready;
    std::vector<std::vector<const BaseEntry*>> waiting(table_ids.size());
    std::vector<const BaseEntry*> waiting_all;
    for (const BaseEntry* e : indexes) {
      const std::string table = index_table(e->text);
      const auto found = table.empty() ? table_ids.end() : table_ids.find(table);
      if (table.empty())
        waiting_all.push_back(e);
      else if (found == table_ids.end() || pieces_of[found->second] == 0)
        ready.push_back(e);  // its table's data was in the schema, or it has none
      else
        waiting[found->second].push_back(e);
    }
    std::size_t next_piece = 0, pieces_left = pieces.size();
    if (pieces_left == 0) {
      ready.insert(ready.end(), waiting_all.begin(), waiting_all.end());
      waiting_all.clear();
    }
    std::vector<ApplyStats> stats(conns.size());
    Crew crew(conns);
    crew.run(
        [&](std::size_t i, Connection& c) {
          ScriptRunner indexes_runner(c.get(), ScriptRunner::Kind::kDump, o.name);
          indexes_runner.set_statements_alone(true);
          indexes_runner.feed(layout.prologue.data(), layout.prologue.size());
          for (;;) {
            const BaseEntry* index = nullptr;
            const Piece* piece = nullptr;
            {
              std::unique_lock<std::mutex> lock(mutex);
              for (;;) {
                crew.check();
                if (!ready.empty()) {
                  index = ready.front();
                  ready.pop_front();
                  break;
                }
                if (next_piece < pieces.size()) {
                  piece = &pieces[next_piece++];
                  break;
                }
                if (pieces_left == 0) break;  // all loaded, no index left
                changed.wait_for(lock, std::chrono::milliseconds(100));
              }
            }
            if (index != nullptr) {
              indexes_runner.feed(index->sets.data(), index->sets.size());
              indexes_runner.feed(index->text.data(), index->text.size());
              fed += index->end - index->start;
              continue;
            }
            if (piece == nullptr) break;
            exec_or_throw(c.get(), "BEGIN");
            {
              ScriptRunner runner(c.get(), ScriptRunner::Kind::kDump, o.name);
              runner.set_confined(o.confined);
              runner.set_lend_rights(false);  // lent before the data
              runner.feed(layout.prologue.data(), layout.prologue.size());
              const BaseEntry& e = *piece->entry;
              runner.feed(e.sets.data(), e.sets.size());
              runner.feed(e.copy_statement.data(), e.copy_statement.size());
              runner.feed("\n", 1);
              read_ranges(o.path, o.name, {piece->range}, [&](std::size_t, const char* bytes, std::size_t len) {
                crew.check();
                runner.feed(bytes, len);
                fed += len;
              });
              static const std::string kEnd = "\\.\n";
              runner.feed(kEnd.data(), kEnd.size());
              ApplyStats s = runner.finish(false);
              s.copies = 0;  // pieces, not tables
              add_stats(stats[i], s);
            }
            exec_or_throw(c.get(), "COMMIT");
            {
              std::lock_guard<std::mutex> lock(mutex);
              pieces_left--;
              if (--pieces_of[piece->table] == 0) {
                ready.insert(ready.end(), waiting[piece->table].begin(), waiting[piece->table].end());
                waiting[piece->table].clear();
              }
              if (pieces_left == 0) {
                ready.insert(ready.end(), waiting_all.begin(), waiting_all.end());
                waiting_all.clear();
              }
            }
            changed.notify_all();
          }
          add_stats(stats[i], indexes_runner.finish(false));
        },
        tick);
    for (const ApplyStats& s : stats) add_stats(total, s);
    total.copies += data.size();
  }
  phase_done("data and indexes");

  // 4. The rest, in file order, on this connection.
  {
    conn.exec("BEGIN");
    ScriptRunner runner(conn.get(), ScriptRunner::Kind::kDump, o.name);
    runner.set_confined(o.confined);
    if (acls_early)
      runner.set_early_acls_applied();
    else
      runner.set_early_acls([&] { return layout.acl_statements; });
    if (!rest.empty()) runner.feed(rest.front()->sets.data(), rest.front()->sets.size());
    feed_entries(runner, merged_ranges(rest));
    add_stats(total, runner.finish(false));
    if (!lent_revokes.empty()) conn.exec(lent_revokes);
    conn.exec("COMMIT");
  }
  phase_done("the rest");
  log_verbose("--jobs: " + timings);
  tick();
  return total;
}

}  // namespace pgscribe
