// libFuzzer target: the reader of diff files and pg_dump scripts that
// --restore and --verify use on untrusted files (include/scribe/core/
// diff_scan.hpp), with the header and trailer lines it parses.
//
// The input is a 4-byte split seed followed by the file's bytes. The file is
// scanned three ways, as a restore client does (a COPY ... FROM stdin
// statement switches to COPY data, which is sent on after each feed up to
// copy_data_flushable_end() and the rest in the COPY data callback):
//  - whole, in one feed();
//  - in chunks whose sizes come from the seed (and byte by byte for small
//    inputs);
//  - whole, but with a callback that throws once, at a point chosen by the
//    seed, the scan then resumed from bytes_fed() as the header documents.
// Properties: no crash or sanitizer report; the same events (statements,
// transactions, COPY data with what was streamed, meta-command lines, in
// order), the same clean_end, transaction count and file info every way;
// every event lies inside the input, in order, and a statement ends with
// its ';'. Then the header and trailer lines pg_scribe writes
// (diff_header_line, diff_trailer_line) are read back by the scanner.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scribe/core/chain.hpp"
#include "scribe/core/diff_scan.hpp"

namespace {

struct Event {
  char kind;  // S statement, T transaction, M meta-command line, C COPY data
  std::uint64_t a, b, c;
  bool in_transaction;
  std::string streamed;  // C: the data as the client sent it
  bool operator==(const Event& o) const {
    return kind == o.kind && a == o.a && b == o.b && c == o.c && in_transaction == o.in_transaction &&
           streamed == o.streamed;
  }
};

struct Scan {
  std::vector<Event> events;
  std::uint64_t bytes_fed = 0, clean_end = 0, transactions = 0;
  bool in_transaction = false, at_clean_end = false;
  scribe::DiffFileInfo info;
  std::optional<std::uint64_t> backslash_in_statement;
  std::uint64_t variable_references = 0;
  bool operator==(const Scan& o) const {
    return events == o.events && bytes_fed == o.bytes_fed && clean_end == o.clean_end &&
           backslash_in_statement == o.backslash_in_statement && variable_references == o.variable_references &&
           transactions == o.transactions && in_transaction == o.in_transaction && at_clean_end == o.at_clean_end &&
           info.chain_id == o.info.chain_id && info.start_lsn == o.info.start_lsn &&
           info.has_start == o.info.has_start && info.sealed == o.info.sealed && info.end_lsn == o.info.end_lsn &&
           info.sealed_transactions == o.info.sealed_transactions;
  }
};

[[noreturn]] void failure(const char* what, std::string_view text, const Scan* a = nullptr, const Scan* b = nullptr) {
  std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  input (%zu bytes): ", what, text.size());
  for (unsigned char c : text.substr(0, 2000))
    std::fprintf(stderr, c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", c);
  std::fprintf(stderr, "\n");
  for (const Scan* s : {a, b}) {
    if (s == nullptr) continue;
    std::fprintf(stderr, "  scan: clean_end=%llu tx=%llu events:", static_cast<unsigned long long>(s->clean_end),
                 static_cast<unsigned long long>(s->transactions));
    for (const Event& e : s->events)
      std::fprintf(stderr, " %c(%llu,%llu,%llu)", e.kind, static_cast<unsigned long long>(e.a),
                   static_cast<unsigned long long>(e.b), static_cast<unsigned long long>(e.c));
    std::fprintf(stderr, "\n");
  }
  std::abort();
}

bool is_copy_from_stdin(std::string_view statement) {
  std::string s(statement);
  for (char& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return s.rfind("copy ", 0) == 0 && s.find("from stdin") != std::string::npos;
}

struct Thrown {};

// Scans `text` fed in chunks of next_chunk() bytes. throw_at > 0: the
// throw_at-th callback throws once (after its event is recorded), and the
// scan goes on from bytes_fed().
template <class NextChunk>
Scan scan(std::string_view text, NextChunk next_chunk, std::size_t throw_at = 0) {
  Scan s;
  std::size_t callbacks = 0;
  bool thrown = false;
  auto maybe_throw = [&] {
    if (throw_at != 0 && !thrown && ++callbacks == throw_at) {
      thrown = true;
      throw Thrown{};
    }
  };
  std::string streamed;
  std::uint64_t sent = 0;
  scribe::DiffScanner scanner([&](const scribe::DiffTransaction& tx) {
    s.events.push_back({'T', tx.begin_offset, tx.end_offset, tx.xid, false, {}});
    maybe_throw();
  });
  scanner.set_statement_callback([&](const scribe::DiffStatement& st) {
    const scribe::DiffTransaction* open = scanner.open_transaction();
    s.events.push_back({'S', st.start, st.end, open ? open->xid + std::uint64_t{1} : 0, st.in_transaction, {}});
    if (st.start < st.end && st.end <= text.size() && is_copy_from_stdin(text.substr(st.start, st.end - st.start))) {
      scanner.begin_copy_data();
      if (!scanner.in_copy_data()) failure("begin_copy_data() did not start COPY data", text);
      sent = 0;
      streamed.clear();
    }
    maybe_throw();
  });
  scanner.set_copy_data_callback([&](std::uint64_t data_start, std::uint64_t data_end, std::uint64_t resume) {
    if (data_start > data_end || data_end > resume || resume > text.size())
      failure("COPY data range out of order or outside the input", text);
    const std::uint64_t from = std::max(sent, data_start);
    if (from < data_end) streamed.append(text.substr(from, data_end - from));
    s.events.push_back({'C', data_start, data_end, resume, false, streamed});
    sent = 0;
    streamed.clear();
    maybe_throw();
  });
  scanner.set_meta_command_callback([&](std::uint64_t start, std::uint64_t end) {
    s.events.push_back({'M', start, end, 0, false, {}});
    maybe_throw();
  });
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = std::min(text.size() - i, next_chunk());
    try {
      scanner.feed(text.data() + i, n);
      i += n;
    } catch (const Thrown&) {
      if (scanner.bytes_fed() < i || scanner.bytes_fed() > i + n)
        failure("bytes_fed() outside the call that threw", text);
      i = scanner.bytes_fed();
    }
    if (scanner.in_copy_data()) {
      const std::uint64_t to = scanner.copy_data_flushable_end();
      if (scanner.copy_data_start() > to || to > scanner.bytes_fed()) failure("COPY data flushable range", text);
      const std::uint64_t from = std::max(sent, scanner.copy_data_start());
      if (to > from) {
        streamed.append(text.substr(from, to - from));
        sent = to;
      }
    } else if (scanner.copy_data_flushable_end() != 0) {
      failure("copy_data_flushable_end() outside COPY data", text);
    }
  }
  thrown = true;  // finish() is not resumable the same way: no throw there
  scanner.finish();
  s.bytes_fed = scanner.bytes_fed();
  s.clean_end = scanner.clean_end();
  s.transactions = scanner.transactions();
  s.in_transaction = scanner.in_transaction();
  s.at_clean_end = scanner.at_clean_end();
  s.backslash_in_statement = scanner.backslash_in_statement();
  s.variable_references = scanner.variable_references();
  s.info = scanner.info();
  return s;
}

void check_well_formed(std::string_view text, const Scan& s) {
  if (s.bytes_fed != text.size() || s.clean_end > s.bytes_fed) failure("bytes_fed / clean_end", text, &s);
  std::uint64_t last_statement_end = 0;
  std::uint64_t transactions = 0;
  for (const Event& e : s.events) {
    switch (e.kind) {
      case 'S':
        if (e.a >= e.b || e.b > text.size() || text[e.b - 1] != ';' || e.a < last_statement_end)
          failure("statement outside the input, out of order or not ended by ';'", text, &s);
        last_statement_end = e.b;
        break;
      case 'T':
        if (e.a >= e.b || e.b > text.size()) failure("transaction range", text, &s);
        ++transactions;
        break;
      case 'M':
        if (e.a >= e.b || e.b > text.size() || text[e.a] != '\\') failure("meta-command line range", text, &s);
        break;
      case 'C':
        if (e.streamed != text.substr(e.a, e.b - e.a)) failure("COPY data streamed differs from its range", text, &s);
        break;
    }
  }
  if (transactions > s.transactions) failure("more transactions delivered than counted", text, &s);
}

std::uint64_t rng_next(std::uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

void check_header_trailer(const std::uint8_t* data, std::size_t size) {
  std::uint64_t a = 0, b = 0, c = 0;
  for (std::size_t i = 0; i < size && i < 24; ++i)
    (i < 8 ? a : i < 16 ? b : c) = (i < 8 ? a : i < 16 ? b : c) << 8 | data[i];
  const std::string chain_id = scribe::utc_name_timestamp(static_cast<std::int64_t>(a % 4102444800ULL));
  const std::string text = scribe::diff_header_line(chain_id, b) +
                           "-- scribe xid=7 lsn=0/1 commit=x\nBEGIN;\nCOMMIT;\n" + scribe::diff_trailer_line(c, a);
  const Scan s = scan(text, [&] { return text.size() + 1; });
  if (s.info.chain_id != chain_id || !s.info.has_start || s.info.start_lsn != b || !s.info.sealed ||
      s.info.end_lsn != c || s.info.sealed_transactions != a || s.transactions != 1 || !s.at_clean_end)
    failure("header/trailer lines written by pg_scribe do not read back", text, &s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  std::uint64_t seed = 0x9E3779B97F4A7C15ULL ^ (std::uint64_t{data[0]} | std::uint64_t{data[1]} << 8 |
                                                std::uint64_t{data[2]} << 16 | std::uint64_t{data[3]} << 24);
  const std::string_view text(reinterpret_cast<const char*>(data + 4), size - 4);

  const Scan whole = scan(text, [&] { return text.size() + 1; });
  check_well_formed(text, whole);

  const std::size_t max_chunk = 1 + data[0] % 64;
  std::uint64_t state = seed | 1;
  const Scan chunked = scan(text, [&] { return static_cast<std::size_t>(rng_next(state) % (max_chunk + 1)); });
  if (!(chunked == whole)) failure("chunked scan differs from the whole scan", text, &whole, &chunked);

  if (text.size() <= 4096) {
    const Scan bytewise = scan(text, [] { return std::size_t{1}; });
    if (!(bytewise == whole)) failure("byte-by-byte scan differs from the whole scan", text, &whole, &bytewise);
  }

  if (!whole.events.empty()) {
    const std::size_t throw_at = 1 + (seed >> 8) % whole.events.size();
    std::uint64_t state2 = seed | 1;
    const Scan resumed = scan(
        text, [&] { return static_cast<std::size_t>(1 + rng_next(state2) % (max_chunk * 4)); }, throw_at);
    if (!(resumed == whole)) failure("scan resumed after a callback threw differs", text, &whole, &resumed);
  }

  check_header_trailer(data, size);
  return 0;
}
