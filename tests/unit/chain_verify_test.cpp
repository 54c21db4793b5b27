#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "scribe/core/chain.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/chain_verify.hpp"
#include "scribe/core/compression.hpp"
#include "scribe/core/diff_scan.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/digest.hpp"

namespace {

using scribe::Severity;
using scribe::VerifyOptions;
using scribe::VerifyReport;

constexpr char kChainId[] = "20261121T120000Z";
constexpr std::uint64_t kStart = 0x2000000;

std::string lsn(std::uint64_t value) {
  char buf[scribe::kLsnTextSize];
  scribe::format_lsn(value, buf);
  return buf;
}

std::string commit_time(std::uint32_t xid) { return "2026-11-21T12:00:" + std::to_string(xid % 60) + ".000000Z"; }

// One transaction as the decoder writes it; the value holds text that looks
// like structure to a naive reader.
std::string txn(std::uint32_t xid, std::uint64_t commit_lsn) {
  return "-- scribe xid=" + std::to_string(xid) + " lsn=" + lsn(commit_lsn) + " commit=" + commit_time(xid) +
         "\nBEGIN;\nINSERT INTO public.t (id, v) VALUES (" + std::to_string(xid) +
         ", 'Alice COMMIT;\n-- pg_scribe sealed end_lsn=0/1 transactions=9');\nCOMMIT;\n";
}

// What pg_dump and pg_dumpall write last (15.14+: then an \\unrestrict line).
const std::string kBaseEnd = "\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n";
const std::string kGlobalsEnd = "\n--\n-- PostgreSQL database cluster dump complete\n--\n\n";

std::string compress(const std::string& text, const std::string& spec) {
  std::string out;
  auto compressor = scribe::make_compressor(scribe::parse_compression_spec(spec),
                                            [&](const char* data, std::size_t n) { out.append(data, n); });
  compressor->write(text.data(), text.size());
  compressor->finish();
  return out;
}

std::string dump(const VerifyReport& report) {
  std::string text;
  for (const auto& p : report.problems)
    text +=
        std::string(p.severity == Severity::kError ? "ERROR " : "WARNING ") + "[" + p.file + "] " + p.message + "\n";
  return text;
}

bool has(const VerifyReport& report, Severity severity, const std::string& file, const std::string& fragment) {
  for (const auto& p : report.problems)
    if (p.severity == severity && p.file == file && p.message.find(fragment) != std::string::npos) return true;
  return false;
}

VerifyOptions no_content() {
  VerifyOptions options;
  options.check_content = false;
  return options;
}

std::size_t errors(const VerifyReport& report) {
  std::size_t n = 0;
  for (const auto& p : report.problems) n += p.severity == Severity::kError;
  return n;
}

class ChainVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/scribe_verify_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    chain_ = scribe::join_path(root_, scribe::chain_dir_name(kChainId));
    scribe::make_directory(chain_);
  }
  void TearDown() override { scribe::remove_tree(root_); }

  std::string path(const std::string& name) const { return scribe::join_path(chain_, name); }
  std::string diff_name(std::size_t i) const { return m_.diffs[i].stored.file; }

  // Size and checksum of the bytes now on disk, as the manifest records them.
  void restamp(scribe::StoredFile& f) {
    scribe::Sha256 hash;
    const std::string bytes = scribe::read_small_file(path(f.file));
    hash.update(bytes);
    f.bytes = bytes.size();
    f.sha256 = hash.hex();
  }

  scribe::StoredFile store(const std::string& name, const std::string& text, const std::string& spec) {
    scribe::StoredFile f{name, 0, "", spec};
    scribe::write_file_atomically(path(name), spec == "none" ? text : compress(text, spec));
    restamp(f);
    return f;
  }

  void seal(const std::string& timestamp, std::uint64_t start, std::uint64_t end, const std::string& body,
            const std::string& spec) {
    scribe::create_active_file(chain_, kChainId, start, "UTF8");
    {
      scribe::File f(path("active.sql"), scribe::File::Mode::kAppend);
      f.write_all(body);
    }
    scribe::SealRequest req;
    req.chain_dir = chain_;
    req.file_timestamp = timestamp;
    req.end_lsn = end;
    req.sequences_sql = "SELECT pg_catalog.setval('public.t_id_seq', 42, true);\n";
    req.compression = scribe::parse_compression_spec(spec);
    req.sealed_at = "2026-11-21T13:00:00.000000Z";
    m_.diffs.push_back(scribe::seal_active_file(req));
  }

  void save() { scribe::save_manifest(chain_, m_); }

  // base.sql.zst, globals.sql, metadata.json, three diffs sealed plain,
  // gzip and zstd, and the active.sql that follows them.
  void build_good_chain() {
    m_.chain_id = kChainId;
    m_.system_identifier = 7312345678901234567ULL;
    m_.database = "shop";
    m_.slot = "pg_scribe";
    m_.start_lsn = kStart;
    m_.compression = "zstd";
    m_.base = store("base.sql.zst", "CREATE TABLE public.t (id integer, v text);\n" + kBaseEnd, "zstd");
    m_.globals = store("globals.sql", "CREATE ROLE app;\n" + kGlobalsEnd, "none");
    scribe::write_file_atomically(path("metadata.json"), "{}");
    seal("20261121T130000Z", kStart, 0x3100000, txn(700, 0x3000000) + txn(701, 0x3000100), "none");
    seal("20261121T140000Z", 0x3100000, 0x3200000, txn(702, 0x3100100) + txn(703, 0x3100200), "gzip");
    seal("20261121T150000Z", 0x3200000, 0x3300000, txn(704, 0x3200100), "zstd:3");
    scribe::create_active_file(chain_, kChainId, 0x3300000, "UTF8");
    save();
  }

  // Replaces diff i by `text` (compressed as the manifest says), and puts
  // the new file's size and checksum into the manifest: only a content
  // check can find what is wrong inside.
  void rewrite_diff(std::size_t i, const std::string& text) {
    scribe::StoredFile& f = m_.diffs[i].stored;
    scribe::write_file_atomically(path(f.file), f.compression == "none" ? text : compress(text, f.compression));
    restamp(f);
    save();
  }

  void flip_byte(const std::string& name, std::size_t offset) {
    std::string bytes = scribe::read_small_file(path(name));
    ASSERT_LT(offset, bytes.size());
    bytes[offset] = static_cast<char>(bytes[offset] ^ 0x20);
    scribe::write_file_atomically(path(name), bytes);
  }

  VerifyReport verify(const VerifyOptions& options = VerifyOptions()) { return scribe::verify_chain(chain_, options); }

  std::string root_;
  std::string chain_;
  scribe::Manifest m_;
};

TEST_F(ChainVerify, GoodChainIsOk) {
  build_good_chain();
  const VerifyReport r = verify();
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_TRUE(r.manifest_ok);
  EXPECT_EQ(r.chain_id, kChainId);
  EXPECT_EQ(r.manifest.diffs.size(), 3u);
  EXPECT_EQ(r.files_checked, 5u);
  EXPECT_EQ(r.transactions_checked, 5u);
  std::uint64_t bytes = m_.base.bytes + m_.globals.bytes;
  for (const auto& d : m_.diffs) bytes += d.stored.bytes;
  EXPECT_EQ(r.bytes_checked, bytes);
  // A trailing slash names the same directory.
  EXPECT_TRUE(scribe::verify_chain(chain_ + "/", VerifyOptions()).ok());
}

TEST_F(ChainVerify, FlippedByteIsAChecksumMismatch) {
  build_good_chain();
  const std::string bytes = scribe::read_small_file(path(diff_name(0)));
  flip_byte(diff_name(0), bytes.find("Alice"));  // 'A' -> 'a': the content still parses
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].file, diff_name(0));
  EXPECT_EQ(r.problems[0].message.rfind("checksum mismatch: expected " + m_.diffs[0].stored.sha256 + ", found ", 0), 0u)
      << dump(r);
  EXPECT_EQ(r.files_checked, 5u);
}

TEST_F(ChainVerify, TruncatedDiff) {
  build_good_chain();
  const std::uint64_t size = m_.diffs[0].stored.bytes;
  {
    scribe::File f(path(diff_name(0)), scribe::File::Mode::kAppend);
    f.truncate(size - 20);  // into the trailer line
  }
  const std::uint64_t zsize = m_.diffs[2].stored.bytes;
  {
    scribe::File f(path(diff_name(2)), scribe::File::Mode::kAppend);
    f.truncate(zsize - 5);
  }
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(
      has(r, Severity::kError, diff_name(0),
          "size mismatch: manifest says " + std::to_string(size) + " bytes, file has " + std::to_string(size - 20)))
      << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "not sealed")) << dump(r);
  EXPECT_FALSE(has(r, Severity::kError, diff_name(0), "checksum mismatch")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(2), "size mismatch")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(2), "compressed data is truncated")) << dump(r);
  EXPECT_FALSE(has(r, Severity::kError, diff_name(1), "")) << dump(r);
}

TEST_F(ChainVerify, MissingDiff) {
  build_good_chain();
  scribe::remove_file(path(diff_name(1)));
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].file, diff_name(1));
  EXPECT_EQ(r.problems[0].message, "file is missing");
  EXPECT_EQ(r.files_checked, 4u);
  EXPECT_EQ(r.transactions_checked, 3u);
}

TEST_F(ChainVerify, UnlistedDiffIsAnError) {
  build_good_chain();
  const std::string extra = "diff-20261121T160000Z.sql";
  scribe::write_file_atomically(path(extra), scribe::read_small_file(path(diff_name(0))));
  scribe::write_file_atomically(path("notes.txt"), "mine");
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(r, Severity::kError, extra, "not in the manifest")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kWarning, "notes.txt", "not part of the chain")) << dump(r);
  EXPECT_EQ(errors(r), 1u) << dump(r);
}

TEST_F(ChainVerify, TemporaryFileIsAWarning) {
  build_good_chain();
  scribe::File(path("diff-20261121T160000Z.sql.zst.tmp"), scribe::File::Mode::kCreateNew).write_all("half");
  const VerifyReport r = verify();
  EXPECT_TRUE(r.ok()) << dump(r);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].severity, Severity::kWarning);
  EXPECT_EQ(r.problems[0].file, "diff-20261121T160000Z.sql.zst.tmp");
}

TEST_F(ChainVerify, GapBetweenDiffs) {
  build_good_chain();
  m_.diffs[1].start_lsn = 0x3101000;
  save();
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(r, Severity::kError, diff_name(1),
                  "gap in the stream: diff starts at 0/3101000 but the previous one ended at 0/3100000"))
      << dump(r);
  // The file itself says where it starts.
  EXPECT_TRUE(has(r, Severity::kError, diff_name(1), "header says start_lsn 0/3100000 but the manifest says 0/3101000"))
      << dump(r);
}

TEST_F(ChainVerify, OverlapBetweenDiffs) {
  build_good_chain();
  m_.diffs[2].start_lsn = 0x31FF000;
  m_.diffs[0].start_lsn = 0x1000000;  // before the chain's start
  save();
  const VerifyReport r = verify(no_content());
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(r, Severity::kError, diff_name(2),
                  "overlap in the stream: diff starts at 0/31FF000 but the previous one ended at 0/3200000"))
      << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0),
                  "overlap at the start of the stream: diff starts at 0/1000000 but the chain starts at 0/2000000"))
      << dump(r);
  EXPECT_EQ(errors(r), 2u) << dump(r);
}

TEST_F(ChainVerify, DiffEndingBeforeItStarts) {
  build_good_chain();
  m_.diffs[2].end_lsn = 0x3100000;
  save();
  const VerifyReport r = verify(no_content());
  EXPECT_TRUE(
      has(r, Severity::kError, diff_name(2), "diff ends before it starts: start_lsn 0/3200000, end_lsn 0/3100000"))
      << dump(r);
}

TEST_F(ChainVerify, HeaderLyingAboutItsStart) {
  build_good_chain();
  rewrite_diff(1, scribe::diff_header_line(kChainId, 0x3100800) + txn(702, 0x3100100) + txn(703, 0x3100200) +
                      scribe::diff_trailer_line(0x3200000, 2));
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].file, diff_name(1));
  EXPECT_EQ(r.problems[0].message, "header says start_lsn 0/3100800 but the manifest says 0/3100000");
}

TEST_F(ChainVerify, HeaderNamingAnotherChain) {
  build_good_chain();
  rewrite_diff(0, scribe::diff_header_line("20261122T000000Z", kStart) + txn(700, 0x3000000) + txn(701, 0x3000100) +
                      scribe::diff_trailer_line(0x3100000, 2));
  const VerifyReport r = verify();
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].message, "header names chain 20261122T000000Z, not 20261121T120000Z");
}

TEST_F(ChainVerify, ContentCheckCanBeSkipped) {
  build_good_chain();
  rewrite_diff(1, scribe::diff_header_line(kChainId, 0x3100800) + txn(702, 0x3100100) + txn(703, 0x3100200) +
                      scribe::diff_trailer_line(0x3200000, 2));
  VerifyOptions options;
  options.check_content = false;
  const VerifyReport r = verify(options);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.files_checked, 5u);
  EXPECT_EQ(r.transactions_checked, 0u);
}

TEST_F(ChainVerify, TrailerTransactionCountWrong) {
  build_good_chain();
  rewrite_diff(0, scribe::diff_header_line(kChainId, kStart) + txn(700, 0x3000000) + txn(701, 0x3000100) +
                      scribe::diff_trailer_line(0x3100000, 3));
  const VerifyReport r = verify();
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].message, "trailer says 3 transactions but the manifest says 2");
}

TEST_F(ChainVerify, TrailerEndLsnWrongAndNotLast) {
  build_good_chain();
  rewrite_diff(0, scribe::diff_header_line(kChainId, kStart) + txn(700, 0x3000000) +
                      scribe::diff_trailer_line(0x3100008, 2) + txn(701, 0x3000100));
  const VerifyReport r = verify();
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "trailer says end_lsn 0/3100008 but the manifest says 0/3100000"))
      << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "the trailer is not the last line of the file")) << dump(r);
}

TEST_F(ChainVerify, TornTransactionInASealedDiff) {
  build_good_chain();
  const std::string torn = txn(701, 0x3000100);
  rewrite_diff(0, scribe::diff_header_line(kChainId, kStart) + txn(700, 0x3000000) +
                      torn.substr(0, torn.find("INSERT")) + "DELETE FROM ONLY public.t WHERE id = 1;\n" +
                      scribe::diff_trailer_line(0x3100000, 2));
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "incomplete transaction at the end of the file")) << dump(r);
  // The trailer inside the open transaction is no trailer.
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "not sealed")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "the file holds 1 transaction but the manifest says 2"))
      << dump(r);
  EXPECT_FALSE(has(r, Severity::kError, diff_name(0), "checksum")) << dump(r);
}

TEST_F(ChainVerify, CommitsOutOfOrderAcrossDiffs) {
  build_good_chain();
  rewrite_diff(
      2, scribe::diff_header_line(kChainId, 0x3200000) + txn(704, 0x3100150) + scribe::diff_trailer_line(0x3300000, 1));
  m_.diffs[2].first_commit_lsn = m_.diffs[2].last_commit_lsn = 0x3100150;
  save();
  const VerifyReport r = verify();
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].message,
            "commit lsn 0/3100150 (xid 704) does not follow the previous commit at 0/3100200 in an earlier diff");
}

TEST_F(ChainVerify, CommitsOutOfOrderWithinADiff) {
  build_good_chain();
  rewrite_diff(1, scribe::diff_header_line(kChainId, 0x3100000) + txn(702, 0x3100100) + txn(703, 0x3100100) +
                      scribe::diff_trailer_line(0x3200000, 2));
  m_.diffs[1].last_commit_lsn = 0x3100100;
  save();
  const VerifyReport r = verify();
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].message, "commit lsn 0/3100100 (xid 703) does not follow the previous commit at 0/3100100");
}

TEST_F(ChainVerify, ManifestCommitLsnsMustMatch) {
  build_good_chain();
  m_.diffs[0].first_commit_lsn = 0x3000001;
  m_.diffs[1].last_commit_time = "2026-11-21T12:00:00.000000Z";
  save();
  VerifyReport r = verify();
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "first commit lsn is 0/3000000 but the manifest says 0/3000001"))
      << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(1),
                  "last commit time is \"2026-11-21T12:00:43.000000Z\" but the manifest says "
                  "\"2026-11-21T12:00:00.000000Z\""))
      << dump(r);
  EXPECT_EQ(errors(r), 2u) << dump(r);

  m_.diffs[0].transactions = 3;
  save();
  r = verify();
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "trailer says 2 transactions but the manifest says 3")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "the file holds 2 transactions but the manifest says 3"))
      << dump(r);
}

TEST_F(ChainVerify, GarbageFiles) {
  build_good_chain();
  std::mt19937 random(20261121);
  auto garbage = [&](std::size_t n) {
    std::string bytes(n, '\0');
    for (char& ch : bytes) ch = static_cast<char>(random());
    return bytes;
  };
  // Garbage with a size and checksum the manifest agrees with.
  for (std::size_t i : {0u, 2u}) {
    scribe::write_file_atomically(path(diff_name(i)), garbage(5000 + i));
    restamp(m_.diffs[i].stored);
  }
  scribe::write_file_atomically(path(m_.base.file), garbage(3000));
  restamp(m_.base);
  save();
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "no diff header")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(2), "compressed data is corrupt")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, m_.base.file, "compressed data is corrupt")) << dump(r);
  EXPECT_FALSE(has(r, Severity::kError, diff_name(1), "")) << dump(r);
  EXPECT_EQ(r.files_checked, 5u);
}

TEST_F(ChainVerify, CorruptedCompressedData) {
  build_good_chain();
  for (std::size_t i : {1u, 2u}) {
    flip_byte(diff_name(i), m_.diffs[i].stored.bytes / 2);
    restamp(m_.diffs[i].stored);
  }
  save();
  const VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(r, Severity::kError, diff_name(1), "compressed data is ")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(2), "compressed data is ")) << dump(r);
  EXPECT_FALSE(has(r, Severity::kError, diff_name(1), "checksum mismatch")) << dump(r);
}

TEST_F(ChainVerify, BadManifest) {
  build_good_chain();
  scribe::write_file_atomically(path("manifest.json"), "{\"format\": \"pg_scribe manifest 1\", \"chain_id\": ");
  VerifyReport r = verify();
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.manifest_ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].file, "manifest.json");
  EXPECT_EQ(r.files_checked, 0u);
  EXPECT_EQ(r.chain_id, kChainId);  // from the directory name

  scribe::remove_file(path("manifest.json"));
  r = verify();
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].message, "file is missing");

  m_.chain_id = "20261122T000000Z";
  save();
  r = verify();
  EXPECT_TRUE(r.manifest_ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].message,
            "manifest is for chain 20261122T000000Z but the directory is named chain-20261121T120000Z");
  EXPECT_EQ(r.files_checked, 0u);

  r = scribe::verify_chain(scribe::join_path(root_, "chain-20991231T000000Z"), VerifyOptions());
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].message, "chain directory does not exist");
}

TEST_F(ChainVerify, DiffLimitChecksOnlyAPrefix) {
  build_good_chain();
  flip_byte(diff_name(2), 10);
  scribe::write_file_atomically(path("diff-20261121T160000Z.sql"), "unlisted");
  scribe::remove_file(path(m_.base.file));
  VerifyOptions options;
  options.diff_limit = 2;
  options.include_base = false;
  VerifyReport r = verify(options);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(has(r, Severity::kWarning, "diff-20261121T160000Z.sql", "not in the manifest")) << dump(r);
  EXPECT_EQ(r.files_checked, 3u);
  EXPECT_EQ(r.transactions_checked, 4u);

  options.diff_limit = 0;
  options.include_globals = false;
  r = verify(options);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.files_checked, 0u);

  options = VerifyOptions();
  r = verify(options);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(r, Severity::kError, m_.base.file, "file is missing")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(2), "checksum mismatch")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, "diff-20261121T160000Z.sql", "not in the manifest")) << dump(r);
}

TEST_F(ChainVerify, CompressionFieldMustMatchTheName) {
  build_good_chain();
  m_.diffs[1].stored.compression = "zstd:3";
  m_.globals.compression = "gzip";
  m_.base.compression = "brotli";
  save();
  const VerifyReport r = verify();
  EXPECT_TRUE(has(r, Severity::kError, diff_name(1),
                  "compression mismatch: the file name ends in .gz but the manifest says zstd:3"))
      << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, "globals.sql",
                  "compression mismatch: the file name has no compression suffix but the manifest says gzip"))
      << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, m_.base.file, "unknown compression \"brotli\"")) << dump(r);
  EXPECT_EQ(errors(r), 3u) << dump(r);
}

TEST_F(ChainVerify, DiffNamesMustBeSorted) {
  build_good_chain();
  const std::string renamed = "diff-20261121T125900Z.sql.gz";
  scribe::rename_durably(path(diff_name(1)), path(renamed));
  m_.diffs[1].stored.file = renamed;
  save();
  const VerifyReport r = verify();
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].message,
            "diffs out of order: listed after diff-20261121T130000Z.sql but its name does not sort after it");
}

TEST_F(ChainVerify, ClosedChain) {
  build_good_chain();
  m_.closed = true;
  m_.end_lsn = 0x3300000;
  m_.next_chain = "20261122T000000Z";
  save();
  VerifyReport r = verify();
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(has(r, Severity::kWarning, "active.sql", "active file in a closed chain")) << dump(r);
  scribe::remove_file(path("active.sql"));
  r = verify();
  EXPECT_TRUE(r.problems.empty()) << dump(r);

  m_.end_lsn = 0x3400000;
  save();
  r = verify();
  EXPECT_TRUE(has(r, Severity::kError, "", "the chain was closed at 0/3400000 but its stream ends at 0/3300000"))
      << dump(r);
}

TEST_F(ChainVerify, HostileFilesInPlaceOfDiffs) {
  build_good_chain();
  scribe::remove_file(path(diff_name(0)));
  ASSERT_EQ(::mkfifo(path(diff_name(0)).c_str(), 0600), 0);  // must not hang
  scribe::remove_file(path(diff_name(1)));
  scribe::make_directory(path(diff_name(1)));
  const VerifyReport r = verify();
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "not a regular file")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, diff_name(1), "not a regular file")) << dump(r);
  EXPECT_EQ(errors(r), 2u) << dump(r);
  EXPECT_EQ(r.files_checked, 3u);
}

// Files altered with the manifest rewritten to match (size and sha256):
// only the content checks can find these.
TEST_F(ChainVerify, MetaCommandsInDiffs) {
  build_good_chain();
  const std::string header = "-- pg_scribe diff chain=" + std::string(kChainId) + " start_lsn=" + lsn(kStart) + "\n";
  const std::string trailer = "-- pg_scribe sealed end_lsn=" + lsn(0x3100000) + " transactions=2\n";
  std::string between = txn(700, 0x3000000) + "\\! touch /tmp/x\n" + txn(701, 0x3000100);
  rewrite_diff(0, header + between + trailer);
  VerifyReport r = verify();
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "psql meta-command line at offset")) << dump(r);

  // Inside a statement psql runs it too; the server would reject the rest.
  std::string inside = txn(700, 0x3000000) + txn(701, 0x3000100);
  inside.insert(inside.find("VALUES (701"), "\n\\! touch /tmp/x\n");
  rewrite_diff(0, header + inside + trailer);
  r = verify();
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "backslash inside a statement at offset")) << dump(r);
  // In quotes, comments and COPY-free SQL it is data.
  scribe::DiffScanner scanner;
  const std::string quoted = "SELECT E'a\\\\b', 'c\\d', \"e\\f\", $$g\\h$$ /* \\i */; -- \\j\n";
  scanner.feed(quoted.data(), quoted.size());
  scanner.finish();
  EXPECT_FALSE(scanner.backslash_in_statement().has_value());
}

TEST_F(ChainVerify, NulBytes) {
  build_good_chain();
  const std::string header = "-- pg_scribe diff chain=" + std::string(kChainId) + " start_lsn=" + lsn(kStart) + "\n";
  const std::string trailer = "-- pg_scribe sealed end_lsn=" + lsn(0x3100000) + " transactions=2\n";
  std::string body = txn(700, 0x3000000) + txn(701, 0x3000100);
  body.insert(body.find("INSERT"), std::string(1, '\0'));
  rewrite_diff(0, header + body + trailer);
  const VerifyReport r = verify();
  EXPECT_TRUE(has(r, Severity::kError, diff_name(0), "a NUL byte at offset")) << dump(r);
}

TEST_F(ChainVerify, DumpsCutShort) {
  build_good_chain();
  // Cut at a statement boundary: every statement whole, the rest missing.
  scribe::remove_file(path(m_.base.file));
  m_.base = store("base.sql.zst", "CREATE TABLE public.t (id integer, v text);\n", "zstd");
  scribe::remove_file(path(m_.globals.file));
  m_.globals = store("globals.sql", "", "none");
  save();
  const VerifyReport r = verify();
  EXPECT_TRUE(has(r, Severity::kError, "base.sql.zst", "the dump is cut short")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, "globals.sql", "the dump is cut short")) << dump(r);
  EXPECT_EQ(errors(r), 2u) << dump(r);
}

TEST_F(ChainVerify, ProgressIsReported) {
  build_good_chain();
  std::string big;
  const std::string line = "INSERT INTO public.t VALUES (1, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');\n";
  while (big.size() < (9u << 20)) big += line;
  scribe::remove_file(path(m_.base.file));
  m_.base = store("base.sql", big + kBaseEnd, "none");
  save();
  std::vector<std::uint64_t> seen;
  VerifyOptions options;
  options.on_progress = [&](std::uint64_t bytes) { seen.push_back(bytes); };
  const VerifyReport r = verify(options);
  EXPECT_TRUE(r.ok()) << dump(r);
  ASSERT_GE(seen.size(), 3u);
  for (std::size_t i = 1; i < seen.size(); i++) EXPECT_GT(seen[i], seen[i - 1]);
  EXPECT_EQ(seen.back(), r.bytes_checked);
  EXPECT_GT(r.bytes_checked, 9u << 20);

  // An exception from the callback cancels the verification.
  options.on_progress = [](std::uint64_t) { throw std::runtime_error("cancelled"); };
  EXPECT_THROW(verify(options), std::runtime_error);
}

TEST_F(ChainVerify, DirectoryChecksCanBeSkipped) {
  build_good_chain();
  scribe::write_file_atomically(path("diff-20261121T160000Z.sql"), "unlisted");
  m_.closed = true;
  m_.end_lsn = 0x3400000;  // not where the stream ends
  m_.next_chain = "20261122T000000Z";
  save();
  VerifyOptions options;
  options.check_directory = false;
  VerifyReport r = verify(options);
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.files_checked, 5u);
  r = verify();
  EXPECT_TRUE(has(r, Severity::kError, "diff-20261121T160000Z.sql", "not in the manifest")) << dump(r);
  EXPECT_TRUE(has(r, Severity::kError, "", "the chain was closed at")) << dump(r);
}

// StoredFileCheck fed by a reader that decompresses the file itself (as
// pg_scribe --restore reads the base) finds what verify_chain finds.
class StoredFileCheckTest : public ChainVerify {
 protected:
  std::vector<scribe::VerifyProblem> check_as_a_reader(const scribe::StoredFile& f) {
    scribe::StoredFileCheck check(f, scribe::kDumpClosingLine);
    auto decompressor = scribe::make_decompressor(scribe::method_for_file_name(f.file),
                                                  [&](const char* data, std::size_t n) { check.content(data, n); });
    const std::string bytes = scribe::read_small_file(path(f.file));
    // In uneven pieces, as a reader's blocks fall.
    for (std::size_t at = 0; at < bytes.size(); at += 7) {
      const std::size_t n = std::min<std::size_t>(7, bytes.size() - at);
      check.stored(bytes.data() + at, n);
      try {
        decompressor->write(bytes.data() + at, n);
      } catch (const std::exception& e) {
        check.content_failed(e.what());
      }
    }
    try {
      decompressor->finish();
    } catch (const std::exception& e) {
      check.content_failed(e.what());
    }
    check.finish();
    EXPECT_EQ(check.stored_bytes(), bytes.size());
    return check.take_problems();
  }

  // verify_chain's problems with the base alone.
  std::vector<std::string> verified_base() {
    VerifyOptions options;
    options.include_globals = false;
    options.diff_limit = 0;
    options.check_directory = false;
    std::vector<std::string> messages;
    for (const auto& p : verify(options).problems) messages.push_back(p.file + ": " + p.message);
    return messages;
  }

  std::vector<std::string> checked_base() {
    std::vector<std::string> messages;
    for (const auto& p : check_as_a_reader(m_.base)) messages.push_back(p.file + ": " + p.message);
    return messages;
  }
};

TEST_F(StoredFileCheckTest, GoodBase) {
  build_good_chain();
  EXPECT_TRUE(checked_base().empty());
  scribe::remove_file(path(m_.base.file));
  m_.base = store("base.sql", "CREATE TABLE public.t (id integer);\n" + kBaseEnd, "none");
  save();
  EXPECT_TRUE(checked_base().empty());
}

TEST_F(StoredFileCheckTest, FindsWhatVerifyFinds) {
  build_good_chain();
  const std::string text =
      "CREATE TABLE public.t (id integer, v text);\nCOPY public.t (id, v) FROM stdin;\n1\tAlice\n\\.\n";
  struct Case {
    const char* what;
    std::function<void()> damage;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"a flipped byte, plain",
       [&] {
         m_.base = store("base.sql", text + kBaseEnd, "none");
         flip_byte("base.sql", 40);
       },
       "checksum mismatch"},
      {"cut short, plain",
       [&] {
         m_.base = store("base.sql", text + kBaseEnd, "none");
         scribe::write_file_atomically(path("base.sql"), text);
       },
       "size mismatch"},
      {"cut at a statement, re-signed", [&] { m_.base = store("base.sql", text, "none"); }, "the dump is cut short"},
      {"a NUL byte, re-signed", [&] { m_.base = store("base.sql", text + std::string(1, '\0') + kBaseEnd, "none"); },
       "a NUL byte at offset"},
      {"empty, re-signed", [&] { m_.base = store("base.sql", "", "none"); }, "the dump is cut short"},
      {"zstd cut mid-frame, re-signed",
       [&] {
         m_.base = store("base.sql.zst", text + kBaseEnd, "zstd");
         const std::string bytes = scribe::read_small_file(path("base.sql.zst"));
         scribe::write_file_atomically(path("base.sql.zst"), bytes.substr(0, bytes.size() / 2));
         restamp(m_.base);
       },
       "compressed data is truncated"},
      {"gzip, a wrong compression field",
       [&] {
         m_.base = store("base.sql.gz", text + kBaseEnd, "gzip");
         m_.base.compression = "zstd";
       },
       "compression mismatch"},
  };
  for (const Case& c : cases) {
    for (const char* name : {"base.sql", "base.sql.zst", "base.sql.gz"})
      if (scribe::path_exists(path(name))) scribe::remove_file(path(name));
    c.damage();
    save();
    const std::vector<std::string> verified = verified_base();
    const std::vector<std::string> checked = checked_base();
    ASSERT_FALSE(checked.empty()) << c.what;
    EXPECT_NE(checked[0].find(c.expected), std::string::npos) << c.what << ": " << checked[0];
    // The same problems (a decompressor's message may carry a detail in
    // verify_chain's: compare the start).
    ASSERT_EQ(verified.size(), checked.size()) << c.what;
    for (std::size_t i = 0; i < checked.size(); i++)
      EXPECT_EQ(verified[i].substr(0, 40), checked[i].substr(0, 40)) << c.what;
  }
}

}  // namespace
