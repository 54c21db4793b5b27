#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "scribe/core/chain.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"

namespace {

TEST(ChainNames, TimestampsRoundTripAndSort) {
  EXPECT_EQ(scribe::utc_name_timestamp(0), "19700101T000000Z");
  EXPECT_EQ(scribe::utc_name_timestamp(1795262400), "20261121T120000Z");
  EXPECT_EQ(scribe::parse_name_timestamp("20261121T120000Z"), 1795262400);
  for (const char* bad :
       {"", "20261121T120000", "20261321T120000Z", "20261121T126000Z", "2026112xT120000Z", "20260230T120000Z"})
    EXPECT_FALSE(scribe::parse_name_timestamp(bad).has_value()) << bad;
  // Two rotations in one second still get ordered, distinct names.
  EXPECT_EQ(scribe::next_name_timestamp(1795262400, ""), "20261121T120000Z");
  EXPECT_EQ(scribe::next_name_timestamp(1795262400, "20261121T120000Z"), "20261121T120001Z");
  EXPECT_EQ(scribe::next_name_timestamp(1795262400, "20261121T120005Z"), "20261121T120006Z");
}

TEST(ChainNames, FileNames) {
  EXPECT_EQ(scribe::chain_dir_name("20261121T120000Z"), "chain-20261121T120000Z");
  EXPECT_EQ(scribe::chain_id_from_dir_name("chain-20261121T120000Z"), "20261121T120000Z");
  EXPECT_FALSE(scribe::chain_id_from_dir_name("chain-x").has_value());
  EXPECT_EQ(scribe::diff_file_name("20261121T120000Z", ".zst"), "diff-20261121T120000Z.sql.zst");
  EXPECT_TRUE(scribe::is_diff_file_name("diff-20261121T120000Z.sql"));
  EXPECT_TRUE(scribe::is_diff_file_name("diff-20261121T120000Z.sql.lz4"));
  EXPECT_FALSE(scribe::is_diff_file_name("diff-20261121T120000Z.sql.tmp"));
  EXPECT_FALSE(scribe::is_diff_file_name("diff-../../etc.sql"));
}

scribe::Manifest sample_manifest() {
  scribe::Manifest m;
  m.chain_id = "20261121T120000Z";
  m.system_identifier = 7312345678901234567ULL;
  m.database = "shop \"main\"";
  m.slot = "pg_scribe";
  m.start_lsn = 0x3A1F2B8;
  m.compression = "zstd:3";
  m.base = {"base.sql.zst", 1234, std::string(64, 'a'), "zstd:3"};
  m.globals = {"globals.sql", 99, std::string(64, 'b'), "none"};
  scribe::SealedDiff d;
  d.stored = {"diff-20261121T130000Z.sql.zst", 555, std::string(64, 'c'), "zstd:3"};
  d.start_lsn = 0x3A1F2B8;
  d.end_lsn = 0x4000000;
  d.transactions = 3;
  d.first_commit_lsn = 0x3A20000;
  d.last_commit_lsn = 0x3FF0000;
  d.first_commit_time = "2026-11-21T12:00:01.123456Z";
  d.last_commit_time = "2026-11-21T12:59:59.000001Z";
  d.sealed_at = "2026-11-21T13:00:00.000000Z";
  m.diffs.push_back(d);
  return m;
}

TEST(Manifest, RoundTrips) {
  const scribe::Manifest m = sample_manifest();
  const scribe::Manifest back = scribe::parse_manifest(scribe::manifest_to_json(m));
  EXPECT_EQ(scribe::manifest_to_json(back), scribe::manifest_to_json(m));
  EXPECT_EQ(back.system_identifier, m.system_identifier);
  EXPECT_EQ(back.database, m.database);
  ASSERT_EQ(back.diffs.size(), 1u);
  EXPECT_EQ(back.diffs[0].end_lsn, 0x4000000u);
  EXPECT_EQ(back.stream_position(), 0x4000000u);
  EXPECT_EQ(back.last_commit_lsn(), 0x3FF0000u);
}

TEST(Manifest, RefusesDamage) {
  std::string json = scribe::manifest_to_json(sample_manifest());
  EXPECT_THROW(scribe::parse_manifest(json.substr(0, json.size() / 2)), scribe::Error);
  std::string hostile = json;
  hostile.replace(hostile.find("diff-20261121T130000Z.sql.zst"), 29, "../../../../etc/passwd.sql.zs");
  EXPECT_THROW(scribe::parse_manifest(hostile), scribe::Error);
  std::string bad_lsn = json;
  bad_lsn.replace(bad_lsn.find("\"0/4000000\""), 11, "\"yesterday\"");
  EXPECT_THROW(scribe::parse_manifest(bad_lsn), scribe::Error);
}

class ChainFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/scribe_chain_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { scribe::remove_tree(dir_); }
  std::string active() const { return scribe::join_path(dir_, "active.sql"); }
  void append(const std::string& text) {
    scribe::File f(active(), scribe::File::Mode::kAppend);
    f.write_all(text);
  }
  std::string dir_;
};

constexpr const char kTxn1[] =
    "-- scribe xid=700 lsn=0/3000000 commit=2026-11-21T12:00:01.000000Z\nBEGIN;\n"
    "INSERT INTO public.t (id, v) VALUES (1, 'COMMIT;\n-- scribe xid=1 lsn=0/1 commit=x');\nCOMMIT;\n";
constexpr const char kTxn2[] =
    "-- scribe xid=701 lsn=0/3000100 commit=2026-11-21T12:00:02.000000Z\nBEGIN;\n"
    "DELETE FROM ONLY public.t WHERE id = 1;\nCOMMIT;\n";

TEST_F(ChainFiles, RecoveryCutsTheTornTail) {
  scribe::create_active_file(dir_, "20261121T120000Z", 0x2000000, "UTF8");
  append(kTxn1);
  const std::uint64_t whole = scribe::File(active(), scribe::File::Mode::kRead).size();
  append(std::string(kTxn2).substr(0, 80));
  const scribe::ActiveFileState state = scribe::recover_active_file(dir_, "20261121T120000Z", 0, "UTF8");
  EXPECT_EQ(state.start_lsn, 0x2000000u);
  EXPECT_EQ(state.transactions, 1u);
  EXPECT_EQ(state.last_commit_lsn, 0x3000000u);
  EXPECT_EQ(state.size, whole);
  EXPECT_EQ(state.torn_bytes, 80u);
  EXPECT_EQ(scribe::File(active(), scribe::File::Mode::kRead).size(), whole);
}

TEST_F(ChainFiles, RecoveryUndoesASealInterruptedBeforeItsRename) {
  // seal_active_file() appends the sequence values and the trailer, syncs,
  // then renames: a crash in between leaves them in active.sql.
  const std::string tail =
      "SELECT pg_catalog.setval('public.t_id_seq', 5, true);\n" + scribe::diff_trailer_line(0x3100000, 2);
  scribe::create_active_file(dir_, "20261121T120000Z", 0x2000000, "UTF8");
  append(kTxn1);
  append(kTxn2);
  const std::uint64_t whole = scribe::File(active(), scribe::File::Mode::kRead).size();
  append(tail);
  scribe::ActiveFileState state = scribe::recover_active_file(dir_, "20261121T120000Z", 0, "UTF8");
  EXPECT_TRUE(state.unsealed);
  EXPECT_EQ(state.transactions, 2u);
  EXPECT_EQ(state.last_commit_lsn, 0x3000100u);
  EXPECT_EQ(state.size, whole);
  EXPECT_EQ(state.torn_bytes, tail.size());
  EXPECT_EQ(scribe::File(active(), scribe::File::Mode::kRead).size(), whole);
  // Without a transaction: the prologue alone is left.
  scribe::remove_file(active());
  scribe::create_active_file(dir_, "20261121T120000Z", 0x2000000, "UTF8");
  const std::string prologue = scribe::read_small_file(active());
  append(tail);
  state = scribe::recover_active_file(dir_, "20261121T120000Z", 0, "UTF8");
  EXPECT_TRUE(state.unsealed);
  EXPECT_EQ(state.start_lsn, 0x2000000u);
  EXPECT_EQ(state.transactions, 0u);
  EXPECT_EQ(scribe::read_small_file(active()), prologue);
}

TEST_F(ChainFiles, RecoveryRewritesATornPrologue) {
  {
    scribe::File f(active(), scribe::File::Mode::kCreateNew);
    f.write_all("-- pg_scribe diff cha");
  }
  const scribe::ActiveFileState state = scribe::recover_active_file(dir_, "20261121T120000Z", 0x2000000, "UTF8");
  EXPECT_EQ(state.start_lsn, 0x2000000u);
  EXPECT_EQ(state.transactions, 0u);
  EXPECT_EQ(
      scribe::read_small_file(active()).rfind("-- pg_scribe diff chain=20261121T120000Z start_lsn=0/2000000\n", 0), 0u);
}

TEST_F(ChainFiles, SealThenReconcileIsIdempotent) {
  for (const char* spec : {"none", "zstd:3", "gzip", "lz4"}) {
    scribe::remove_tree(dir_);
    scribe::make_directory(dir_);
    scribe::Manifest m = sample_manifest();
    m.diffs.clear();
    m.start_lsn = 0x2000000;
    scribe::create_active_file(dir_, "20261121T120000Z", 0x2000000, "UTF8");
    append(kTxn1);
    append(kTxn2);
    scribe::SealRequest req;
    req.chain_dir = dir_;
    req.file_timestamp = "20261121T130000Z";
    req.end_lsn = 0x3100000;
    req.sequences_sql = "SELECT 1;\n";
    req.compression = scribe::parse_compression_spec(spec);
    req.sealed_at = "2026-11-21T13:00:00.000000Z";
    const scribe::SealedDiff sealed = scribe::seal_active_file(req);
    EXPECT_FALSE(scribe::path_exists(active())) << spec;
    EXPECT_EQ(sealed.transactions, 2u);
    EXPECT_EQ(sealed.start_lsn, 0x2000000u);
    EXPECT_EQ(sealed.first_commit_lsn, 0x3000000u);
    EXPECT_EQ(sealed.last_commit_time, "2026-11-21T12:00:02.000000Z");
    // A crash before the manifest entry: reconcile finds the same facts.
    ASSERT_TRUE(scribe::reconcile_chain(dir_, m, "2026-11-21T13:00:00.000000Z")) << spec;
    ASSERT_EQ(m.diffs.size(), 1u);
    EXPECT_EQ(m.diffs[0].stored.sha256, sealed.stored.sha256) << spec;
    EXPECT_EQ(m.diffs[0].stored.bytes, sealed.stored.bytes);
    EXPECT_EQ(m.diffs[0].end_lsn, 0x3100000u);
    EXPECT_EQ(m.diffs[0].transactions, 2u);
    EXPECT_FALSE(scribe::reconcile_chain(dir_, m, "x"));
  }
}

TEST_F(ChainFiles, ReconcileDropsAnActiveFileItsCompressedDiffHolds) {
  scribe::Manifest m = sample_manifest();
  m.diffs.clear();
  m.start_lsn = 0x2000000;
  scribe::create_active_file(dir_, "20261121T120000Z", 0x2000000, "UTF8");
  append(kTxn1);
  const std::string copy = scribe::read_small_file(active());
  scribe::SealRequest req;
  req.chain_dir = dir_;
  req.file_timestamp = "20261121T130000Z";
  req.end_lsn = 0x3100000;
  req.compression = scribe::parse_compression_spec("zstd");
  (void)scribe::seal_active_file(req);
  // As if the crash came between the rename and the unlink of active.sql.
  scribe::write_file_atomically(active(), copy);
  ASSERT_TRUE(scribe::reconcile_chain(dir_, m, "now"));
  EXPECT_FALSE(scribe::path_exists(active()));
  EXPECT_EQ(m.diffs.size(), 1u);
}

TEST_F(ChainFiles, SealRefusesAnUnfinishedTransaction) {
  scribe::create_active_file(dir_, "20261121T120000Z", 0x2000000, "UTF8");
  append(std::string(kTxn1).substr(0, 90));
  const std::string before = scribe::read_small_file(active());
  scribe::SealRequest req;
  req.chain_dir = dir_;
  req.file_timestamp = "20261121T130000Z";
  req.end_lsn = 0x3100000;
  EXPECT_THROW(scribe::seal_active_file(req), scribe::Error);
  EXPECT_EQ(scribe::read_small_file(active()), before);
  EXPECT_EQ(scribe::list_directory(dir_).size(), 1u);
}

}  // namespace
