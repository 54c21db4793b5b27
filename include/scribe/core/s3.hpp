// An S3-compatible object store as a backup repository, through libcurl
// (AWS Signature V4 by CURLOPT_AWS_SIGV4; no signing code of our own).
// Path-style URLs to an endpoint (http://127.0.0.1:9000/bucket/key), so any
// S3-compatible store works. Credentials are given to curl only: they never
// appear in a URL, an error message or a log line.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scribe::s3 {

// s3://bucket/prefix (prefix may be empty; stored without slashes at either end).
struct Location {
  std::string bucket;
  std::string prefix;
  // prefix + "/" + name, or name alone when there is no prefix.
  std::string key(std::string_view name) const;
  std::string url() const;  // s3://bucket[/prefix]
};
bool is_s3_url(std::string_view text);
// Throws scribe::Error (22023) for anything that is not a usable s3:// URL.
Location parse_s3_url(std::string_view text);

struct Settings {
  std::string endpoint;  // http(s)://host[:port], no path
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;            // optional (temporary credentials)
  std::uint64_t part_size = 16u << 20;  // multipart above this size, parts of this size
  int max_attempts = 6;                 // per request, first try included
  int base_delay_ms = 250;              // back-off: base * 2^n, capped at max_delay_ms
  int max_delay_ms = 8000;
  int connect_timeout_s = 10;
  int stall_timeout_s = 60;  // abort a transfer that moved nothing for this long
  // Asked between attempts and during transfers: true stops the request
  // (scribe::Error 57014), so a worker can exit while the store is slow.
  std::function<bool()> interrupted;
};
// AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), AWS_REGION (or
// AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN; SCRIBE_S3_PART_SIZE_MB. What the environment leaves
// unset comes from the AWS CLI's files, as the AWS tools read them: the
// profile AWS_PROFILE (default "default") of AWS_SHARED_CREDENTIALS_FILE
// (~/.aws/credentials: aws_access_key_id, aws_secret_access_key,
// aws_session_token) and AWS_CONFIG_FILE (~/.aws/config, section
// "profile NAME" or "default": region, endpoint_url).
Settings settings_from_environment();
// One profile's keys of an INI file in the AWS CLI's format (exposed for
// the unit tests); `section` is matched exactly ("default", "profile x").
std::vector<std::pair<std::string, std::string>> read_aws_profile(const std::string& text, const std::string& section);

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;    // without quotes
  std::string sha256;  // x-amz-meta-sha256 (HEAD only), lower-case hex; empty when absent
};

// Parsers of the store's XML answers (exposed for the unit tests).
struct ListPage {
  std::vector<ObjectInfo> objects;
  bool truncated = false;
  std::string continuation_token;
};
ListPage parse_list_objects_v2(std::string_view xml);
// The text of the first <tag>…</tag>, entities decoded; empty when absent.
std::string xml_element(std::string_view xml, std::string_view tag);
// How long to wait before attempt `attempt` (1 = the first retry).
int backoff_delay_ms(const Settings& settings, int attempt);

class Client {
 public:
  Client(Settings settings, Location location);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Location& location() const noexcept { return location_; }
  // Where errors say the store is (endpoint and bucket; never credentials).
  std::string describe() const;

  // Object metadata, or nothing when the key does not exist.
  std::optional<ObjectInfo> head(const std::string& key);
  // Uploads the file at `path` (its SHA-256 given as lower-case hex) unless
  // an object with that key, size and x-amz-meta-sha256 is already there.
  // Single PUT with Content-MD5 and x-amz-checksum-sha256 (the store
  // refuses a body that does not match), multipart above part_size (each
  // part with its Content-MD5). Returns true when it uploaded, false when
  // it skipped. Returns only once the store confirmed the object.
  bool put_file(const std::string& key, const std::string& path, const std::string& sha256_hex);
  // Small objects from memory (same checks as put_file).
  void put_bytes(const std::string& key, std::string_view body);
  // Streams the object (from `offset`, `length` bytes or to its end) to
  // `sink`; a transfer broken in the middle resumes with a Range request.
  void get(const std::string& key, const std::function<void(const char*, std::size_t)>& sink, std::uint64_t offset = 0,
           std::optional<std::uint64_t> length = std::nullopt);
  std::string get_string(const std::string& key, std::size_t max_bytes = 64u << 20);
  // Every object whose key starts with `prefix` (ListObjectsV2, all pages), sorted by key.
  std::vector<ObjectInfo> list(const std::string& prefix);
  void remove(const std::string& key);

  // Requests made so far (for tests and the README's cost figures).
  std::uint64_t requests() const noexcept { return requests_; }

 private:
  struct Response;
  struct Request;
  Response perform(Request& request);
  Response perform_once(Request& request);
  std::string object_url(const std::string& key, const std::string& query) const;
  void put_single(const std::string& key, const std::string& path, std::uint64_t size, const std::string& sha256_hex);
  void put_multipart(const std::string& key, const std::string& path, std::uint64_t size,
                     const std::string& sha256_hex);

  Settings settings_;
  Location location_;
  void* curl_ = nullptr;  // CURL*, reused so connections are kept alive
  std::uint64_t requests_ = 0;
};

}  // namespace scribe::s3
