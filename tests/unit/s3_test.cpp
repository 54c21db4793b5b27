// The S3 client: URL and answer parsing always; requests against a live
// S3 API server when SCRIBE_TEST_S3_ENDPOINT names one (tests/e2e/s3_client.sh
// starts s3rver and a failing proxy in front of it).
#include "scribe/core/s3.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "scribe/core/error.hpp"
#include "scribe/core/digest.hpp"

namespace scribe::s3 {
namespace {

TEST(S3Url, BucketAndPrefix) {
  const Location l = parse_s3_url("s3://my-bucket/backups/db1/");
  EXPECT_EQ(l.bucket, "my-bucket");
  EXPECT_EQ(l.prefix, "backups/db1");
  EXPECT_EQ(l.key("chain-1/base.sql"), "backups/db1/chain-1/base.sql");
  EXPECT_EQ(l.url(), "s3://my-bucket/backups/db1");
  const Location bare = parse_s3_url("s3://bucket");
  EXPECT_EQ(bare.prefix, "");
  EXPECT_EQ(bare.key("x"), "x");
}

TEST(S3Url, RefusesWhatCouldRedirectRequests) {
  EXPECT_THROW(parse_s3_url("/var/backups"), Error);
  EXPECT_THROW(parse_s3_url("s3://Bucket/x"), Error);
  EXPECT_THROW(parse_s3_url("s3://user:pw@host/x"), Error);
  EXPECT_THROW(parse_s3_url("s3://b/x"), Error);
  EXPECT_THROW(parse_s3_url("s3://bucket//x"), Error);
  EXPECT_THROW(parse_s3_url("s3://bucket/a\nb"), Error);
}

TEST(S3Xml, ListObjectsV2Page) {
  const ListPage page = parse_list_objects_v2(
      "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>"
      "<Contents><Key>p/a&amp;b.sql</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>"
      "<Contents><Key>p/c.sql</Key><Size>0</Size><ETag>\"def\"</ETag></Contents>"
      "<NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>");
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "p/a&b.sql");
  EXPECT_EQ(page.objects[0].size, 12u);
  EXPECT_EQ(page.objects[0].etag, "abc");
  EXPECT_EQ(page.objects[1].etag, "def");
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.continuation_token, "tok+/=");
  EXPECT_EQ(xml_element("<Error><Code>NoSuchKey</Code></Error>", "Code"), "NoSuchKey");
  EXPECT_EQ(xml_element("<Error></Error>", "Code"), "");
}

TEST(S3Settings, AwsProfileFiles) {
  const std::string text =
      "# comment\n[default]\naws_access_key_id = AK1\n\n[profile backup]\nregion=eu-west-1\n"
      "endpoint_url = http://127.0.0.1:9000 \n[other]\nregion = x\n";
  const auto def = read_aws_profile(text, "default");
  ASSERT_EQ(def.size(), 1u);
  EXPECT_EQ(def[0].first, "aws_access_key_id");
  EXPECT_EQ(def[0].second, "AK1");
  const auto backup = read_aws_profile(text, "profile backup");
  ASSERT_EQ(backup.size(), 2u);
  EXPECT_EQ(backup[1].second, "http://127.0.0.1:9000");
  EXPECT_TRUE(read_aws_profile(text, "missing").empty());
}

TEST(S3Settings, EnvironmentFirstThenTheAwsFiles) {
  char dir[] = "/tmp/scribe-aws-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string credentials = std::string(dir) + "/credentials", config = std::string(dir) + "/config";
  std::ofstream(credentials) << "[ci]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n";
  std::ofstream(config) << "[profile ci]\nregion = eu-north-1\nendpoint_url = http://127.0.0.1:9\n";
  // The live tests after this one read the environment: put it back after.
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* v : {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION",
                        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
    if (const char* value = std::getenv(v)) saved.emplace_back(v, value);
  for (const char* v : {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION",
                        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
    unsetenv(v);
  setenv("AWS_SHARED_CREDENTIALS_FILE", credentials.c_str(), 1);
  setenv("AWS_CONFIG_FILE", config.c_str(), 1);
  setenv("AWS_PROFILE", "ci", 1);
  Settings s = settings_from_environment();
  EXPECT_EQ(s.access_key_id, "FILEKEY");
  EXPECT_EQ(s.secret_access_key, "FILESECRET");
  EXPECT_EQ(s.region, "eu-north-1");
  EXPECT_EQ(s.endpoint, "http://127.0.0.1:9");
  setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  setenv("AWS_REGION", "us-west-2", 1);
  s = settings_from_environment();
  EXPECT_EQ(s.access_key_id, "ENVKEY");
  EXPECT_EQ(s.secret_access_key, "ENVSECRET");
  EXPECT_EQ(s.region, "us-west-2");
  for (const char* v : {"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_PROFILE", "AWS_ACCESS_KEY_ID",
                        "AWS_SECRET_ACCESS_KEY", "AWS_REGION"})
    unsetenv(v);
  for (const auto& [name, value] : saved) setenv(name.c_str(), value.c_str(), 1);
  unlink(credentials.c_str());
  unlink(config.c_str());
  rmdir(dir);
}

TEST(S3Retry, BackoffDoublesUpToTheCap) {
  Settings s;
  s.base_delay_ms = 100;
  s.max_delay_ms = 1000;
  EXPECT_EQ(backoff_delay_ms(s, 1), 100);
  EXPECT_EQ(backoff_delay_ms(s, 2), 200);
  EXPECT_EQ(backoff_delay_ms(s, 4), 800);
  EXPECT_EQ(backoff_delay_ms(s, 5), 1000);
  EXPECT_EQ(backoff_delay_ms(s, 30), 1000);
}

TEST(S3Client, RefusesMissingCredentialsWithoutNamingThem) {
  Settings s;
  s.endpoint = "http://127.0.0.1:1";
  s.access_key_id = "AKIDSECRETLOOKING";
  try {
    Client c(s, parse_s3_url("s3://bucket"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("AKID"), std::string::npos);
  }
  s.secret_access_key = "x";
  s.endpoint = "http://key:secret@127.0.0.1:1";
  EXPECT_THROW(Client(s, parse_s3_url("s3://bucket")), Error);
}

// ---- live tests

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Settings live_settings(const char* endpoint_variable) {
  Settings s = settings_from_environment();
  s.endpoint = env_or_empty(endpoint_variable);
  s.base_delay_ms = 20;
  s.max_delay_ms = 200;
  s.part_size = 5u << 20;
  s.secret_access_key =
      env_or_empty("SCRIBE_TEST_S3_SECRET").empty() ? s.secret_access_key : env_or_empty("SCRIBE_TEST_S3_SECRET");
  return s;
}

std::string temp_file_with(std::size_t bytes, unsigned seed, std::string* sha) {
  char path[] = "/tmp/scribe-s3-test-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  std::mt19937 gen(seed);
  std::string data(bytes, '\0');
  for (char& c : data) c = static_cast<char>(gen());
  std::ofstream(path, std::ios::binary) << data;
  *sha = sha256_hex(data);
  return path;
}

#define REQUIRE_LIVE(var) \
  if (env_or_empty(var).empty()) GTEST_SKIP() << var " is not set"

TEST(S3Live, PutHeadSkipGetRangeListRemove) {
  REQUIRE_LIVE("SCRIBE_TEST_S3_ENDPOINT");
  Client c(live_settings("SCRIBE_TEST_S3_ENDPOINT"), parse_s3_url(env_or_empty("SCRIBE_TEST_S3_REPO") + "/basic"));
  std::string sha;
  const std::string path = temp_file_with(100000, 1, &sha);
  const std::string key = c.location().key("chain-1/diff-1.sql");
  EXPECT_TRUE(c.put_file(key, path, sha));
  const auto info = c.head(key);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 100000u);
  EXPECT_EQ(info->sha256, sha);
  const std::uint64_t before = c.requests();
  EXPECT_FALSE(c.put_file(key, path, sha));  // already there: one HEAD, no upload
  EXPECT_EQ(c.requests() - before, 1u);
  std::string back;
  c.get(key, [&](const char* d, std::size_t n) { back.append(d, n); });
  EXPECT_EQ(sha256_hex(back), sha);
  std::string middle;
  c.get(
      key, [&](const char* d, std::size_t n) { middle.append(d, n); }, 10, 20);
  EXPECT_EQ(middle, back.substr(10, 20));
  c.put_bytes(c.location().key("chain-1/manifest.json"), "{}");
  const auto objects = c.list(c.location().key(""));
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].key, key);
  EXPECT_EQ(objects[1].key, c.location().key("chain-1/manifest.json"));
  EXPECT_FALSE(c.head(c.location().key("absent")));
  c.remove(key);
  EXPECT_FALSE(c.head(key));
  unlink(path.c_str());
}

TEST(S3Live, MultipartUpload) {
  REQUIRE_LIVE("SCRIBE_TEST_S3_ENDPOINT");
  Client c(live_settings("SCRIBE_TEST_S3_ENDPOINT"), parse_s3_url(env_or_empty("SCRIBE_TEST_S3_REPO") + "/multi"));
  std::string sha;
  const std::string path = temp_file_with((12u << 20) + 123, 2, &sha);  // three parts of 5 MB
  const std::string key = c.location().key("base.sql");
  const std::uint64_t before = c.requests();
  EXPECT_TRUE(c.put_file(key, path, sha));
  EXPECT_EQ(c.requests() - before, 1u + 1 + 3 + 1 + 1);  // HEAD, create, 3 parts, complete, HEAD
  Sha256 back;
  std::uint64_t bytes = 0;
  c.get(key, [&](const char* d, std::size_t n) {
    back.update(d, n);
    bytes += n;
  });
  EXPECT_EQ(bytes, (12u << 20) + 123);
  EXPECT_EQ(back.hex(), sha);
  unlink(path.c_str());
}

TEST(S3Live, RefusesALocalFileThatDoesNotMatchItsChecksum) {
  REQUIRE_LIVE("SCRIBE_TEST_S3_ENDPOINT");
  Client c(live_settings("SCRIBE_TEST_S3_ENDPOINT"), parse_s3_url(env_or_empty("SCRIBE_TEST_S3_REPO") + "/bad"));
  std::string sha;
  const std::string path = temp_file_with(1000, 3, &sha);
  EXPECT_THROW(c.put_file(c.location().key("x"), path, std::string(64, '0')), Error);
  EXPECT_FALSE(c.head(c.location().key("x")));
  unlink(path.c_str());
}

// Through tests/s3/flaky_proxy.js with FAIL_FIRST and CUT_GET.
TEST(S3Live, RetriesServerErrorsAndResumesACutDownload) {
  REQUIRE_LIVE("SCRIBE_TEST_S3_FLAKY_ENDPOINT");
  Client c(live_settings("SCRIBE_TEST_S3_FLAKY_ENDPOINT"),
           parse_s3_url(env_or_empty("SCRIBE_TEST_S3_REPO") + "/flaky"));
  std::string sha;
  const std::string path = temp_file_with(300000, 4, &sha);
  const std::string key = c.location().key("diff.sql");
  EXPECT_TRUE(c.put_file(key, path, sha));  // the first 3 requests get 503
  std::string back;
  c.get(key, [&](const char* d, std::size_t n) { back.append(d, n); });  // cut half-way once
  EXPECT_EQ(back.size(), 300000u);
  EXPECT_EQ(sha256_hex(back), sha);
  unlink(path.c_str());
}

TEST(S3Live, RefusedCredentialsAreReportedWithoutThem) {
  REQUIRE_LIVE("SCRIBE_TEST_S3_DENY_ENDPOINT");
  Settings s = live_settings("SCRIBE_TEST_S3_DENY_ENDPOINT");
  Client c(s, parse_s3_url(env_or_empty("SCRIBE_TEST_S3_REPO")));
  try {
    c.get_string(c.location().key("x"));
    FAIL();
  } catch (const Error& e) {
    const std::string all = std::string(e.what()) + e.detail() + e.hint();
    EXPECT_NE(all.find("AccessDenied"), std::string::npos) << all;
    EXPECT_EQ(all.find(s.secret_access_key), std::string::npos);
    EXPECT_EQ(all.find(s.access_key_id), std::string::npos);
  }
  EXPECT_THROW(c.head(c.location().key("x")), Error);  // 403 without a body: refused all the same
}

}  // namespace
}  // namespace scribe::s3
